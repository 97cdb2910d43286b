// The compactor binary: the panoptes binary with -target=compactor fixed.
import { runMain } from '@panoptes/modules';

runMain('compactor');
