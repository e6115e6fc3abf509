export { BrokerMetrics, REQUEST_TIME_BUCKETS_MS, type TopicStats } from './broker-metrics.js';
export type { GroupOffsetStats, GroupStats, MetricsSource, PartitionLogStats, ReplicationStats } from './source.js';
export { startMetricsServer, type MetricsServer } from './http-server.js';
export { METRICS_CONFIG_DEFS } from '../config/metrics-defs.js';
