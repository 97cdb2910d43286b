import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { seededRandom } from '@panoptes/common';
import { combineLoads, sendBodies } from './load';
import { RemoteWriteBody } from './remote-write-bodies';

/** A fake receiver: records (window, group) arrivals from the body, answers `statusOf`, after a random delay. */
async function startReceiver(statusOf: (window: number, group: number) => number): Promise<{ server: Server; url: string; arrivals: Array<[number, number]>; headers: IncomingMessage['headers'][] }> {
  const arrivals: Array<[number, number]> = [];
  const headers: IncomingMessage['headers'][] = [];
  const rnd = seededRandom(9);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const [window, group] = Buffer.concat(parts).toString().split(',').map(Number);
      arrivals.push([window, group]);
      headers.push(req.headers);
      setTimeout(() => {
        res.statusCode = statusOf(window, group);
        res.end(res.statusCode < 300 ? '' : 'bad sample');
      }, Math.floor(rnd() * 5));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/push`, arrivals, headers };
}

function fakeBodies(windows: number, groups: number): RemoteWriteBody[] {
  const out: RemoteWriteBody[] = [];
  for (let w = 0; w < windows; w++) {
    for (let g = 0; g < groups; g++) out.push({ body: Buffer.from(`${w},${g}`), samples: 10, series: 5, window: w, group: g, rawBytes: 0 });
  }
  return out;
}

describe('sendBodies', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  afterEach(async () => {
    const server = receiver?.server;
    receiver = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it.each([
    ['more groups than requests in flight', 6, 4],
    ['fewer groups than requests in flight', 2, 8],
  ])('%s: sends every body once and each group window after window', async (_name, groups, concurrency) => {
    receiver = await startReceiver(() => 204);
    const result = await sendBodies(receiver.url, fakeBodies(5, groups), groups, concurrency);
    expect(result).toMatchObject({ requests: 5 * groups, samples: 50 * groups, acceptedSamples: 50 * groups, errors: 0, statuses: { 204: 5 * groups } });
    expect(receiver.arrivals).toHaveLength(5 * groups);
    for (let g = 0; g < groups; g++) {
      expect(receiver.arrivals.filter(([, group]) => group === g).map(([w]) => w)).toEqual([0, 1, 2, 3, 4]);
    }
  });

  it('sends the headers Prometheus sends with remote write 1.0', async () => {
    receiver = await startReceiver(() => 200);
    await sendBodies(receiver.url, fakeBodies(1, 1), 1, 1);
    expect(receiver.headers[0]).toMatchObject({
      'content-encoding': 'snappy',
      'content-type': 'application/x-protobuf',
      'x-prometheus-remote-write-version': '0.1.0',
    });
  });

  it('counts answers that are not 2xx as errors and keeps their text, without counting their samples as accepted', async () => {
    receiver = await startReceiver((w, g) => (w === 1 && g === 0 ? 400 : 200));
    const result = await sendBodies(receiver.url, fakeBodies(3, 2), 2, 2);
    expect(result).toMatchObject({ requests: 6, acceptedSamples: 50, errors: 1, statuses: { 200: 5, 400: 1 } });
    expect(result.firstErrors).toEqual(['HTTP 400 (window 1, group 0): bad sample']);
  });

  it('counts a refused connection as an error rather than failing the run', async () => {
    receiver = await startReceiver(() => 200);
    const { url, server } = receiver;
    receiver = undefined;
    await new Promise((r) => server.close(r));
    const result = await sendBodies(url, fakeBodies(1, 2), 2, 2);
    expect(result).toMatchObject({ requests: 2, acceptedSamples: 0, errors: 2, statuses: { ECONNREFUSED: 2 } });
  });
});

describe('combineLoads', () => {
  it('adds counts and times and recomputes the rate', () => {
    const a = { requests: 2, samples: 100, acceptedSamples: 100, seconds: 1, samplesPerSecond: 100, statuses: { 200: 2 }, errors: 0, firstErrors: [] };
    const b = { requests: 3, samples: 300, acceptedSamples: 200, seconds: 1, samplesPerSecond: 200, statuses: { 200: 2, 400: 1 }, errors: 1, firstErrors: ['x'] };
    expect(combineLoads(a, b)).toEqual({ requests: 5, samples: 400, acceptedSamples: 300, seconds: 2, samplesPerSecond: 150, statuses: { 200: 4, 400: 1 }, errors: 1, firstErrors: ['x'] });
  });
});
