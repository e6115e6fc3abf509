// The `.lock` in each log directory: a second broker on a directory in use (the CLI, or startBroker embedded
// in another process or in the same one) fails naming the directory and the holder's pid, and touches none of
// the live broker's files; a lock left by a SIGKILLed broker, by a dead or reused pid, or by Kafka (an empty
// file) never blocks a start; a clean stop removes the lock.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../host-node/broker.js';
import { LogDirLockedError } from '../../host-node/storage/log-dir-lock.js';
import { silentLogger } from '../../host-node/util/log.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { ROOT, cleanupChildEntry, produce, snapshotPartition, startChildBroker, v2Batch } from '../faults/helpers.js';

const run = promisify(execFile);
const CLEAN_SHUTDOWN = '.kafka_cleanshutdown';
const dirs: string[] = [];

function newDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'rivulet-lock-'));
  dirs.push(d);
  return d;
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/rivulet.js'))) execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
}, 180_000);

afterAll(async () => {
  await cleanupChildEntry();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The partition's files (segments, preallocated indexes, snapshots) as name → SHA-256, cheap to compare. */
const partitionDigests = (dir: string): Map<string, string> =>
  new Map([...snapshotPartition(dir, 'orders', 0, () => true)].map(([n, b]) => [n, createHash('sha256').update(b).digest('hex')]));

const lockText = (dir: string): string => readFileSync(join(dir, '.lock'), 'utf8');

async function startEmbedded(dataDir: string) {
  return startBroker({ host: '127.0.0.1', port: 0, dataDir, log: silentLogger });
}

/** `rivulet broker` on the directory: its exit code and stderr. */
async function cliBroker(dataDir: string): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [join(ROOT, 'bin/rivulet.js'), 'broker', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], { timeout: 20_000 });
    return { code: 0, stderr: '' };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
}

describe('a broker in another process holds the directory', () => {
  it('refuses a second broker without touching the live one, and a SIGKILLed broker restarts at once', async () => {
    const dir = newDir();
    const first = await startChildBroker(dir, {}, ['orders:1']);
    const c = await KafkaTestClient.connect(first.port);
    expect((await produce(c, 'orders', 0, v2Batch(['a', 'b', 'c']))).errorCode).toBe(0);
    expect(lockText(dir)).toMatch(new RegExp(`^pid=${first.proc.pid}\n`));
    const segments = partitionDigests(dir);
    const meta = readFileSync(join(dir, 'meta.properties'));

    // The CLI: exits 1, naming the directory and the holder.
    const cli = await cliBroker(dir);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`Failed to acquire lock on file .lock in ${dir}`);
    expect(cli.stderr).toContain(`pid ${first.proc.pid}`);
    // Embedded in this process: throws the same.
    const embedded = await startEmbedded(dir).catch((e: unknown) => e);
    expect(embedded).toBeInstanceOf(LogDirLockedError);
    expect(embedded).toMatchObject({ dir, holderPid: first.proc.pid });

    // The live broker's files are as they were, with no clean-shutdown marker, and it still serves.
    expect(existsSync(join(dir, CLEAN_SHUTDOWN))).toBe(false);
    expect(partitionDigests(dir)).toEqual(segments);
    expect(readFileSync(join(dir, 'meta.properties'))).toEqual(meta);
    expect(lockText(dir)).toMatch(new RegExp(`^pid=${first.proc.pid}\n`));
    expect(await produce(c, 'orders', 0, v2Batch(['d']))).toMatchObject({ errorCode: 0, baseOffset: 3n });
    c.close();

    // SIGKILL leaves the lock file behind; the restart takes it over at once.
    first.proc.kill('SIGKILL');
    await first.exited;
    expect(lockText(dir)).toMatch(new RegExp(`^pid=${first.proc.pid}\n`));
    const second = await startChildBroker(dir, {});
    expect(lockText(dir)).toMatch(new RegExp(`^pid=${second.proc.pid}\n`));
    const c2 = await KafkaTestClient.connect(second.port);
    expect(await produce(c2, 'orders', 0, v2Batch(['e']))).toMatchObject({ errorCode: 0, baseOffset: 4n });
    c2.close();

    // A clean stop removes the lock and writes the marker; the next broker starts.
    second.proc.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(join(dir, '.lock'))).toBe(false);
    expect(existsSync(join(dir, CLEAN_SHUTDOWN))).toBe(true);
    const third = await startEmbedded(dir);
    expect(lockText(dir)).toMatch(new RegExp(`^pid=${process.pid}\n`));
    await third.close();
    expect(existsSync(join(dir, '.lock'))).toBe(false);
  });
});

describe('embedded brokers in one process', () => {
  it('a second startBroker on the directory throws; the first keeps serving; close releases', async () => {
    const dir = newDir();
    const first = await startEmbedded(dir);
    const err = await startEmbedded(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LogDirLockedError);
    expect((err as Error).message).toBe(`Failed to acquire lock on file .lock in ${dir}: the directory is in use by a broker in this process (pid ${process.pid})`);
    expect(existsSync(join(dir, CLEAN_SHUTDOWN))).toBe(false);
    const c = await KafkaTestClient.connect(first.port);
    expect((await c.request(ApiKey.Metadata, 12, { topics: null })).brokers).toHaveLength(1);
    c.close();
    await first.close();
    const again = await startEmbedded(dir);
    await again.close();
  });

  it('one locked directory among log.dirs: nothing is formatted and no lock is kept', async () => {
    const free = newDir();
    const busy = newDir();
    const holder = await startEmbedded(busy);
    const err = await startBroker({ host: '127.0.0.1', port: 0, log: silentLogger, sets: { 'log.dirs': `${free},${busy}` } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ dir: busy, holderPid: process.pid });
    expect(readdirSync(free)).toEqual([]);
    await holder.close();
  });

  it('a failed start (port in use) releases the lock', async () => {
    const dir = newDir();
    const other = await startEmbedded(newDir());
    await expect(startBroker({ host: '127.0.0.1', port: other.port, dataDir: dir, log: silentLogger })).rejects.toThrow(/EADDRINUSE/);
    expect(existsSync(join(dir, '.lock'))).toBe(false);
    await other.close();
  });
});

describe('stale lock files never block a start', () => {
  const stale: [string, () => string][] = [
    ['a dead pid', () => `pid=${spawnSync(process.execPath, ['-e', '']).pid}\nstart=x\n`],
    ['a live pid reused by another process (pid 1, another start token)', () => `pid=1\nstart=not-the-same-start\n`],
    ['this pid in an earlier process (another start token)', () => `pid=${process.pid}\nstart=an-earlier-process\n`],
    ["Kafka's empty .lock", () => ''],
    ['a file naming no holder', () => 'garbage\n'],
  ];
  for (const [what, content] of stale)
    it(what, async () => {
      const dir = newDir();
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, '.lock'), content());
      const b = await startEmbedded(dir);
      expect(lockText(dir)).toMatch(new RegExp(`^pid=${process.pid}\n`));
      await b.close();
      expect(readdirSync(dir).filter((n) => n.startsWith('.lock'))).toEqual([]);
    });
});
