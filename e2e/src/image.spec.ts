import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from '@panoptes/testing';
import { pushRemoteWrite } from './harness';
import { ROOT, startPanoptes, stop, type Started } from './process';

// The container image's runtime tree (Dockerfile: `tools/image/stage /app`), staged on disk and run:
// bin/, dist/ and the production dependencies alone must serve writes and queries. A runtime import
// of a development dependency, or a file the binary reads from the source tree, fails here. The
// image build itself needs a Docker engine, which this machine does not have.
describe('the image runtime tree (tools/image/stage)', () => {
  let work: string;
  let p: Started | undefined;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'panoptes-image-'));
    const { stdout } = await promisify(execFile)(join(ROOT, 'tools', 'image', 'stage'), [join(work, 'app')], {
      env: { ...process.env, PANOPTES_STAGE_NPM_FLAGS: '--prefer-offline' },
      maxBuffer: 16 << 20,
    });
    process.stdout.write(stdout);
    const data = join(work, 'data');
    p = await startPanoptes(
      ['-target=all', `-common.storage.filesystem.dir=${data}/objects`, `-ingest-storage.in-process.dir=${data}/ingest`, `-blocks-storage.tsdb.dir=${data}/tsdb`],
      30_000,
      'panoptes',
      join(work, 'app'),
    );
  }, 180_000);

  afterAll(async () => {
    if (p) await stop(p.child, 'SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });

  it('holds no sources and no development dependencies', async () => {
    const { readdirSync, existsSync } = await import('node:fs');
    const app = join(work, 'app');
    expect(readdirSync(app).sort()).toEqual(['bin', 'dist', 'node_modules', 'package-lock.json', 'package.json', 'tools', 'tsconfig.base.json']);
    for (const dev of ['jest', 'typescript', 'nx', '@swc/core']) expect(existsSync(join(app, 'node_modules', dev))).toBe(false);
    for (const prod of ['kafkajs', 'ioredis', '@grpc/grpc-js', '@aws-sdk/client-s3']) expect(existsSync(join(app, 'node_modules', prod))).toBe(true);
  });

  it('starts every component, accepts a remote write and answers a query for it', async () => {
    const url = `http://127.0.0.1:${p!.httpPort}`;
    const t = Date.now();
    const pushed = await pushRemoteWrite(url, 'image', { timeseries: [{ labels: [{ name: '__name__', value: 'image_up' }, { name: 'job', value: 'image' }], samples: [{ timestamp: t, value: 1 }] }] });
    expect(pushed).toMatchObject({ status: 204 });
    // The all-in-one target acknowledges once the in-process ingest log has the record; the ingester consumes it right after.
    await eventually(async () => {
      const res = await fetch(`${url}/prometheus/api/v1/query?query=image_up&time=${(t + 1000) / 1000}`, { headers: { 'X-Scope-OrgID': 'image' } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      expect(body.data.result).toEqual([{ metric: { __name__: 'image_up', job: 'image' }, value: [(t + 1000) / 1000, '1'] }]);
      return true;
    }, 10_000);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    expect(await stop(p!.child, 'SIGTERM')).toBe(0);
    p = undefined;
  });
});
