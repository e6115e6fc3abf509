// The one ISR change a leader may have in flight per partition (Kafka's pending AlterPartition): submitted
// to the IsrStore with the partition epoch it was computed from; a newer state from the metadata cancels
// it, so a late answer for a superseded change is dropped.
import type { AlterPartitionResult, IsrStore, IsrUpdate } from './types.js';

export class IsrChange {
  private generation = 0;
  private pending = false;

  constructor(
    private readonly store: IsrStore,
    private readonly topic: string,
    private readonly partition: number,
  ) {}

  get inFlight(): boolean {
    return this.pending;
  }

  /** Sends `update`; `done` gets the store's answer (or its error) unless cancelled first. */
  submit(update: IsrUpdate, expectedPartitionEpoch: number, done: (result: AlterPartitionResult | Error) => void): void {
    const generation = ++this.generation;
    this.pending = true;
    const finish = (result: AlterPartitionResult | Error) => {
      if (generation !== this.generation) return;
      this.pending = false;
      done(result);
    };
    let sent: Promise<AlterPartitionResult>;
    try {
      sent = this.store.alterPartition(this.topic, this.partition, update, expectedPartitionEpoch);
    } catch (e) {
      sent = Promise.reject(e);
    }
    sent.then(finish, (e: unknown) => finish(e instanceof Error ? e : new Error(String(e))));
  }

  /** Forgets the change in flight (its answer will be ignored). */
  cancel(): void {
    this.generation++;
    this.pending = false;
  }
}
