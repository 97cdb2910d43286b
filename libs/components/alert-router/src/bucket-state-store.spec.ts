import { type Bucket, InMemoryBucket, PrefixedBucket, S3Bucket, ScratchS3Bucket, listAll } from '@panoptes/bucket';
import { FakeClock, ValidationError } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { describeWithService, uniqueName } from '@panoptes/testing';
import { Registry } from 'prom-client';
import { AlertRouter, defaultAlertRouterConfig } from './alert-router';
import { BucketAlertRouterStateStore } from './bucket-state-store';

const AM_CONFIG = 'route:\n  receiver: r\nreceivers:\n  - name: r\n';

/** The same round trips against any bucket (a fresh one per test): configs, opaque state, and a whole router restart. */
function roundTrips(freshBucket: () => Bucket) {
  it('stores a tenant config as readable YAML and reads it back; deleting it leaves none', async () => {
    const bucket = freshBucket();
    const store = new BucketAlertRouterStateStore(bucket);
    expect(await store.loadConfig('t1')).toBeUndefined();
    await store.saveConfig('t1', { alertmanagerConfig: AM_CONFIG, templateFiles: { 'a.tmpl': '{{ define "x" }}y{{ end }}' } });
    expect(await store.loadConfig('t1')).toEqual({ alertmanagerConfig: AM_CONFIG, templateFiles: { 'a.tmpl': '{{ define "x" }}y{{ end }}' } });
    const text = (await bucket.get('t1/config.yaml')).toString('utf8');
    expect(text).toContain('alertmanager_config: |');
    expect(text).toContain('receiver: r');
    await store.deleteConfig('t1');
    expect(await store.loadConfig('t1')).toBeUndefined();
    await store.deleteConfig('t1');
  });

  it('keeps silences and the notification log byte for byte, per tenant', async () => {
    const store = new BucketAlertRouterStateStore(freshBucket());
    const bytes = Buffer.from([0, 1, 2, 255]);
    await store.saveState('t1', 'silences', bytes);
    await store.saveState('t2', 'nflog', Buffer.from('x'));
    expect(await store.loadState('t1', 'silences')).toEqual(bytes);
    expect(await store.loadState('t1', 'nflog')).toBeUndefined();
    expect(await store.loadState('t2', 'nflog')).toEqual(Buffer.from('x'));
  });

  it('brings a silence back after the router restarts on the same bucket', async () => {
    const clock = new FakeClock(Date.UTC(2024, 0, 1));
    const bucket = freshBucket();
    const start = async () => {
      const r = new AlertRouter(nopLogger, new Registry(), defaultAlertRouterConfig(), { clock, stateStore: new BucketAlertRouterStateStore(bucket) });
      await r.start();
      return r;
    };
    const first = await start();
    const silence = JSON.stringify({ matchers: [{ name: 'alertname', value: 'A', isRegex: false, isEqual: true }], startsAt: new Date(clock.now()).toISOString(), endsAt: new Date(clock.now() + 3_600_000).toISOString(), createdBy: 'me', comment: 'c' });
    const created = await first.handleApi('t1', { method: 'POST', path: '/api/v2/silences', query: new URLSearchParams(), body: silence });
    expect(created.status).toBe(200);
    await first.stop();
    const second = await start();
    const listed = await second.handleApi('t1', { method: 'GET', path: '/api/v2/silences', query: new URLSearchParams() });
    expect((JSON.parse(listed.body) as { id: string }[]).map((s) => s.id)).toEqual([(JSON.parse(created.body) as { silenceID: string }).silenceID]);
    await second.stop();
  });
}

describe('BucketAlertRouterStateStore on an in-memory bucket', () => {
  roundTrips(() => new PrefixedBucket(new InMemoryBucket(), '__alertmanager__'));

  it('keeps everything under the prefix it is given, away from tenants\' blocks', async () => {
    const inner = new InMemoryBucket();
    await new BucketAlertRouterStateStore(new PrefixedBucket(inner, '__alertmanager__')).saveConfig('t9', { alertmanagerConfig: AM_CONFIG, templateFiles: {} });
    expect((await listAll(inner, '', { recursive: true })).filter((k) => k.includes('t9'))).toEqual(['__alertmanager__/t9/config.yaml']);
  });

  it('refuses tenant IDs that are not valid and a stored config without alertmanager_config', async () => {
    const b = new InMemoryBucket();
    const store = new BucketAlertRouterStateStore(b);
    await expect(store.loadConfig('../x')).rejects.toBeInstanceOf(ValidationError);
    await b.put('t1/config.yaml', Buffer.from('template_files: {}\n'));
    await expect(store.loadConfig('t1')).rejects.toThrow(/has no alertmanager_config/);
  });
});

describeWithService('s3', 'BucketAlertRouterStateStore on MinIO', (env) => {
  const scratch = new ScratchS3Bucket(env, uniqueName('alert-router-state'));
  let s3: S3Bucket;
  beforeAll(async () => {
    await scratch.create();
    s3 = new S3Bucket(scratch.config());
  });
  afterAll(async () => {
    await s3?.close();
    await scratch.destroy();
  });
  roundTrips(() => new PrefixedBucket(s3, uniqueName('__alertmanager__')));
});
