import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { BlockMeta, parseMeta, SOURCE_RECEIVE, TENANT_ID_EXTERNAL_LABEL } from '@panoptes/block-formats';
import { FilesystemBucket, listAll } from '@panoptes/bucket';
import { FakeClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { seriesHash53OfLabels } from '@panoptes/proto';
import { describeWithTool, promtool } from '@panoptes/testing';
import { defaultHeadConfig, Head } from '@panoptes/tsdb';
import { BlockShipper, tenantExternalLabels } from './shipper';
import { HOUR, T0 } from './testing/shipper-test-util';

const TENANT = 'tenant-promtool';
const BLOCK = 2 * HOUR;

interface Sample {
  /** `promtool tsdb dump`'s label text, `{a="b", c="d"}`. */
  labels: string;
  v: number;
  t: number;
}

/** One `promtool tsdb dump` line: `{a="b", c="d"} <%g value> <ms timestamp>`. */
function parseDumpLine(line: string): Sample {
  const tAt = line.lastIndexOf(' ');
  const vAt = line.lastIndexOf(' ', tAt - 1);
  const vText = line.slice(vAt + 1, tAt);
  const v = vText === '+Inf' ? Infinity : vText === '-Inf' ? -Infinity : vText === 'NaN' ? NaN : Number(vText);
  return { labels: line.slice(0, vAt), v, t: Number(line.slice(tAt + 1)) };
}

/** Labels as promtool prints them (Go's `labels.String`): sorted, quoted, `, `-separated. */
function dumpLabels(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ')}}`;
}

const SERIES: Array<Record<string, string>> = [
  { __name__: 'http_requests_total', job: 'api', instance: 'a:80' },
  { __name__: 'http_requests_total', job: 'api', instance: 'b:80' },
  { __name__: 'queue_depth', job: 'worker' },
  { __name__: 'up', job: 'worker' },
];

describeWithTool('promtool', 'a block cut by the head and shipped by BlockShipper, read by Prometheus 2.42', (promtoolPath) => {
  jest.setTimeout(60_000);
  let dataDir: string;
  let bucketDir: string;
  let meta: BlockMeta;
  const written: Sample[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ingester-promtool-data-'));
    bucketDir = await mkdtemp(join(tmpdir(), 'ingester-promtool-bucket-'));
    const head = new Head(defaultHeadConfig(), TENANT, nopLogger, new Registry());
    const app = head.appender();
    SERIES.forEach((labels, i) => {
      const names = Object.keys(labels).sort();
      const values = names.map((n) => labels[n]);
      const ref = head.getOrCreateSeries(seriesHash53OfLabels(names, values), names, values);
      // From 10 min before the block to 10 min after it; only [T0, T0 + 2h) goes into the block.
      for (let t = T0 - 10 * 60_000 + i * 1_000, k = 0; t < T0 + BLOCK + 10 * 60_000; t += 30_000 + (k % 3) * 7, k++) {
        const v = i === 3 ? 1 : i === 2 ? (k % 17) - 4.25 : i * 1_000 + k * 2.5;
        app.append(ref, t, v);
        if (t >= T0 && t < T0 + BLOCK) written.push({ labels: dumpLabels(labels), v, t });
      }
    });
    expect(app.commit().rejected).toBe(0);
    const shipper = new BlockShipper({ dataDir }, new FilesystemBucket({ dir: bucketDir }), new FakeClock(T0 + 3 * HOUR), nopLogger, new Registry());
    meta = (await head.cutBlock(T0, T0 + BLOCK, shipper.blocksDir(TENANT), { externalLabels: tenantExternalLabels(TENANT) }))!;
    expect(meta).toBeDefined();
    expect(await shipper.ship(TENANT)).toEqual({ uploaded: [meta.ulid], failed: [] });
    // The local copy goes: promtool reads only what was uploaded.
    expect(await shipper.deleteShippedBefore(TENANT, T0 + BLOCK)).toEqual([meta.ulid]);
    // promtool opens the tenant's prefix as a TSDB directory; `dump` needs a (here empty) WAL directory.
    await mkdir(join(bucketDir, TENANT, 'wal'));
    written.sort((a, b) => (a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : a.t - b.t));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await rm(bucketDir, { recursive: true, force: true });
  });

  it('uploads a block whose meta.json names the tenant and the ingester as its source', async () => {
    const bucket = new FilesystemBucket({ dir: bucketDir });
    const uploaded = parseMeta((await bucket.get(`${TENANT}/${meta.ulid}/meta.json`)).toString('utf8'));
    expect(uploaded.thanos?.labels).toEqual({ [TENANT_ID_EXTERNAL_LABEL]: TENANT });
    expect(uploaded.thanos?.source).toBe(SOURCE_RECEIVE);
    expect(uploaded.stats.numSamples).toBe(written.length);
    expect(await listAll(bucket, `${TENANT}/${meta.ulid}/`, { recursive: true })).toEqual(
      ['chunks/000001', 'index', 'meta.json', 'tombstones'].map((f) => `${TENANT}/${meta.ulid}/${f}`),
    );
  });

  it('passes `promtool tsdb analyze` on the uploaded copy', async () => {
    const { code, stdout, stderr } = await promtool(['tsdb', 'analyze', join(bucketDir, TENANT), meta.ulid], { promtoolPath });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain(`Block ID: ${meta.ulid}`);
    expect(stdout).toMatch(new RegExp(`^Series: ${SERIES.length}$`, 'm'));
  });

  it('dumps exactly the samples written in the block range through `promtool tsdb dump`', async () => {
    const { code, stdout, stderr } = await promtool(
      ['tsdb', 'dump', `--min-time=${meta.minTime}`, `--max-time=${meta.maxTime}`, join(bucketDir, TENANT)],
      { promtoolPath, maxOutputBytes: 64 << 20 },
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const got = stdout
      .split('\n')
      .filter((l) => l !== '')
      .map(parseDumpLine);
    expect(got).toHaveLength(written.length);
    expect(got).toEqual(written);
  });
});
