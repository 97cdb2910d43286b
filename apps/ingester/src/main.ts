// The ingester binary: the panoptes binary with -target=ingester fixed.
import { runMain } from '@panoptes/modules';

runMain('ingester');
