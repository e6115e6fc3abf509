// Rivulet's Kafka client: connections, cluster metadata, admin, producer, consumer.
export * from '../../client/errors.js';
export { Connection, parseHostPort, CLIENT_VERSION_LIMITS, type ConnectionOptions, type SendOptions, type VersionRange } from './connection.js';
export * from './cluster.js';
export * from './admin.js';
export * from './producer.js';
export * from './consumer.js';
export * from './compression.js';
export * from './partitioner/index.js';
export { RecordAccumulator, estimateRecordSize, type ProducerBatch, type PendingRecord } from './accumulator.js';
export { type ClientSecurityOptions, type ClientSslOptions, type SecurityProtocol } from './security.js';
export { KafkaAuthenticationError, SASL_CLIENT_MECHANISMS, type SaslClientOptions, type SaslMechanismName } from './sasl-client.js';
