// The distributor binary: the panoptes binary with -target=distributor fixed.
import { runMain } from '@panoptes/modules';

runMain('distributor');
