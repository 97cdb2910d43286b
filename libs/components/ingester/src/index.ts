export * from './ingester';
export * from './tenant-db';
export * from './metric-metadata';
export {
  BlockShipper,
  BlockShipperConfig,
  defaultBlockShipperConfig,
  ShipOptions,
  ShipResult,
  ShipFailure,
  tenantExternalLabels,
} from './shipper';
export * from './head-compactor';
export * from './ingester.controller';
export * from './snapshot-durability';
export * from './ingester-api';
