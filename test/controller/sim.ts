// A deterministic simulation of the controller's world: an in-memory store with etcd's compare-and-swap
// semantics (one global revision, create/mod revisions per key, all-or-nothing transactions, a watch that
// sees every change in order), the cluster design's keys and JSON, a ControllerPort over it, simulated
// brokers that register and expire, leaders that change their ISR, and controllers that claim with a
// fence. Invariants are checked on every committed transaction and after every step.
import { KafkaController, DEFAULT_CONTROLLER_CONFIG, type KafkaControllerConfig } from '../../host-node/controller/controller.js';
import type { ControllerEvent } from '../../host-node/controller/controller-events.js';
import type { CommitResult, ControllerPort, MetadataWrite } from '../../host-node/controller/controller-port.js';
import { emptyImage, NO_LEADER, partitionKey, type ControllerImage, type PartitionState, type TopicRecord } from '../../host-node/controller/types.js';

interface Entry {
  readonly value: string;
  readonly create: number;
  readonly mod: number;
}

export type Op = { readonly put: string; readonly value: string } | { readonly del: string };
export interface Compare {
  readonly key: string;
  readonly mod?: number;
  readonly create?: number;
}

/** etcd's data model in memory: a global revision; a failed compare applies nothing. */
export class MemoryStore {
  revision = 0;
  readonly kv = new Map<string, Entry>();
  /** Called before a successful transaction applies, with the ops. */
  beforeCommit: (ops: readonly Op[]) => void = () => {};
  private readonly watchers: ((key: string, now: Entry | null, prev: Entry | null) => void)[] = [];

  watch(w: (key: string, now: Entry | null, prev: Entry | null) => void): void {
    this.watchers.push(w);
  }

  txn(compares: readonly Compare[], ops: readonly Op[]): number | null {
    for (const c of compares) {
      const e = this.kv.get(c.key);
      if (c.mod !== undefined && (e?.mod ?? 0) !== c.mod) return null;
      if (c.create !== undefined && (e?.create ?? 0) !== c.create) return null;
    }
    this.beforeCommit(ops);
    const rev = ++this.revision;
    const changes: [string, Entry | null, Entry | null][] = [];
    for (const op of ops) {
      const prev = this.kv.get('put' in op ? op.put : op.del) ?? null;
      if ('put' in op) {
        const now = { value: op.value, create: prev?.create ?? rev, mod: rev };
        this.kv.set(op.put, now);
        changes.push([op.put, now, prev]);
      } else if (prev !== null) {
        this.kv.delete(op.del);
        changes.push([op.del, null, prev]);
      }
    }
    for (const [k, now, prev] of changes) for (const w of this.watchers) w(k, now, prev);
    return rev;
  }

  json(key: string): unknown {
    const e = this.kv.get(key);
    return e === undefined ? undefined : JSON.parse(e.value);
  }
}

// ---- the design's keys and JSON ----

export const keys = {
  controller: '/controller',
  controllerEpoch: '/controller_epoch',
  broker: (id: number) => `/brokers/ids/${id}`,
  topic: (t: string) => `/brokers/topics/${t}`,
  state: (t: string, p: number) => `/brokers/topics/${t}/partitions/${p}/state`,
  config: (t: string) => `/config/topics/${t}`,
  deletion: (t: string) => `/admin/delete_topics/${t}`,
  reassign: (t: string, p: number) => `/admin/reassign/${t}/${p}`,
  elect: (t: string, p: number) => `/admin/elect/${t}/${p}`,
  shutdown: (id: number) => `/admin/shutdown/${id}`,
};

export function topicJson(t: TopicRecord): string {
  const m = (f: (i: number) => readonly number[]) => Object.fromEntries(t.partitions.map((_a, i) => [String(i), f(i)]).filter(([, v]) => (v as number[]).length > 0));
  return JSON.stringify({
    version: 3,
    topic_id: t.topicId,
    partitions: Object.fromEntries(t.partitions.map((a, i) => [String(i), a.replicas])),
    adding_replicas: m((i) => t.partitions[i]!.adding),
    removing_replicas: m((i) => t.partitions[i]!.removing),
  });
}

export function parseTopic(name: string, json: string): TopicRecord {
  const j = JSON.parse(json) as { topic_id: string; partitions: Record<string, number[]>; adding_replicas: Record<string, number[]>; removing_replicas: Record<string, number[]> };
  const n = Object.keys(j.partitions).length;
  const partitions = Array.from({ length: n }, (_, i) => ({ replicas: j.partitions[i]!, adding: j.adding_replicas[i] ?? [], removing: j.removing_replicas[i] ?? [] }));
  return { name, topicId: j.topic_id, partitions };
}

export function stateJson(s: { leader: number; leaderEpoch: number; isr: readonly number[]; controllerEpoch: number }): string {
  return JSON.stringify({ controller_epoch: s.controllerEpoch, leader: s.leader, version: 1, leader_epoch: s.leaderEpoch, isr: s.isr, leader_recovery_state: 0 });
}

export function parseState(e: Entry): PartitionState {
  const j = JSON.parse(e.value) as { controller_epoch: number; leader: number; leader_epoch: number; isr: number[] };
  return { leader: j.leader, leaderEpoch: j.leader_epoch, isr: j.isr, controllerEpoch: j.controller_epoch, partitionEpoch: e.mod };
}

/** The ControllerImage of the store (one consistent read). */
export function readImage(store: MemoryStore): ControllerImage {
  const img = emptyImage() as { -readonly [K in keyof ControllerImage]: Map<unknown, unknown> };
  for (const [k, e] of store.kv) {
    const p = k.split('/');
    const j = () => JSON.parse(e.value);
    if (p[1] === 'brokers' && p[2] === 'ids') img.brokers.set(Number(p[3]), { id: Number(p[3]), rack: j().rack ?? null, epoch: e.create });
    else if (p[1] === 'brokers' && p[2] === 'topics' && p.length === 4) img.topics.set(p[3], { value: parseTopic(p[3]!, e.value), modRevision: e.mod });
    else if (p[1] === 'brokers' && p[2] === 'topics' && p[6] === 'state') img.partitions.set(partitionKey(p[3]!, Number(p[5])), parseState(e));
    else if (p[1] === 'config' && p[2] === 'topics') img.topicConfigs.set(p[3], { value: j().config, modRevision: e.mod });
    else if (p[1] === 'admin' && p[2] === 'delete_topics') img.deletions.set(p[3], { value: null, modRevision: e.mod });
    else if (p[1] === 'admin' && p[2] === 'reassign')
      img.reassignments.set(partitionKey(p[3]!, Number(p[4])), { value: { topic: p[3]!, partition: Number(p[4]), target: j().target }, modRevision: e.mod });
    else if (p[1] === 'admin' && p[2] === 'elect')
      img.elections.set(partitionKey(p[3]!, Number(p[4])), { value: { topic: p[3]!, partition: Number(p[4]), type: j().type }, modRevision: e.mod });
    else if (p[1] === 'admin' && p[2] === 'shutdown') img.shutdowns.set(Number(p[3]), { value: { brokerId: Number(p[3]), brokerEpoch: j().broker_epoch }, modRevision: e.mod });
  }
  return img as unknown as ControllerImage;
}

/** The watch event a change of `key` means to a controller, or null. */
export function eventFor(key: string, now: Entry | null, prev: Entry | null): ControllerEvent | null {
  const p = key.split('/');
  const j = () => JSON.parse(now!.value);
  if (p[1] === 'brokers' && p[2] === 'ids') {
    const id = Number(p[3]);
    return now === null ? { type: 'BrokerExpired', brokerId: id, brokerEpoch: prev!.create } : { type: 'BrokerRegistered', broker: { id, rack: j().rack ?? null, epoch: now.create } };
  }
  if (p[1] === 'brokers' && p[2] === 'topics' && p.length === 4)
    return { type: 'TopicChanged', topic: p[3]!, record: now === null ? null : { value: parseTopic(p[3]!, now.value), modRevision: now.mod } };
  if (p[1] === 'brokers' && p[2] === 'topics' && p[6] === 'state')
    return { type: 'PartitionStateChanged', topic: p[3]!, partition: Number(p[5]), state: now === null ? null : parseState(now) };
  if (p[1] === 'config') return { type: 'TopicConfigChanged', topic: p[3]!, config: now === null ? null : { value: j().config, modRevision: now.mod } };
  if (now === null || p[1] !== 'admin') return null;
  if (p[2] === 'delete_topics') return { type: 'DeleteTopicRequested', topic: p[3]!, modRevision: now.mod };
  if (p[2] === 'reassign') return { type: 'ReassignmentRequested', request: { value: { topic: p[3]!, partition: Number(p[4]), target: j().target }, modRevision: now.mod } };
  if (p[2] === 'elect') return { type: 'ElectionRequested', request: { value: { topic: p[3]!, partition: Number(p[4]), type: j().type }, modRevision: now.mod } };
  if (p[2] === 'shutdown') return { type: 'ControlledShutdownRequested', request: { value: { brokerId: Number(p[3]), brokerEpoch: j().broker_epoch }, modRevision: now.mod } };
  return null;
}

function writeToTxn(w: MetadataWrite): { compare: Compare; op: Op } {
  const del = (key: string) => ({ compare: { key, mod: w.expectedRevision }, op: { del: key } });
  switch (w.kind) {
    case 'putPartitionState':
      return { compare: { key: keys.state(w.topic, w.partition), mod: w.expectedRevision }, op: { put: keys.state(w.topic, w.partition), value: stateJson(w.state) } };
    case 'putTopic':
      return { compare: { key: keys.topic(w.topic.name), mod: w.expectedRevision }, op: { put: keys.topic(w.topic.name), value: topicJson(w.topic) } };
    case 'deletePartitionState':
      return del(keys.state(w.topic, w.partition));
    case 'deleteTopic':
      return del(keys.topic(w.topic));
    case 'deleteTopicConfig':
      return del(keys.config(w.topic));
    case 'deleteDeletionRequest':
      return del(keys.deletion(w.topic));
    case 'deleteReassignmentRequest':
      return del(keys.reassign(w.topic, w.partition));
    case 'deleteElectionRequest':
      return del(keys.elect(w.topic, w.partition));
    case 'deleteShutdownRequest':
      return del(keys.shutdown(w.brokerId));
  }
}

/**
 * The port over the memory store, one per controller: every commit compares the fence and each key's
 * expected revision. `yields` microtask pauses before each operation let two controllers interleave.
 */
export class MemoryControllerPort implements ControllerPort {
  readonly accepted: { epoch: number; storeEpoch: string }[] = [];
  constructor(
    private readonly store: MemoryStore,
    private readonly epoch: number,
    private readonly yields: () => number = () => 0,
  ) {}

  private async pause(): Promise<void> {
    for (let i = this.yields(); i > 0; i--) await Promise.resolve();
  }

  async load(): Promise<ControllerImage> {
    await this.pause();
    return readImage(this.store);
  }

  async commit(fence: number, writes: readonly MetadataWrite[]): Promise<CommitResult> {
    await this.pause();
    const txn = writes.map(writeToTxn);
    const storeEpoch = this.store.kv.get(keys.controllerEpoch)?.value ?? 'none';
    const rev = this.store.txn([{ key: keys.controllerEpoch, mod: fence }, ...txn.map((t) => t.compare)], txn.map((t) => t.op));
    if (rev !== null) {
      this.accepted.push({ epoch: this.epoch, storeEpoch });
      return { status: 'ok', revision: rev };
    }
    return this.store.kv.get(keys.controllerEpoch)?.mod === fence ? { status: 'conflict' } : { status: 'fenced' };
  }
}

export interface SimController {
  readonly brokerId: number;
  readonly epoch: number;
  readonly controller: KafkaController;
  readonly port: MemoryControllerPort;
}

/** Brokers, controllers and the store, with the operations the tests drive. */
export class SimCluster {
  readonly store = new MemoryStore();
  readonly controllers: SimController[] = [];
  readonly violations: string[] = [];

  constructor(
    readonly config: KafkaControllerConfig = DEFAULT_CONTROLLER_CONFIG,
    private readonly yields: () => number = () => 0,
  ) {
    this.store.watch((k, now, prev) => {
      const e = eventFor(k, now, prev);
      if (e !== null) for (const c of this.controllers) c.controller.enqueue(e);
    });
  }

  live(): number[] {
    return [...readImage(this.store).brokers.keys()].sort((a, b) => a - b);
  }

  register(id: number, rack: string | null = null): void {
    this.store.txn([], [{ put: keys.broker(id), value: JSON.stringify({ version: 5, host: '127.0.0.1', port: 9000 + id, rack }) }]);
  }

  expire(id: number): void {
    this.store.txn([], [{ del: keys.broker(id) }]);
    if (this.store.json(keys.controller) !== undefined && (this.store.json(keys.controller) as { brokerid: number }).brokerid === id) this.store.txn([], [{ del: keys.controller }]);
  }

  /** `id` claims the controller as the design says; null when /controller exists. */
  claim(id: number): SimController | null {
    const epochEntry = this.store.kv.get(keys.controllerEpoch);
    const epoch = Number(epochEntry === undefined ? '0' : JSON.parse(epochEntry.value)) + 1;
    const rev = this.store.txn(
      [{ key: keys.controller, create: 0 }, { key: keys.controllerEpoch, mod: epochEntry?.mod ?? 0 }],
      [
        { put: keys.controller, value: JSON.stringify({ version: 2, brokerid: id, timestamp: '0', kraftControllerEpoch: -1 }) },
        { put: keys.controllerEpoch, value: JSON.stringify(String(epoch)) },
      ],
    );
    if (rev === null) return null;
    const port = new MemoryControllerPort(this.store, epoch, this.yields);
    const controller = new KafkaController(port, this.config);
    const c = { brokerId: id, epoch, controller, port };
    this.controllers.push(c);
    controller.enqueue({ type: 'BecameController', epoch, fence: rev, image: readImage(this.store) });
    return c;
  }

  /** The controller holding the current claim (not a deposed one still running), if any. */
  current(): SimController | undefined {
    const claim = this.store.json(keys.controller) as { brokerid: number } | undefined;
    const epoch = Number(this.store.json(keys.controllerEpoch) ?? 0);
    return this.controllers.find((c) => claim !== undefined && c.epoch === epoch && c.brokerId === claim.brokerid && c.controller.isActive);
  }

  /** Every controller's queue drained (events cause writes cause events: bounded rounds). */
  async settle(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      await Promise.all(this.controllers.map((c) => c.controller.idle()));
      await new Promise((r) => setImmediate(r));
      if (this.controllers.every((c) => !c.controller.isActive || c.controller.queuedEvents === 0)) return;
    }
    throw new Error('the controllers did not settle in 100 rounds');
  }

  createTopic(name: string, assignment: number[][], config: Record<string, string> = {}): void {
    const topic: TopicRecord = { name, topicId: `id-${name}-${this.store.revision}`, partitions: assignment.map((replicas) => ({ replicas, adding: [], removing: [] })) };
    const ops: Op[] = [{ put: keys.topic(name), value: topicJson(topic) }];
    if (Object.keys(config).length > 0) ops.push({ put: keys.config(name), value: JSON.stringify({ version: 1, config }) });
    this.store.txn([{ key: keys.topic(name), create: 0 }], ops);
  }

  request(key: string, value: unknown): void {
    this.store.txn([], [{ put: key, value: JSON.stringify(value) }]);
  }

  /** A leader's own ISR change: same leader and leader epoch, compared on the partition epoch only. */
  leaderSetsIsr(topic: string, partition: number, isr: readonly number[]): boolean {
    const e = this.store.kv.get(keys.state(topic, partition));
    if (e === undefined) return false;
    const s = parseState(e);
    return this.store.txn([{ key: keys.state(topic, partition), mod: e.mod }], [{ put: keys.state(topic, partition), value: stateJson({ ...s, isr }) }]) !== null;
  }

  state(topic: string, partition: number): PartitionState | undefined {
    const e = this.store.kv.get(keys.state(topic, partition));
    return e === undefined ? undefined : parseState(e);
  }

  topic(name: string): TopicRecord | undefined {
    const e = this.store.kv.get(keys.topic(name));
    return e === undefined ? undefined : parseTopic(name, e.value);
  }
}

export { NO_LEADER };
