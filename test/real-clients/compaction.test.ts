// Compacted topics with real clients, as a new user would try them: topics created by
// confluent-kafka-python's AdminClient and by `rivulet topics --create --config cleanup.policy=compact`,
// keys overwritten many times and tombstoned by confluent-kafka-python and kcat; after the broker's cleaner
// (its worker threads) ran, kcat and kafka-python read exactly the latest value of each live key with offsets
// strictly increasing, tombstones still there until delete.retention.ms passed and gone after; a kafka-python
// consumer stopped half-way through the log while a cleaning ran goes on without error and ends with the
// latest values. Debian's /usr/bin/python3 has the Kafka modules.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const run = promisify(execFile);
const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RETENTION_MS = 2500;
/** Topic configs that make the cleaner act at once on a small log. */
const COMPACT = {
  'cleanup.policy': 'compact',
  'segment.bytes': '16384',
  'min.cleanable.dirty.ratio': '0.01',
  'delete.retention.ms': String(RETENTION_MS),
};

let broker: TestBroker;
let bootstrap: string;
beforeAll(async () => {
  broker = await startTestBroker({ sets: { 'log.cleaner.backoff.ms': '100' } });
  bootstrap = `127.0.0.1:${broker.port}`;
});
afterAll(async () => {
  await broker.close();
});

async function py(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(PY, ['-c', script, ...args], { timeout: 60_000 });
  return stdout;
}

interface Rec {
  offset: number;
  key: string;
  value: string | null;
}

/** kcat reads the whole partition: `offset key value` with NULL for a tombstone. */
async function kcatRead(topic: string): Promise<Rec[]> {
  const { stdout } = await run('kcat', ['-C', '-b', bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-Z', '-f', '%o\t%k\t%s\n'], { timeout: 30_000 });
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [o, k, v] = l.split('\t');
      return { offset: Number(o), key: k!, value: v === 'NULL' ? null : v! };
    });
}

async function kafkaPythonRead(topic: string): Promise<Rec[]> {
  const out = await py(
    `
import sys, json
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=sys.argv[1], enable_auto_commit=False, consumer_timeout_ms=4000, auto_offset_reset='earliest')
tp = TopicPartition(sys.argv[2], 0)
c.assign([tp]); c.seek_to_beginning(tp)
out = [[m.offset, m.key.decode(), None if m.value is None else m.value.decode()] for m in c]
c.close()
print(json.dumps(out))
`,
    bootstrap,
    topic,
  );
  return (JSON.parse(out.trim().split('\n').pop()!) as [number, string, string | null][]).map(([offset, key, value]) => ({ offset, key, value }));
}

/** The model: each key's last write. */
function latestOf(writes: { key: string; value: string | null }[]): Map<string, string | null> {
  const m = new Map<string, string | null>();
  for (const w of writes) m.set(w.key, w.value);
  return m;
}

function checkIncreasing(recs: Rec[]): void {
  for (let i = 1; i < recs.length; i++) expect(recs[i]!.offset, 'offsets strictly increase').toBeGreaterThan(recs[i - 1]!.offset);
}

/** Every key read exactly once with its latest value (tombstones: `tombstones` says whether they are expected). */
function expectCompacted(recs: Rec[], latest: Map<string, string | null>, tombstones: 'kept' | 'gone'): void {
  checkIncreasing(recs);
  const seen = new Map<string, (string | null)[]>();
  for (const r of recs) seen.set(r.key, [...(seen.get(r.key) ?? []), r.value]);
  for (const [key, value] of latest) {
    if (value === null && tombstones === 'gone') expect(seen.get(key), `tombstoned ${key} gone`).toBeUndefined();
    else expect(seen.get(key), `exactly the latest value of ${key}`).toEqual([value]);
  }
  for (const key of seen.keys()) expect(latest.has(key), `${key} was written`).toBe(true);
}

async function until(what: string, f: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > end) {
      const c = broker.context.logManager.cleaner;
      throw new Error(`timed out waiting for ${what} (cleaner: ${JSON.stringify(c?.counters)}, last error ${String(c?.lastError)})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Writes that roll the active segment, so the records before them become cleanable. */
function fillers(n: number): { key: string; value: string }[] {
  return Array.from({ length: n }, (_, i) => ({ key: 'filler', value: `f${i}-${randomBytes(500).toString('hex')}` }));
}

const tmp = mkdtempSync(join(tmpdir(), 'rivulet-compaction-clients-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Produces `writes` in order with confluent-kafka-python (idempotent, lz4); returns delivery errors. */
async function confluentProduce(topic: string, writes: { key: string; value: string | null }[]): Promise<string[]> {
  const file = join(tmp, `${topic}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(writes));
  const out = await py(
    `
import sys, json
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'enable.idempotence': True, 'compression.type': 'lz4', 'linger.ms': 5, 'batch.num.messages': 25})
errors = []
for w in json.load(open(sys.argv[3])):
    p.produce(sys.argv[2], key=w['key'].encode(), value=None if w['value'] is None else w['value'].encode(), partition=0,
              on_delivery=lambda e, m: errors.append(str(e)) if e else None)
p.flush(30)
print(json.dumps(errors))
`,
    bootstrap,
    topic,
    file,
  );
  return JSON.parse(out.trim().split('\n').pop()!) as string[];
}

/** Produces with kcat: one `key<TAB>value` line per record (-Z: an empty value is a tombstone). */
async function kcatProduce(topic: string, writes: { key: string; value: string | null }[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const p = spawn('kcat', ['-P', '-b', bootstrap, '-t', topic, '-p', '0', '-K', '\t', '-Z', '-X', 'batch.num.messages=25'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat -P exited ${code}: ${err}`))));
    p.stdin.end(writes.map((w) => `${w.key}\t${w.value ?? ''}\n`).join(''));
  });
}

function overwrites(prefix: string, keys: number, rounds: number, tombstoned: number): { key: string; value: string | null }[] {
  const writes: { key: string; value: string | null }[] = [];
  for (let round = 0; round < rounds; round++) for (let k = 0; k < keys; k++) writes.push({ key: `${prefix}-${k}`, value: `${prefix}-${k}-v${round}-${randomBytes(30).toString('hex')}` });
  for (let k = 0; k < tombstoned; k++) writes.push({ key: `${prefix}-${k}`, value: null });
  return writes;
}

describe('compacted topics with real clients', () => {
  it('AdminClient topic: the latest value per key after cleaning (kcat, kafka-python), tombstones until delete.retention.ms', async () => {
    const topic = 'compact-py';
    await py(
      `
import sys, json
from confluent_kafka.admin import AdminClient, NewTopic
a = AdminClient({'bootstrap.servers': sys.argv[1]})
for f in a.create_topics([NewTopic(sys.argv[2], 1, 1, config=json.loads(sys.argv[3]))]).values():
    f.result(20)
`,
      bootstrap,
      topic,
      JSON.stringify(COMPACT),
    );
    expect(broker.context.logManager.getLog(topic, 0)!.config['cleanup.policy']).toEqual(['compact']);
    const writes = [...overwrites('key', 60, 25, 10), ...fillers(45)];
    expect(await confluentProduce(topic, writes)).toEqual([]);
    const latest = latestOf(writes);
    const log = broker.context.logManager.getLog(topic, 0)!;
    const before = log.size;
    // Each key's last write lies in an inactive segment once the fillers rolled it: wait until a cleaning
    // got past all of them and the reads show it.
    await until('the cleaner to compact the topic', async () => {
      const recs = await kcatRead(topic);
      return recs.filter((r) => r.key !== 'filler').length === 60;
    });
    const kcat = await kcatRead(topic);
    expectCompacted(kcat.filter((r) => r.key !== 'filler'), new Map([...latest].filter(([k]) => k !== 'filler')), 'kept');
    expect(log.size, 'the log shrank').toBeLessThan(before / 4);
    const kp = await kafkaPythonRead(topic);
    expect(kp.map((r) => [r.offset, r.key, r.value])).toEqual(kcat.map((r) => [r.offset, r.key, r.value]));
    // After delete.retention.ms a cleaning drops the tombstones (nothing new is dirty: the horizon alone
    // brings the cleaner back).
    await new Promise((r) => setTimeout(r, RETENTION_MS));
    await until('the tombstones to go', async () => (await kcatRead(topic)).every((r) => r.value !== null));
    const after = await kcatRead(topic);
    expectCompacted(after.filter((r) => r.key !== 'filler'), new Map([...latest].filter(([k]) => k !== 'filler')), 'gone');
    expect(await kafkaPythonRead(topic)).toEqual(after);
  }, 120_000);

  it('rivulet topics --create topic written by kcat: compacted, keyless records refused', async () => {
    const topic = 'compact-cli';
    const args = ['bin/rivulet.js', 'topics', '--bootstrap-server', bootstrap, '--create', '--topic', topic, '--partitions', '1'];
    for (const [k, v] of Object.entries(COMPACT)) args.push('--config', `${k}=${v}`);
    await run(process.execPath, args, { cwd: ROOT, timeout: 30_000 });
    const writes = [...overwrites('c', 40, 30, 5), ...fillers(45)];
    await kcatProduce(topic, writes);
    const latest = latestOf(writes);
    latest.delete('filler');
    await until('the cleaner to compact the topic', async () => (await kcatRead(topic)).filter((r) => r.key !== 'filler').length === 40);
    const recs = (await kafkaPythonRead(topic)).filter((r) => r.key !== 'filler');
    expectCompacted(recs, latest, 'kept');
    // A record without a key cannot be compacted: Kafka refuses it (INVALID_RECORD) and so do we.
    const out = await py(
      `
import sys
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1]})
res = []
p.produce(sys.argv[2], value=b'no key', partition=0, on_delivery=lambda e, m: res.append(e.name() if e else 'ok'))
p.flush(20)
print(res[0])
`,
      bootstrap,
      topic,
    );
    expect(out.trim()).toBe('INVALID_RECORD');
  }, 120_000);

  it('a kafka-python consumer half-way through the log when a cleaning runs goes on without error', async () => {
    const topic = 'compact-midway';
    // Created with min.compaction.lag.ms of an hour (nothing cleanable yet): the consumer reads half, then the
    // lag is set back to 0 and the cleaner compacts the log under it.
    await py(
      `
import sys, json
from confluent_kafka.admin import AdminClient, NewTopic
a = AdminClient({'bootstrap.servers': sys.argv[1]})
cfg = json.loads(sys.argv[3]); cfg['min.compaction.lag.ms'] = '3600000'
for f in a.create_topics([NewTopic(sys.argv[2], 1, 1, config=cfg)]).values():
    f.result(20)
`,
      bootstrap,
      topic,
      JSON.stringify(COMPACT),
    );
    const writes = [...overwrites('m', 50, 30, 0), ...fillers(45)];
    expect(await confluentProduce(topic, writes)).toEqual([]);
    const log = broker.context.logManager.getLog(topic, 0)!;
    const cleaner = broker.context.logManager.cleaner!;
    const consumer = spawn(
      PY,
      [
        '-c',
        `
import sys, json
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=sys.argv[1], enable_auto_commit=False, auto_offset_reset='earliest', max_poll_records=100, fetch_max_bytes=65536, max_partition_fetch_bytes=16384)
tp = TopicPartition(sys.argv[2], 0)
c.assign([tp]); c.seek_to_beginning(tp)
seen = []
while len(seen) < 700:
    for recs in c.poll(timeout_ms=1000).values():
        seen.extend([m.offset, m.key.decode(), None if m.value is None else m.value.decode()] for m in recs)
print('HALF', seen[-1][0], flush=True)
sys.stdin.readline()
end = int(sys.argv[3])
idle = 0
while idle < 5 and (not seen or seen[-1][0] < end - 1):
    got = c.poll(timeout_ms=1000)
    idle = 0 if got else idle + 1
    for recs in got.values():
        seen.extend([m.offset, m.key.decode(), None if m.value is None else m.value.decode()] for m in recs)
print(json.dumps(seen), flush=True)
`,
        bootstrap,
        topic,
        String(log.logEndOffset),
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    consumer.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    consumer.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => consumer.on('exit', resolve));
    try {
      await until('the consumer to be half-way', () => stdout.includes('HALF'), 30_000);
      const half = Number(/HALF (\d+)/.exec(stdout)![1]);
      expect(half).toBeLessThan(log.logEndOffset / 2);
      const cleaned = cleaner.counters.cleanings;
      // AlterConfigs replaces the topic's whole set (confluent-kafka-python 1.7 has no incremental form).
      await py(
        `
import sys, json
from confluent_kafka.admin import AdminClient, ConfigResource
a = AdminClient({'bootstrap.servers': sys.argv[1]})
for f in a.alter_configs([ConfigResource('topic', sys.argv[2], set_config=json.loads(sys.argv[3]))]).values():
    f.result(20)
`,
        bootstrap,
        topic,
        JSON.stringify(COMPACT),
      );
      await until('a cleaning of the topic', () => cleaner.counters.cleanings > cleaned && cleaner.lastOutcome(topic, 0)?.status === 'swapped');
      consumer.stdin.end('go\n');
      expect(await exited, stderr).toBe(0);
    } finally {
      if (consumer.exitCode === null) consumer.kill('SIGKILL');
    }
    const seen = (JSON.parse(stdout.trim().split('\n').pop()!) as [number, string, string | null][]).map(([offset, key, value]) => ({ offset, key, value }));
    checkIncreasing(seen);
    const last = new Map<string, string | null>();
    for (const r of seen) last.set(r.key, r.value);
    for (const [k, v] of latestOf(writes)) expect(last.get(k), `the consumer ended with the latest value of ${k}`).toBe(v);
    expect(seen.length, 'the second half was compacted under the consumer').toBeLessThan(writes.length);
  }, 120_000);
});
