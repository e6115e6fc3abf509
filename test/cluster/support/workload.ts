// Drives workload.py (confluent-kafka-python under Debian's /usr/bin/python3) from a test: starts producer
// and consumer processes against a bootstrap list and parses their JSON lines into history.ts's types.
//
//   const prod = startProducer({ bootstrap, topic, rate: 400, durationS: 6, seed });
//   await prod.untilAcked(500);            // e.g. inject a fault once 500 writes were acknowledged
//   const produced = await prod.done;      // every attempt, outcome ok | fail | unknown
//   const read = await consumeAll({ bootstrap, topic, consumerId: 'final' });
//   const r = checkHistory({ produced, consumed: read.records, completeReaders: read.complete ? ['final'] : [] });
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { ConsumedRecord, ProduceAttempt } from './history.js';

/** Debian's python3, the one with python3-confluent-kafka (the python first on PATH may not have it). */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const SCRIPT = fileURLToPath(new URL('./workload.py', import.meta.url));
/** At most this much of a workload's stderr is kept for error messages. */
const MAX_STDERR = 64 * 1024;

export interface ProducerOptions {
  bootstrap: string;
  topic: string;
  /** Attempts per second. */
  rate: number;
  durationS: number;
  seed?: number;
  /** Prefix of the unique values; distinct per producer of one history. */
  runId?: string;
  keys?: number;
  /** Seconds to wait for outstanding delivery reports at the end (default 30). */
  drainS?: number;
  messageTimeoutMs?: number;
  /** Extra librdkafka settings. */
  config?: Record<string, string>;
}

export interface TimedAttempt extends ProduceAttempt {
  tSend?: number;
  tAck?: number;
}

export interface RunningProducer {
  proc: ChildProcess;
  /** Acknowledged so far. */
  readonly acked: number;
  /** Resolves once `n` writes were acknowledged; rejects if the producer ends first. */
  untilAcked(n: number): Promise<void>;
  /** Every attempt, once the process has ended (rejects on a non-zero exit). */
  done: Promise<TimedAttempt[]>;
  /** Attempts the producer reported making (its end line), once it has ended; -1 if it printed none. */
  readonly sent: number;
  /** SIGTERM: stop early; `done` still resolves with every attempt. */
  stop(): void;
  stderr(): string;
}

type Line = Record<string, unknown> & { type: string };

/** Runs workload.py with `args`, calling `onLine` per parsed stdout line; resolves with the exit code. */
function runWorkload(args: string[], onLine: (l: Line) => void): { proc: ChildProcess; exit: Promise<number | null>; stderr: () => string } {
  const proc = spawn(PYTHON, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-MAX_STDERR)));
  const lines = createInterface({ input: proc.stdout! });
  lines.on('line', (s) => {
    if (s.trim()) onLine(JSON.parse(s) as Line);
  });
  const closed = new Promise<void>((r) => lines.once('close', () => r()));
  const exit = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
  return { proc, exit: Promise.all([exit, closed]).then(([c]) => c), stderr: () => err };
}

export function startProducer(o: ProducerOptions): RunningProducer {
  const args = ['produce', '--bootstrap', o.bootstrap, '--topic', o.topic, '--rate', String(o.rate), '--duration', String(o.durationS)];
  args.push('--run-id', o.runId ?? 'w', '--keys', String(o.keys ?? 16), '--drain', String(o.drainS ?? 30), '--progress', '0');
  if (o.seed !== undefined) args.push('--seed', String(o.seed));
  if (o.messageTimeoutMs !== undefined) args.push('--message-timeout-ms', String(o.messageTimeoutMs));
  for (const [k, v] of Object.entries(o.config ?? {})) args.push('--config', `${k}=${v}`);
  const attempts: TimedAttempt[] = [];
  let acked = 0;
  let ended = false;
  let sent = -1;
  const waiters: Array<{ n: number; resolve: () => void; reject: (e: Error) => void }> = [];
  const w = runWorkload(args, (l) => {
    if (l.type === 'end') sent = l.sent as number;
    if (l.type !== 'produce') return;
    attempts.push(toAttempt(l));
    if (l.outcome !== 'ok') return;
    acked++;
    for (const x of waiters.filter((x) => acked >= x.n)) (waiters.splice(waiters.indexOf(x), 1), x.resolve());
  });
  const done = w.exit.then((code) => {
    ended = true;
    for (const x of waiters.splice(0)) x.reject(new Error(`producer ended with ${acked} acknowledged, before ${x.n}: ${w.stderr()}`));
    if (code !== 0) throw new Error(`workload producer exited ${code}: ${w.stderr()}`);
    return attempts;
  });
  done.catch(() => {}); // observed by whoever awaits it
  return {
    proc: w.proc,
    get acked() {
      return acked;
    },
    get sent() {
      return sent;
    },
    untilAcked: (n) =>
      acked >= n ? Promise.resolve() : ended ? Promise.reject(new Error(`producer ended with ${acked} acknowledged`)) : new Promise((resolve, reject) => waiters.push({ n, resolve, reject })),
    done,
    stop: () => void w.proc.kill('SIGTERM'),
    stderr: w.stderr,
  };
}

function toAttempt(l: Line): TimedAttempt {
  const a: TimedAttempt = { key: (l.key as string | null) ?? null, value: l.value as string, partition: l.partition as number, outcome: l.outcome as TimedAttempt['outcome'] };
  if (typeof l.offset === 'number') a.offset = l.offset;
  if (typeof l.error === 'string') a.error = l.error;
  if (typeof l.t_send === 'number') a.tSend = l.t_send;
  if (typeof l.t_ack === 'number') a.tAck = l.t_ack;
  return a;
}

export interface ReadResult {
  records: ConsumedRecord[];
  /** Every partition was read up to the end offsets taken when the read began. */
  complete: boolean;
  ends: Record<string, number>;
}

/** Reads every partition of `topic` from the beginning to its end offsets with one workload consumer. */
export async function consumeAll(o: { bootstrap: string; topic: string; consumerId: string; timeoutS?: number }): Promise<ReadResult> {
  const records: ConsumedRecord[] = [];
  let end: Line | null = null;
  const args = ['consume', '--bootstrap', o.bootstrap, '--topic', o.topic, '--consumer-id', o.consumerId, '--timeout', String(o.timeoutS ?? 60)];
  const w = runWorkload(args, (l) => {
    if (l.type === 'consume')
      records.push({ partition: l.partition as number, offset: l.offset as number, value: l.value as string, consumerId: l.consumerId as string, pollIndex: l.pollIndex as number });
    else if (l.type === 'end') end = l;
  });
  const code = await w.exit;
  if (code !== 0 || end === null) throw new Error(`workload consumer exited ${code}: ${w.stderr()}`);
  const e = end as Line;
  return { records, complete: e.complete === true, ends: (e.ends as Record<string, number>) ?? {} };
}
