// The etcd keys of the cluster metadata, relative to the chroot of etcd.connect (every key starts with
// '/'), in Kafka's ZooKeeper layout; and the reverse: which entity a key names. Topic names never hold a
// '/' (Kafka's legal characters), so a key splits unambiguously.
import { invariant } from '../../common/invariant.js';

export const CLUSTER_ID_KEY = '/cluster/id';
export const CONTROLLER_KEY = '/controller';
export const CONTROLLER_EPOCH_KEY = '/controller_epoch';
/** Kafka's /latest_producer_id_block: the last block of producer ids a broker took (ids are unique cluster-wide). */
export const PRODUCER_ID_BLOCK_KEY = '/latest_producer_id_block';
/** Every metadata key starts with this (the watch and the snapshot read cover it). */
export const ROOT_PREFIX = '/';

const LEGAL_TOPIC_RE = /^[A-Za-z0-9._-]+$/;
function t(topic: string): string {
  invariant(LEGAL_TOPIC_RE.test(topic), `topic name ${JSON.stringify(topic)} is checked before it reaches the metadata store`);
  return topic;
}

export const brokerKey = (brokerId: number): string => `/brokers/ids/${brokerId}`;
export const topicKey = (topic: string): string => `/brokers/topics/${t(topic)}`;
/** The prefix of a topic's partition state keys (ends with '/', so `t` never matches `t2`). */
export const topicPartitionsPrefix = (topic: string): string => `/brokers/topics/${t(topic)}/partitions/`;
export const partitionStateKey = (topic: string, partition: number): string => `${topicPartitionsPrefix(topic)}${partition}/state`;
export const topicConfigKey = (topic: string): string => `/config/topics/${t(topic)}`;
/** Kafka's /config/brokers/<id> (one broker's dynamic configs) and /config/brokers/<default> (the cluster-wide default). */
export const brokerConfigKey = (entity: string): string => {
  invariant(entity === '<default>' || /^(0|[1-9]\d{0,9})$/.test(entity), `broker config entity ${JSON.stringify(entity)} is a broker id or <default>`);
  return `/config/brokers/${entity}`;
};
export const deleteTopicRequestKey = (topic: string): string => `/admin/delete_topics/${t(topic)}`;
export const reassignRequestKey = (topic: string, partition: number): string => `/admin/reassign/${t(topic)}/${partition}`;
export const electRequestKey = (topic: string, partition: number): string => `/admin/elect/${t(topic)}/${partition}`;
export const shutdownRequestKey = (brokerId: number): string => `/admin/shutdown/${brokerId}`;

export type MetadataKey =
  | { readonly kind: 'clusterId' }
  | { readonly kind: 'controller' }
  | { readonly kind: 'controllerEpoch' }
  | { readonly kind: 'broker'; readonly brokerId: number }
  | { readonly kind: 'topic'; readonly topic: string }
  | { readonly kind: 'partitionState'; readonly topic: string; readonly partition: number }
  | { readonly kind: 'topicConfig'; readonly topic: string }
  /** entity: a broker id, or '<default>'. */
  | { readonly kind: 'brokerConfig'; readonly entity: string }
  | { readonly kind: 'deleteTopicRequest'; readonly topic: string }
  | { readonly kind: 'reassignRequest'; readonly topic: string; readonly partition: number }
  | { readonly kind: 'electRequest'; readonly topic: string; readonly partition: number }
  | { readonly kind: 'shutdownRequest'; readonly brokerId: number };

const NAME = '([A-Za-z0-9._-]+)';
const NUM = '(0|[1-9]\\d{0,9})';
const PATTERNS: [RegExp, (m: RegExpExecArray) => MetadataKey][] = [
  [/^\/cluster\/id$/, () => ({ kind: 'clusterId' })],
  [/^\/controller$/, () => ({ kind: 'controller' })],
  [/^\/controller_epoch$/, () => ({ kind: 'controllerEpoch' })],
  [new RegExp(`^/brokers/ids/${NUM}$`), (m) => ({ kind: 'broker', brokerId: Number(m[1]) })],
  [new RegExp(`^/brokers/topics/${NAME}$`), (m) => ({ kind: 'topic', topic: m[1]! })],
  [new RegExp(`^/brokers/topics/${NAME}/partitions/${NUM}/state$`), (m) => ({ kind: 'partitionState', topic: m[1]!, partition: Number(m[2]) })],
  [new RegExp(`^/config/topics/${NAME}$`), (m) => ({ kind: 'topicConfig', topic: m[1]! })],
  [new RegExp(`^/config/brokers/(<default>|${NUM.slice(1, -1)})$`), (m) => ({ kind: 'brokerConfig', entity: m[1]! })],
  [new RegExp(`^/admin/delete_topics/${NAME}$`), (m) => ({ kind: 'deleteTopicRequest', topic: m[1]! })],
  [new RegExp(`^/admin/reassign/${NAME}/${NUM}$`), (m) => ({ kind: 'reassignRequest', topic: m[1]!, partition: Number(m[2]) })],
  [new RegExp(`^/admin/elect/${NAME}/${NUM}$`), (m) => ({ kind: 'electRequest', topic: m[1]!, partition: Number(m[2]) })],
  [new RegExp(`^/admin/shutdown/${NUM}$`), (m) => ({ kind: 'shutdownRequest', brokerId: Number(m[1]) })],
];

/** Which entity `key` names, or null for a key outside the layout (ignored by readers). */
export function parseMetadataKey(key: string): MetadataKey | null {
  for (const [re, make] of PATTERNS) {
    const m = re.exec(key);
    if (m) return make(m);
  }
  return null;
}
