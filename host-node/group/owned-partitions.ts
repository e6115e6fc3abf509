// Which __consumer_offsets partitions this coordinator serves the groups of. On a single broker: all of
// them, loaded at start. In a cluster (Kafka's rule): the partitions this broker leads — a partition
// becomes owned when this broker becomes its leader, serves once its groups are loaded, and is dropped
// when leadership moves away. Each leadership gets a token, so a load scheduled for an earlier leadership
// that ended meanwhile is recognised and skipped.
import { ErrorCode } from '../../protocol/errors.js';

export class OwnedPartitions {
  /** null = every partition (a single broker). */
  private readonly owned: Map<number, number> | null;
  private readonly loading = new Set<number>();
  private nextToken = 1;

  constructor(readonly followsLeadership: boolean) {
    this.owned = followsLeadership ? new Map() : null;
  }

  /** NONE, NOT_COORDINATOR (not led here) or COORDINATOR_LOAD_IN_PROGRESS (its groups are being loaded). */
  errorFor(partition: number): number {
    if (this.owned === null) return ErrorCode.NONE;
    if (!this.owned.has(partition)) return ErrorCode.NOT_COORDINATOR;
    return this.loading.has(partition) ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
  }

  get anyLoading(): boolean {
    return this.loading.size > 0;
  }

  /** Starts a leadership of `partition` (loading until `loaded`); returns its token. */
  acquire(partition: number): number {
    const owned = this.requireTracking();
    const token = this.nextToken++;
    owned.set(partition, token);
    this.loading.add(partition);
    return token;
  }

  /** Whether `token` is still the partition's current leadership. */
  isCurrent(partition: number, token: number): boolean {
    return this.owned?.get(partition) === token;
  }

  loaded(partition: number): void {
    this.loading.delete(partition);
  }

  /** Ends the partition's leadership; false when it was not owned. */
  release(partition: number): boolean {
    const owned = this.requireTracking();
    this.loading.delete(partition);
    return owned.delete(partition);
  }

  private requireTracking(): Map<number, number> {
    if (this.owned === null) throw new Error('a single-broker coordinator owns every partition; leadership changes do not apply');
    return this.owned;
  }
}
