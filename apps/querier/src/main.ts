// The querier binary: the panoptes binary with -target=querier fixed.
import { runMain } from '@panoptes/modules';

runMain('querier');
