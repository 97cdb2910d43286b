import { type HttpSink, failFirst, startHttpSink } from './http-sink';
import { PeerError } from './peer-error';
import { stopAllPeers } from './peer-registry';

const post = (sink: HttpSink, body: string, headers: Record<string, string> = {}): Promise<number> =>
  fetch(`${sink.url}/api/v1/push`, { method: 'POST', body, headers }).then(async (r) => {
    await r.arrayBuffer();
    return r.status;
  });

afterAll(stopAllPeers);

describe('HttpSink', () => {
  it('records each POST with its headers and raw body and answers 204', async () => {
    const sink = await startHttpSink();
    expect(await post(sink, 'payload', { 'X-Scope-OrgID': 't1' })).toBe(204);
    const [req] = await sink.waitFor(1);
    expect(req).toMatchObject({ index: 0, method: 'POST', url: '/api/v1/push', status: 204 });
    expect(req.headers['x-scope-orgid']).toBe('t1');
    expect(req.body.toString()).toBe('payload');
    await sink.stop();
  });

  it.each([
    { name: 'failFirst(2, 500) fails two then succeeds', respond: failFirst(2, 500), want: [500, 500, 204, 204] },
    { name: 'failFirst(1, 429, 200) fails once then answers 200', respond: failFirst(1, 429, 200), want: [429, 200, 200, 200] },
    { name: 'a constant responder answers every request alike', respond: () => 400, want: [400, 400, 400, 400] },
  ])('scripted statuses: $name', async ({ respond, want }) => {
    const sink = await startHttpSink({ respond });
    const got: number[] = [];
    for (let i = 0; i < want.length; i++) got.push(await post(sink, `r${i}`));
    expect(got).toEqual(want);
    expect(sink.requests.map((r) => r.status)).toEqual(want);
    await sink.stop();
  });

  it('answers 405 to other methods without recording them', async () => {
    const sink = await startHttpSink();
    const res = await fetch(sink.url);
    expect(res.status).toBe(405);
    expect(sink.received).toBe(0);
    await sink.stop();
  });

  it('keeps at most maxRecorded requests but counts them all', async () => {
    const sink = await startHttpSink({ maxRecorded: 2 });
    for (let i = 0; i < 5; i++) await post(sink, `r${i}`);
    expect(sink.received).toBe(5);
    expect(sink.requests.map((r) => r.body.toString())).toEqual(['r3', 'r4']);
    await sink.stop();
  });

  it('answers 413 to a body above maxBodyBytes', async () => {
    const sink = await startHttpSink({ maxBodyBytes: 4 });
    expect(await post(sink, 'too long')).toBe(413);
    expect(sink.received).toBe(0);
    await sink.stop();
  });

  it('waitFor rejects naming how many requests arrived when too few do', async () => {
    const sink = await startHttpSink();
    await post(sink, 'one');
    const err = await sink.waitFor(3, 200).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeerError);
    expect((err as Error).message).toMatch(/received 1 of 3 requests within 200 ms/);
    await sink.stop();
  });

  it('setResponder changes the answer for later requests', async () => {
    const sink = await startHttpSink();
    expect(await post(sink, 'a')).toBe(204);
    sink.setResponder(() => 503);
    expect(await post(sink, 'b')).toBe(503);
    await sink.stop();
  });
});
