import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FilesystemBucket, InMemoryBucket } from '@panoptes/bucket';
import { runBucketIndexScenarios } from './testing/scenarios';

let tmpRoot: string;

beforeAll(async () => {
  tmpRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'panoptes-bucket-index-'));
});

afterAll(async () => {
  await fs.rm(tmpRoot, { recursive: true, force: true });
});

const memory = new InMemoryBucket();
runBucketIndexScenarios('InMemoryBucket', () => memory);
runBucketIndexScenarios('FilesystemBucket', () => new FilesystemBucket({ dir: path.join(tmpRoot, 'data') }));
