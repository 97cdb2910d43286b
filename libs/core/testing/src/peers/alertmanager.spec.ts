import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTool } from '../tools';
import { eventually } from '../wait';
import { type AlertmanagerPeer, alertmanagerConfigYaml, startAlertmanager } from './alertmanager';
import { type HttpSink, startHttpSink } from './http-sink';
import { stopAllPeers } from './peer-registry';
import { amtool } from './run-tool';

interface AmtoolAlert {
  labels: Record<string, string>;
  status: { state: string };
}

interface AmtoolSilence {
  id: string;
  createdBy: string;
  comment: string;
  matchers: { name: string; value: string; isRegex: boolean }[];
  status: { state: string };
}

describeWithTool('prometheus-alertmanager', 'Alertmanager peer', () => {
  describeWithTool('amtool', 'driven by amtool', () => {
    let webhook: HttpSink;
    let am: AlertmanagerPeer;
    const configDir = mkdtempSync(join(tmpdir(), 'panoptes-amtool-spec-'));

    beforeAll(async () => {
      webhook = await startHttpSink();
      am = await startAlertmanager({ webhookUrl: `${webhook.url}/hook` });
    }, 20_000);

    afterAll(async () => {
      await stopAllPeers();
      rmSync(configDir, { recursive: true, force: true });
    });

    it('amtool alert add creates an alert that amtool alert query lists and the webhook receives', async () => {
      const add = await am.amtool(['alert', 'add', 'alertname=Test', 'severity=page']);
      expect(add).toMatchObject({ code: 0, stderr: '' });

      const alert = await eventually(async () => {
        const query = await am.amtool(['alert', 'query', '--output=json']);
        expect(query.code).toBe(0);
        return (JSON.parse(query.stdout) as AmtoolAlert[]).find((a) => a.labels.alertname === 'Test');
      }, 10_000);
      expect(alert.labels).toEqual({ alertname: 'Test', severity: 'page' });
      expect(alert.status.state).toBe('active');

      const [notification] = await webhook.waitFor(1, 10_000);
      expect(notification.url).toBe('/hook');
      const payload = JSON.parse(notification.body.toString()) as { status: string; alerts: AmtoolAlert[] };
      expect(payload.status).toBe('firing');
      expect(payload.alerts.map((a) => a.labels.alertname)).toEqual(['Test']);
    }, 20_000);

    it('amtool silence add creates a silence that amtool silence query lists', async () => {
      const add = await am.amtool(['silence', 'add', 'alertname=Test', '-c', 'comment', '-a', 'author']);
      expect(add.code).toBe(0);
      const id = add.stdout.trim();
      expect(id).toMatch(/^[0-9a-f-]{36}$/);

      const query = await am.amtool(['silence', 'query', '--output=json']);
      expect(query.code).toBe(0);
      const silences = JSON.parse(query.stdout) as AmtoolSilence[];
      expect(silences).toEqual([
        expect.objectContaining({
          id,
          createdBy: 'author',
          comment: 'comment',
          matchers: [expect.objectContaining({ name: 'alertname', value: 'Test', isRegex: false })],
          status: { state: 'active' },
        }),
      ]);
    }, 15_000);

    it.each([
      { name: 'accepts the generated config', config: alertmanagerConfigYaml('http://127.0.0.1:9/hook'), ok: true },
      { name: 'accepts a config without receiver integrations', config: alertmanagerConfigYaml(), ok: true },
      {
        name: 'rejects a route to an undefined receiver',
        config: 'route:\n  receiver: missing\nreceivers:\n  - name: webhook\n',
        ok: false,
      },
      { name: 'rejects malformed YAML', config: 'route: [receiver\n', ok: false },
    ])('amtool check-config $name', async ({ name, config, ok }) => {
      const file = join(configDir, `${name.replace(/\W+/g, '-')}.yml`);
      writeFileSync(file, config);
      const result = await amtool(['check-config', file]);
      if (ok) expect(result).toMatchObject({ code: 0 });
      else expect(result.code).not.toBe(0);
    });

    it('amtool check-config accepts the file the running Alertmanager was started with', async () => {
      expect((await amtool(['check-config', am.configFile])).code).toBe(0);
    });
  });
});
