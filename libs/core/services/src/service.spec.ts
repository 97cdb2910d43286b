import { nopLogger } from '@panoptes/log';
import { FunctionService, Service, ServiceState } from './service';
import { ServiceManager } from './service-manager';
import { ModuleGraph } from './modules';

function recorder(name: string, log: string[], opts: { failStart?: boolean; failRun?: Promise<void> } = {}) {
  return new FunctionService(name, {
    starting: async () => {
      log.push(`start ${name}`);
      if (opts.failStart) throw new Error(`${name} cannot start`);
    },
    running: opts.failRun
      ? async () => {
          await opts.failRun;
          throw new Error(`${name} broke`);
        }
      : undefined,
    stopping: async () => {
      log.push(`stop ${name}`);
    },
  });
}

describe('Service', () => {
  it('goes New → Starting → Running → Stopping → Terminated', async () => {
    const seen: string[] = [];
    const s = new FunctionService('x', {});
    s.addListener((from, to) => seen.push(`${from}>${to}`));
    await s.start();
    expect(s.state).toBe(ServiceState.Running);
    await s.stop();
    expect(s.state).toBe(ServiceState.Terminated);
    expect(seen).toEqual(['New>Starting', 'Starting>Running', 'Running>Stopping', 'Stopping>Terminated']);
  });

  it('fails when starting throws, and still runs stopping', async () => {
    const log: string[] = [];
    const s = recorder('a', log, { failStart: true });
    await expect(s.start()).rejects.toThrow('service a failed: a cannot start');
    expect(s.state).toBe(ServiceState.Failed);
    expect(log).toEqual(['start a', 'stop a']);
  });

  it('a stop during a slow start aborts starting without failing', async () => {
    class Slow extends Service {
      protected override starting(signal: AbortSignal): Promise<void> {
        return new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      }
    }
    const s = new Slow('slow');
    const started = s.start().catch((e: Error) => e.message);
    await new Promise((r) => setImmediate(r));
    await s.stop();
    expect(s.state).toBe(ServiceState.Terminated);
    expect(await started).toContain('Terminated');
  });
});

describe('ServiceManager', () => {
  it('starts in order and stops in reverse', async () => {
    const log: string[] = [];
    const m = new ServiceManager([recorder('kv', log), recorder('ring', log), recorder('ingester', log)], nopLogger);
    await m.startAll();
    expect(m.isHealthy()).toBe(true);
    await m.stopAll();
    await m.awaitStopped();
    expect(log).toEqual(['start kv', 'start ring', 'start ingester', 'stop ingester', 'stop ring', 'stop kv']);
  });

  it('a dependency that fails to start stops what already started and names itself', async () => {
    const log: string[] = [];
    const m = new ServiceManager([recorder('kv', log), recorder('ring', log, { failStart: true }), recorder('ingester', log)], nopLogger);
    await expect(m.startAll()).rejects.toThrow('service "ring" failed: ring cannot start');
    expect(log).toEqual(['start kv', 'start ring', 'stop ring', 'stop kv']);
    await expect(m.awaitStopped()).rejects.toThrow('ring');
  });

  it('a service failing while running stops all the others', async () => {
    const log: string[] = [];
    let breakIt!: () => void;
    const broken = new Promise<void>((r) => (breakIt = r));
    const m = new ServiceManager([recorder('kv', log), recorder('ingester', log, { failRun: broken })], nopLogger);
    await m.startAll();
    breakIt();
    await expect(m.awaitStopped()).rejects.toThrow('service "ingester" failed: ingester broke');
    expect(log).toContain('stop kv');
    expect(m.states()).toEqual([
      { name: 'kv', state: ServiceState.Terminated },
      { name: 'ingester', state: ServiceState.Failed, failure: 'ingester broke' },
    ]);
  });
});

describe('ServiceManager stopped while starting', () => {
  it('is a clean stop, not a failure', async () => {
    class Slow extends Service {
      protected override starting(signal: AbortSignal): Promise<void> {
        return new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      }
    }
    const log: string[] = [];
    const m = new ServiceManager([recorder('kv', log), new Slow('replay'), recorder('ingester', log)], nopLogger);
    const starting = m.startAll();
    await new Promise((r) => setTimeout(r, 10));
    await m.stopAll();
    await expect(starting).resolves.toBeUndefined();
    await expect(m.awaitStopped()).resolves.toBeUndefined();
    expect(m.stopRequested).toBe(true);
    expect(log).toEqual(['start kv', 'stop kv']);
  });
});

describe('ModuleGraph', () => {
  function graph() {
    const g = new ModuleGraph();
    g.register('server', { init: () => 'server' });
    g.register('kv', { init: () => 'kv', deps: ['server'] });
    g.register('ring', { init: () => 'ring', deps: ['kv'] });
    g.register('ingester', { init: () => 'ingester', deps: ['ring', 'server'], userVisible: true });
    g.register('distributor', { init: () => 'distributor', deps: ['ring'], userVisible: true });
    g.register('all', { init: () => null, deps: ['ingester', 'distributor'], userVisible: true });
    return g;
  }

  it.each([
    ['one target', ['ingester'], ['server', 'kv', 'ring', 'ingester']],
    ['several targets share dependencies', ['distributor', 'ingester'], ['server', 'kv', 'ring', 'distributor', 'ingester']],
    ['all', ['all'], ['server', 'kv', 'ring', 'ingester', 'distributor', 'all']],
  ])('orders modules after their dependencies: %s', (_n, targets, expected) => {
    expect(graph().order(targets)).toEqual(expected);
  });

  it('rejects unknown targets and cycles', () => {
    const g = graph();
    expect(() => g.order(['nope'])).toThrow('unknown module "nope"');
    g.register('a', { init: () => 1, deps: ['b'] });
    g.register('b', { init: () => 1, deps: ['a'] });
    expect(() => g.order(['a'])).toThrow('cycle: a → b → a');
  });

  it('lists user-visible modules', () => {
    expect(graph().userVisibleModules()).toEqual(['all', 'distributor', 'ingester']);
  });
});
