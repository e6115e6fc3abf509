// The cluster metadata on etcd: the store (sessions, controller claim, conditional writes, watch) and the
// in-memory ClusterImage every broker answers metadata requests from.
export * from './metadata-store.js';
export * from './cluster-image.js';
export * from './records.js';
export * from './keys.js';
export { parseEtcdConnect, etcdConnectOrThrow, type EtcdConnect } from '../config/etcd-connect.js';
export type { MetadataEntry, MetadataEvent, MetadataSnapshot, WatchBatch, MetadataWatch } from './metadata-watch.js';
