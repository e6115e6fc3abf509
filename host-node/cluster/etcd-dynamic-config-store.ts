// The dynamic broker configs in a cluster: etcd's /config/brokers/<id> and /config/brokers/<default>, in
// Kafka's ZooKeeper JSON ({"version":1,"config":{…}}), read from the cluster image (loaded from etcd before
// the logs open) and written with the conditional write of /config/topics (the last writer wins; a conflict
// only means the image was behind). Every broker's image follows the watch: a change of the default made
// on any broker reaches the others through watchDynamicConfigs().
import { ErrorCode } from '../../protocol/errors.js';
import { DEFAULT_ENTITY, type DynamicBrokerConfigs, type DynamicConfigStore, type StoredDynamicConfigs } from '../server/dynamic-broker-config.js';
import { AdminError } from '../topics/topic-registry.js';
import type { ClusterMetadata } from './cluster-metadata.js';
import { waitForImage } from './image-wait.js';

const MAX_WRITE_ATTEMPTS = 5;
const CONFLICT_BACKOFF_MS = 50;
/** How long a write waits for this broker's image to show it. */
const IMAGE_WAIT_MS = 10_000;

export class EtcdDynamicConfigStore implements DynamicConfigStore {
  constructor(
    private readonly cluster: Pick<ClusterMetadata, 'store' | 'image'>,
    private readonly nodeId: number,
  ) {}

  load(): StoredDynamicConfigs {
    const b = this.cluster.image.brokerConfigs;
    return { broker: b.get(String(this.nodeId))?.config ?? {}, default: b.get(DEFAULT_ENTITY)?.config ?? {} };
  }

  async write(entity: 'broker' | 'default', configs: Readonly<Record<string, string>>): Promise<void> {
    const name = entity === 'default' ? DEFAULT_ENTITY : String(this.nodeId);
    const { store, image } = this.cluster;
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      let r: Awaited<ReturnType<typeof store.updateBrokerConfig>>;
      try {
        r = await store.updateBrokerConfig(name, configs, image.brokerConfigs.get(name)?.modRevision ?? 0);
      } catch (e) {
        throw new AdminError(ErrorCode.REQUEST_TIMED_OUT, `The cluster metadata store (etcd) did not take the change: ${(e as Error).message}`);
      }
      if (r.ok) {
        await waitForImage(image, (img) => img.revision >= r.revision, IMAGE_WAIT_MS);
        return;
      }
      await waitForImage(image, () => false, CONFLICT_BACKOFF_MS);
    }
    throw new AdminError(ErrorCode.UNKNOWN_SERVER_ERROR, `The dynamic configs of broker ${name} kept changing while being written.`);
  }
}

/** Puts every change of this broker's or the default's /config/brokers entry in force; returns the removal. */
export function watchDynamicConfigs(cluster: Pick<ClusterMetadata, 'image'>, nodeId: number, dynamic: DynamicBrokerConfigs, store: DynamicConfigStore): () => void {
  const mine = new Set([String(nodeId), DEFAULT_ENTITY]);
  return cluster.image.onChange((changes) => {
    if (changes.some((c) => c.type === 'brokerConfigChanged' && mine.has(c.entity))) dynamic.storeChanged(store.load());
  });
}
