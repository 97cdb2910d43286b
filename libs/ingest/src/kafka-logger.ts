import { LogEntry, logLevel } from 'kafkajs';
import { Logger } from '@panoptes/log';

/**
 * kafkajs messages we drop: the idempotent producer warns whenever its retries are bounded, but
 * bounded retries are deliberate here (a produce must fail in bounded time so the distributor can
 * answer 5xx), and the producer is replaced after every failed send so its sequence numbers can
 * never be reused (see KafkaIngestLog).
 */
const DROPPED = [/Limiting retries for the idempotent producer/];

/**
 * A kafkajs `logCreator` that writes through our Logger. kafkajs runs at WARN: its INFO level logs
 * every connect and group event. Its free-text message goes to the `kafka_msg` field so our `msg`
 * stays constant.
 */
export function kafkaLogCreator(logger: Logger): (level: logLevel) => (entry: LogEntry) => void {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, stack: _stack, ...fields } = log as LogEntry['log'] & { stack?: unknown };
      if (DROPPED.some((re) => re.test(message))) return;
      const out = { kafka_namespace: namespace, kafka_msg: message, ...fields };
      if (level === logLevel.ERROR) logger.error('kafka client', out);
      else if (level === logLevel.WARN) logger.warn('kafka client', out);
      else if (level === logLevel.INFO) logger.info('kafka client', out);
      else logger.debug('kafka client', out);
    };
}
