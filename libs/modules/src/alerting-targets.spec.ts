import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { nopLogger } from '@panoptes/log';
import { decompressSnappy } from '@panoptes/proto';
import { type HttpSink, startHttpSink, stopAllPeers } from '@panoptes/testing';
import { buildProcess, startProcess } from './runner';
import { testConfig } from './testing/test-config';

/**
 * The ruler and the alert-router each in a process of their own (-target=ruler,
 * -target=alert-router): the ruler remote-writes its results to -ruler.distributor-url and posts
 * alerts to -ruler.alertmanager-url; the alert-router keeps tenant configs in the bucket.
 */
describe('ruler and alert-router as separate targets', () => {
  let dir: string;
  let distributor: HttpSink;
  let alertmanager: HttpSink;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'panoptes-alerting-targets-'));
    distributor = await startHttpSink({ respond: () => 204 });
    alertmanager = await startHttpSink({ respond: () => 200 });
  });
  afterEach(async () => {
    await stopAllPeers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to build a ruler with no distributor in the process and no -ruler.distributor-url', async () => {
    await expect(buildProcess(testConfig(dir, (c) => (c.target = ['ruler'])), nopLogger)).rejects.toThrow(
      '-target=ruler runs the ruler without a distributor: set -ruler.distributor-url',
    );
  });

  it('-target=ruler remote-writes rule results to -ruler.distributor-url and posts alerts to -ruler.alertmanager-url, with the tenant', async () => {
    const proc = await startProcess(
      testConfig(dir, (c) => {
        c.target = ['ruler'];
        c.ruler.distributorUrl = distributor.url;
        c.ruler.alertmanagerUrl = [`${alertmanager.url}/alertmanager`];
        c.ruler.evaluationIntervalMs = 1_000;
        c.ruler.ringCheckPeriodMs = 200;
      }),
      nopLogger,
      new Registry(),
    );
    try {
      const base = `http://127.0.0.1:${proc.wiring.http.port}`;
      const group = 'name: g\ninterval: 1s\nrules:\n  - record: one\n    expr: vector(1)\n  - alert: Always\n    expr: vector(1) > 0\n';
      // curl --data-binary @group.yaml without -H sends application/x-www-form-urlencoded; Mimir reads the YAML all the same.
      const res = await fetch(`${base}/prometheus/config/v1/rules/ns`, { method: 'POST', headers: { 'X-Scope-OrgID': 'ops', 'Content-Type': 'application/x-www-form-urlencoded' }, body: group });
      expect(res.status).toBe(202);
      expect(await (await fetch(`${base}/prometheus/config/v1/rules/ns/g`, { headers: { 'X-Scope-OrgID': 'ops' } })).text()).toContain('expr: vector(1) > 0');
      const [write] = await distributor.waitFor(1, 10_000);
      expect(write.url).toBe('/api/v1/push');
      expect(write.headers).toMatchObject({ 'x-scope-orgid': 'ops', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' });
      expect(decompressSnappy(write.body, 1 << 20).includes(Buffer.from('one'))).toBe(true);
      const [post] = await alertmanager.waitFor(1, 10_000);
      expect(post.url).toBe('/alertmanager/api/v2/alerts');
      expect(post.headers['x-scope-orgid']).toBe('ops');
      expect(JSON.parse(post.body.toString('utf8'))).toMatchObject([{ labels: { alertname: 'Always' } }]);
    } finally {
      await proc.manager.stopAll();
    }
  }, 30_000);

  it('-target=alert-router keeps tenant configs in the bucket under __alertmanager__/ and only /alertmanager serves API v2', async () => {
    const proc = await startProcess(testConfig(dir, (c) => (c.target = ['alert-router'])), nopLogger, new Registry());
    try {
      const base = `http://127.0.0.1:${proc.wiring.http.port}`;
      const headers = { 'X-Scope-OrgID': 'ops' };
      const doc = 'alertmanager_config: |\n  route:\n    receiver: none\n  receivers:\n    - name: none\n';
      expect((await fetch(`${base}/api/v1/alerts`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/yaml' }, body: doc })).status).toBe(201);
      const stored = join(proc.config.common.storage.filesystem.dir, '__alertmanager__', 'ops', 'config.yaml');
      expect(existsSync(stored)).toBe(true);
      expect(readFileSync(stored, 'utf8')).toContain('receiver: none');
      expect((await fetch(`${base}/api/v2/status`, { headers })).status).toBe(404);
      const status = await fetch(`${base}/alertmanager/api/v2/status`, { headers });
      expect(status.status).toBe(200);
      expect(((await status.json()) as { config: { original: string } }).config.original).toContain('receiver: none');
      expect((await fetch(`${base}/alertmanager/api/v2/nope`, { headers })).status).toBe(404);
      expect((await fetch(`${base}/alertmanager/api/v2/alerts`, { headers })).status).toBe(200);
      expect((await fetch(`${base}/alertmanager/api/v2/alerts`, { headers: { ...headers, 'Content-Type': 'application/json' }, method: 'POST', body: '[{"labels":' })).status).toBe(400);
    } finally {
      await proc.manager.stopAll();
    }
  });
});
