import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { nopLogger } from '@panoptes/log';
import {
  bool,
  ConfigError,
  duration,
  formatDuration,
  int,
  list,
  loadConfig,
  oneOf,
  parseDuration,
  renderConfigYaml,
  renderFlagHelp,
  renderReference,
  RuntimeConfigService,
  section,
  str,
  TenantLimits,
  defaults,
} from './index';

const limitsSpec = section('', {
  ingestionRate: int(10000, 'Samples per second per tenant.', { min: 0, perTenant: true }),
  maxLabelNamesPerSeries: int(30, 'Maximum label names per series.', { min: 0, perTenant: true }),
  outOfOrderTimeWindowMs: duration(0, 'How far back samples may arrive out of order.', { perTenant: true }),
});

const spec = section('', {
  target: list(['all'], 'Components to run.'),
  server: section('server', {
    httpListenPort: int(8080, 'HTTP port.', { min: 0, max: 65535 }),
    logFormat: oneOf(['logfmt', 'json'] as const, 'logfmt', 'Log format.'),
  }),
  ingester: section('ingester', {
    ring: section('ring', {
      heartbeatPeriodMs: duration(15_000, 'How often to heartbeat.'),
      store: oneOf(['memory', 'redis'] as const, 'memory', 'KV store.'),
    }),
    flushOnShutdown: bool(true, 'Flush on shutdown.'),
  }),
  storage: section('storage', {
    s3: section('s3', {
      secretAccessKey: str('', 'S3 secret key.', { secret: true }),
      endpoint: str('', 'S3 endpoint.'),
    }),
  }),
  limits: section('', limitsSpec.fields, { yaml: 'limits' }),
});

const files = (content: Record<string, string>) => (p: string) => {
  if (!(p in content)) throw new Error('ENOENT: no such file');
  return content[p];
};

describe('durations', () => {
  it.each([
    ['15s', 15_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['2d', 172_800_000],
    ['0', 0],
    ['1.5s', 1500],
  ])('parses %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '15', 'abc', '1x', '-5s'])('rejects %p', (text) => expect(parseDuration(text)).toBeUndefined());

  it('formats the shortest text', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(0)).toBe('0s');
  });
});

describe('loadConfig', () => {
  it('uses defaults, then the YAML file, then flags (flags win)', () => {
    const { config } = loadConfig(spec, {
      argv: ['-config.file=c.yaml', '-server.http-listen-port=9000', '-ingester.ring.store', 'redis'],
      readFile: files({ 'c.yaml': 'server:\n  http_listen_port: 7000\n  log_format: json\ningester:\n  ring:\n    heartbeat_period: 5s\n' }),
    });
    expect(config.server).toEqual({ httpListenPort: 9000, logFormat: 'json' });
    expect(config.ingester.ring).toEqual({ heartbeatPeriodMs: 5000, store: 'redis' });
    expect(config.ingester.flushOnShutdown).toBe(true);
    expect(config.target).toEqual(['all']);
  });

  it('resolves YAML anchors, aliases and merge keys in the config file', () => {
    const yaml = [
      'server:',
      '  http_listen_port: 7000',
      '  log_format: &format json',
      'storage:',
      '  s3: &s3',
      '    endpoint: *format',
      'ingester:',
      '  ring:',
      '    <<: {heartbeat_period: 5s, store: memory}',
      '    store: redis',
    ].join('\n');
    const { config } = loadConfig(spec, { argv: ['-config.file=c.yaml'], readFile: files({ 'c.yaml': yaml }) });
    expect(config.server).toEqual({ httpListenPort: 7000, logFormat: 'json' });
    expect(config.storage.s3.endpoint).toBe('json');
    expect(config.ingester.ring).toEqual({ heartbeatPeriodMs: 5000, store: 'redis' });
  });

  it('reads comma-separated lists and bare boolean flags', () => {
    const { config } = loadConfig(spec, { argv: ['-target=querier,query-frontend', '-ingester.flush-on-shutdown=false'] });
    expect(config.target).toEqual(['querier', 'query-frontend']);
    expect(config.ingester.flushOnShutdown).toBe(false);
  });

  it('expands ${VAR} and ${VAR:default} only with -config.expand-env', () => {
    const file = files({ 'c.yaml': 'storage:\n  s3:\n    endpoint: ${S3_HOST:localhost}:${S3_PORT}\n' });
    const expanded = loadConfig(spec, { argv: ['-config.file=c.yaml', '-config.expand-env=true'], env: { S3_PORT: '9000' }, readFile: file });
    expect(expanded.config.storage.s3.endpoint).toBe('localhost:9000');
    const raw = loadConfig(spec, { argv: ['-config.file=c.yaml'], env: { S3_PORT: '9000' }, readFile: file });
    expect(raw.config.storage.s3.endpoint).toBe('${S3_HOST:localhost}:${S3_PORT}');
  });

  it('reports every error at once: unknown key, wrong type, negative limit, unknown flag, bad enum', () => {
    let error: unknown;
    try {
      loadConfig(spec, {
        argv: ['-config.file=c.yaml', '-no.such-flag=1', '-server.log-format=xml'],
        readFile: files({
          'c.yaml': 'server:\n  http_listen_port: eighty\n  colour: blue\nlimits:\n  ingestion_rate: -5\ningester:\n  ring:\n    heartbeat_period: soon\n',
        }),
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('server.http_listen_port: expected an integer, got "eighty"'),
        expect.stringContaining('server.colour: unknown field "colour" in server'),
        expect.stringContaining('ingester.ring.heartbeat_period: expected a duration'),
        'unknown flag -no.such-flag',
        expect.stringContaining('-server.log-format: expected one of logfmt, json, got "xml"'),
        expect.stringContaining('limits.ingestion_rate (-ingestion-rate): must be >= 0, got -5'),
      ]),
    );
    expect(problems).toHaveLength(6);
  });

  it('reports a missing config file and YAML syntax errors', () => {
    expect(() => loadConfig(spec, { argv: ['-config.file=nope.yaml'], readFile: files({}) })).toThrow('cannot read nope.yaml');
    expect(() => loadConfig(spec, { argv: ['-config.file=c.yaml'], readFile: files({ 'c.yaml': 'server: [\n' }) })).toThrow(ConfigError);
    expect(() => loadConfig(spec, { argv: ['-config.file=c.yaml'], readFile: files({ 'c.yaml': 'a: 1\na: 2\n' }) })).toThrow(ConfigError);
  });

  it('masks secrets and prints durations as text in the effective config', () => {
    const { config } = loadConfig(spec, { argv: ['-storage.s3.secret-access-key=hunter2'] });
    const yaml = renderConfigYaml(spec, config);
    expect(yaml).toContain('secret_access_key: "********"');
    expect(yaml).not.toContain('hunter2');
    expect(yaml).toContain('heartbeat_period: 15s');
  });

  it('documents every flag in -help and the reference', () => {
    const help = renderFlagHelp(spec);
    expect(help).toContain('-ingester.ring.heartbeat-period duration');
    expect(help).toContain('How often to heartbeat. (default "15s")');
    const ref = renderReference(spec);
    expect(ref).toContain('| `heartbeat_period` | `-ingester.ring.heartbeat-period` | duration | `15s` | How often to heartbeat. |');
  });
});

describe('TenantLimits', () => {
  const make = () => new TenantLimits(limitsSpec, defaults(limitsSpec));

  it('applies per-tenant overrides over the defaults', () => {
    const limits = make();
    limits.applyRuntimeConfig('overrides:\n  t1:\n    ingestion_rate: 50\n    out_of_order_time_window: 10m\n');
    expect(limits.forTenant('t1')).toEqual({ ingestionRate: 50, maxLabelNamesPerSeries: 30, outOfOrderTimeWindowMs: 600_000 });
    expect(limits.forTenant('t2').ingestionRate).toBe(10000);
  });

  it.each([
    ['unknown limit', 'overrides:\n  t1:\n    bogus: 1\n', 'unknown per-tenant limit "bogus"'],
    ['negative limit', 'overrides:\n  t1:\n    ingestion_rate: -1\n', 'must be >= 0'],
    ['wrong type', 'overrides:\n  t1:\n    ingestion_rate: lots\n', 'wrong type'],
    ['unknown top-level key', 'override:\n  t1: {}\n', 'unknown field "override"'],
  ])('rejects a bad runtime config whole: %s', (_name, text, message) => {
    const limits = make();
    limits.applyRuntimeConfig('overrides:\n  t1:\n    ingestion_rate: 7\n');
    expect(() => limits.applyRuntimeConfig(text)).toThrow(message);
    expect(limits.forTenant('t1').ingestionRate).toBe(7);
  });

  it('reloads the runtime config file without a restart and keeps the old one when the new is bad', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runtime-config-'));
    const file = join(dir, 'runtime.yaml');
    writeFileSync(file, 'overrides:\n  t1:\n    ingestion_rate: 1\n');
    const limits = make();
    const registry = new Registry();
    const svc = new RuntimeConfigService({ file, reloadPeriodMs: 10 }, limits, nopLogger, registry);
    await svc.start();
    expect(limits.forTenant('t1').ingestionRate).toBe(1);
    writeFileSync(file, 'overrides:\n  t1:\n    ingestion_rate: 2\n');
    await waitFor(() => limits.forTenant('t1').ingestionRate === 2);
    writeFileSync(file, 'overrides:\n  t1:\n    ingestion_rate: -2\n');
    await waitFor(async () => (await registry.getSingleMetricAsString('panoptes_runtime_config_reloads_total')).includes('result="failure"'));
    expect(limits.forTenant('t1').ingestionRate).toBe(2);
    await svc.stop();
  });
});

async function waitFor(check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}
