import { Kafka } from 'kafkajs';

/**
 * The parts of kafkajs 2.2.4 that are not in its public API but that a group-less, pull-style
 * partition reader needs: the `Cluster` (metadata, leader lookup, broker connections) and the
 * broker's Fetch / OffsetCommit / OffsetFetch requests. kafkajs's public consumer only exists as a
 * push-based group member with rebalancing, which is the wrong shape for "this ingester owns
 * partition 7 and commits offsets of group ingester-zone-a-7" (Mimir's ingest storage reads
 * partitions the same way: direct fetches, offsets committed to a group nobody joins).
 *
 * kafkajs is pinned to exactly 2.2.4 (its last release) in package.json and the Kafka
 * integration suite exercises every call below; `createInternalCluster` checks the hook exists so
 * a change of version fails loudly at startup instead of misbehaving.
 */
export interface FetchedMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[] | undefined>;
  isControlRecord: boolean;
}

export interface FetchedPartition {
  partition: number;
  errorCode: number;
  highWatermark: string;
  messages: FetchedMessage[];
}

export interface InternalBroker {
  fetch(request: {
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{ responses: { topicName: string; partitions: FetchedPartition[] }[] }>;
  offsetCommit(request: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<unknown>;
  offsetFetch(request: {
    groupId: string;
    topics: { topic: string; partitions: { partition: number }[] }[];
  }): Promise<{ responses: { topic: string; partitions: { partition: number; offset: string }[] }[] }>;
}

export interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(options: { nodeId: string }): Promise<InternalBroker>;
  findGroupCoordinator(options: { groupId: string }): Promise<InternalBroker>;
  fetchTopicsOffset(
    topics: { topic: string; partitions: { partition: number }[]; fromBeginning: boolean }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

/** kafkajs isolation levels (protocol values). We never write transactionally. */
export const READ_UNCOMMITTED = 0;

const CREATE_CLUSTER = 'private:Kafka:createCluster';

/**
 * A new kafkajs Cluster built by the client itself, so it shares the client's brokers, TLS/SASL,
 * retry and logger settings. Each cluster has its own connections: one per broker for Fetch, one
 * for everything else, so a long-poll fetch never delays a commit.
 */
export function createInternalCluster(kafka: Kafka): InternalCluster {
  const owner = kafka as unknown as Record<symbol, unknown>;
  const symbol = Object.getOwnPropertySymbols(owner).find((s) => s.description === CREATE_CLUSTER);
  const create = symbol === undefined ? undefined : owner[symbol];
  if (typeof create !== 'function') {
    throw new Error(
      'this kafkajs version has no internal createCluster hook; the Kafka ingest consumer needs kafkajs 2.2.4 exactly',
    );
  }
  return (create as (options: object) => InternalCluster)({
    metadataMaxAge: 300_000,
    allowAutoTopicCreation: false,
    maxInFlightRequests: null,
    isolationLevel: READ_UNCOMMITTED,
  });
}
