import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IndexReader, Tombstone, decodeTombstones, encodeTombstones, parseMeta } from '@panoptes/block-formats';
import type { SeriesDeletionRequest } from '@panoptes/bucket-index';
import { ValidationError, errorMessage } from '@panoptes/common';
import { parseSeriesSelector } from '@panoptes/prom-api';
import { type IndexReader as PostingsIndex, type Matcher, selectPostings, union } from '@panoptes/tsdb';
import { deletionOverlaps } from './planner-deletions';

/** A request with its selectors parsed: a series matching every matcher of any one set is affected. */
export interface ParsedDeletion {
  request: SeriesDeletionRequest;
  selectors: Matcher[][];
}

/**
 * Parses a stored request's selectors. The API accepted them, so a failure means the object was
 * changed by hand: the error names the request to cancel.
 */
export function parseDeletion(request: SeriesDeletionRequest): ParsedDeletion {
  try {
    return { request, selectors: request.matchers.map((m) => parseSeriesSelector(m)) };
  } catch (err) {
    throw new ValidationError(
      'invalid_series_deletion_request',
      `series deletion request ${request.id} of tenant "${request.tenant}" holds a selector that does not parse (${errorMessage(err)}); cancel it and make it again`,
      { tenant: request.tenant },
    );
  }
}

/**
 * Adds to the local block in `blockDir` (meta.json, index, optional tombstones) one tombstone per
 * series matching a deletion whose range overlaps the block, the interval clamped to the block;
 * `compactBlocks` applies the block's tombstones file when it reads the directory. Existing
 * tombstones are kept. Reads the index whole (only for blocks a deletion overlaps) and selects
 * series through its postings. Returns how many tombstones were added (0: nothing written).
 */
export async function addDeletionTombstones(blockDir: string, deletions: readonly ParsedDeletion[]): Promise<number> {
  const meta = parseMeta(await readFile(join(blockDir, 'meta.json'), 'utf8'), `${blockDir}/meta.json`);
  const relevant = deletions.filter((d) => deletionOverlaps(meta, d.request));
  if (relevant.length === 0) return 0;
  const reader = new IndexReader(await readFile(join(blockDir, 'index')), `${blockDir}/index`);
  const postings = postingsIndex(reader);
  const added: Tombstone[] = [];
  for (const d of relevant) {
    const mint = Math.max(d.request.startMs, meta.minTime);
    const maxt = Math.min(d.request.endMs, meta.maxTime - 1);
    for (const ref of union(d.selectors.map((set) => selectPostings(postings, [...set])))) added.push({ seriesRef: ref, mint, maxt });
  }
  if (added.length === 0) return 0;
  let existing: Tombstone[] = [];
  const path = join(blockDir, 'tombstones');
  try {
    existing = decodeTombstones(await readFile(path), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await writeFile(path, encodeTombstones([...existing, ...added]));
  return added.length;
}

/** A block index as the postings selection of @panoptes/tsdb reads it. */
function postingsIndex(reader: IndexReader): PostingsIndex {
  return {
    labelValues: (name) => reader.labelValues(name),
    postings: (name, values) => union([...values].map((v) => reader.postings(name, v))),
    allPostings: () => reader.allPostings(),
  };
}
