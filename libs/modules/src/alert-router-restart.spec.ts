import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HttpSink, ManagedProcess, freePort, startHttpSink, stopAllPeers } from '@panoptes/testing';

const ROOT = join(__dirname, '..', '..', '..');
const TENANT = 'team-restart';

/**
 * One alert-router (bin/panoptes -target=alert-router, filesystem bucket) killed with -9 while a
 * group is open, then started again on the same data: the restart must-show.
 */
describe('alert-router killed with -9 mid-group and restarted', () => {
  let dir: string;
  let sink: HttpSink;
  let proc: ManagedProcess | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'panoptes-am-restart-'));
    sink = await startHttpSink({ respond: () => 200 });
  });

  afterEach(async () => {
    await proc?.stop();
    await stopAllPeers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps its silences and sends no notification twice', async () => {
    if (!existsSync(join(ROOT, 'dist', 'apps', 'panoptes', 'src', 'main.js'))) throw new Error('the binaries are not built; run `npm run build` (npm test does it first)');
    const fallback = join(dir, 'fallback.yaml');
    writeFileSync(
      fallback,
      `route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: ${sink.url}/hook\n        send_resolved: true\n`,
    );
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const start = async (spawn: number): Promise<ManagedProcess> => {
      const p = ManagedProcess.start({
        name: `alert-router#${spawn}:${port}`,
        command: join(ROOT, 'bin', 'panoptes'),
        args: [
          '-target=alert-router',
          '-server.http-listen-address=127.0.0.1',
          `-server.http-listen-port=${port}`,
          '-server.grpc-listen-address=127.0.0.1',
          '-server.grpc-listen-port=0',
          `-common.storage.filesystem.dir=${join(dir, 'objects')}`,
          '-alert-router.ring.instance-id=am-0',
          `-alert-router.ring.instance-addr=127.0.0.1:${port}`,
          `-alert-router.fallback-config-file=${fallback}`,
        ],
        cwd: dir,
        env: { ...process.env, PANOPTES_APP: 'panoptes' },
        outputLines: 2000,
      });
      await p.waitForHttp(`${base}/ready`, 200, 60_000);
      return p;
    };
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${base}/alertmanager/api/v2/${path}`, {
        method,
        headers: { 'X-Scope-OrgID': TENANT, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const endsAt = new Date(Date.now() + 3_600_000).toISOString();
    const startsAt = new Date().toISOString();
    const alerts = [
      { labels: { alertname: 'Disk', instance: 'a' }, startsAt, endsAt },
      { labels: { alertname: 'Disk', instance: 'b' }, startsAt, endsAt },
      { labels: { alertname: 'Muted' }, startsAt, endsAt },
    ];

    proc = await start(1);
    const silence = { matchers: [{ name: 'alertname', value: 'Muted', isRegex: false }], startsAt, endsAt, createdBy: 'ops', comment: 'maintenance' };
    const created = await api('POST', 'silences', silence);
    expect(created.status).toBe(200);
    const { silenceID } = (await created.json()) as { silenceID: string };
    expect((await api('POST', 'alerts', alerts)).status).toBe(200);
    const [first] = await sink.waitFor(1, 15_000);
    expect((JSON.parse(first.body.toString('utf8')) as { alerts: unknown[] }).alerts).toHaveLength(2);

    // Mid-group: the group is open and flushes every second; kill -9 (no orderly stop, no final
    // state write) half a second after the notification. The notification log is written right
    // after a send: a kill within those few milliseconds would resend it (at least once, as
    // Alertmanager; see the alert-router README).
    await new Promise((r) => setTimeout(r, 500));
    process.kill(proc.pid!, 'SIGKILL');
    await proc.exited;
    proc = await start(2);

    const silences = (await (await api('GET', 'silences')).json()) as Array<{ id: string; status: { state: string }; comment: string }>;
    expect(silences).toEqual([expect.objectContaining({ id: silenceID, status: { state: 'active' }, comment: 'maintenance' })]);
    // The ruler resends its firing alerts (every resend delay): the group comes back, already notified.
    expect((await api('POST', 'alerts', alerts)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 4_000));
    expect(sink.received).toBe(1);

    // A new alert in the group is notified once, with the whole group; the silenced one stays out.
    expect((await api('POST', 'alerts', [{ labels: { alertname: 'Disk', instance: 'c' }, startsAt, endsAt }])).status).toBe(200);
    const all = await sink.waitFor(2, 15_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(sink.received).toBe(2);
    const second = JSON.parse(all[1].body.toString('utf8')) as { alerts: Array<{ labels: Record<string, string> }> };
    expect(second.alerts.map((a) => a.labels.instance)).toEqual(['a', 'b', 'c']);
  }, 90_000);
});
