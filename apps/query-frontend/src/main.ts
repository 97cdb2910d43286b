// The query-frontend binary: the panoptes binary with -target=query-frontend fixed.
import { runMain } from '@panoptes/modules';

runMain('query-frontend');
