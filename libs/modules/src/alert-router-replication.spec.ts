import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Registry } from 'prom-client';
import { nopLogger } from '@panoptes/log';
import { type HttpSink, ManagedProcess, describeWithService, eventually, freePort, startHttpSink, stopAllPeers, uniqueName } from '@panoptes/testing';
import { type RunningProcess, startProcess } from './runner';
import { testConfig } from './testing/test-config';

const ROOT = join(__dirname, '..', '..', '..');
const TENANTS = Array.from({ length: 16 }, (_, i) => `team-${i}`);
const STATE_PATH = '/alert-router/internal/state';

/**
 * Two alert-routers (-target=alert-router) on one Redis ring with replication factor 2: one runs in
 * this process, the other is bin/panoptes, killed with -9. Each has a bucket of its own, so the
 * survivor knows only what was replicated to it: no state written by the killed one helps.
 */
describeWithService('redis', 'alert-router replication across processes', (redis) => {
  let dir: string;
  let sink: HttpSink;
  let survivor: RunningProcess | undefined;
  let victim: ManagedProcess | undefined;
  const prefix = `${uniqueName('panoptes-am-repl')}/`;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'panoptes-am-repl-'));
    sink = await startHttpSink({ respond: () => 200 });
  });

  afterEach(async () => {
    await survivor?.manager.stopAll();
    await victim?.stop();
    await stopAllPeers();
    const r = new Redis({ host: redis.host, port: redis.port });
    const keys = await r.keys(`${prefix}*`);
    if (keys.length) await r.del(...keys);
    r.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the surviving replica takes over from a sender killed with -9 without sending any notification twice', async () => {
    if (!existsSync(join(ROOT, 'dist', 'apps', 'panoptes', 'src', 'main.js'))) throw new Error('the binaries are not built; run `npm run build` (npm test does it first)');
    const fallback = join(dir, 'fallback.yaml');
    writeFileSync(
      fallback,
      `route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: ${sink.url}/hook\n`,
    );
    const [survivorPort, victimPort] = [await freePort(), await freePort()];
    survivor = await startProcess(
      testConfig(join(dir, 'survivor'), (c) => {
        c.target = ['alert-router'];
        c.server.httpListenPort = survivorPort;
        c.kv.store = 'redis';
        c.kv.redis.endpoint = redis.addr;
        c.kv.redis.keyPrefix = prefix;
        Object.assign(c.alertRouter.ring, { instanceId: 'am-survivor', instanceAddr: `127.0.0.1:${survivorPort}`, replicationFactor: 2, heartbeatPeriodMs: 1_000, heartbeatTimeoutMs: 3_000 });
        c.alertRouter.ringCheckPeriodMs = 200;
        c.alertRouter.fallbackConfigFile = fallback;
      }),
      nopLogger,
      new Registry(),
    );
    victim = ManagedProcess.start({
      name: `alert-router:${victimPort}`,
      command: join(ROOT, 'bin', 'panoptes'),
      args: [
        '-target=alert-router',
        '-server.http-listen-address=127.0.0.1',
        `-server.http-listen-port=${victimPort}`,
        '-server.grpc-listen-address=127.0.0.1',
        '-server.grpc-listen-port=0',
        `-common.storage.filesystem.dir=${join(dir, 'victim', 'objects')}`,
        '-kv.store=redis',
        `-kv.redis.endpoint=${redis.addr}`,
        `-kv.redis.key-prefix=${prefix}`,
        '-alert-router.ring.instance-id=am-victim',
        `-alert-router.ring.instance-addr=127.0.0.1:${victimPort}`,
        '-alert-router.ring.replication-factor=2',
        '-alert-router.ring.heartbeat-period=1s',
        '-alert-router.ring.heartbeat-timeout=3s',
        '-alert-router.ring-check-period=200ms',
        `-alert-router.fallback-config-file=${fallback}`,
      ],
      cwd: dir,
      env: { ...process.env, PANOPTES_APP: 'panoptes' },
      outputLines: 2000,
    });
    await victim.waitForHttp(`http://127.0.0.1:${victimPort}/ready`, 200, 60_000);
    const base = (port: number) => `http://127.0.0.1:${port}`;
    await eventually(async () => {
      const res = await fetch(`${base(survivorPort)}/alert-router/ring`, { headers: { Accept: 'application/json' } });
      const { shards } = (await res.json()) as { shards: { id: string; state: string }[] };
      return shards.filter((s) => s.state === 'ACTIVE').length === 2;
    }, 10_000);

    const post = (port: number, tenant: string, path: string, body: unknown) =>
      fetch(`${base(port)}/alertmanager/api/v2/${path}`, { method: 'POST', headers: { 'X-Scope-OrgID': tenant, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const endsAt = new Date(Date.now() + 3_600_000).toISOString();
    for (const t of TENANTS) {
      expect((await post(survivorPort, t, 'alerts', [{ labels: { alertname: 'Disk' }, endsAt }, { labels: { alertname: 'Muted' }, endsAt }])).status).toBe(200);
      const silence = { matchers: [{ name: 'alertname', value: 'Muted', isRegex: false }], startsAt: new Date().toISOString(), endsAt, createdBy: 'ops', comment: 'c' };
      expect((await post(victimPort, t, 'silences', silence)).status).toBe(200);
    }
    await sink.waitFor(TENANTS.length, 15_000);

    // Which tenants the victim sends, by its own account.
    const dispatching = async (port: number, tenant: string): Promise<boolean> => {
      const res = await fetch(`${base(port)}${STATE_PATH}`, { headers: { 'X-Scope-OrgID': tenant } });
      return res.status === 200 && ((await res.json()) as { dispatching: boolean }).dispatching;
    };
    const victimTenants: string[] = [];
    for (const t of TENANTS) if (await dispatching(victimPort, t)) victimTenants.push(t);
    expect(victimTenants.length).toBeGreaterThan(0);

    // kill -9: no leaving the ring, no state written.
    process.kill(victim.pid!, 'SIGKILL');
    await victim.exited;
    await eventually(async () => (await Promise.all(victimTenants.map((t) => dispatching(survivorPort, t)))).every(Boolean), 15_000);
    // Several group intervals later: nothing was sent again.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(sink.received).toBe(TENANTS.length);

    // New alerts for the taken-over tenants go out once; the silence made on the victim still holds.
    for (const t of victimTenants) expect((await post(survivorPort, t, 'alerts', [{ labels: { alertname: 'Disk', instance: 'two' }, endsAt }, { labels: { alertname: 'Muted', instance: 'two' }, endsAt }])).status).toBe(200);
    const all = await sink.waitFor(TENANTS.length + victimTenants.length, 15_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(sink.received).toBe(TENANTS.length + victimTenants.length);
    const late = all.slice(TENANTS.length).map((p) => JSON.parse(p.body.toString('utf8')) as { groupKey: string; alerts: unknown[] });
    expect(late.map((p) => [p.groupKey, p.alerts.length])).toEqual(victimTenants.map(() => ['{}:{alertname="Disk"}', 2]));
  }, 90_000);
});
