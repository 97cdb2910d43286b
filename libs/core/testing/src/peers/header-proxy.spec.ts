import { freePort } from './free-port';
import { HeaderProxy } from './header-proxy';
import { failFirst, startHttpSink } from './http-sink';
import { stopAllPeers } from './peer-registry';

afterAll(stopAllPeers);

describe('HeaderProxy', () => {
  it('forwards the body and headers to the target with the extra headers set', async () => {
    const sink = await startHttpSink();
    const proxy = await HeaderProxy.start(`${sink.url}/api/v1/push?x=1`, { 'X-Scope-OrgID': 'tenant-a' });
    expect(proxy.url).toBe(`http://127.0.0.1:${proxy.port}/api/v1/push?x=1`);
    const res = await fetch(proxy.url, {
      method: 'POST',
      headers: { 'Content-Encoding': 'snappy', 'X-Scope-OrgID': 'overridden' },
      body: new Uint8Array([1, 2, 3]),
    });
    expect(res.status).toBe(204);
    const [req] = await sink.waitFor(1);
    expect(req.url).toBe('/api/v1/push?x=1');
    expect(req.headers).toMatchObject({ 'content-encoding': 'snappy', 'x-scope-orgid': 'tenant-a', host: `127.0.0.1:${sink.port}` });
    expect([...req.body]).toEqual([1, 2, 3]);
  });

  it('passes error statuses and their bodies through unchanged, so senders retry as they would', async () => {
    const sink = await startHttpSink({ respond: failFirst(1, 503) });
    const proxy = await HeaderProxy.start(sink.url, { 'X-Scope-OrgID': 't' });
    const first = await fetch(proxy.url, { method: 'POST', body: 'a' });
    expect(first.status).toBe(503);
    expect(await first.text()).toMatch(/503/);
    expect((await fetch(proxy.url, { method: 'POST', body: 'a' })).status).toBe(204);
  });

  it('answers 502 naming the target when the target is down', async () => {
    const target = `http://127.0.0.1:${await freePort()}/push`;
    const proxy = await HeaderProxy.start(target, { 'X-Scope-OrgID': 't' });
    const res = await fetch(proxy.url, { method: 'POST', body: 'a' });
    expect(res.status).toBe(502);
    expect(await res.text()).toContain(target);
  });
});
