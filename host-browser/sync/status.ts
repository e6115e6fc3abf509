// What a running sync reports (startSync's onStatus and handle.status).

export interface SyncStatus {
  mode: 'mirror' | 'tail';
  /** Remote topic and partition. */
  topic: string;
  partition: number;
  /** connecting: first attempt; online: a connection is open; offline: waiting to reconnect;
   * stopped: stop() was called; failed: a local error (the log or its meta store failed) ended the sync. */
  state: 'connecting' | 'online' | 'offline' | 'stopped' | 'failed';
  online: boolean;
  /**
   * mirror: local records not yet acknowledged by the broker (log end − delivered cursor);
   * tail: remote records not yet in the local log (high watermark − next remote offset; -1 until known).
   */
  lag: number;
  /** mirror: next local offset to deliver; tail: next remote offset to fetch. */
  position: number;
  /** Records delivered (mirror) or applied (tail) by this run. */
  records: number;
  /** mirror: records the broker refused for good (a single record above max.message.bytes), skipped. */
  skipped: number;
  /** Producer id and epoch in use (mirror). */
  producerId?: string;
  producerEpoch?: number;
  /** The last error seen (cleared on the next success). */
  lastError?: string;
  /** Conditions the exactly-once design cannot rule out a duplicate for (see docs/browser-sync.md). */
  warnings: string[];
}

export function initialStatus(mode: 'mirror' | 'tail', topic: string, partition: number): SyncStatus {
  return { mode, topic, partition, state: 'connecting', online: false, lag: -1, position: 0, records: 0, skipped: 0, warnings: [] };
}
