// A log's offline state (Kafka marks a log dir offline after an I/O error; here it is per partition):
// why the log is offline, since when, and when it may come back. ENOSPC/EDQUOT while writing may resume
// once log.storage.retry.backoff.ms has passed (so writes come back as soon as space is freed); any other
// I/O error, and any fsync failure, lasts until the log is reopened, which recovers it like an unclean start.
import { ErrorCode, StorageError, isIoError, isNoSpace } from './errors.js';

export type OfflineReason = 'nospace' | 'io';

/** The reason an error thrown by `op` takes the log offline for, or null when it is not an I/O error. */
export function offlineReasonOf(e: unknown, op: 'append' | 'read'): OfflineReason | null {
  if (!isIoError(e)) return null;
  return op === 'append' && isNoSpace(e) ? 'nospace' : 'io';
}

export class LogOfflineState {
  private state: { reason: OfflineReason; since: number; error: unknown } | null = null;

  constructor(
    /** `<topic>-<partition>`, for error messages. */
    private readonly name: string,
    private readonly now: () => number,
    private readonly retryBackoffMs: number,
  ) {}

  get isOffline(): boolean {
    return this.state !== null;
  }
  get reason(): OfflineReason | null {
    return this.state?.reason ?? null;
  }

  /** The KAFKA_STORAGE_ERROR reads and writes answer while the log is offline (or closed). */
  error(): StorageError {
    const o = this.state;
    return new StorageError(
      ErrorCode.KAFKA_STORAGE_ERROR,
      `${this.name} is offline (${o?.reason ?? 'closed'}): ${(o?.error as Error | undefined)?.message ?? ''}`,
      o?.error,
    );
  }

  /** Takes the log offline; an 'io' failure replaces a 'nospace' one (which then never resumes by itself). */
  enter(reason: OfflineReason, error: unknown): void {
    if (this.state === null || reason === 'io') this.state = { reason, since: this.now(), error };
  }

  /**
   * Offline for ENOSPC and the backoff has passed: `cutPartialWrite` removes what a failed write left on
   * the active segment and the log is back. Otherwise (still backing off, an 'io' failure, or the cut
   * failing) throws the storage error.
   */
  resume(cutPartialWrite: () => void): void {
    const o = this.state;
    if (o === null) return;
    if (o.reason !== 'nospace' || this.now() - o.since < this.retryBackoffMs) throw this.error();
    try {
      cutPartialWrite();
      this.state = null;
    } catch (e) {
      this.state = { reason: isNoSpace(e) || !isIoError(e) ? 'nospace' : 'io', since: this.now(), error: e };
      throw this.error();
    }
  }
}
