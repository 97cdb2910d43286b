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

  it('with keepPath fronts a whole API: each request goes below the base with its own path and query', async () => {
    const sink = await startHttpSink();
    const proxy = await HeaderProxy.start(`${sink.url}/prefix/`, { 'X-Scope-OrgID': 'tenant-b' }, { keepPath: true });
    expect(proxy.url).toBe(`http://127.0.0.1:${proxy.port}/prefix`);
    expect((await fetch(`${proxy.url}/api/v1/query?query=up`, { method: 'POST', body: 'q' })).status).toBe(204);
    expect((await fetch(`${proxy.url}/api/v2/silences`, { method: 'POST', body: '{}' })).status).toBe(204);
    const [get, post] = await sink.waitFor(2);
    expect([get.url, post.url]).toEqual(['/prefix/api/v1/query?query=up', '/prefix/api/v2/silences']);
    expect([get.headers['x-scope-orgid'], post.headers['x-scope-orgid']]).toEqual(['tenant-b', 'tenant-b']);
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
