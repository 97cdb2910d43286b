import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Registry } from 'prom-client';
import { PanoptesError, ValidationError, errorMessage, syncDir } from '@panoptes/common';
import { Logger } from '@panoptes/log';
import { Head, RestoredSeries } from './head';
import { HeadCapture, OooCapture, PageCapture } from './head-capture';
import { HeadConfig } from './head-config';
import { Samples } from './ooo-series';
import { MemChunk } from './series-page';
import { PayloadCursor, SECTION_TARGET_BYTES, SectionReader, SectionWriter, SnapshotFormatError } from './snapshot-io';

/**
 * Head snapshot file, version 1: the state of many tenants' heads at one log offset.
 *
 *   magic "PNHS" | version u8 (1) | 3 zero bytes
 *   section*: type u8 | payload length u32 LE | payload | CRC-32C u32 LE of (type, length, payload)
 *
 * Sections, in this order (numbers little-endian; f64 for times, ±Infinity allowed):
 *   HEADER   offset f64 (next log offset not in the snapshot) | tenants u32
 *   per tenant:
 *     TENANT   name (uvarint length, UTF-8) | minT f64 | maxT f64 | truncatedBefore f64 |
 *              cutBefore f64 | nextRef u32 | series u32 | symbols u32
 *     SYMBOLS* count u32 | count × string       (ids ascend from 0 across the sections)
 *     SERIES*  count u32 | count × series      (refs ascending)
 *   END      tenants u32 | series f64 (total)
 *
 * series: ref u32 | hashLo u32 | hashHi u32 | label ids u16 | ids × uvarint (n0 v0 n1 v1 …) |
 *         flags u8 (1: open head chunk, 2: completed chunks, 4: out-of-order samples) |
 *         [1] firstT f64 | lastT f64 | tDelta f64 | lastHi u32 | lastLo u32 | leading u8 |
 *             trailing u8 | bits u32 | the chunk's (bits+7)/8 bytes
 *         [2] chunks u32 | bytes u32 | packed chunks (packed-chunks.ts layout)
 *         [4] chunks u32 | chunks × (minT f64 | maxT f64 | bytes u32 | XOR chunk) |
 *             buffered u32 | buffered × (t f64 | value hi u32 | value lo u32)   (both sorted)
 *
 * A missing END, a bad CRC, magic or version, or anything inconsistent raises
 * `HeadSnapshotCorruptError`; the caller falls back to an older snapshot.
 */
const MAGIC = Buffer.from('PNHS', 'latin1');
export const HEAD_SNAPSHOT_VERSION = 1;
const PREAMBLE_BYTES = 8;

const SECTION_HEADER = 1;
const SECTION_TENANT = 2;
const SECTION_SYMBOLS = 3;
const SECTION_SERIES = 4;
const SECTION_END = 5;

const FLAG_HEAD_CHUNK = 1;
const FLAG_DONE = 2;
const FLAG_OOO = 4;
const KNOWN_FLAGS = FLAG_HEAD_CHUNK | FLAG_DONE | FLAG_OOO;

/**
 * A head snapshot file does not decode (bad magic or version, checksum mismatch, truncated,
 * inconsistent content). The message names the file; load an older snapshot instead.
 */
export class HeadSnapshotCorruptError extends PanoptesError {
  constructor(
    readonly file: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(
      'internal',
      'head_snapshot_corrupt',
      `head snapshot ${file} is corrupt (${problem}); load an older snapshot and replay the log from its offset, and move this file aside`,
      options,
    );
  }
}

export interface HeadSnapshotStats {
  /** Bytes of the file. */
  bytes: number;
  tenants: number;
  series: number;
}

export interface LoadedHeadSnapshot {
  /** The next log offset not contained in the snapshot: replay from here. */
  offset: number;
  /** Heads by tenant. */
  heads: Map<string, Head>;
}

/** Where each loaded tenant head registers its metrics (one registry per head). */
export type HeadRegistryFactory = (tenant: string) => Registry;

/** Captures heads now (synchronously); captures given are kept as they are. */
export function captureHeads(heads: Iterable<Head | HeadCapture>): HeadCapture[] {
  const captures: HeadCapture[] = [];
  const tenants = new Set<string>();
  for (const h of heads) {
    const c = h instanceof HeadCapture ? h : h.capture();
    if (tenants.has(c.tenant)) {
      throw new ValidationError('duplicate_snapshot_tenant', `a head snapshot was given two heads of tenant "${c.tenant}"; give one head per tenant`);
    }
    tenants.add(c.tenant);
    captures.push(c);
  }
  return captures;
}

/**
 * Writes the heads' state and `offset` (the next log offset not applied to them) to `path`,
 * atomically: `path.tmp` is written in pieces of a few MiB, fsynced, renamed over `path`, and the
 * directory fsynced; a crash leaves the old file or the new one, never a torn one.
 *
 * The heads are captured synchronously when this is called, before its first await: appends made
 * while the file is written are not in it. So call it right after applying the record before
 * `offset`, with no await in between.
 */
export async function writeHeadSnapshot(path: string, offset: number, heads: Iterable<Head | HeadCapture>): Promise<HeadSnapshotStats> {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new ValidationError('invalid_snapshot_offset', `head snapshot offset ${offset} is not a non-negative integer; pass the next log offset to replay from`);
  }
  const captures = captureHeads(heads);
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  let stats: HeadSnapshotStats;
  try {
    stats = await writeCaptures(new SectionWriter(fh), offset, captures);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  await syncDir(dirname(path));
  return stats;
}

async function writeCaptures(w: SectionWriter, offset: number, captures: HeadCapture[]): Promise<HeadSnapshotStats> {
  const preamble = Buffer.alloc(PREAMBLE_BYTES);
  MAGIC.copy(preamble, 0);
  preamble[4] = HEAD_SNAPSHOT_VERSION;
  w.raw(preamble);

  w.begin(SECTION_HEADER);
  w.ensure(12);
  w.f64(offset);
  w.u32(captures.length);
  await w.end();

  let series = 0;
  for (const c of captures) {
    w.begin(SECTION_TENANT);
    w.string(c.tenant);
    w.ensure(44);
    w.f64(c.minTime);
    w.f64(c.maxTime);
    w.f64(c.truncatedBefore);
    w.f64(c.cutBefore);
    w.u32(c.nextRef);
    w.u32(c.numSeries);
    w.u32(c.numSymbols);
    await w.end();
    await writeSymbols(w, c);
    series += await writeSeries(w, c);
  }

  w.begin(SECTION_END);
  w.ensure(12);
  w.u32(captures.length);
  w.f64(series);
  await w.end();
  await w.flush();
  return { bytes: w.bytesWritten, tenants: captures.length, series };
}

async function writeSymbols(w: SectionWriter, c: HeadCapture): Promise<void> {
  let id = 0;
  while (id < c.numSymbols) {
    w.begin(SECTION_SYMBOLS);
    w.ensure(4);
    const countAt = w.sectionBytes;
    w.u32(0);
    let n = 0;
    for (; id < c.numSymbols && w.sectionBytes < SECTION_TARGET_BYTES; id++, n++) w.string(c.symbols.get(id));
    w.patchU32(countAt, n);
    await w.end();
  }
}

/** Writes the capture's series in ascending ref order; returns how many. */
async function writeSeries(w: SectionWriter, c: HeadCapture): Promise<number> {
  let written = 0;
  let inSection = 0;
  let countAt = 0;
  for (const p of c.pages) {
    for (let i = 0; i < p.used; i++) {
      if (p.alive[i] !== 1) continue;
      if (inSection === 0) {
        w.begin(SECTION_SERIES);
        w.ensure(4);
        countAt = w.sectionBytes;
        w.u32(0);
      }
      writeOneSeries(w, p, i, c.ooo);
      inSection++;
      written++;
      if (w.sectionBytes >= SECTION_TARGET_BYTES) {
        w.patchU32(countAt, inSection);
        await w.end();
        inSection = 0;
      }
    }
  }
  if (inSection > 0) {
    w.patchU32(countAt, inSection);
    await w.end();
  }
  if (written !== c.numSeries) throw new Error(`head capture of tenant "${c.tenant}" holds ${written} series but counted ${c.numSeries}`);
  return written;
}

function writeOneSeries(w: SectionWriter, p: PageCapture, i: number, oooOf: ReadonlyMap<number, OooCapture>): void {
  const labels = p.labels(i);
  const headBytes = p.count[i] > 0 ? (p.bits[i] + 7) >>> 3 : 0;
  const done = p.doneCount[i] > 0 ? p.done[i] : undefined;
  w.ensure(15 + labels.length * 5 + (headBytes === 0 ? 0 : 42 + headBytes) + (done === undefined ? 0 : 8 + done.length));
  w.u32(p.base + i);
  w.u32(p.hashLo[i]);
  w.u32(p.hashHi[i]);
  w.u16(labels.length);
  for (let k = 0; k < labels.length; k++) w.uvarint(labels[k]);
  const ooo = oooOf.size === 0 ? undefined : oooOf.get(p.base + i);
  w.u8((headBytes === 0 ? 0 : FLAG_HEAD_CHUNK) | (done === undefined ? 0 : FLAG_DONE) | (ooo === undefined ? 0 : FLAG_OOO));
  if (headBytes > 0) {
    w.f64(p.firstT[i]);
    w.f64(p.lastT[i]);
    w.f64(p.tDelta[i]);
    w.u32(p.lastHi[i]);
    w.u32(p.lastLo[i]);
    w.u8(p.leading[i]);
    w.u8(p.trailing[i]);
    w.u32(p.bits[i]);
    w.fill(headBytes, (out, at) => p.headChunk(i, out, at));
  }
  if (done !== undefined) {
    w.u32(p.doneCount[i]);
    w.u32(done.length);
    w.bytes(done);
  }
  if (ooo !== undefined) {
    w.ensure(8 + ooo.buffer.n * 16);
    w.u32(ooo.chunks.length);
    for (const c of ooo.chunks) {
      w.ensure(20 + c.data.length);
      w.f64(c.minT);
      w.f64(c.maxT);
      w.u32(c.data.length);
      w.bytes(c.data);
    }
    w.ensure(4 + ooo.buffer.n * 16);
    w.u32(ooo.buffer.n);
    for (let k = 0; k < ooo.buffer.n; k++) {
      w.f64(ooo.buffer.t[k]);
      w.u32(ooo.buffer.hi[k]);
      w.u32(ooo.buffer.lo[k]);
    }
  }
}

/**
 * Loads a snapshot written by `writeHeadSnapshot`: a new `Head` per tenant (with `config`, a
 * logger with the tenant added, and `registryFor(tenant)`), holding exactly what was captured, and
 * the offset to replay the log from. A damaged file raises `HeadSnapshotCorruptError` (the heads
 * built so far are dropped and their metrics unregistered); I/O errors are thrown as they are.
 */
export async function readHeadSnapshot(path: string, config: HeadConfig, logger: Logger, registryFor: HeadRegistryFactory): Promise<LoadedHeadSnapshot> {
  const fh = await open(path, 'r');
  const heads = new Map<string, Head>();
  try {
    const { size } = await fh.stat();
    const reader = new SectionReader(fh, size, PREAMBLE_BYTES);
    if (size < PREAMBLE_BYTES) throw new SnapshotFormatError(`${size} bytes, shorter than the ${PREAMBLE_BYTES}-byte preamble`);
    const preamble = Buffer.alloc(PREAMBLE_BYTES);
    await reader.readFully(preamble, 0);
    if (!preamble.subarray(0, 4).equals(MAGIC)) throw new SnapshotFormatError(`bad magic ${preamble.subarray(0, 4).toString('hex')}, not a head snapshot`);
    if (preamble[4] !== HEAD_SNAPSHOT_VERSION) throw new SnapshotFormatError(`unsupported version ${preamble[4]} (this build reads version ${HEAD_SNAPSHOT_VERSION})`);
    const offset = await readSections(reader, heads, config, logger, registryFor);
    return { offset, heads };
  } catch (err) {
    for (const head of heads.values()) head.unregisterMetrics();
    if (err instanceof SnapshotFormatError || err instanceof RangeError) throw new HeadSnapshotCorruptError(path, errorMessage(err), { cause: err });
    throw err;
  } finally {
    await fh.close();
  }
}

interface TenantState {
  head: Head;
  minT: number;
  maxT: number;
  truncatedBefore: number;
  cutBefore: number;
  nextRef: number;
  numSeries: number;
  numSymbols: number;
  symbols: string[];
  series: number;
  lastRef: number;
}

async function readSections(reader: SectionReader, heads: Map<string, Head>, config: HeadConfig, logger: Logger, registryFor: HeadRegistryFactory): Promise<number> {
  const first = await reader.next();
  if (first === undefined || first.type !== SECTION_HEADER) throw new SnapshotFormatError('the header section is missing');
  const header = new PayloadCursor(first.payload);
  const offset = header.f64();
  const tenants = header.u32();
  if (!Number.isSafeInteger(offset) || offset < 0) throw new SnapshotFormatError(`bad offset ${offset}`);

  let tenant: TenantState | undefined;
  let totalSeries = 0;
  const series: RestoredSeries = {
    ref: 0,
    hashLo: 0,
    hashHi: 0,
    labels: new Uint32Array(0x10000),
    labelCount: 0,
    source: EMPTY,
    headAt: 0,
    headLen: 0,
    firstT: 0,
    lastT: 0,
    tDelta: 0,
    lastHi: 0,
    lastLo: 0,
    leading: 0,
    trailing: 0,
    bits: 0,
    doneAt: 0,
    doneLen: 0,
    doneCount: 0,
    ooo: undefined,
  };

  const finishTenant = () => {
    if (tenant === undefined) return;
    if (tenant.symbols.length !== tenant.numSymbols) {
      throw new SnapshotFormatError(`tenant "${tenant.head.tenant}" has ${tenant.symbols.length} of its ${tenant.numSymbols} symbols`);
    }
    if (tenant.series !== tenant.numSeries) throw new SnapshotFormatError(`tenant "${tenant.head.tenant}" has ${tenant.series} of its ${tenant.numSeries} series`);
    if (tenant.numSymbols > 0 && tenant.numSeries === 0) tenant.head.restoreSymbols(tenant.symbols);
    tenant.head.restoreBounds(tenant.minT, tenant.maxT, tenant.truncatedBefore, tenant.cutBefore, tenant.nextRef);
    totalSeries += tenant.series;
    tenant = undefined;
  };

  for (;;) {
    const section = await reader.next();
    if (section === undefined) throw new SnapshotFormatError(`the end section is missing (file truncated at byte ${reader.position}?)`);
    const c = new PayloadCursor(section.payload);
    switch (section.type) {
      case SECTION_TENANT: {
        finishTenant();
        const name = c.string();
        if (heads.has(name)) throw new SnapshotFormatError(`tenant "${name}" appears twice`);
        const head = new Head(config, name, logger.with({ tenant: name }), registryFor(name));
        heads.set(name, head);
        tenant = {
          head,
          minT: c.f64(),
          maxT: c.f64(),
          truncatedBefore: c.f64(),
          cutBefore: c.f64(),
          nextRef: c.u32(),
          numSeries: c.u32(),
          numSymbols: c.u32(),
          symbols: [],
          series: 0,
          lastRef: 0,
        };
        break;
      }
      case SECTION_SYMBOLS: {
        if (tenant === undefined || tenant.series > 0) throw new SnapshotFormatError('a symbols section outside a tenant or after its series');
        const n = c.u32();
        for (let k = 0; k < n; k++) tenant.symbols.push(c.string());
        if (tenant.symbols.length > tenant.numSymbols) throw new SnapshotFormatError(`tenant "${tenant.head.tenant}" has more than its ${tenant.numSymbols} symbols`);
        break;
      }
      case SECTION_SERIES: {
        if (tenant === undefined) throw new SnapshotFormatError('a series section outside a tenant');
        if (tenant.series === 0) {
          if (tenant.symbols.length !== tenant.numSymbols) throw new SnapshotFormatError(`tenant "${tenant.head.tenant}" has series before all its symbols`);
          tenant.head.restoreSymbols(tenant.symbols);
        }
        const n = c.u32();
        for (let k = 0; k < n; k++) {
          readOneSeries(c, series);
          if (series.ref <= tenant.lastRef || series.ref >= tenant.nextRef) throw new SnapshotFormatError(`series ref ${series.ref} out of order or above the next ref ${tenant.nextRef}`);
          tenant.head.restoreSeries(series);
          tenant.lastRef = series.ref;
          tenant.series++;
        }
        if (tenant.series > tenant.numSeries) throw new SnapshotFormatError(`tenant "${tenant.head.tenant}" has more than its ${tenant.numSeries} series`);
        break;
      }
      case SECTION_END: {
        finishTenant();
        const endTenants = c.u32();
        const endSeries = c.f64();
        if (endTenants !== tenants || heads.size !== tenants || endSeries !== totalSeries) {
          throw new SnapshotFormatError(`the end section counts ${endTenants} tenants and ${endSeries} series, the file holds ${heads.size} and ${totalSeries} (header: ${tenants} tenants)`);
        }
        if (reader.remaining !== 0) throw new SnapshotFormatError(`${reader.remaining} bytes after the end section`);
        return offset;
      }
      default:
        throw new SnapshotFormatError(`unknown section type ${section.type}`);
    }
    if (c.remaining !== 0) throw new SnapshotFormatError(`${c.remaining} unread bytes at the end of a section of type ${section.type}`);
  }
}

function readOneSeries(c: PayloadCursor, s: RestoredSeries): void {
  s.ref = c.u32();
  s.hashLo = c.u32();
  s.hashHi = c.u32();
  const n = c.u16();
  for (let k = 0; k < n; k++) s.labels[k] = c.uvarint();
  s.labelCount = n;
  s.source = c.bytes;
  const flags = c.u8();
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new SnapshotFormatError(`series ${s.ref} has unknown flags ${flags}`);
  s.headLen = 0;
  if ((flags & FLAG_HEAD_CHUNK) !== 0) {
    s.firstT = c.f64();
    s.lastT = c.f64();
    s.tDelta = c.f64();
    s.lastHi = c.u32();
    s.lastLo = c.u32();
    s.leading = c.u8();
    s.trailing = c.u8();
    s.bits = c.u32();
    s.headLen = (s.bits + 7) >>> 3;
    if (s.headLen === 0) throw new SnapshotFormatError(`series ${s.ref} has an empty head chunk`);
    s.headAt = c.skip(s.headLen);
  }
  s.doneCount = 0;
  if ((flags & FLAG_DONE) !== 0) {
    s.doneCount = c.u32();
    if (s.doneCount === 0) throw new SnapshotFormatError(`series ${s.ref} has an empty list of completed chunks`);
    s.doneLen = c.u32();
    s.doneAt = c.skip(s.doneLen);
  }
  s.ooo = undefined;
  if ((flags & FLAG_OOO) !== 0) {
    const n = c.u32();
    const chunks: MemChunk[] = [];
    for (let k = 0; k < n; k++) {
      const minT = c.f64();
      const maxT = c.f64();
      const at = c.skip(c.u32());
      chunks.push(new MemChunk(c.bytes.subarray(at, c.pos), minT, maxT));
    }
    const buffered = c.u32();
    const buffer = new Samples(Math.max(1, buffered));
    for (let k = 0; k < buffered; k++) buffer.push(c.f64(), c.u32(), c.u32());
    if (n === 0 && buffered === 0) throw new SnapshotFormatError(`series ${s.ref} has an empty out-of-order part`);
    s.ooo = { chunks, buffer };
  }
}

const EMPTY = new Uint8Array(0);
