import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { ManagedProcess } from './managed-process';
import { PeerError } from './peer-error';
import { livePeers, stopAllPeers } from './peer-registry';
import { runTool } from './run-tool';

// The child programs are small Node scripts (`node -e`), so these tests need no peer installed.
const node = process.execPath;
const script = (code: string): ManagedProcess => ManagedProcess.start({ name: 'script', command: node, args: ['-e', code] });

afterAll(stopAllPeers);

describe('ManagedProcess', () => {
  it('captures stdout and stderr lines and finds a line by pattern', async () => {
    const p = script(`console.log('hello out'); console.error('hello err'); setInterval(() => {}, 1000);`);
    await p.waitForOutput(/hello err/, 5000);
    await p.waitForOutput(/hello out/, 5000);
    expect(p.output.tail()).toEqual(expect.arrayContaining(['hello out', 'hello err']));
    await p.stop();
  });

  it('stop() ends the process with SIGTERM and unregisters it', async () => {
    const p = script(`setInterval(() => {}, 1000); console.log('up');`);
    await p.waitForOutput(/up/);
    expect(livePeers()).toContain('script');
    const exit = await p.stop();
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(p.running).toBe(false);
    expect(livePeers()).not.toContain('script');
  });

  it('stop() escalates to SIGKILL when SIGTERM is ignored', async () => {
    const p = script(`process.on('SIGTERM', () => console.log('ignoring SIGTERM')); setInterval(() => {}, 1000); console.log('up');`);
    await p.waitForOutput(/up/);
    const exit = await p.stop(300);
    expect(exit.signal).toBe('SIGKILL');
    expect(p.outputTail()).toContain('ignoring SIGTERM');
  });

  it('stop() removes the cleanup paths once the process has exited', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'panoptes-mp-spec-'));
    const p = ManagedProcess.start({ command: node, args: ['-e', 'setInterval(() => {}, 1000)'], cleanupPaths: [dir] });
    await p.stop();
    expect(existsSync(dir)).toBe(false);
  });

  it('waitForHttp resolves once the URL answers the expected status', async () => {
    const port = await freePort();
    const p = script(
      `require('node:http').createServer((q, s) => { s.statusCode = q.url === '/ready' ? 200 : 404; s.end(); }).listen(${port}, '127.0.0.1');`,
    );
    await p.waitForHttp(`http://127.0.0.1:${port}/ready`, 200, 10_000);
    // 2 s, not less: on a loaded machine a first request once took longer than a 300 ms budget.
    await expect(p.waitForHttp(`http://127.0.0.1:${port}/nope`, 200, 2_000)).rejects.toThrow(/within 2000 ms \(last: HTTP 404\)/);
    await p.stop();
  });

  it('waitForHttp fails fast with the last output lines when the process exits', async () => {
    const p = script(`console.error('fatal: config is broken'); process.exit(3);`);
    const started = Date.now();
    const err = await p.waitForHttp('http://127.0.0.1:9/never', 200, 20_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeerError);
    expect((err as PeerError).reason).toBe('peer_exited');
    expect((err as PeerError).message).toMatch(/exit code 3[\s\S]*fatal: config is broken/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('waitForHttp names the connection error when nothing listens before the timeout', async () => {
    const port = await freePort();
    const p = script('setInterval(() => {}, 1000)');
    await expect(p.waitForHttp(`http://127.0.0.1:${port}/`, 200, 300)).rejects.toThrow(/did not answer HTTP 200 within 300 ms \(last: ECONNREFUSED\)/);
    await p.stop();
  });

  it('a program that cannot be started is reported as such', async () => {
    const p = ManagedProcess.start({ command: '/nonexistent/panoptes-peer', args: [] });
    await expect(p.waitForHttp('http://127.0.0.1:9/', 200, 5000)).rejects.toThrow(/panoptes-peer/);
    await p.stop();
  });

  it('stopAllPeers ends every process a test left running', async () => {
    const a = script('setInterval(() => {}, 1000)');
    const b = script('setInterval(() => {}, 1000)');
    await stopAllPeers();
    expect(a.running).toBe(false);
    expect(b.running).toBe(false);
    expect(livePeers()).toEqual([]);
  });
});

describe('runTool', () => {
  it('returns the exit code and both streams, feeding the input to stdin', async () => {
    const r = await runTool(node, [
      '-e',
      `let s=''; process.stdin.on('data', d => s += d).on('end', () => { console.log(s.toUpperCase()); console.error('warn'); process.exit(2); });`,
    ], { input: 'ping' });
    expect(r).toEqual({ code: 2, signal: null, stdout: 'PING\n', stderr: 'warn\n' });
  });

  it('rejects and kills the tool when the timeout passes', async () => {
    const err = await runTool(node, ['-e', `console.log('stuck'); setInterval(() => {}, 1000)`], { timeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeerError);
    expect((err as PeerError).reason).toBe('peer_timeout');
    expect(livePeers()).toEqual([]);
  });

  it('bounds the output it keeps', async () => {
    const r = await runTool(node, ['-e', `process.stdout.write('x'.repeat(10000))`], { maxOutputBytes: 100 });
    expect(r.stdout).toMatch(/^x{100}\n…\[9900 bytes dropped\]/);
  });
});

describe('freePort', () => {
  it('returns a port that can be bound on 127.0.0.1', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
    expect(port).toBeGreaterThan(0);
  });
});
