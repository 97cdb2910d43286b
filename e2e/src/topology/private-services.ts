import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KafkaEnv, type RedisEnv, type S3Env, freePort } from '@panoptes/testing';
import { ROOT } from '../process';
import type { TopologyServices } from './resources';

export type PrivateServiceKind = 'redis' | 'kafka' | 'minio';

/** The port variables each `tools/services/<kind>.sh` reads (see the script's header). */
const PORT_VARS: Record<PrivateServiceKind, string[]> = {
  redis: ['PANOPTES_REDIS_PORT'],
  kafka: ['PANOPTES_KAFKA_PORT', 'PANOPTES_KAFKA_CONTROLLER_PORT'],
  minio: ['PANOPTES_MINIO_PORT', 'PANOPTES_MINIO_CONSOLE_PORT'],
};

/**
 * A backing service of the failure scenarios' own: a second Redis, Kafka or MinIO started by the
 * same `tools/services/<kind>.sh` as the shared dev services, on free ports with its own state dir
 * (`PANOPTES_STATE_DIR`), so a scenario can stop and restart it without touching the shared
 * instances every other test uses. Data survives `stop()`/`start()` (Kafka's log, MinIO's
 * objects; Redis keeps nothing: it runs without persistence).
 *
 *   start() ──▶ up ──stop()──▶ down ──start()──▶ up … ──dispose()──▶ gone (state dir removed)
 *
 * The services run as daemons (their own session): a test that dies before `dispose()` leaves
 * them running; `tools/services/<kind>.sh down` with the same PANOPTES_STATE_DIR stops them.
 */
export class PrivateService {
  private constructor(
    readonly kind: PrivateServiceKind,
    readonly stateDir: string,
    readonly ports: number[],
  ) {}

  /** Starts a private instance; `startMs` is how long `up` took. */
  static async start(kind: PrivateServiceKind): Promise<{ service: PrivateService; startMs: number }> {
    const ports: number[] = [];
    while (ports.length < PORT_VARS[kind].length) {
      const p = await freePort();
      if (!ports.includes(p)) ports.push(p);
    }
    const service = new PrivateService(kind, mkdtempSync(join(tmpdir(), `panoptes-private-${kind}-`)), ports);
    try {
      return { service, startMs: await service.start() };
    } catch (err) {
      await service.dispose();
      throw err;
    }
  }

  /** Starts the (stopped) service again on the same ports and data; resolves with the ms until it is ready. */
  async start(): Promise<number> {
    const t0 = Date.now();
    await this.script('up');
    return Date.now() - t0;
  }

  /** Stops the service (SIGTERM, waits for the exit); resolves with the ms it took. */
  async stop(): Promise<number> {
    const t0 = Date.now();
    await this.script('down');
    return Date.now() - t0;
  }

  /** Stops the service and removes its state dir. Never throws. */
  async dispose(): Promise<void> {
    await this.script('down').catch(() => undefined);
    rmSync(this.stateDir, { recursive: true, force: true });
  }

  get redis(): RedisEnv {
    return { host: '127.0.0.1', port: this.ports[0], addr: `127.0.0.1:${this.ports[0]}` };
  }

  get kafka(): KafkaEnv {
    return { brokers: [`127.0.0.1:${this.ports[0]}`] };
  }

  /** Same credentials as the shared MinIO (tools/services/minio.sh). */
  get s3(): S3Env {
    return { endpoint: `http://127.0.0.1:${this.ports[0]}`, accessKeyId: 'panoptes', secretAccessKey: 'panoptes-secret', region: 'us-east-1' };
  }

  private script(command: 'up' | 'down'): Promise<void> {
    const env: NodeJS.ProcessEnv = { ...process.env, PANOPTES_STATE_DIR: this.stateDir };
    PORT_VARS[this.kind].forEach((name, i) => (env[name] = String(this.ports[i])));
    return new Promise((resolve, reject) => {
      execFile('bash', [join(ROOT, 'tools', 'services', `${this.kind}.sh`), command], { env, timeout: 180_000 }, (err, _stdout, stderr) => {
        if (err) reject(new Error(`tools/services/${this.kind}.sh ${command} (state ${this.stateDir}) failed: ${String(err)}\n${stderr}`));
        else resolve();
      });
    });
  }
}

/** The private services of a failure topology: Redis and MinIO, and Kafka in Kafka mode. */
export class PrivateServices {
  private constructor(
    readonly redis: PrivateService,
    readonly minio: PrivateService,
    readonly kafka: PrivateService | undefined,
    /** Milliseconds each took to start, by kind. */
    readonly startMs: Partial<Record<PrivateServiceKind, number>>,
  ) {}

  static async start(withKafka: boolean): Promise<PrivateServices> {
    const started = await Promise.allSettled([PrivateService.start('redis'), PrivateService.start('minio'), withKafka ? PrivateService.start('kafka') : Promise.resolve(undefined)]);
    const failed = started.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    const ok = started.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    if (failed.length > 0) {
      await Promise.all(ok.map((s) => s?.service.dispose()));
      throw new Error(`the private services did not start:\n${failed.join('\n')}`);
    }
    const [redis, minio, kafka] = ok;
    return new PrivateServices(redis!.service, minio!.service, kafka?.service, {
      redis: redis!.startMs,
      minio: minio!.startMs,
      ...(kafka ? { kafka: kafka.startMs } : {}),
    });
  }

  get topologyServices(): TopologyServices {
    return { redis: this.redis.redis, s3: this.minio.s3, kafka: this.kafka?.kafka };
  }

  async dispose(): Promise<void> {
    await Promise.all([this.redis.dispose(), this.minio.dispose(), this.kafka?.dispose()]);
  }
}
