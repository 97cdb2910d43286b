// The alert-router binary: the panoptes binary with -target=alert-router fixed.
import { runMain } from '@panoptes/modules';

runMain('alert-router');
