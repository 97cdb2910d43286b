import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToExit, startPanoptes, stop, Started } from './process';

const COMPONENTS = ['distributor', 'ingester', 'querier', 'query-frontend', 'compactor', 'ruler', 'alert-router'];

describe('bin/panoptes -target=all (black box)', () => {
  let dir: string;
  let p: Started;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'panoptes-e2e-'));
    p = await startPanoptes([`-common.storage.filesystem.dir=${dir}/objects`, `-ingest-storage.in-process.dir=${dir}/ingest`]);
    process.stdout.write(`all-in-one target ready ${p.readyAfterMs} ms after spawn\n`);
  });
  afterAll(async () => {
    if (p) await stop(p.child, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /ready within 20 s of start', () => {
    expect(p.readyAfterMs).toBeLessThan(20_000);
  });

  it('lists every component of the all-in-one target as Running on /services', async () => {
    const res = await fetch(`http://127.0.0.1:${p.httpPort}/services`, { headers: { Accept: 'application/json' } });
    const { services } = (await res.json()) as { services: Array<{ name: string; state: string }> };
    for (const c of COMPONENTS) expect(services).toContainEqual({ name: c, state: 'Running' });
  });

  it('logs logfmt lines with level, component and msg', () => {
    expect(p.output()).toMatch(/^ts=\S+ level=info component=server msg="HTTP server listening" addr=127\.0\.0\.1:\d+$/m);
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    const code = await stop(p.child, 'SIGTERM');
    expect(code).toBe(0);
    expect(p.output()).toContain('msg="Panoptes stopped"');
  });
});

describe('bin/panoptes with bad config (black box)', () => {
  it('exits 1 listing every error: unknown key, wrong type, negative limit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'panoptes-e2e-bad-'));
    const file = join(dir, 'panoptes.yaml');
    writeFileSync(file, 'server:\n  http_listen_port: "eighty"\ndistributer:\n  x: 1\nlimits:\n  ingestion_rate: -1\n');
    const { code, output } = await runToExit([`-config.file=${file}`]);
    expect(code).toBe(1);
    expect(output).toContain('invalid configuration (3 errors)');
    expect(output).toContain('server.http_listen_port: expected an integer, got "eighty"');
    expect(output).toContain('distributer: unknown field "distributer"');
    expect(output).toContain('limits.ingestion_rate (-distributor.ingestion-rate-limit): must be >= 0, got -1');
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('single-component binaries (black box)', () => {
  it('the ingester binary runs only the ingester and its dependencies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'panoptes-e2e-ing-'));
    const p = await startPanoptes(
      [`-common.storage.filesystem.dir=${dir}/objects`, `-ingest-storage.in-process.dir=${dir}/ingest`, '-ingester.ring.instance-id=ingester-zone-a-0'],
      20_000,
      'ingester',
    );
    try {
      const { services } = (await (await fetch(`http://127.0.0.1:${p.httpPort}/services`, { headers: { Accept: 'application/json' } })).json()) as {
        services: Array<{ name: string }>;
      };
      const names = services.map((s) => s.name);
      expect(names).toContain('ingester');
      expect(names).not.toContain('querier');
      expect(names).not.toContain('distributor');
    } finally {
      expect(await stop(p.child)).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
