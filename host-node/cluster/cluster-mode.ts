// A broker in a cluster (`etcd.connect` set), assembled: what the handlers read (the brokers and the
// controller, the topics' leaders and ISRs, the topic admin) comes from the ClusterImage; the replicated
// partitions run in a ReplicaManager driven by it; the KafkaController runs while this broker holds the
// claim. broker.ts loads this module only in cluster mode, so a single broker never loads etcd's client.
import type { BrokerConfig } from '../config/index.js';
import { KafkaController, DEFAULT_CONTROLLER_CONFIG, type KafkaControllerConfig } from '../controller/controller.js';
import type { ClusterView } from '../server/cluster-view.js';
import type { LeaderElections, PartitionReassignments } from '../server/partition-admin.js';
import type { BrokerContext } from '../server/context.js';
import { ReplicaManager } from '../replication/replica-manager.js';
import { registryLogSource } from '../replication/registry-logs.js';
import type { ReplicationConfig } from '../replication/types.js';
import type { TopicAdmin } from '../topics/topic-admin.js';
import type { ProducerIdSource } from '../server/producer-ids.js';
import { ClusterProducerIds } from './producer-id-blocks.js';
import type { TopicMetadata, TopicMetadataSource } from '../topics/metadata.js';
import { AdminError, type TopicRegistry } from '../topics/topic-registry.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { Logger } from '../util/log.js';
import { ClusterMember, etcdIsrStore } from './cluster-member.js';
import { interBrokerLink, type JaasConfigLookup } from './inter-broker-security.js';
import { clusterElections, clusterReassignments } from './cluster-partition-admin.js';
import { openClusterMetadata, type ClusterMetadata } from './cluster-metadata.js';
import { ClusterTopicAdmin } from './cluster-topic-admin.js';
import { EtcdControllerPort } from './controller-bridge.js';
import { ImageTopicMetadata, imageClusterView } from './image-metadata.js';

export { openClusterMetadata, type ClusterMetadata };
export { EtcdDynamicConfigStore, watchDynamicConfigs } from './etcd-dynamic-config-store.js';

/** What the handlers read in a cluster. */
export interface ClusterServices {
  readonly clusterView: ClusterView;
  readonly metadata: TopicMetadataSource;
  readonly topicAdmin: TopicAdmin;
  readonly elections: LeaderElections;
  readonly reassignments: PartitionReassignments;
  readonly producerIds: ProducerIdSource;
}

export function clusterServices(cluster: ClusterMetadata, config: BrokerConfig, topicRegistry: TopicRegistry, log: Logger): ClusterServices {
  const topicAdmin = new ClusterTopicAdmin({ store: cluster.store, image: cluster.image, config, checkConfigs: (o) => topicRegistry.checkConfigs(o) });
  // auto.create.topics.enable: the creation starts and Metadata answers LEADER_NOT_AVAILABLE meanwhile,
  // as Kafka does; the client asks again.
  const autoCreate = async (name: string): Promise<TopicMetadata | number> => {
    if (!config.get('auto.create.topics.enable')) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    try {
      await topicAdmin.createTopicAsync({ name, numPartitions: -1, replicationFactor: -1 }, true);
    } catch (e) {
      return e instanceof AdminError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR;
    }
    topicAdmin.createTopicAsync({ name, numPartitions: -1, replicationFactor: -1 }, false, 0).then(
      () => log.info(`auto-created topic ${name}`),
      (e: unknown) => {
        if (!(e instanceof AdminError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS)) log.warn(`auto-creating topic ${name} failed: ${(e as Error).message}`);
      },
    );
    return ErrorCode.LEADER_NOT_AVAILABLE;
  };
  const admin = { store: cluster.store, image: cluster.image };
  return {
    clusterView: imageClusterView(cluster.image),
    metadata: new ImageTopicMetadata(cluster.image, autoCreate),
    topicAdmin,
    elections: clusterElections(admin),
    reassignments: clusterReassignments(admin),
    producerIds: new ClusterProducerIds(cluster.store, config.nodeId),
  };
}

function replicationConfigOf(config: BrokerConfig): ReplicationConfig {
  return {
    replicaLagTimeMaxMs: config.get('replica.lag.time.max.ms'),
    replicaFetchMaxBytes: config.get('replica.fetch.max.bytes'),
    replicaFetchWaitMaxMs: config.get('replica.fetch.wait.max.ms'),
    replicaFetchMinBytes: config.get('replica.fetch.min.bytes'),
    replicaFetchResponseMaxBytes: config.get('replica.fetch.response.max.bytes'),
    replicaFetchBackoffMs: config.get('replica.fetch.backoff.ms'),
    numReplicaFetchers: config.get('num.replica.fetchers'),
    requestTimeoutMs: 30_000,
  };
}

function controllerConfigOf(config: BrokerConfig): KafkaControllerConfig {
  return {
    ...DEFAULT_CONTROLLER_CONFIG,
    uncleanLeaderElectionEnable: config.get('unclean.leader.election.enable'),
    autoLeaderRebalanceEnable: config.get('auto.leader.rebalance.enable'),
    leaderImbalancePerBrokerPercentage: config.get('leader.imbalance.per.broker.percentage'),
  };
}

/**
 * The replica manager (context.replicaManager), the controller and this broker's membership; call
 * `member.start()` once the listeners are bound and `member.shutdown()` first when the broker stops.
 */
export function attachClusterReplication(context: BrokerContext, cluster: ClusterMetadata, o: { jaasConfigOf?: JaasConfigLookup } = {}): ClusterMember {
  const { config, log } = context;
  // SASL_* inter-broker listeners: the credentials are the username and password of the listener's JAAS config.
  const jaasConfigOf: JaasConfigLookup = o.jaasConfigOf ?? ((l, mechanism) => config.saslJaasConfig(l, mechanism)?.text ?? null);
  // The listener and security replication connects with (checked now: a bad store fails the start).
  interBrokerLink(config, jaasConfigOf);
  let member: ClusterMember | undefined;
  const brokerEpoch = () => member?.brokerEpoch ?? -1;
  const replicaManager = new ReplicaManager({
    brokerId: context.nodeId,
    brokerEpoch,
    logs: registryLogSource(context.topicRegistry, log.child('replication')),
    isrStore: etcdIsrStore(cluster, context.nodeId, brokerEpoch),
    config: replicationConfigOf(config),
    logger: log.child('replication'),
    connect: async (c) => {
      // Built per connection: the stores are read as they are now (a reloaded key store included).
      const { security } = interBrokerLink(config, jaasConfigOf, (l) => context.dynamicSsl?.sslConfig(l) ?? config.sslConfig(l));
      return (await import('../client/connection.js')).Connection.connect({ ...c, security });
    },
  });
  context.replicaManager = replicaManager;
  const controller = new KafkaController(new EtcdControllerPort(cluster.store), controllerConfigOf(config), log.child('controller'));
  member = new ClusterMember({ cluster, context, replicaManager, controller, log: log.child('cluster') });
  return member;
}
