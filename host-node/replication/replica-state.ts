// What a leader knows of one follower (Kafka's Replica / ReplicaState): updated by the follower's fetches,
// read for the high watermark and for ISR shrink and expand.

export class RemoteReplica {
  /** The follower's log end offset as its last fetch said (-1 before its first fetch under this leader). */
  logEndOffset = -1;
  /** The last time the follower was caught up with the leader (ms). */
  lastCaughtUpTimeMs = 0;
  /** When the follower last fetched (ms), and the leader's log end offset at that time. */
  lastFetchTimeMs = 0;
  lastFetchLeaderLogEndOffset = -1;
  /** The broker epoch the follower fetched with (-1 when it did not say). */
  brokerEpoch = -1;

  constructor(readonly brokerId: number) {}

  /** A new leadership: nothing is known of the follower; ISR members count as caught up now. */
  reset(inIsr: boolean, nowMs: number): void {
    this.logEndOffset = -1;
    this.lastCaughtUpTimeMs = inIsr ? nowMs : 0;
    this.lastFetchTimeMs = 0;
    this.lastFetchLeaderLogEndOffset = -1;
    this.brokerEpoch = -1;
  }

  /**
   * A fetch at `fetchOffset` (the follower's log end offset) when the leader's end was `leaderEndOffset`.
   * Kafka's rule: caught up now if it fetched the leader's end; caught up as of its previous fetch if it
   * fetched at least what the leader had then.
   */
  updateFetchState(fetchOffset: number, leaderEndOffset: number, brokerEpoch: number, nowMs: number): void {
    if (fetchOffset >= leaderEndOffset) this.lastCaughtUpTimeMs = Math.max(this.lastCaughtUpTimeMs, nowMs);
    else if (fetchOffset >= this.lastFetchLeaderLogEndOffset) this.lastCaughtUpTimeMs = Math.max(this.lastCaughtUpTimeMs, this.lastFetchTimeMs);
    this.logEndOffset = fetchOffset;
    this.lastFetchTimeMs = nowMs;
    this.lastFetchLeaderLogEndOffset = leaderEndOffset;
    this.brokerEpoch = brokerEpoch;
  }

  /** Kafka's isCaughtUp: at the leader's end, or caught up within the last `lagMaxMs`. */
  isCaughtUp(leaderEndOffset: number, nowMs: number, lagMaxMs: number): boolean {
    return this.logEndOffset >= leaderEndOffset || nowMs - this.lastCaughtUpTimeMs <= lagMaxMs;
  }
}
