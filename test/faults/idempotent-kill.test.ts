// The idempotent producer across broker crashes: librdkafka (confluent-kafka-python,
// enable.idempotence=true) produces 100,000 records to 3 partitions while the broker is killed with SIGKILL twice
// and restarted on the same port and data dir. Requests in flight at a kill were possibly appended; librdkafka
// sends them again with the same producer id and sequence numbers, and the restarted broker (producer state from
// its snapshots plus the log after them) must answer those it already has as duplicates. kcat then reads every
// partition: the values 0..99,999 exactly once each, in order per partition.
// Small segments make the broker roll (and snapshot) many times, so the restarts load a roll snapshot and replay
// the log after it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PYTHON, run } from '../broker-data/helpers.js';
import { cleanupChildEntry, startChildBroker, type ChildBroker } from './helpers.js';

const TOPIC = 'idem-kill';
const PARTITIONS = 3;
const N = 100_000;
/** Kill the broker once this many records were acknowledged, then again at the second mark. */
const KILL_AT = [30_000, 65_000];
// acks=all waits for an fsync every 100 ms (log.flush.interval.ms), so at a kill there are always requests whose
// batches are already in the log (the page cache survives kill -9) but not acknowledged: librdkafka sends them
// again after the restart, and they must be recognised as duplicates.
const SETS = { 'log.segment.bytes': String(256 * 1024), 'log.flush.interval.ms': '100', 'auto.create.topics.enable': 'false' };

// The children log at debug level (read by broker-child.ts), which here is little more than one line per
// connection and one per duplicate batch answered: the test counts the latter.
process.env.RIVULET_TEST_LOG = '1';

const dir = mkdtempSync(join(tmpdir(), 'rivulet-idem-kill-'));
const children: ChildBroker[] = [];
let producer: ChildProcess | null = null;
afterAll(async () => {
  producer?.kill('SIGKILL');
  for (const ch of children) if (ch.proc.exitCode === null && ch.proc.signalCode === null) ch.proc.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  await cleanupChildEntry();
});

// Paced (about 25,000 records/s) so that the kills land mid-stream; prints `acked <n>` as delivery reports
// arrive and a JSON summary at the end.
const SCRIPT = `import json, sys, time
from confluent_kafka import Producer
port, topic, n, parts = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
p = Producer({'bootstrap.servers': f'127.0.0.1:{port}', 'enable.idempotence': True, 'linger.ms': 5,
              'batch.num.messages': 500, 'reconnect.backoff.ms': 50, 'reconnect.backoff.max.ms': 500,
              'message.timeout.ms': 45000})
state = {'acked': 0, 'errors': [], 'last': 0}
def report(err, msg):
    if err is not None:
        state['errors'].append(str(err))
    else:
        state['acked'] += 1
def progress():
    if state['acked'] - state['last'] >= 1000:
        state['last'] = state['acked']
        print('acked', state['acked'], flush=True)
start = time.time()
for i in range(n):
    while True:
        try:
            p.produce(topic, value=str(i).encode(), partition=i % parts, on_delivery=report)
            break
        except BufferError:
            p.poll(0.05)
    if i % 500 == 499:
        p.poll(0)
        progress()
        ahead = (i + 1) / 25000.0 - (time.time() - start)
        if ahead > 0:
            time.sleep(ahead)
while len(p) > 0:
    p.poll(0.1)
    progress()
print(json.dumps({'left': len(p), 'acked': state['acked'], 'errors': state['errors'][:5], 'nerrors': len(state['errors'])}), flush=True)
`;

describe('librdkafka enable.idempotence=true across kill -9 and restart', () => {
  it('100,000 records: no duplicate and no gap, in order per partition', async () => {
    const dataDir = join(dir, 'data');
    let broker = await startChildBroker(dataDir, SETS, [`${TOPIC}:${PARTITIONS}`]);
    children.push(broker);
    const port = broker.port;
    const script = join(dir, 'produce.py');
    writeFileSync(script, SCRIPT);

    const proc = spawn(PYTHON, [script, String(port), TOPIC, String(N), String(PARTITIONS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    producer = proc;
    let stdout = '';
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    let acked = 0;
    let waiter: (() => void) | null = null;
    proc.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const all = [...stdout.matchAll(/^acked (\d+)$/gm)];
      if (all.length > 0) acked = Number(all[all.length - 1]![1]);
      waiter?.();
    });
    const ackedAtLeast = async (n: number): Promise<void> => {
      while (acked < n) {
        if (proc.exitCode !== null) throw new Error(`producer exited early: ${stdout.slice(-500)} ${stderr.slice(-2000)}`);
        await new Promise<void>((resolve) => {
          waiter = resolve;
          setTimeout(resolve, 200);
        });
        waiter = null;
      }
    };

    const kills: { acked: number; downMs: number }[] = [];
    for (const mark of KILL_AT) {
      await ackedAtLeast(mark);
      const at = acked;
      const t0 = Date.now();
      broker.proc.kill('SIGKILL');
      expect((await broker.exited).signal).toBe('SIGKILL');
      broker = await startChildBroker(dataDir, SETS, [`${TOPIC}:${PARTITIONS}`], port);
      children.push(broker);
      kills.push({ acked: at, downMs: Date.now() - t0 });
    }

    const code = await exited;
    expect(code, stderr.slice(-3000)).toBe(0);
    const summary = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(summary).toEqual({ left: 0, acked: N, errors: [], nerrors: 0 });

    // Read everything back with kcat (librdkafka's consumer) and check every partition.
    const r = await run('kcat', ['-C', '-b', `127.0.0.1:${port}`, '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-f', '%p %o %s\\n'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    const byPartition: { offset: number; value: number }[][] = Array.from({ length: PARTITIONS }, () => []);
    for (const line of r.stdout.toString().split('\n')) {
      if (line === '') continue;
      const [p, o, v] = line.split(' ');
      byPartition[Number(p)]!.push({ offset: Number(o), value: Number(v) });
    }
    for (let p = 0; p < PARTITIONS; p++) {
      const got = byPartition[p]!.sort((a, b) => a.offset - b.offset);
      const expected = Array.from({ length: Math.ceil((N - p) / PARTITIONS) }, (_, k) => p + k * PARTITIONS);
      expect(got.map((x) => x.offset), `partition ${p}: offsets without holes`).toEqual(got.map((_, i) => i));
      // Compare summaries first so a failure names the first duplicate or gap rather than printing 33,000 values.
      const firstBad = got.findIndex((x, i) => x.value !== expected[i]);
      expect({ partition: p, count: got.length, firstBad, at: firstBad >= 0 ? got.slice(Math.max(0, firstBad - 2), firstBad + 3) : [] }).toEqual({
        partition: p,
        count: expected.length,
        firstBad: -1,
        at: [],
      });
    }
    // The restarted brokers did answer resent batches as duplicates (else this test would prove little).
    const duplicates = children.slice(1).reduce((n, ch) => n + (ch.stderr().match(/: duplicate batch of producer/g) ?? []).length, 0);
    expect(duplicates).toBeGreaterThan(0);
    console.log(
      `idempotent kill test: kills at ${kills.map((k) => `${k.acked} acked (broker down ${k.downMs} ms)`).join(', ')}; ${duplicates} resent batches answered as duplicates; ${N} records read back once each`,
    );
    broker.proc.kill('SIGTERM');
    expect((await broker.exited).code).toBe(0);
  }, 90_000);
});
