import { ValidationError } from '@panoptes/common';

/** What `HeadAppender.append` did with a sample. */
export const AppendOutcome = {
  /** Stored. */
  appended: 0,
  /** Same timestamp and same value as the series' newest sample: accepted, nothing stored. */
  duplicateIgnored: 1,
  /** Older than the series' newest sample (`sample_out_of_order`). */
  outOfOrder: 2,
  /** Same timestamp as the series' newest sample, different value (`sample_duplicate_timestamp`). */
  duplicateTimestamp: 3,
  /** Older than the head accepts (`sample_too_old`). */
  tooOld: 4,
  /** Not an integer millisecond timestamp within ±2^51 (`sample_invalid_timestamp`). */
  invalidTimestamp: 5,
  /** Older than the series' newest sample, stored in the out-of-order window. */
  appendedOutOfOrder: 6,
} as const;
export type AppendOutcome = (typeof AppendOutcome)[keyof typeof AppendOutcome];

/** Stable reasons (metric label, error reason) of rejected samples, indexed by outcome. */
export const REJECT_REASONS = {
  [AppendOutcome.outOfOrder]: 'sample_out_of_order',
  [AppendOutcome.duplicateTimestamp]: 'sample_duplicate_timestamp',
  [AppendOutcome.tooOld]: 'sample_too_old',
  [AppendOutcome.invalidTimestamp]: 'sample_invalid_timestamp',
} as const;
export type SampleRejectReason = (typeof REJECT_REASONS)[keyof typeof REJECT_REASONS];

/** The result of an append batch: accepted samples stay stored whatever else was rejected. */
export interface AppendSummary {
  /** Samples stored (out-of-order ones included). */
  appended: number;
  /** Of `appended`, samples stored in the out-of-order window. */
  appendedOutOfOrder: number;
  /** Samples identical to the series' newest one (same timestamp and value bits): accepted, not stored. */
  duplicatesIgnored: number;
  /** Samples refused. */
  rejected: number;
  /** Refused samples by reason. */
  rejectedByReason: Partial<Record<SampleRejectReason, number>>;
  /** The first refusals (up to `HeadConfig.maxAppendErrors`), each naming tenant, series and sample. */
  errors: ValidationError[];
  /**
   * One error for the whole batch when anything was refused (what the distributor answers with
   * 400): the first refusal's reason, a message with the first few refusals and the counts.
   */
  error: ValidationError | undefined;
}

/** What the appender needs from the head. */
export interface AppendTarget {
  readonly tenant: string;
  /** Applies one sample; returns its outcome. */
  appendSample(ref: number, t: number, hi: number, lo: number, minValidTime: number): AppendOutcome;
  /**
   * Appends samples `from, from+1, …` of `ts` (ms) and `bits` (value words, `bits[2k + HI]` and
   * `bits[2k + LO]` for sample k) to series `ref` while each one is simply stored in order (rule 3
   * below); stops before the first that is not, before `to`. Returns how many it stored.
   */
  appendInOrder(ref: number, ts: Float64Array, bits: Uint32Array, from: number, to: number, minValidTime: number): number;
  /** The full error of a refused sample (built only for the first few: it materialises labels). */
  rejectionError(outcome: AppendOutcome, ref: number, t: number, minValidTime: number): ValidationError;
  /** Publishes a finished batch's counts (metrics). */
  recordBatch(appended: number, appendedOutOfOrder: number, rejectedByOutcome: Uint32Array): void;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;
const ERRORS_IN_MESSAGE = 3;
/**
 * Scratch for `append`'s value bits, shared by every appender (appends are synchronous): a
 * Float64Array per appender would cost each request an ArrayBuffer, because a typed array's
 * `.buffer` moves its bytes off the V8 heap.
 */
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/**
 * Appends a batch of samples to the head with Prometheus' rules (per series, in order), without
 * an out-of-order window (`outOfOrderTimeWindowMs` 0):
 *
 * 1. t not an integer within ±2^51 ms                       → sample_invalid_timestamp
 * 2. t < the head's min valid time (see `Head.appender`)    → sample_too_old
 * 3. t > the series' newest timestamp                       → stored
 * 4. t = newest, same value bits (e.g. a resent staleness NaN) → accepted, nothing stored
 * 5. t = newest, other value                                → sample_duplicate_timestamp
 * 6. t < newest                                             → sample_out_of_order
 *
 * With a window W > 0, rules 1 and 3-5 hold for t >= the min valid time; any other sample is
 * out of order (Prometheus 3):
 *
 * 7. t < head max time - W, or behind the last truncation or block cut → sample_too_old
 * 8. t already stored (in order or not), same value bits    → accepted, nothing stored
 * 9. t already stored, other value                          → sample_duplicate_timestamp
 * 10. otherwise                                             → stored out of order
 *
 * Samples are applied as they are appended (there is no rollback: a refused sample never undoes
 * an accepted one, as in Mimir). `append` allocates nothing for accepted samples; `commit()`
 * publishes the metrics and returns the summary. An appender serves one batch.
 */
export class HeadAppender {
  private appended = 0;
  private appendedOutOfOrder = 0;
  private duplicatesIgnored = 0;
  private readonly rejectedByOutcome = new Uint32Array(7);
  private readonly errors: ValidationError[] = [];
  private committed = false;

  constructor(
    private readonly target: AppendTarget,
    /** Samples older than this (ms) are too old for the head. */
    readonly minValidTime: number,
    private readonly maxErrors: number,
  ) {}

  /** Appends a sample of series `ref` (from `Head.getOrCreateSeries`) at `t` ms. */
  append(ref: number, t: number, v: number): AppendOutcome {
    F64[0] = v;
    return this.appendBits(ref, t, U32[HI], U32[LO]);
  }

  /** Appends a value given as the high and low words of its IEEE-754 bits (NaN payloads kept exactly). */
  appendBits(ref: number, t: number, hi: number, lo: number): AppendOutcome {
    const outcome = this.target.appendSample(ref, t, hi, lo, this.minValidTime);
    if (outcome === AppendOutcome.appended) {
      this.appended++;
    } else if (outcome === AppendOutcome.duplicateIgnored) {
      this.duplicatesIgnored++;
    } else if (outcome === AppendOutcome.appendedOutOfOrder) {
      this.appended++;
      this.appendedOutOfOrder++;
    } else {
      this.rejectedByOutcome[outcome]++;
      if (this.errors.length < this.maxErrors) {
        this.errors.push(this.target.rejectionError(outcome, ref, t, this.minValidTime));
      }
    }
    return outcome;
  }

  /**
   * Appends samples [from, to) of the columns `ts` and `bits` (value words, high and low word of
   * sample k at `bits[2k + 1]` and `bits[2k]` on little-endian machines: a `Float64Array`'s bytes
   * seen as a `Uint32Array`) to series `ref`, with the outcomes `appendBits` would give each: runs
   * of plain in-order samples go to the head in one call, any other sample one by one.
   */
  appendRun(ref: number, ts: Float64Array, bits: Uint32Array, from: number, to: number): void {
    let k = from;
    while (k < to) {
      const n = this.target.appendInOrder(ref, ts, bits, k, to, this.minValidTime);
      this.appended += n;
      k += n;
      if (k < to) {
        this.appendBits(ref, ts[k], bits[2 * k + HI], bits[2 * k + LO]);
        k++;
      }
    }
  }

  /** Ends the batch: counts go to the metrics; returns the summary. */
  commit(): AppendSummary {
    if (!this.committed) {
      this.committed = true;
      this.target.recordBatch(this.appended, this.appendedOutOfOrder, this.rejectedByOutcome);
    }
    const rejectedByReason: Partial<Record<SampleRejectReason, number>> = {};
    let rejected = 0;
    for (const [outcome, reason] of Object.entries(REJECT_REASONS)) {
      const n = this.rejectedByOutcome[Number(outcome)];
      if (n > 0) rejectedByReason[reason] = n;
      rejected += n;
    }
    return {
      appended: this.appended,
      appendedOutOfOrder: this.appendedOutOfOrder,
      duplicatesIgnored: this.duplicatesIgnored,
      rejected,
      rejectedByReason,
      errors: [...this.errors],
      error: rejected === 0 ? undefined : this.batchError(rejected),
    };
  }

  private batchError(rejected: number): ValidationError {
    const accepted = this.appended + this.duplicatesIgnored;
    const shown = this.errors.slice(0, ERRORS_IN_MESSAGE).map((e) => e.message);
    const more = rejected - shown.length;
    const message =
      `${rejected} of ${accepted + rejected} samples were rejected (the other ${accepted} were accepted): ` +
      shown.join('; ') +
      (more > 0 ? `; and ${more} more` : '');
    const reason = this.errors[0]?.reason ?? REJECT_REASONS[this.rejectedByOutcome.findIndex((n, i) => i >= 2 && n > 0) as 2 | 3 | 4 | 5];
    return new ValidationError(reason, message, { tenant: this.target.tenant });
  }
}
