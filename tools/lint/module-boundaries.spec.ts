import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface LintMessage {
  ruleId: string | null;
  message: string;
}

/**
 * Lints `code` as if it were a new file at `path` with the project's own ESLint config, in a child
 * process (ESLint loads its flat config with a dynamic import that Jest's VM cannot run). The rule
 * needs Nx's project graph, which `npm run lint` computes first (`nx show projects`); so do we.
 */
function boundaryErrors(path: string, code: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'boundaries-'));
  const out = join(dir, 'result.json');
  return new Promise<string[]>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--format', 'json', '--output-file', out, '--stdin', '--stdin-filename', join(ROOT, path)],
      { cwd: ROOT, maxBuffer: 16 << 20 },
      (err, _stdout, stderr) => {
        // Exit code 1 means "lint errors found"; anything else is a broken run.
        if (err && err.code !== 1) return reject(new Error(`eslint failed: ${err.message}\n${stderr}`));
        try {
          const [result] = JSON.parse(readFileSync(out, 'utf8')) as Array<{ messages: LintMessage[] }>;
          resolve(result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message));
        } catch (parseError) {
          reject(parseError);
        }
      },
    );
    child.stdin!.end(code);
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
}

beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), 'show', 'projects'], { cwd: ROOT, stdio: 'ignore' });
}, 120_000);

// Imports are checked by the lint rule that `npm test` runs; these cases prove the rule is wired
// to the project tags, so a wrong arrow fails CI rather than passing silently.
describe('module boundaries (apps → modules → components → data → core)', () => {
  it.each([
    ['a component imports another component', 'libs/components/querier/src/probe.ts', "import { Ingester } from '@panoptes/ingester';\nexport const x = Ingester;\n"],
    ['a data library imports a component', 'libs/ring/src/probe.ts', "import { Distributor } from '@panoptes/distributor';\nexport const x = Distributor;\n"],
    ['core imports a data library', 'libs/core/server/src/probe.ts', "import { MemoryKv } from '@panoptes/kv';\nexport const x = MemoryKv;\n"],
    ['an app skips the modules library', 'apps/querier/src/probe.ts', "import { Querier } from '@panoptes/querier';\nexport const x = Querier;\n"],
  ])('rejects: %s', async (_name, path, code) => {
    expect(await boundaryErrors(path, code)).not.toEqual([]);
  }, 60_000);

  it.each([
    ['a component imports data and core libraries', 'libs/components/querier/src/probe.ts', "import { Ring } from '@panoptes/ring';\nimport { Service } from '@panoptes/services';\nexport const x = [Ring, Service];\n"],
    ['the modules library imports components', 'libs/modules/src/probe.ts', "import { Ingester } from '@panoptes/ingester';\nexport const x = Ingester;\n"],
    ['a data library imports another data library', 'libs/ring/src/probe.ts', "import { MemoryKv } from '@panoptes/kv';\nexport const x = MemoryKv;\n"],
  ])('allows: %s', async (_name, path, code) => {
    expect(await boundaryErrors(path, code)).toEqual([]);
  }, 60_000);
});
