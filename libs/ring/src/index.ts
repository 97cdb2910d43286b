// Public surface of ring: everything else in this folder is internal.
export {
  INSTANCE_STATES,
  InstanceDesc,
  InstanceState,
  RingDesc,
  decodeRingDesc,
  emptyRingDesc,
  encodeRingDesc,
  updateInstance,
} from './ring-desc';
export { RandomSource, RandomTokenGenerator, TokenGenerator, seededRandom } from './tokens';
export { Operation } from './operation';
export { ReplicationSet, RingInstance, RingSnapshot, RingSnapshotOptions } from './ring-snapshot';
export { Ring, RingConfig, defaultRingConfig } from './ring';
export { Lifecycler, LifecyclerConfig, defaultLifecyclerConfig } from './lifecycler';
export {
  ActivationRule,
  OwnerState,
  PartitionDesc,
  PartitionOwnerDesc,
  PartitionRingDesc,
  PartitionState,
  activatePartitionIfReady,
  activeOwners,
  addPartitionOwner,
  createPartition,
  decodePartitionRingDesc,
  deletePartition,
  emptyPartitionRingDesc,
  encodePartitionRingDesc,
  partitionIds,
  removePartitionOwner,
  setPartitionState,
  updatePartitionRing,
} from './partition-ring-desc';
export { DEFAULT_TOKENS_PER_PARTITION, PartitionRing, partitionTokens } from './partition-ring';
export { PartitionRingConfig, PartitionRingWatcher, defaultPartitionRingConfig } from './partition-ring-watcher';
export {
  PartitionInstanceLifecycler,
  PartitionInstanceLifecyclerConfig,
  defaultPartitionInstanceLifecyclerConfig,
  partitionIdFromInstanceId,
} from './partition-instance-lifecycler';
export {
  PartitionStatusRow,
  RingHtmlOptions,
  RingStatusRow,
  formatAge,
  renderPartitionRingHtml,
  renderPartitionRingJson,
  renderRingHtml,
  renderRingJson,
} from './status-page';
