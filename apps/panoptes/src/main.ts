// The panoptes binary: runs any set of components (`-target=all` by default).
// Start it with bin/panoptes (which preloads tools/register-aliases.js).
import { runMain } from '@panoptes/modules';

runMain();
