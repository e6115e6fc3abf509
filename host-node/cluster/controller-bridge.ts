// The KafkaController (host-node/controller/) on etcd: its port over the metadata store (one read of the
// whole metadata; every commit one transaction fenced by the controller epoch's mod revision and by the
// expected mod revision of each key it writes), and the translation of the ClusterImage's changes into
// the controller's events.
import { invariant } from '../../common/invariant.js';
import type { ControllerEvent } from '../controller/controller-events.js';
import type { CommitResult, ControllerPort, MetadataWrite } from '../controller/controller-port.js';
import type { ControllerImage, PartitionAssignment, PartitionState, TopicRecord, Versioned } from '../controller/types.js';
import { partitionKey } from '../controller/types.js';
import { ClusterImage, type TopicImage } from './cluster-image.js';
import * as K from './keys.js';
import type { FencedOp, EtcdMetadataStore } from './metadata-store.js';
import * as R from './records.js';

export function topicRecordOf(t: TopicImage): Versioned<TopicRecord> {
  const partitions: PartitionAssignment[] = t.partitions.map((replicas, p) => ({
    replicas: [...replicas],
    adding: [...(t.adding.get(p) ?? [])],
    removing: [...(t.removing.get(p) ?? [])],
  }));
  return { value: { name: t.name, topicId: t.topicId, partitions }, modRevision: t.modRevision };
}

function topicAssignmentOf(t: TopicRecord): R.TopicAssignment {
  const adding = new Map<number, number[]>();
  const removing = new Map<number, number[]>();
  t.partitions.forEach((a, p) => {
    if (a.adding.length > 0) adding.set(p, [...a.adding]);
    if (a.removing.length > 0) removing.set(p, [...a.removing]);
  });
  return { topicId: t.topicId, partitions: t.partitions.map((a) => [...a.replicas]), adding, removing };
}

function partitionStateOf(image: ClusterImage, topic: string, partition: number): PartitionState | null {
  const s = image.partitionState(topic, partition);
  return s ? { leader: s.leader, leaderEpoch: s.leaderEpoch, isr: [...s.isr], controllerEpoch: s.controllerEpoch, partitionEpoch: s.partitionEpoch } : null;
}

/** Everything the controller decides on, from a broker's image. */
export function controllerImageOf(image: ClusterImage): ControllerImage {
  const brokers = new Map([...image.brokers.values()].map((b) => [b.brokerId, { id: b.brokerId, rack: b.rack, epoch: b.brokerEpoch }] as const));
  const topics = new Map([...image.topics.values()].map((t) => [t.name, topicRecordOf(t)] as const));
  const topicConfigs = new Map([...image.topicConfigs].map(([name, c]) => [name, { value: c.config, modRevision: c.modRevision }] as const));
  const partitions = new Map<string, PartitionState>();
  for (const [topic, states] of image.partitionStates) for (const p of states.keys()) partitions.set(partitionKey(topic, p), partitionStateOf(image, topic, p)!);
  const out: ControllerImage = { brokers, topics, topicConfigs, partitions, deletions: new Map(), reassignments: new Map(), elections: new Map(), shutdowns: new Map() };
  for (const [key, value] of image.adminRequests) {
    const e = adminEventOf(key, value, image.modRevisionOf(key));
    if (e === null) continue;
    if (e.type === 'DeleteTopicRequested') (out.deletions as Map<string, Versioned<null>>).set(e.topic, { value: null, modRevision: e.modRevision });
    else if (e.type === 'ReassignmentRequested') (out.reassignments as Map<string, unknown>).set(partitionKey(e.request.value.topic, e.request.value.partition), e.request);
    else if (e.type === 'ElectionRequested') (out.elections as Map<string, unknown>).set(partitionKey(e.request.value.topic, e.request.value.partition), e.request);
    else if (e.type === 'ControlledShutdownRequested') (out.shutdowns as Map<number, unknown>).set(e.request.value.brokerId, e.request);
  }
  return out;
}

/** An /admin/* request as the controller's event (null: malformed, ignored with the image's report). */
function adminEventOf(key: string, value: string, modRevision: number): ControllerEvent | null {
  const k = K.parseMetadataKey(key);
  try {
    switch (k?.kind) {
      case 'deleteTopicRequest':
        return { type: 'DeleteTopicRequested', topic: k.topic, modRevision };
      case 'reassignRequest': {
        const target = R.decodeReassignRequest(key, value);
        return { type: 'ReassignmentRequested', request: { value: { topic: k.topic, partition: k.partition, target }, modRevision } };
      }
      case 'electRequest':
        return { type: 'ElectionRequested', request: { value: { topic: k.topic, partition: k.partition, type: R.decodeElectRequest(key, value) }, modRevision } };
      case 'shutdownRequest':
        return { type: 'ControlledShutdownRequested', request: { value: { brokerId: k.brokerId, brokerEpoch: R.decodeShutdownRequest(key, value) }, modRevision } };
      default:
        return null;
    }
  } catch (e) {
    if (e instanceof R.MetadataRecordError) return null;
    throw e;
  }
}

/**
 * Translates the image's changes into controller events. Keeps the broker epochs it has seen, so a broker
 * whose registration is gone expires with the epoch the controller knew it by.
 */
export class ControllerEventSource {
  private readonly brokerEpochs = new Map<number, number>();

  constructor(image: ClusterImage) {
    for (const b of image.brokers.values()) this.brokerEpochs.set(b.brokerId, b.brokerEpoch);
  }

  eventsOf(changes: readonly import('./cluster-image.js').ImageChange[], image: ClusterImage): ControllerEvent[] {
    const out: ControllerEvent[] = [];
    for (const c of changes) {
      switch (c.type) {
        case 'brokerAdded':
        case 'brokerChanged': {
          const b = image.brokers.get(c.brokerId);
          if (!b) break;
          this.brokerEpochs.set(b.brokerId, b.brokerEpoch);
          out.push({ type: 'BrokerRegistered', broker: { id: b.brokerId, rack: b.rack, epoch: b.brokerEpoch } });
          break;
        }
        case 'brokerRemoved': {
          const epoch = this.brokerEpochs.get(c.brokerId);
          this.brokerEpochs.delete(c.brokerId);
          if (epoch !== undefined) out.push({ type: 'BrokerExpired', brokerId: c.brokerId, brokerEpoch: epoch });
          break;
        }
        case 'topicAdded':
        case 'topicChanged':
        case 'topicRemoved': {
          const t = image.topics.get(c.topic);
          out.push({ type: 'TopicChanged', topic: c.topic, record: t ? topicRecordOf(t) : null });
          break;
        }
        case 'topicConfigChanged': {
          const cfg = image.topicConfigs.get(c.topic);
          out.push({ type: 'TopicConfigChanged', topic: c.topic, config: cfg ? { value: cfg.config, modRevision: cfg.modRevision } : null });
          break;
        }
        case 'partitionStateChanged':
        case 'partitionStateRemoved':
          out.push({ type: 'PartitionStateChanged', topic: c.topic, partition: c.partition, state: partitionStateOf(image, c.topic, c.partition) });
          break;
        case 'adminRequestAdded': {
          const key = keyOfAdmin(c.key);
          const e = adminEventOf(key, c.value ?? '', image.modRevisionOf(key));
          if (e) out.push(e);
          break;
        }
        default:
          break;
      }
    }
    return out;
  }
}

/** The etcd key of a parsed admin request key. */
function keyOfAdmin(k: K.MetadataKey): string {
  switch (k.kind) {
    case 'deleteTopicRequest':
      return K.deleteTopicRequestKey(k.topic);
    case 'reassignRequest':
      return K.reassignRequestKey(k.topic, k.partition);
    case 'electRequest':
      return K.electRequestKey(k.topic, k.partition);
    case 'shutdownRequest':
      return K.shutdownRequestKey(k.brokerId);
    default:
      throw new Error(`not an admin request key: ${k.kind}`);
  }
}

/** The controller's writes as the store's fenced operations. */
export function fencedOpsOf(writes: readonly MetadataWrite[]): FencedOp[] {
  return writes.map((w): FencedOp => {
    switch (w.kind) {
      case 'putPartitionState':
        return {
          key: K.partitionStateKey(w.topic, w.partition),
          expectedModRevision: w.expectedRevision,
          value: R.encodePartitionState({ ...w.state, isr: [...w.state.isr], leaderRecoveryState: 0 }),
        };
      case 'deletePartitionState':
        return { key: K.partitionStateKey(w.topic, w.partition), expectedModRevision: w.expectedRevision, value: null };
      case 'putTopic':
        return { key: K.topicKey(w.topic.name), expectedModRevision: w.expectedRevision, value: R.encodeTopic(topicAssignmentOf(w.topic)) };
      case 'deleteTopic':
        return { key: K.topicKey(w.topic), expectedModRevision: w.expectedRevision, value: null };
      case 'deleteTopicConfig':
        return { key: K.topicConfigKey(w.topic), expectedModRevision: w.expectedRevision, value: null };
      case 'deleteDeletionRequest':
        return { key: K.deleteTopicRequestKey(w.topic), expectedModRevision: w.expectedRevision, value: null };
      case 'deleteReassignmentRequest':
        return { key: K.reassignRequestKey(w.topic, w.partition), expectedModRevision: w.expectedRevision, value: null };
      case 'deleteElectionRequest':
        return { key: K.electRequestKey(w.topic, w.partition), expectedModRevision: w.expectedRevision, value: null };
      case 'deleteShutdownRequest':
        return { key: K.shutdownRequestKey(w.brokerId), expectedModRevision: w.expectedRevision, value: null };
    }
  });
}

/** The controller's port over etcd. */
export class EtcdControllerPort implements ControllerPort {
  constructor(private readonly store: EtcdMetadataStore) {}

  async load(): Promise<ControllerImage> {
    return controllerImageOf(ClusterImage.fromSnapshot(await this.store.loadSnapshot()));
  }

  async commit(fence: number, writes: readonly MetadataWrite[]): Promise<CommitResult> {
    invariant(writes.length > 0, 'a controller commit writes something');
    const r = await this.store.commitFenced(fence, fencedOpsOf(writes));
    return r.ok ? { status: 'ok', revision: r.revision } : { status: r.reason };
  }
}
