// The cluster's broker config keys (Kafka's names and defaults): the etcd metadata store, broker sessions,
// replica fetching, leader elections and controlled shutdown. Spread into BROKER_CONFIG_DEFS. Without
// etcd.connect none of them changes anything: the broker is a single node.
import { parseEtcdConnect } from './etcd-connect.js';
import { ConfigError, atLeast, between, bool, int, long, nullableStr, oneOf, orNull, password, type Validator } from './types.js';

const etcdConnectValidator: Validator<string | null> = (v) => {
  if (v === null) return undefined;
  const r = parseEtcdConnect(v);
  return typeof r === 'string' ? r : undefined;
};

export const CLUSTER_CONFIG_DEFS = {
  'etcd.connect': nullableStr({
    validate: etcdConnectValidator,
    importance: 'high',
    doc: 'Rivulet addition (the shape of Kafka\'s zookeeper.connect): host:port[,host:port...][/chroot] of the etcd cluster holding the cluster metadata. Not set: a single broker with embedded metadata.',
  }),
  // TLS to etcd, as Kafka's zookeeper.ssl.* configure TLS to ZooKeeper. etcd serves TLS with
  // --cert-file/--key-file and asks for client certificates with --client-cert-auth --trusted-ca-file.
  'etcd.ssl.client.enable': bool({
    default: false,
    importance: 'medium',
    doc: 'Rivulet addition (Kafka\'s zookeeper.ssl.client.enable): connect to etcd over TLS (https:// endpoints), verifying etcd with etcd.ssl.truststore.* and presenting the etcd.ssl.keystore.* certificate when one is set.',
  }),
  'etcd.ssl.keystore.location': nullableStr({
    importance: 'medium',
    doc: 'The key store (PEM: private key and certificate chain in one file; or PKCS12) whose certificate this broker presents to etcd (etcd\'s --client-cert-auth needs one).',
  }),
  'etcd.ssl.keystore.type': nullableStr({
    validate: orNull(oneOf('PEM', 'PKCS12', 'JKS')),
    importance: 'medium',
    doc: 'The file format of etcd.ssl.keystore.location: PEM or PKCS12 (JKS is refused). Not set: PKCS12 for a .p12 or .pfx file, else PEM.',
  }),
  'etcd.ssl.keystore.password': password({
    importance: 'medium',
    doc: 'The password of a PKCS12 etcd.ssl.keystore.location (or of the encrypted private key of a PEM one).',
  }),
  'etcd.ssl.truststore.location': nullableStr({
    importance: 'medium',
    doc: 'The CA certificates (PEM or PKCS12) that etcd\'s server certificate is verified against; required with etcd.ssl.client.enable.',
  }),
  'etcd.ssl.truststore.type': nullableStr({
    validate: orNull(oneOf('PEM', 'PKCS12', 'JKS')),
    importance: 'medium',
    doc: 'The file format of etcd.ssl.truststore.location: PEM or PKCS12 (JKS is refused). Not set: PKCS12 for a .p12 or .pfx file, else PEM.',
  }),
  'etcd.ssl.truststore.password': password({
    importance: 'medium',
    doc: 'The password of a PKCS12 etcd.ssl.truststore.location.',
  }),
  'etcd.ssl.endpoint.identification.enable': bool({
    default: true,
    importance: 'low',
    doc: 'Check that etcd\'s certificate names the host of etcd.connect (Kafka\'s zookeeper.ssl.endpoint.identification.enable); false: only the chain is verified.',
  }),
  'broker.session.timeout.ms': int({
    default: 9000,
    validate: atLeast(1000),
    importance: 'medium',
    doc: 'The lease of a broker\'s registration in etcd: a broker that sends no heartbeat for this long is considered dead and its partitions get new leaders (rounded up to whole seconds).',
  }),
  'broker.heartbeat.interval.ms': int({
    default: 2000,
    validate: atLeast(1),
    importance: 'medium',
    doc: 'The interval between a broker\'s heartbeats (lease keep-alives) to etcd.',
  }),
  'replica.lag.time.max.ms': long({
    default: 30000,
    validate: atLeast(1),
    importance: 'high',
    doc: 'A follower that has not caught up with the leader\'s log end offset for this long is removed from the ISR.',
  }),
  'replica.fetch.max.bytes': int({
    default: 1048576,
    validate: atLeast(0),
    importance: 'medium',
    doc: 'The number of bytes a follower tries to fetch per partition (at least one batch is returned even if larger).',
  }),
  'replica.fetch.wait.max.ms': int({
    default: 500,
    validate: atLeast(0),
    importance: 'medium',
    doc: 'The longest a follower\'s fetch waits at the leader for replica.fetch.min.bytes; keep it below replica.lag.time.max.ms.',
  }),
  'replica.fetch.min.bytes': int({
    default: 1,
    validate: atLeast(0),
    importance: 'high',
    doc: 'The minimum number of bytes a follower\'s fetch waits for at the leader (up to replica.fetch.wait.max.ms).',
  }),
  'replica.fetch.response.max.bytes': int({
    default: 10485760,
    validate: atLeast(0),
    importance: 'medium',
    doc: 'The maximum number of bytes of a whole replica fetch response (at least one batch is returned even if larger).',
  }),
  'replica.fetch.backoff.ms': int({
    default: 1000,
    validate: atLeast(0),
    importance: 'medium',
    doc: 'How long a follower waits after a fetch error before fetching again.',
  }),
  'num.replica.fetchers': int({
    default: 1,
    validate: atLeast(1),
    importance: 'high',
    doc: 'The number of fetcher connections a follower opens to each leader broker.',
  }),
  'unclean.leader.election.enable': bool({
    default: false,
    importance: 'high',
    doc: 'Allow a replica outside the ISR to become leader when no ISR member is alive, accepting the loss of acknowledged records (also a topic config).',
  }),
  'auto.leader.rebalance.enable': bool({
    default: true,
    importance: 'high',
    doc: 'The controller moves leadership back to each partition\'s preferred replica (the first of its assignment) when a broker\'s imbalance exceeds leader.imbalance.per.broker.percentage.',
  }),
  'leader.imbalance.check.interval.seconds': long({
    default: 300,
    validate: atLeast(1),
    importance: 'high',
    doc: 'How often the controller checks the leader imbalance.',
  }),
  'leader.imbalance.per.broker.percentage': int({
    default: 10,
    validate: between(0, 100),
    importance: 'high',
    doc: 'The share of a broker\'s preferred partitions it may not lead before the controller triggers a preferred election.',
  }),
  'controlled.shutdown.enable': bool({
    default: true,
    importance: 'medium',
    doc: 'On SIGTERM, ask the controller to move leadership off this broker before it stops.',
  }),
  'controlled.shutdown.max.retries': int({
    default: 3,
    validate: atLeast(0),
    importance: 'medium',
    doc: 'How many times a controlled shutdown is retried before the broker stops anyway.',
  }),
  'controlled.shutdown.retry.backoff.ms': long({
    default: 5000,
    validate: atLeast(0),
    importance: 'medium',
    doc: 'The wait between controlled shutdown retries.',
  }),
};

/** The values the cross-key checks read. */
export interface ClusterCrossKeyValues {
  readonly 'etcd.connect': string | null;
  readonly 'default.replication.factor': number;
  readonly 'broker.session.timeout.ms': number;
  readonly 'broker.heartbeat.interval.ms': number;
  readonly 'etcd.ssl.client.enable': boolean;
  readonly 'etcd.ssl.truststore.location': string | null;
}

/** Checks between keys, once every source is merged: throws ConfigError naming the key at fault. */
export function checkClusterConfig(v: ClusterCrossKeyValues): void {
  const rf = v['default.replication.factor'];
  if (v['etcd.connect'] === null && rf !== 1)
    throw ConfigError.invalid('default.replication.factor', rf, 'without etcd.connect Rivulet is a single broker: only 1 is possible (set etcd.connect to run a cluster)');
  if (v['etcd.connect'] !== null && v['broker.heartbeat.interval.ms'] >= v['broker.session.timeout.ms'])
    throw ConfigError.invalid('broker.heartbeat.interval.ms', v['broker.heartbeat.interval.ms'], 'must be less than broker.session.timeout.ms');
  if (v['etcd.ssl.client.enable'] && v['etcd.ssl.truststore.location'] === null)
    throw new ConfigError('etcd.ssl.truststore.location', 'etcd.ssl.client.enable=true needs etcd.ssl.truststore.location: the CA certificates etcd\'s server certificate is verified against');
}
