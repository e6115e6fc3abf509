// The events that drive the KafkaController, as the metadata watch and the broker deliver them.
import type {
  BrokerRegistration,
  ControllerImage,
  ElectionRequest,
  PartitionState,
  ReassignmentRequest,
  ShutdownRequest,
  TopicRecord,
  Versioned,
} from './types.js';

export type ControllerEvent =
  /** This broker's claim succeeded: `epoch` is the new /controller_epoch, `fence` its mod revision. */
  | { readonly type: 'BecameController'; readonly epoch: number; readonly fence: number; readonly image: ControllerImage }
  | { readonly type: 'BrokerRegistered'; readonly broker: BrokerRegistration }
  | { readonly type: 'BrokerExpired'; readonly brokerId: number; readonly brokerEpoch: number }
  /** A topic key written (created, partitions added) or removed (record null). */
  | { readonly type: 'TopicChanged'; readonly topic: string; readonly record: Versioned<TopicRecord> | null }
  | { readonly type: 'TopicConfigChanged'; readonly topic: string; readonly config: Versioned<Readonly<Record<string, string>>> | null }
  /** A partition state key written (by a leader changing its ISR, or by this controller) or removed. */
  | { readonly type: 'PartitionStateChanged'; readonly topic: string; readonly partition: number; readonly state: PartitionState | null }
  | { readonly type: 'DeleteTopicRequested'; readonly topic: string; readonly modRevision: number }
  | { readonly type: 'ReassignmentRequested'; readonly request: Versioned<ReassignmentRequest> }
  | { readonly type: 'ElectionRequested'; readonly request: Versioned<ElectionRequest> }
  | { readonly type: 'ControlledShutdownRequested'; readonly request: Versioned<ShutdownRequest> }
  /** Periodic (`leader.imbalance.check.interval.seconds`): preferred elections when leadership is skewed. */
  | { readonly type: 'LeaderImbalanceCheck' }
  /** Read everything again and act on all of it (after the event queue overflowed, or a watch restart). */
  | { readonly type: 'Resync' };

/**
 * Kafka's ControllerEventManager: events processed one at a time in arrival order, from a bounded queue.
 * An overflow drops the queued events for one Resync, which reads the whole metadata again and acts on
 * all of it (every request the dropped events named is still in the store); a queued BecameController
 * is kept, as it carries the claim.
 */
export class ControllerEventManager {
  private readonly queue: ControllerEvent[] = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly handle: (e: ControllerEvent) => Promise<unknown>,
    private readonly capacity: number,
    private readonly onError: (e: unknown) => void,
  ) {}

  get size(): number {
    return this.queue.length;
  }

  put(e: ControllerEvent): void {
    if (this.queue.length >= this.capacity) {
      const claim = [...this.queue].reverse().find((q) => q.type === 'BecameController');
      this.queue.length = 0;
      this.queue.push(claim ?? { type: 'Resync' });
    }
    this.queue.push(e);
    this.running ??= this.drain();
  }

  clear(): void {
    this.queue.length = 0;
  }

  /** Resolves once the queue is empty and no event is being processed. */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      for (let e = this.queue.shift(); e !== undefined; e = this.queue.shift()) {
        try {
          await this.handle(e);
        } catch (err) {
          this.onError(err);
        }
      }
    } finally {
      this.running = null;
    }
  }
}
