import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { servicesRequired } from './services';

/** Real peer programs that compatibility tests run (installed by `tools/install-peers`). */
export type PeerTool = 'promtool' | 'prometheus' | 'amtool' | 'prometheus-alertmanager' | 'prometheus-node-exporter';

/** The absolute path of a program on PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * `describe` for a suite that runs a real peer program. Skips loudly when it is not installed;
 * fails instead when PANOPTES_REQUIRE_SERVICES=1 (CI installs the peers with tools/install-peers).
 */
export function describeWithTool(tool: PeerTool, title: string, body: (path: string) => void): void {
  const path = findOnPath(tool);
  if (path) {
    describe(`${title} [real ${tool}]`, () => body(path));
    return;
  }
  const message = `${tool} is not installed; run tools/install-peers (Debian packages prometheus, prometheus-alertmanager, prometheus-node-exporter).`;
  if (servicesRequired()) {
    describe(`${title} [real ${tool}]`, () => {
      it(`needs ${tool} (PANOPTES_REQUIRE_SERVICES=1)`, () => {
        throw new Error(message);
      });
    });
    return;
  }
  process.stderr.write(`\n!!! SKIPPING "${title}": ${message}\n`);
  describe.skip(`${title} [real ${tool}: SKIPPED, not installed]`, () => body(''));
}
