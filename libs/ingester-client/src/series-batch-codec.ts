import type { Label } from '@panoptes/block-formats';
import { errorMessage, ValidationError } from '@panoptes/common';
import * as protobuf from 'protobufjs';
import { int64ToNumber, REASON_MALFORMED_MESSAGE } from './codec';
import type { ChunkData, SeriesChunks } from './types';

// QueryStreamResponse is the bulk of the read path, so it is coded by hand over protobufjs'
// Writer/Reader: labels go straight from and to `[name, value]` tuples, timestamps to numbers, and
// chunk bytes decode as views into the received buffer. The layout is the one INGESTER_PROTO
// declares (series-batch-codec.spec.ts checks both against protobufjs reflection):
//   QueryStreamResponse { repeated SeriesChunks series = 1 }
//   SeriesChunks        { repeated LabelPair labels = 1; repeated Chunk chunks = 2 }
//   LabelPair           { string name = 1; string value = 2 }
//   Chunk               { int64 min_time_ms = 1; int64 max_time_ms = 2; uint32 encoding = 3; bytes data = 4 }

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const tag = (field: number, wire: number): number => (field << 3) | wire;

const T_SERIES = tag(1, WIRE_LEN);
const T_LABEL = tag(1, WIRE_LEN);
const T_CHUNK = tag(2, WIRE_LEN);
const T_NAME = tag(1, WIRE_LEN);
const T_VALUE = tag(2, WIRE_LEN);
const T_MIN_T = tag(1, WIRE_VARINT);
const T_MAX_T = tag(2, WIRE_VARINT);
const T_ENCODING = tag(3, WIRE_VARINT);
const T_DATA = tag(4, WIRE_LEN);

/** Bytes a series adds to a batch, roughly: what the batch size limit counts. */
export function seriesSizeEstimate(s: SeriesChunks): number {
  let n = 4;
  for (const [name, value] of s.labels) n += name.length + value.length + 6;
  for (const c of s.chunks) n += c.data.length + 28;
  return n;
}

export function encodeSeriesBatch(series: readonly SeriesChunks[]): Buffer {
  const w = protobuf.Writer.create();
  for (const s of series) {
    w.uint32(T_SERIES).fork();
    for (const [name, value] of s.labels) {
      w.uint32(T_LABEL).fork().uint32(T_NAME).string(name).uint32(T_VALUE).string(value).ldelim();
    }
    for (const c of s.chunks) {
      w.uint32(T_CHUNK).fork();
      w.uint32(T_MIN_T).int64(c.minT).uint32(T_MAX_T).int64(c.maxT);
      w.uint32(T_ENCODING).uint32(c.encoding).uint32(T_DATA).bytes(c.data);
      w.ldelim();
    }
    w.ldelim();
  }
  return w.finish() as Buffer;
}

/** Decodes one QueryStreamResponse; throws `ValidationError` on malformed bytes. */
export function decodeSeriesBatch(bytes: Uint8Array): SeriesChunks[] {
  const r = protobuf.Reader.create(bytes);
  const out: SeriesChunks[] = [];
  try {
    while (r.pos < r.len) {
      const t = r.uint32();
      if (t === T_SERIES) {
        const len = r.uint32();
        out.push(readSeries(r, r.pos + len));
      } else {
        r.skipType(t & 7);
      }
    }
  } catch (err) {
    throw new ValidationError(REASON_MALFORMED_MESSAGE, `malformed QueryStreamResponse message: ${errorMessage(err)}`);
  }
  return out;
}

function readSeries(r: protobuf.Reader, end: number): SeriesChunks {
  const labels: Label[] = [];
  const chunks: ChunkData[] = [];
  while (r.pos < end) {
    const t = r.uint32();
    if (t === T_LABEL) {
      const len = r.uint32();
      labels.push(readLabel(r, r.pos + len));
    } else if (t === T_CHUNK) {
      const len = r.uint32();
      chunks.push(readChunk(r, r.pos + len));
    } else {
      r.skipType(t & 7);
    }
  }
  checkEnd(r, end);
  return { labels, chunks };
}

function readLabel(r: protobuf.Reader, end: number): Label {
  let name = '';
  let value = '';
  while (r.pos < end) {
    const t = r.uint32();
    if (t === T_NAME) name = r.string();
    else if (t === T_VALUE) value = r.string();
    else r.skipType(t & 7);
  }
  checkEnd(r, end);
  return [name, value];
}

const EMPTY = new Uint8Array(0);

function readChunk(r: protobuf.Reader, end: number): ChunkData {
  let minT = 0;
  let maxT = 0;
  let encoding = 0;
  let data: Uint8Array = EMPTY;
  while (r.pos < end) {
    const t = r.uint32();
    if (t === T_MIN_T) minT = int64ToNumber(r.int64());
    else if (t === T_MAX_T) maxT = int64ToNumber(r.int64());
    else if (t === T_ENCODING) encoding = r.uint32();
    else if (t === T_DATA) data = r.bytes();
    else r.skipType(t & 7);
  }
  checkEnd(r, end);
  return { minT, maxT, encoding, data };
}

function checkEnd(r: protobuf.Reader, end: number): void {
  if (r.pos !== end) throw new Error(`field overruns its enclosing message by ${r.pos - end} bytes`);
}
