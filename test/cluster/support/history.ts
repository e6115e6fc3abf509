// The history checker of the fault tests, after Jepsen's Kafka workload. A history is what workload
// clients recorded on one topic: every produce attempt with its outcome, and every record consumers read.
//
//   const r = checkHistory({ produced, consumed, completeReaders: ['final'] });
//   expect(anomalyNames(r)).toEqual([]);   // or look at r.lost.count, r.duplicates.examples, ...
//
// Anomalies (each reported with a count and the first few examples):
// - lost: an acknowledged ('ok') write missing from a complete read (a consumer that read every partition
//   from the beginning to the end offsets taken after all writes ended);
// - duplicates: one value at two or more offsets, over the reads and the offset its acknowledgement named
//   (an idempotent producer allows none; a read at another offset than the acknowledged one counts);
// - inconsistentOffsets: one offset holding two values, over all reads and the offsets acknowledgements named;
// - nonMonotonic: one consumer's offsets of one partition not strictly increasing, in poll order;
// - unexpected: a value read that no attempt wrote;
// - failedButRead: a write whose outcome was 'fail' yet was read (only an 'unknown' outcome may legitimately
//   turn out to have been written).
// Outcome 'unknown' (no delivery report by the end) is never an anomaly, read or not.

export type Outcome = 'ok' | 'fail' | 'unknown';

export interface ProduceAttempt {
  key: string | null;
  /** Unique per attempt: the checker identifies writes by value. */
  value: string;
  partition: number;
  outcome: Outcome;
  /** The offset the acknowledgement named ('ok' only). */
  offset?: number;
  /** The error's name ('fail' only). */
  error?: string;
}

export interface ConsumedRecord {
  partition: number;
  offset: number;
  value: string;
  consumerId: string;
  /** The number of the poll that returned the record; records of one poll keep their order in the history. */
  pollIndex: number;
}

export interface History {
  produced: ProduceAttempt[];
  consumed: ConsumedRecord[];
  /** Consumers whose read is complete (see "lost" above). Without one, lost writes cannot be judged. */
  completeReaders: string[];
}

export interface Anomaly<T> {
  count: number;
  examples: T[];
}

export interface CheckResult {
  attempts: { ok: number; fail: number; unknown: number };
  recordsRead: number;
  /** False when no complete read exists: `lost` is then empty because it could not be judged. */
  lostChecked: boolean;
  lost: Anomaly<{ value: string; partition: number; offset?: number; missingFrom: string }>;
  duplicates: Anomaly<{ value: string; at: Array<{ partition: number; offset: number }> }>;
  inconsistentOffsets: Anomaly<{ partition: number; offset: number; values: string[] }>;
  nonMonotonic: Anomaly<{ consumerId: string; partition: number; previous: number; next: number; pollIndex: number }>;
  unexpected: Anomaly<{ value: string; partition: number; offset: number; consumerId: string }>;
  failedButRead: Anomaly<{ value: string; partition: number; offset: number; error?: string }>;
}

export const ANOMALIES = ['lost', 'duplicates', 'inconsistentOffsets', 'nonMonotonic', 'unexpected', 'failedButRead'] as const;
export type AnomalyName = (typeof ANOMALIES)[number];

class Collector<T> implements Anomaly<T> {
  count = 0;
  examples: T[] = [];
  constructor(private readonly limit: number) {}
  add(e: T): void {
    if (this.count++ < this.limit) this.examples.push(e);
  }
  done(): Anomaly<T> {
    return { count: this.count, examples: this.examples };
  }
}

export function checkHistory(h: History, o: { examples?: number } = {}): CheckResult {
  const limit = o.examples ?? 5;
  const written = new Map<string, ProduceAttempt>();
  const attempts = { ok: 0, fail: 0, unknown: 0 };
  for (const a of h.produced) {
    attempts[a.outcome]++;
    written.set(a.value, a);
  }
  return {
    attempts,
    recordsRead: h.consumed.length,
    lostChecked: h.completeReaders.length > 0,
    lost: findLost(h, limit),
    duplicates: findDuplicates(h, limit),
    inconsistentOffsets: findInconsistentOffsets(h, limit),
    nonMonotonic: findNonMonotonic(h.consumed, limit),
    ...findUnwritten(h.consumed, written, limit),
  };
}

/** The names of the anomalies found (count > 0), in ANOMALIES order. */
export function anomalyNames(r: CheckResult): AnomalyName[] {
  return ANOMALIES.filter((n) => r[n].count > 0);
}

function findLost(h: History, limit: number): CheckResult['lost'] {
  const lost = new Collector<CheckResult['lost']['examples'][number]>(limit);
  const seenBy = new Map<string, Set<string>>();
  for (const id of h.completeReaders) seenBy.set(id, new Set());
  for (const r of h.consumed) seenBy.get(r.consumerId)?.add(r.value);
  for (const a of h.produced) {
    if (a.outcome !== 'ok') continue;
    for (const [reader, seen] of seenBy) {
      if (seen.has(a.value)) continue;
      lost.add({ value: a.value, partition: a.partition, offset: a.offset, missingFrom: reader });
      break; // one report per write
    }
  }
  return lost.done();
}

function findDuplicates(h: History, limit: number): CheckResult['duplicates'] {
  const dup = new Collector<CheckResult['duplicates']['examples'][number]>(limit);
  const at = new Map<string, Map<string, { partition: number; offset: number }>>();
  const note = (value: string, partition: number, offset: number) => {
    let places = at.get(value);
    if (!places) at.set(value, (places = new Map()));
    places.set(`${partition}:${offset}`, { partition, offset });
  };
  for (const r of h.consumed) note(r.value, r.partition, r.offset);
  for (const a of h.produced) if (a.outcome === 'ok' && a.offset !== undefined && at.has(a.value)) note(a.value, a.partition, a.offset);
  for (const [value, places] of at) if (places.size > 1) dup.add({ value, at: [...places.values()] });
  return dup.done();
}

function findInconsistentOffsets(h: History, limit: number): CheckResult['inconsistentOffsets'] {
  const bad = new Collector<CheckResult['inconsistentOffsets']['examples'][number]>(limit);
  const values = new Map<string, { partition: number; offset: number; values: Set<string> }>();
  const note = (partition: number, offset: number, value: string) => {
    const k = `${partition}:${offset}`;
    let e = values.get(k);
    if (!e) values.set(k, (e = { partition, offset, values: new Set() }));
    e.values.add(value);
  };
  for (const a of h.produced) if (a.outcome === 'ok' && a.offset !== undefined) note(a.partition, a.offset, a.value);
  for (const r of h.consumed) note(r.partition, r.offset, r.value);
  for (const e of values.values()) if (e.values.size > 1) bad.add({ partition: e.partition, offset: e.offset, values: [...e.values].sort() });
  return bad.done();
}

function findNonMonotonic(consumed: ConsumedRecord[], limit: number): CheckResult['nonMonotonic'] {
  const bad = new Collector<CheckResult['nonMonotonic']['examples'][number]>(limit);
  const last = new Map<string, { offset: number; pollIndex: number }>();
  const ordered = consumed.map((r, i) => ({ r, i })).sort((a, b) => a.r.pollIndex - b.r.pollIndex || a.i - b.i); // stable by poll
  for (const { r } of ordered) {
    const k = `${r.consumerId}\u0000${r.partition}`;
    const prev = last.get(k);
    if (prev !== undefined && r.offset <= prev.offset)
      bad.add({ consumerId: r.consumerId, partition: r.partition, previous: prev.offset, next: r.offset, pollIndex: r.pollIndex });
    last.set(k, { offset: r.offset, pollIndex: r.pollIndex });
  }
  return bad.done();
}

function findUnwritten(
  consumed: ConsumedRecord[],
  written: Map<string, ProduceAttempt>,
  limit: number,
): Pick<CheckResult, 'unexpected' | 'failedButRead'> {
  const unexpected = new Collector<CheckResult['unexpected']['examples'][number]>(limit);
  const failedButRead = new Collector<CheckResult['failedButRead']['examples'][number]>(limit);
  const reported = new Set<string>();
  for (const r of consumed) {
    if (reported.has(r.value)) continue; // one report per value, however many reads saw it
    const a = written.get(r.value);
    if (!a) {
      reported.add(r.value);
      unexpected.add({ value: r.value, partition: r.partition, offset: r.offset, consumerId: r.consumerId });
    } else if (a.outcome === 'fail') {
      reported.add(r.value);
      failedButRead.add({ value: r.value, partition: r.partition, offset: r.offset, error: a.error });
    }
  }
  return { unexpected: unexpected.done(), failedButRead: failedButRead.done() };
}

/** One line per anomaly kind found, with its first example, for test failure messages and the soak output. */
export function describeAnomalies(r: CheckResult): string {
  return anomalyNames(r)
    .map((n) => `${n}: ${r[n].count} (e.g. ${JSON.stringify(r[n].examples[0])})`)
    .join('\n');
}
