// A broker's link to the cluster metadata in etcd (Kafka's KafkaZkClient + MetadataCache): the store, the
// cluster id agreed with etcd, and the ClusterImage kept current by one watch from the snapshot's revision.
import type { BrokerConfig } from '../config/index.js';
import { ConfigError } from '../config/types.js';
import { randomKafkaUuid, storedClusterId } from '../server/meta-properties.js';
import type { Logger } from '../util/log.js';
import { ClusterImage } from './cluster-image.js';
import { EtcdMetadataStore } from './metadata-store.js';
import type { MetadataWatch } from './metadata-watch.js';
import { EtcdSecurityStore } from './etcd-security-store.js';
import { etcdTlsFromConfig } from './etcd-client.js';

export interface ClusterMetadata {
  readonly store: EtcdMetadataStore;
  readonly image: ClusterImage;
  /** The cluster id in etcd (/cluster/id), which this broker's log directories must hold. */
  readonly clusterId: string;
  /** ACLs, SCRAM credentials and client quotas, in etcd beside the metadata (closed with it). */
  readonly security: EtcdSecurityStore;
  close(): Promise<void>;
}

/**
 * Connects to etcd (`etcd.connect`), agrees on the cluster id (the stored one, or the configured one, or a
 * new one if etcd has none yet; a log directory or config naming another cluster stops the broker, as
 * Kafka's InconsistentClusterIdException), and loads the image. etcd.ssl.* make the connection TLS.
 */
export async function openClusterMetadata(config: BrokerConfig, log: Logger): Promise<ClusterMetadata> {
  const connect = config.get('etcd.connect');
  if (connect === null) throw new ConfigError('etcd.connect', 'not set');
  // The security store shares the metadata store's client (its namespace), so one TLS setup serves both.
  const tls = etcdTlsFromConfig(config);
  const store = await EtcdMetadataStore.connect(connect, { tls });
  try {
    const stored = storedClusterId(config.logDirs);
    const configured = config.get('cluster.id');
    const clusterId = await store.getOrCreateClusterId(stored ?? configured ?? randomKafkaUuid());
    if (stored !== null && stored !== clusterId)
      throw new ConfigError('cluster.id', `The cluster id ${clusterId} in etcd (${connect}) doesn't match ${stored} stored in meta.properties: these log directories belong to another cluster`);
    if (configured !== null && configured !== clusterId)
      throw new ConfigError('cluster.id', `Configured cluster.id ${configured} doesn't match the cluster id ${clusterId} in etcd (${connect})`);
    const snapshot = await store.loadSnapshot();
    const image = ClusterImage.fromSnapshot(snapshot, (e) => log.error(e.message));
    const watch: MetadataWatch = store.watch(snapshot.revision + 1, (batch) => image.apply(batch), (e) => log.warn(`etcd watch: ${e.message}`));
    const security = await EtcdSecurityStore.open(store.namespace, { onError: (e) => log.warn(`security metadata: ${e.message}`) }).catch(async (e: unknown) => {
      await watch.close();
      throw e;
    });
    log.info(`cluster metadata from etcd ${connect}: cluster.id ${clusterId}, ${image.brokers.size} live broker(s), ${image.topics.size} topic(s)`);
    return {
      store,
      image,
      clusterId,
      security,
      async close() {
        await security.close();
        await watch.close();
        await store.close();
      },
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}
