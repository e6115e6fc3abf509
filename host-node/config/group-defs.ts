// The group coordinator's broker config keys (Kafka's names and defaults). Spread into BROKER_CONFIG_DEFS.
import { atLeast, int, long, short } from './types.js';

export const GROUP_CONFIG_DEFS = {
  'group.initial.rebalance.delay.ms': int({
    default: 3000,
    validate: atLeast(0),
    importance: 'medium',
    doc: 'How long the coordinator waits for more consumers to join a new (empty) group before the first rebalance; extended by each join up to the rebalance timeout.',
  }),
  'group.min.session.timeout.ms': int({ default: 6000, importance: 'medium', doc: 'The minimum session timeout a registered consumer may ask for.' }),
  'group.max.session.timeout.ms': int({ default: 1800000, importance: 'medium', doc: 'The maximum session timeout a registered consumer may ask for.' }),
  'group.max.size': int({ default: 2147483647, validate: atLeast(1), importance: 'medium', doc: 'The maximum number of consumers a single consumer group can hold.' }),
  'offsets.topic.num.partitions': int({ default: 50, validate: atLeast(1), importance: 'high', doc: 'The number of partitions of the offset commit topic (should not change after deployment).' }),
  'offsets.topic.replication.factor': short({
    default: 3,
    validate: atLeast(1),
    importance: 'high',
    doc: 'The replication factor of the offsets topic in a cluster (etcd.connect), created on the first FindCoordinator; while fewer brokers are alive than this, FindCoordinator answers COORDINATOR_NOT_AVAILABLE. A single broker keeps one replica whatever this says; rivulet dev-cluster sets min(3, brokers).',
  }),
  'offsets.topic.segment.bytes': int({ default: 104857600, validate: atLeast(1), importance: 'high', doc: 'The segment size of the offsets topic.' }),
  'offsets.retention.minutes': int({
    default: 10080,
    validate: atLeast(1),
    importance: 'high',
    doc: 'After a consumer group loses all its consumers (becomes empty) its offsets are kept this long before being discarded. Standalone consumers: since the last commit.',
  }),
  'offsets.retention.check.interval.ms': long({ default: 600000, validate: atLeast(1), importance: 'high', doc: 'How often to check for expired offsets.' }),
  'offsets.commit.timeout.ms': int({
    default: 5000,
    validate: atLeast(1),
    importance: 'high',
    doc: 'An offset commit (or group metadata write) is answered with an error if it is not durable in __consumer_offsets within this time.',
  }),
  'offset.metadata.max.bytes': int({ default: 4096, importance: 'high', doc: 'The maximum size of the metadata string of an offset commit.' }),
  'offsets.load.buffer.size': int({ default: 5242880, validate: atLeast(1), importance: 'high', doc: 'Batch size for reading from the offsets segments when loading them at start-up.' }),
};
