// Preloaded by the bench entry points: runs the repository's TypeScript sources directly, compiled
// file by file with SWC (already a dev dependency, through @swc/jest), with the `@panoptes/*`
// aliases of tsconfig.base.json resolved to the sources. tools/ is outside `npm run build`, and a
// harness must not depend on dist/ being fresh for the libraries it measures in-process.
// No type checking here: `npm run typecheck` covers tools/**/*.ts.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const Module = require('node:module');
const { transformSync } = require('@swc/core');
const { register } = require('tsconfig-paths');

const root = join(__dirname, '..', '..');
const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8'));
register({ baseUrl: root, paths: compilerOptions.paths, addMatchAll: false });

const swcOptions = {
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

Module._extensions['.ts'] = function compileTs(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...swcOptions, filename });
  module._compile(code, filename);
};
process.setSourceMapsEnabled?.(true);
