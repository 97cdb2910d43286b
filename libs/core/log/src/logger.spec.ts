import { createLogger, LogFields } from './logger';

function capture(format: 'logfmt' | 'json' = 'logfmt', level: 'debug' | 'info' = 'info') {
  const lines: string[] = [];
  const logger = createLogger({
    format,
    level,
    sink: { write: (l) => lines.push(l) },
    now: () => new Date('2026-01-02T03:04:05.000Z'),
  });
  return { logger, lines };
}

describe('logger', () => {
  it('writes logfmt with the fixed fields first and a constant msg', () => {
    const { logger, lines } = capture();
    logger.with({ component: 'ingester', tenant: 't1' }).info('block uploaded', { block: '01J', series: 1234 });
    expect(lines).toEqual([
      'ts=2026-01-02T03:04:05.000Z level=info component=ingester tenant=t1 msg="block uploaded" block=01J series=1234\n',
    ]);
  });

  it.each<[string, LogFields, string]>([
    ['spaces are quoted', { v: 'a b' }, 'v="a b"'],
    ['quotes are escaped', { v: 'say "hi"' }, 'v="say \\"hi\\""'],
    ['equals signs are quoted', { v: 'a=b' }, 'v="a=b"'],
    ['empty strings are quoted', { v: '' }, 'v=""'],
    ['newlines are escaped', { v: 'a\nb' }, 'v="a\\nb"'],
    ['errors print their message', { err: new Error('boom now') }, 'err="boom now"'],
    ['undefined fields are omitted', { v: undefined }, 'msg=m\n'],
  ])('logfmt: %s', (_name, fields, expected) => {
    const { logger, lines } = capture();
    logger.info('m', fields);
    expect(lines[0]).toContain(expected);
  });

  it('drops lines below the level', () => {
    const { logger, lines } = capture('logfmt', 'info');
    logger.debug('hidden');
    logger.warn('shown');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('level=warn');
  });

  it('writes JSON with the same fields', () => {
    const { logger, lines } = capture('json');
    logger.with({ component: 'distributor' }).error('push failed', { tenant: 't2', err: new Error('x') });
    expect(JSON.parse(lines[0])).toEqual({
      ts: '2026-01-02T03:04:05.000Z',
      level: 'error',
      component: 'distributor',
      tenant: 't2',
      msg: 'push failed',
      err: 'x',
    });
  });
});
