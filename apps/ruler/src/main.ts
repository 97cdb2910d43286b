// The ruler binary: the panoptes binary with -target=ruler fixed.
import { runMain } from '@panoptes/modules';

runMain('ruler');
