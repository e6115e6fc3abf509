// Kafka's KafkaController on etcd: the broker that claimed /controller processes the metadata events one
// at a time, decides with the pure rules (assignment, elections, state changes, reassignment) and writes
// through the port, every write fenced by its claim. 'fenced' means another broker claimed: this one
// stops at once. 'conflict' means a key moved since it was read: read everything again and decide again.
import { silentLogger, type Logger } from '../util/log.js';
import { ControllerContext } from './controller-context.js';
import {
  deletionWrites,
  electionRequestWrites,
  imbalanceWrites,
  orphanStateWrites,
  partitionChanges,
  reassignmentRequestWrites,
  shutdownWrites,
  type DecisionConfig,
  type WriteGroup,
} from './controller-decisions.js';
import { ControllerEventManager, type ControllerEvent } from './controller-events.js';
import type { ControllerPort } from './controller-port.js';
import { partitionKey, type BrokerRegistration, type PartitionState, type ReassignmentRequest, type Versioned } from './types.js';

export interface KafkaControllerConfig extends DecisionConfig {
  readonly autoLeaderRebalanceEnable: boolean;
  /** Events waiting at most; beyond it the queue collapses into one Resync. */
  readonly maxQueuedEvents: number;
  /** Re-reads after a conflict before an event is given up (a later event or Resync retries it). */
  readonly maxConflictRetries: number;
  /** Writes per etcd transaction (etcd's --max-txn-ops defaults to 128). */
  readonly maxOpsPerCommit: number;
  /** Wait before a Resync after the port failed (etcd unreachable). */
  readonly retryBackoffMs: number;
}

export const DEFAULT_CONTROLLER_CONFIG: KafkaControllerConfig = {
  uncleanLeaderElectionEnable: false,
  autoLeaderRebalanceEnable: true,
  leaderImbalancePerBrokerPercentage: 10,
  maxQueuedEvents: 10_000,
  maxConflictRetries: 5,
  maxOpsPerCommit: 64,
  retryBackoffMs: 1000,
};

export interface ControllerListener {
  /** The controller stopped acting: fenced by a newer claim, or resign() called. */
  onResigned?(reason: string): void;
}

export class KafkaController {
  private ctx: ControllerContext | null = null;
  private readonly events: ControllerEventManager;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly port: ControllerPort,
    private readonly config: KafkaControllerConfig = DEFAULT_CONTROLLER_CONFIG,
    private readonly log: Logger = silentLogger,
    private readonly listener: ControllerListener = {},
  ) {
    this.events = new ControllerEventManager((e) => this.process(e), config.maxQueuedEvents, (err) => this.failed(err));
  }

  get isActive(): boolean {
    return this.ctx !== null;
  }

  /** The controller epoch this controller holds, or null when it is not active. */
  get epoch(): number | null {
    return this.ctx?.controllerEpoch ?? null;
  }

  /** Events waiting to be processed. */
  get queuedEvents(): number {
    return this.events.size;
  }

  enqueue(e: ControllerEvent): void {
    this.events.put(e);
  }

  idle(): Promise<void> {
    return this.events.idle();
  }

  /** Stop acting (the claim's lease was lost, the broker stops). */
  resign(reason = 'resigned'): void {
    if (this.ctx === null) return;
    this.ctx = null;
    this.events.clear();
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.log.info(`controller: ${reason}`);
    this.listener.onResigned?.(reason);
  }

  private failed(err: unknown): void {
    this.log.error(`controller: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (this.ctx === null || this.retryTimer !== null) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.ctx !== null) this.enqueue({ type: 'Resync' });
    }, this.config.retryBackoffMs);
    this.retryTimer.unref?.();
  }

  private async process(e: ControllerEvent): Promise<unknown> {
    if (e.type === 'BecameController') {
      this.ctx = new ControllerContext(e.image, e.epoch, e.fence);
      this.log.info(`controller: active with epoch ${e.epoch}`);
      return this.onControllerFailover();
    }
    const ctx = this.ctx;
    if (ctx === null) return;
    switch (e.type) {
      case 'BrokerRegistered':
        return this.onBrokerRegistered(ctx, e.broker);
      case 'BrokerExpired':
        return this.onBrokerExpired(ctx, e.brokerId, e.brokerEpoch);
      case 'TopicChanged':
        if (e.record === null) ctx.topics.delete(e.topic);
        else if ((ctx.topics.get(e.topic)?.modRevision ?? 0) < e.record.modRevision) ctx.topics.set(e.topic, e.record);
        return this.run(() => partitionChanges(this.ctx!, this.config, [e.topic]));
      case 'TopicConfigChanged':
        if (e.config === null) ctx.topicConfigs.delete(e.topic);
        else ctx.topicConfigs.set(e.topic, e.config);
        return this.run(() => partitionChanges(this.ctx!, this.config, [e.topic]));
      case 'PartitionStateChanged':
        return this.onPartitionStateChanged(ctx, e.topic, e.partition, e.state);
      case 'DeleteTopicRequested':
        ctx.deletions.set(e.topic, { value: null, modRevision: e.modRevision });
        return this.run(() => deletionWrites(this.ctx!, e.topic));
      case 'ReassignmentRequested':
        return this.onReassignmentRequested(ctx, e.request);
      case 'ElectionRequested': {
        const key = partitionKey(e.request.value.topic, e.request.value.partition);
        ctx.elections.set(key, e.request);
        return this.run(() => this.logged(electionRequestWrites(this.ctx!, key), `election ${key}`));
      }
      case 'ControlledShutdownRequested':
        ctx.shutdowns.set(e.request.value.brokerId, e.request);
        return this.onControlledShutdown(e.request.value.brokerId);
      case 'LeaderImbalanceCheck':
        if (!this.config.autoLeaderRebalanceEnable) return;
        return this.run(() => imbalanceWrites(this.ctx!, this.config));
      case 'Resync':
        this.ctx = ctx.reloaded(await this.port.load());
        return this.onControllerFailover();
    }
  }

  /** Everything pending, as Kafka's onControllerFailover: deletions, shutdowns, reassignments, states, elections. */
  private async onControllerFailover(): Promise<void> {
    await this.run(() => orphanStateWrites(this.ctx!));
    for (const topic of [...this.ctx!.deletions.keys()]) if (!(await this.run(() => deletionWrites(this.ctx!, topic)))) return;
    for (const id of [...this.ctx!.shutdowns.keys()]) await this.onControlledShutdown(id);
    for (const key of [...this.ctx!.reassignments.keys()]) await this.run(() => this.logged(reassignmentRequestWrites(this.ctx!, key), `reassignment ${key}`));
    await this.run(() => partitionChanges(this.ctx!, this.config));
    for (const key of [...this.ctx!.elections.keys()]) await this.run(() => this.logged(electionRequestWrites(this.ctx!, key), `election ${key}`));
  }

  /** A new registration of a known broker (a new epoch) is a bounce: its partitions fail over first. */
  private async onBrokerRegistered(ctx: ControllerContext, broker: BrokerRegistration): Promise<unknown> {
    const known = ctx.brokers.get(broker.id);
    if (known !== undefined && known.epoch >= broker.epoch) return;
    ctx.shuttingDown.delete(broker.id);
    if (known !== undefined) {
      ctx.brokers.delete(broker.id);
      if (!(await this.run(() => partitionChanges(this.ctx!, this.config)))) return;
    }
    this.ctx?.brokers.set(broker.id, broker);
    return this.run(() => partitionChanges(this.ctx!, this.config));
  }

  private onBrokerExpired(ctx: ControllerContext, id: number, epoch: number): Promise<boolean> | undefined {
    if (ctx.brokers.get(id)?.epoch !== epoch) return undefined;
    ctx.brokers.delete(id);
    ctx.shuttingDown.delete(id);
    return this.run(() => partitionChanges(this.ctx!, this.config));
  }

  private onPartitionStateChanged(ctx: ControllerContext, topic: string, partition: number, state: PartitionState | null): Promise<boolean> | undefined {
    const key = partitionKey(topic, partition);
    const known = ctx.partitions.get(key);
    if (state === null) ctx.partitions.delete(key);
    else if (known === undefined || known.partitionEpoch < state.partitionEpoch) ctx.partitions.set(key, state);
    else return undefined;
    return this.run(() => partitionChanges(this.ctx!, this.config, [topic]));
  }

  private async onReassignmentRequested(ctx: ControllerContext, request: Versioned<ReassignmentRequest>): Promise<void> {
    const key = partitionKey(request.value.topic, request.value.partition);
    ctx.reassignments.set(key, request);
    if (await this.run(() => this.logged(reassignmentRequestWrites(this.ctx!, key), `reassignment ${key}`)))
      await this.run(() => partitionChanges(this.ctx!, this.config, [request.value.topic]));
  }

  private async onControlledShutdown(id: number): Promise<void> {
    const ctx = this.ctx!;
    const req = ctx.shutdowns.get(id);
    if (req === undefined) return;
    const epoch = ctx.brokers.get(id)?.epoch;
    if (epoch === req.value.brokerEpoch) ctx.shuttingDown.set(id, epoch);
    else this.log.warn(`controller: controlled shutdown of broker ${id} with stale epoch ${req.value.brokerEpoch} (registered: ${epoch ?? 'none'})`);
    await this.run(() => {
      const c = this.ctx!;
      if (!c.shuttingDown.has(id)) {
        const r = c.shutdowns.get(id);
        return r === undefined ? [] : [[{ kind: 'deleteShutdownRequest', brokerId: id, expectedRevision: r.modRevision }]];
      }
      const { groups, remaining } = shutdownWrites(c, id);
      if (remaining > 0) this.log.info(`controller: broker ${id} still leads ${remaining} partition(s) no other ISR member can take`);
      return groups;
    });
  }

  private logged<T extends { groups: WriteGroup[]; error: unknown }>(r: T, what: string): WriteGroup[] {
    if (r.error !== null) this.log.info(`controller: ${what} refused: ${r.error instanceof Error ? r.error.message : `error code ${String(r.error)}`}`);
    return r.groups;
  }

  /**
   * Computes writes from the context and commits them; a conflict re-reads and computes again, at most
   * maxConflictRetries times. False when fenced (the controller stopped) or out of retries.
   */
  private async run(compute: () => WriteGroup[]): Promise<boolean> {
    for (let attempt = 0; attempt <= this.config.maxConflictRetries; attempt++) {
      if (this.ctx === null) return false;
      const groups = compute();
      if (groups.length === 0) return true;
      const status = await this.commitGroups(groups);
      if (status === 'ok') return true;
      if (status === 'fenced') {
        this.resign('fenced: another broker holds a newer controller epoch');
        return false;
      }
      const image = await this.port.load();
      if (this.ctx === null) return false;
      this.ctx = this.ctx.reloaded(image);
    }
    this.log.warn(`controller: gave up after ${this.config.maxConflictRetries} conflicting writes`);
    return false;
  }

  /** Groups packed into transactions of at most maxOpsPerCommit writes, committed in order. */
  private async commitGroups(groups: readonly WriteGroup[]): Promise<'ok' | 'fenced' | 'conflict'> {
    let batch: WriteGroup[number][] = [];
    const flush = async () => {
      const ctx = this.ctx;
      if (ctx === null) return 'fenced' as const;
      const r = await this.port.commit(ctx.fence, batch);
      if (r.status === 'ok') this.ctx?.apply(batch, r.revision);
      batch = [];
      return r.status;
    };
    for (const g of groups) {
      if (batch.length > 0 && batch.length + g.length > this.config.maxOpsPerCommit) {
        const s = await flush();
        if (s !== 'ok') return s;
      }
      batch.push(...g);
    }
    return flush();
  }
}
