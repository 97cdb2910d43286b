// Prints the configuration reference (docs/configuration.md); run with `npm run docs:config`.
import { renderReference } from '@panoptes/config';
import { panoptesConfigSpec } from './config';

process.stdout.write(renderReference(panoptesConfigSpec));
