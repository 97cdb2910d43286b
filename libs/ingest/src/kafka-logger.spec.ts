import { logLevel } from 'kafkajs';
import { createLogger } from '@panoptes/log';
import { kafkaLogCreator } from './kafka-logger';

describe('kafkaLogCreator', () => {
  function capture() {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', sink: { write: (line) => lines.push(line) } });
    const log = kafkaLogCreator(logger)(logLevel.WARN);
    return { lines, log };
  }

  it.each([
    { name: 'error', level: logLevel.ERROR, want: 'level=error' },
    { name: 'warn', level: logLevel.WARN, want: 'level=warn' },
    { name: 'info', level: logLevel.INFO, want: 'level=info' },
    { name: 'debug', level: logLevel.DEBUG, want: 'level=debug' },
  ])('writes a kafkajs $name entry at the same level with a constant msg and the text in kafka_msg', ({ level, want }) => {
    const { lines, log } = capture();
    log({
      namespace: 'Connection',
      level,
      label: 'X',
      log: { timestamp: 'ignored', message: 'Response Metadata failed', broker: 'b:9092' },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(want);
    expect(lines[0]).toContain('msg="kafka client"');
    expect(lines[0]).toContain('kafka_namespace=Connection kafka_msg="Response Metadata failed" broker=b:9092');
    expect(lines[0]).not.toContain('ignored');
  });

  it('drops the idempotent producer warning about bounded retries, which is deliberate here', () => {
    const { lines, log } = capture();
    log({
      namespace: 'Producer',
      level: logLevel.WARN,
      label: 'WARN',
      log: { timestamp: 't', message: 'Limiting retries for the idempotent producer may invalidate EoS guarantees' },
    });
    expect(lines).toEqual([]);
  });
});
