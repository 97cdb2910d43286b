// Preloaded with `node -r ./tools/register-aliases.js dist/apps/<app>/src/main.js`: resolves the
// `@panoptes/*` aliases of tsconfig.base.json inside the compiled tree (dist/), where every library
// sits at the same relative path as its sources. Jest and tsc resolve the aliases themselves.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { register } = require('tsconfig-paths');

const root = join(__dirname, '..');
const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8'));
const paths = {};
for (const [alias, targets] of Object.entries(compilerOptions.paths)) {
  paths[alias] = targets.map((t) => t.replace(/\.ts$/, '.js'));
}
register({ baseUrl: join(root, 'dist'), paths, addMatchAll: false });
