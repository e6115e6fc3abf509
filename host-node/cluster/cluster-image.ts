// Every broker's in-memory view of the cluster metadata: built from one snapshot and kept current by the
// watch's batches, with listeners told what changed. No etcd here: it is fed entries and events, so it is
// unit-testable. A malformed value is reported (with its key) and its entity treated as absent.
import { invariant } from '../../common/invariant.js';
import { CONTROLLER_EPOCH_KEY, parseMetadataKey, type MetadataKey } from './keys.js';
import * as R from './records.js';
import type { MetadataEvent, MetadataSnapshot, WatchBatch } from './metadata-watch.js';

export interface BrokerImage extends R.BrokerRegistration {
  /** The create revision of the broker's registration. */
  readonly brokerEpoch: number;
}

export interface TopicImage extends R.TopicAssignment {
  readonly name: string;
  /** Mod revision of /brokers/topics/<t> (for updateTopic). */
  readonly modRevision: number;
}

export interface PartitionStateImage extends R.PartitionState {
  /** The mod revision of the state key. */
  readonly partitionEpoch: number;
}

export interface ControllerImage {
  readonly brokerId: number;
  readonly epoch: number;
}

export type ImageChange =
  | { readonly type: 'brokerAdded' | 'brokerChanged' | 'brokerRemoved'; readonly brokerId: number }
  | { readonly type: 'controllerChanged'; readonly controller: ControllerImage | null }
  | { readonly type: 'topicAdded' | 'topicChanged' | 'topicRemoved' | 'topicConfigChanged'; readonly topic: string }
  | { readonly type: 'brokerConfigChanged'; readonly entity: string }
  | { readonly type: 'partitionStateChanged' | 'partitionStateRemoved'; readonly topic: string; readonly partition: number }
  | { readonly type: 'adminRequestAdded' | 'adminRequestRemoved'; readonly key: MetadataKey & { kind: `${string}Request` }; readonly value: string | null };

export type ImageListener = (changes: readonly ImageChange[], image: ClusterImage) => void;

interface RawEntry {
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
}

export class ClusterImage {
  readonly brokers = new Map<number, BrokerImage>();
  readonly topics = new Map<string, TopicImage>();
  readonly topicConfigs = new Map<string, { readonly config: Readonly<Record<string, string>>; readonly modRevision: number }>();
  /** Dynamic broker configs by entity (a broker id, or '<default>'): /config/brokers/<entity>. */
  readonly brokerConfigs = new Map<string, { readonly config: Readonly<Record<string, string>>; readonly modRevision: number }>();
  /** topic → partition → state. */
  readonly partitionStates = new Map<string, Map<number, PartitionStateImage>>();
  /** Pending /admin/* requests: key → raw value. */
  readonly adminRequests = new Map<string, string>();
  private controllerId: number | null = null;
  private controllerEpoch = 0;
  private controllerEpochRevision = 0;
  private readonly raw = new Map<string, RawEntry>();
  private readonly listeners = new Set<ImageListener>();
  private rev = 0;

  constructor(private readonly onInvalid: (e: R.MetadataRecordError) => void = () => {}) {}

  static fromSnapshot(snapshot: MetadataSnapshot, onInvalid?: (e: R.MetadataRecordError) => void): ClusterImage {
    const image = new ClusterImage(onInvalid);
    image.apply({ kind: 'reset', snapshot });
    return image;
  }

  /** The etcd revision the image reflects. */
  get revision(): number {
    return this.rev;
  }

  get controller(): ControllerImage | null {
    return this.controllerId === null ? null : { brokerId: this.controllerId, epoch: this.controllerEpoch };
  }

  /** The mod revision of /controller_epoch (0 if absent). */
  get controllerEpochModRevision(): number {
    return this.controllerEpochRevision;
  }

  /** The mod revision of a metadata key as the image last saw it (0: absent). */
  modRevisionOf(key: string): number {
    return this.raw.get(key)?.modRevision ?? 0;
  }

  partitionState(topic: string, partition: number): PartitionStateImage | undefined {
    return this.partitionStates.get(topic)?.get(partition);
  }

  /** Registers a listener for every applied batch that changed something; returns its removal. */
  onChange(listener: ImageListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies a watch batch (or a reset to a snapshot) and tells the listeners what changed. */
  apply(batch: WatchBatch): ImageChange[] {
    const events = batch.kind === 'events' ? batch.events : this.resetEvents(batch.snapshot);
    const revision = batch.kind === 'events' ? batch.revision : batch.snapshot.revision;
    invariant(revision >= this.rev, `metadata revision ${revision} goes back from ${this.rev}`);
    const changes: ImageChange[] = [];
    for (const e of events) this.applyEvent(e, changes);
    this.rev = revision;
    if (changes.length > 0) for (const l of this.listeners) l(changes, this);
    return changes;
  }

  /** The events that turn the current image into `snapshot`. */
  private resetEvents(snapshot: MetadataSnapshot): MetadataEvent[] {
    const events: MetadataEvent[] = [];
    const present = new Set<string>();
    for (const e of snapshot.entries) {
      present.add(e.key);
      const old = this.raw.get(e.key);
      if (old && old.modRevision === e.modRevision) continue;
      events.push({ type: 'put', key: e.key, value: e.value, createRevision: e.createRevision, modRevision: e.modRevision });
    }
    for (const key of this.raw.keys())
      if (!present.has(key)) events.push({ type: 'delete', key, value: null, createRevision: 0, modRevision: snapshot.revision });
    return events;
  }

  private applyEvent(e: MetadataEvent, changes: ImageChange[]): void {
    const key = parseMetadataKey(e.key);
    if (key === null) return;
    if (e.type === 'put') this.raw.set(e.key, { value: e.value ?? '', createRevision: e.createRevision, modRevision: e.modRevision });
    else this.raw.delete(e.key);
    try {
      this.applyKey(key, e, changes);
    } catch (err) {
      if (!(err instanceof R.MetadataRecordError)) throw err;
      this.onInvalid(err);
      this.applyKey(key, { ...e, type: 'delete', value: null }, changes);
    }
  }

  private applyKey(key: MetadataKey, e: MetadataEvent, changes: ImageChange[]): void {
    switch (key.kind) {
      case 'clusterId':
        return;
      case 'broker':
        return this.applyBroker(key.brokerId, e, changes);
      case 'controller':
      case 'controllerEpoch':
        return this.applyController(key.kind, e, changes);
      case 'topic':
        return this.applyTopic(key.topic, e, changes);
      case 'topicConfig':
        return this.applyTopicConfig(key.topic, e, changes);
      case 'brokerConfig':
        return this.applyBrokerConfig(key.entity, e, changes);
      case 'partitionState':
        return this.applyPartitionState(key.topic, key.partition, e, changes);
      default:
        return this.applyAdminRequest(key, e, changes);
    }
  }

  private applyBroker(brokerId: number, e: MetadataEvent, changes: ImageChange[]): void {
    const had = this.brokers.has(brokerId);
    if (e.type === 'delete') {
      if (had) changes.push({ type: 'brokerRemoved', brokerId });
      this.brokers.delete(brokerId);
      return;
    }
    const reg = R.decodeBrokerRegistration(e.key, brokerId, e.value!);
    const old = this.brokers.get(brokerId);
    // A new registration (new lease) of the same id has a new create revision: a new broker epoch.
    if (old && old.brokerEpoch !== e.createRevision) changes.push({ type: 'brokerRemoved', brokerId });
    this.brokers.set(brokerId, { ...reg, brokerEpoch: e.createRevision });
    changes.push({ type: old && old.brokerEpoch === e.createRevision ? 'brokerChanged' : 'brokerAdded', brokerId });
  }

  private applyController(kind: 'controller' | 'controllerEpoch', e: MetadataEvent, changes: ImageChange[]): void {
    const before = this.controller;
    if (kind === 'controller') this.controllerId = e.type === 'put' ? R.decodeController(e.key, e.value!) : null;
    else {
      this.controllerEpoch = e.type === 'put' ? R.decodeControllerEpoch(CONTROLLER_EPOCH_KEY, e.value!) : 0;
      this.controllerEpochRevision = e.type === 'put' ? e.modRevision : 0;
    }
    const after = this.controller;
    if (before?.brokerId !== after?.brokerId || before?.epoch !== after?.epoch) changes.push({ type: 'controllerChanged', controller: after });
  }

  private applyTopic(topic: string, e: MetadataEvent, changes: ImageChange[]): void {
    const had = this.topics.has(topic);
    if (e.type === 'delete') {
      this.topics.delete(topic);
      if (had) changes.push({ type: 'topicRemoved', topic });
      return;
    }
    this.topics.set(topic, { ...R.decodeTopic(e.key, e.value!), name: topic, modRevision: e.modRevision });
    changes.push({ type: had ? 'topicChanged' : 'topicAdded', topic });
  }

  private applyTopicConfig(topic: string, e: MetadataEvent, changes: ImageChange[]): void {
    if (e.type === 'delete') {
      if (!this.topicConfigs.delete(topic)) return;
    } else this.topicConfigs.set(topic, { config: R.decodeTopicConfig(e.key, e.value!), modRevision: e.modRevision });
    changes.push({ type: 'topicConfigChanged', topic });
  }

  private applyBrokerConfig(entity: string, e: MetadataEvent, changes: ImageChange[]): void {
    if (e.type === 'delete') {
      if (!this.brokerConfigs.delete(entity)) return;
    } else this.brokerConfigs.set(entity, { config: R.decodeTopicConfig(e.key, e.value!), modRevision: e.modRevision });
    changes.push({ type: 'brokerConfigChanged', entity });
  }

  private applyPartitionState(topic: string, partition: number, e: MetadataEvent, changes: ImageChange[]): void {
    let states = this.partitionStates.get(topic);
    if (e.type === 'delete') {
      if (!states?.delete(partition)) return;
      if (states.size === 0) this.partitionStates.delete(topic);
      changes.push({ type: 'partitionStateRemoved', topic, partition });
      return;
    }
    const state = R.decodePartitionState(e.key, e.value!);
    if (!states) this.partitionStates.set(topic, (states = new Map()));
    states.set(partition, { ...state, partitionEpoch: e.modRevision });
    changes.push({ type: 'partitionStateChanged', topic, partition });
  }

  private applyAdminRequest(key: MetadataKey, e: MetadataEvent, changes: ImageChange[]): void {
    const k = key as MetadataKey & { kind: `${string}Request` };
    if (e.type === 'delete') {
      if (this.adminRequests.delete(e.key)) changes.push({ type: 'adminRequestRemoved', key: k, value: null });
      return;
    }
    this.adminRequests.set(e.key, e.value!);
    changes.push({ type: 'adminRequestAdded', key: k, value: e.value });
  }
}
