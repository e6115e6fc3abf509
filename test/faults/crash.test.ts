// kill -9 of the broker process while an acks=all producer writes (log.flush.interval.messages=1), then a
// restart on the same data dir (unclean start: recovery validates and truncates, indexes rebuilt). After every
// restart, for each partition:
//   - every acknowledged record is there exactly once, in order, at the offset its ack named;
//   - the log is exactly what came before plus the first j batches this trial sent (whole batches, no gaps,
//     no duplicates), with j ≥ the number of acknowledged batches;
//   - every batch the broker serves passes the core's validation (CRC-32C, every record), also the ones a
//     tailing consumer fetched while the producer was writing and the broker was being killed.
// Trials are chained: each restart recovers the log the previous kill left, and the next trial kills it
// again. Small segments make some kills land around segment rolls. After every other kill a torn tail (part
// of a batch, random bytes or zeros) is appended to partition 0's last segment, as a power cut mid-write
// would leave: recovery must cut it, and none of it is ever served.
// The producer is a raw client over the generated codecs (Produce v8, acks=-1, up to 4 requests in flight on
// one connection), so which batches were acknowledged is known exactly.
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CoreError } from '../../bindings/errors.js';
import { decodeResponseFrame } from '../../protocol/frame.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { ERR, cleanupChildEntry, fetchAll, fetchOnce, startChildBroker, v2Batch, type ChildBroker, type FetchedRecord } from './helpers.js';

const TOPIC = 'crash';
const PARTITIONS = 2;
const CHAINS = 4;
const KILLS_PER_CHAIN = 5; // 4 × 5 = 20 kill -9 trials
const MAX_IN_FLIGHT = 4;
const SETS = {
  'log.flush.interval.messages': '1',
  'log.segment.bytes': String(48 * 1024),
  'log.index.size.max.bytes': String(64 * 1024),
  'log.index.interval.bytes': '1024',
};

const dirs: string[] = [];
const children: ChildBroker[] = [];
afterAll(async () => {
  for (const ch of children) if (ch.proc.exitCode === null && ch.proc.signalCode === null) ch.proc.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await cleanupChildEntry();
});

interface SentBatch {
  partition: number;
  values: string[];
  acked: boolean;
  baseOffset: number;
}

interface TrialResult {
  sent: SentBatch[];
  errors: string[];
  tailed: number;
  corrupt: string[];
}

function rand(lo: number, hi: number): number {
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}

/**
 * Produces pipelined acks=all batches until the broker dies (it is killed `killAfterMs` after the first ack),
 * while a second connection tails partition 0 and validates every fetched batch.
 */
async function produceUntilKilled(child: ChildBroker, tag: string, killAfterMs: number): Promise<TrialResult> {
  const producer = await KafkaTestClient.connect(child.port);
  const tail = await KafkaTestClient.connect(child.port);
  const result: TrialResult = { sent: [], errors: [], tailed: 0, corrupt: [] };
  const pending: { corr: number; batch: SentBatch }[] = [];
  let closed = false;
  // Callbacks in an object: TypeScript does not track assignments made inside closures to plain lets.
  const signal: { wake: (() => void) | null; firstAck: () => void } = { wake: null, firstAck: () => {} };
  const acked = new Promise<void>((resolve) => (signal.firstAck = resolve));
  let seq = 0;

  const receiver = (async () => {
    for (;;) {
      let frame: Buffer;
      try {
        frame = await producer.raw.next(15_000);
      } catch {
        closed = true;
        signal.wake?.();
        return;
      }
      const { correlationId, body } = decodeResponseFrame(ApiKey.Produce, 8, frame);
      const p = pending.shift();
      if (!p || p.corr !== correlationId) {
        result.errors.push(`response ${correlationId} does not match request ${p?.corr}`);
        continue;
      }
      const r = body.responses[0]!.partitionResponses[0]!;
      if (r.errorCode === ERR.NONE) {
        p.batch.acked = true;
        p.batch.baseOffset = Number(r.baseOffset);
        signal.firstAck();
      } else result.errors.push(`error ${r.errorCode} ${r.errorMessage ?? ''}`);
      signal.wake?.();
    }
  })();

  const sender = (async () => {
    while (!closed) {
      if (pending.length >= MAX_IN_FLIGHT) {
        await new Promise<void>((resolve) => (signal.wake = resolve));
        signal.wake = null;
        continue;
      }
      const partition = seq % PARTITIONS;
      const n = rand(1, 20);
      const batch: SentBatch = { partition, values: Array.from({ length: n }, () => `${tag}.${seq++}.${'x'.repeat(rand(0, 200))}`), acked: false, baseOffset: -1 };
      const corr = producer.send(ApiKey.Produce, 8, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 10_000,
        topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: v2Batch(batch.values) }] }],
      });
      pending.push({ corr, batch });
      result.sent.push(batch);
      // Let the event loop breathe so responses are read while we keep the pipeline full.
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();

  const tailer = (async () => {
    let offset = 0;
    while (!closed) {
      try {
        const r = await fetchOnce(tail, TOPIC, 0, offset, { maxWaitMs: 20, maxBytes: 256 * 1024 });
        result.tailed += r.records.length;
        const last = r.records[r.records.length - 1];
        if (last) offset = last.offset + 1;
      } catch (e) {
        if (e instanceof CoreError) result.corrupt.push(`fetched a corrupt batch at offset ${offset}: ${e.message}`);
        return; // connection gone (killed)
      }
    }
  })();

  await Promise.race([acked, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  await new Promise((resolve) => setTimeout(resolve, killAfterMs));
  child.proc.kill('SIGKILL');
  const exit = await child.exited;
  expect(exit.signal).toBe('SIGKILL');
  await Promise.all([receiver, sender, tailer]);
  producer.close();
  tail.close();
  return result;
}

/** Appends a torn write to the partition's last segment: part of a valid batch, random bytes or zeros. */
function tearTail(dataDir: string, partition: number): void {
  const dir = join(dataDir, `${TOPIC}-${partition}`);
  const last = readdirSync(dir).filter((n) => n.endsWith('.log')).sort().pop()!;
  let junk: Uint8Array;
  switch (rand(0, 2)) {
    case 0: {
      const batch = v2Batch(Array.from({ length: 10 }, (_, i) => `torn-${i}`));
      junk = batch.subarray(0, rand(1, batch.length - 1));
      break;
    }
    case 1:
      junk = randomBytes(rand(1, 300));
      break;
    default:
      junk = new Uint8Array(rand(1, 4096));
  }
  appendFileSync(join(dir, last), junk);
}

/**
 * Checks a partition after a restart against what was known before the trial and the batches the trial sent to
 * it; returns the partition's full content (the next trial's "known").
 */
function checkPartition(got: FetchedRecord[], known: string[], batches: SentBatch[], where: string): string[] {
  expect(got.map((r) => r.offset), `${where}: offsets`).toEqual(got.map((_, i) => i));
  const values = got.map((r) => r.value ?? '');
  expect(values.slice(0, known.length), `${where}: records from earlier trials`).toEqual(known);
  const rest = values.slice(known.length);
  let pos = 0;
  let j = 0;
  let offset = known.length;
  while (pos < rest.length) {
    const b = batches[j];
    expect(b, `${where}: ${rest.length - pos} record(s) past the last batch sent`).toBeDefined();
    expect(rest.slice(pos, pos + b!.values.length), `${where}: batch ${j} (whole, in order)`).toEqual(b!.values);
    if (b!.acked) expect(b!.baseOffset, `${where}: acked offset of batch ${j}`).toBe(offset);
    pos += b!.values.length;
    offset += b!.values.length;
    j++;
  }
  const ackedCount = batches.filter((b) => b.acked).length;
  // Acks come back in order on one connection, so the acked batches are the first ackedCount sent.
  expect(batches.slice(0, ackedCount).every((b) => b.acked), `${where}: acks in order`).toBe(true);
  expect(j, `${where}: every acknowledged batch survives (${ackedCount} acked, ${j} present)`).toBeGreaterThanOrEqual(ackedCount);
  return values;
}

async function verify(child: ChildBroker, known: string[][], last: SentBatch[], where: string): Promise<string[][]> {
  const c = await KafkaTestClient.connect(child.port);
  try {
    const next: string[][] = [];
    for (let p = 0; p < PARTITIONS; p++) {
      const got = await fetchAll(c, TOPIC, p); // every batch validated by the core
      expect(got.errorCode, `${where} p${p}`).toBe(ERR.NONE);
      expect(got.highWatermark, `${where} p${p}: high watermark`).toBe(got.records.length);
      next.push(
        checkPartition(
          got.records,
          known[p]!,
          last.filter((b) => b.partition === p),
          `${where} p${p}`,
        ),
      );
    }
    return next;
  } finally {
    c.close();
  }
}

describe('kill -9 while an acks=all producer writes (log.flush.interval.messages=1)', () => {
  const stats = { trials: 0, sent: 0, acked: 0, survivedUnacked: 0, tailed: 0, tornTails: 0 };
  afterAll(() => {
    console.log(
      `crash trials: ${stats.trials} kills; batches sent ${stats.sent}, acked ${stats.acked}, records present beyond the acknowledged ones ${stats.survivedUnacked}; ${stats.tailed} records fetched by the tailing consumer while producing; ${stats.tornTails} torn tails added after a kill`,
    );
  });

  for (let chain = 0; chain < CHAINS; chain++) {
    it(`chain ${chain + 1}/${CHAINS}: ${KILLS_PER_CHAIN} kills and restarts on one data dir`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-crash-'));
      dirs.push(dataDir);
      let known: string[][] = Array.from({ length: PARTITIONS }, () => []);
      let last: SentBatch[] = [];
      for (let k = 0; k <= KILLS_PER_CHAIN; k++) {
        const child = await startChildBroker(dataDir, SETS, [`${TOPIC}:${PARTITIONS}`]);
        children.push(child);
        const before = known.map((v) => v.length);
        known = await verify(child, known, last, `chain ${chain + 1} restart ${k}`);
        stats.survivedUnacked += known.reduce((n, v, p) => n + v.length - before[p]!, 0) - last.filter((b) => b.acked).reduce((n, b) => n + b.values.length, 0);
        if (k === KILLS_PER_CHAIN) {
          // Last round: a clean stop, then one more restart must serve the same log.
          child.proc.kill('SIGTERM');
          expect((await child.exited).code).toBe(0);
          const again = await startChildBroker(dataDir, SETS, [`${TOPIC}:${PARTITIONS}`]);
          children.push(again);
          await verify(again, known, [], `chain ${chain + 1} clean restart`);
          again.proc.kill('SIGTERM');
          expect((await again.exited).code).toBe(0);
          break;
        }
        const r = await produceUntilKilled(child, `c${chain}k${k}`, rand(20, 400));
        expect(r.errors).toEqual([]);
        expect(r.corrupt).toEqual([]);
        expect(r.sent.some((b) => b.acked), 'some batches were acknowledged before the kill').toBe(true);
        stats.trials++;
        stats.sent += r.sent.length;
        stats.acked += r.sent.filter((b) => b.acked).length;
        stats.tailed += r.tailed;
        last = r.sent;
        if (k % 2 === 1) {
          // As if the machine had died mid-write too: a torn tail on partition 0's active segment. Recovery
          // must cut it; none of it may ever be served or get an offset.
          tearTail(dataDir, 0);
          stats.tornTails++;
        }
      }
    }, 120_000);
  }
});
