// The built broker (bin/rivulet.js → dist/) keeps topics, ids and configs across a restart; a bad topic
// config key fails start-up with exit code 2 and the key's name.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-cli-topics-'));

function newest(dir: string): number {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : n.endsWith('.ts') ? s.mtimeMs : 0);
  }
  return t;
}

beforeAll(() => {
  const entry = join(root, 'dist/host-node/cli/main.js');
  if (!existsSync(entry) || statSync(entry).mtimeMs < newest(join(root, 'host-node'))) {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  }
}, 180_000);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function startCli(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [join(root, 'bin/rivulet.js'), 'broker', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 15_000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  return { child, port };
}

async function stopCli(child: ChildProcess): Promise<void> {
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
}

it('keeps topics across a restart of rivulet broker', async () => {
  const a = await startCli();
  const c1 = await KafkaTestClient.connect(a.port);
  const ct = await c1.request(ApiKey.CreateTopics, 7, {
    topics: [{ name: 'cli-topic', numPartitions: 2, replicationFactor: -1, configs: [{ name: 'retention.ms', value: '99000' }] }],
    timeoutMs: 1000,
  });
  expect(ct.topics[0]!.errorCode).toBe(0);
  c1.close();
  await stopCli(a.child);

  const b = await startCli();
  const { stdout } = await run('kcat', ['-L', '-b', `127.0.0.1:${b.port}`, '-m', '10'], { timeout: 20_000 });
  expect(stdout).toMatch(/topic "cli-topic" with 2 partitions:/);
  const c2 = await KafkaTestClient.connect(b.port);
  const md = await c2.request(ApiKey.Metadata, 12, { topics: null });
  expect(md.topics.map((t) => [t.name, t.topicId])).toEqual([['cli-topic', ct.topics[0]!.topicId]]);
  const dc = await c2.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: 'cli-topic', configurationKeys: ['retention.ms'] }] });
  expect(dc.results[0]!.configs[0]).toMatchObject({ value: '99000', configSource: 1 });
  c2.close();
  await stopCli(b.child);
});

it('a bad log config fails start-up with exit code 2 naming the key', async () => {
  const r = await run(process.execPath, [join(root, 'bin/rivulet.js'), 'broker', '--set', 'log.segment.bytes=1', '--data-dir', join(tmpdir(), 'unused')]).catch(
    (e: { code: number; stderr: string }) => e,
  );
  expect((r as { code: number }).code).toBe(2);
  expect((r as { stderr: string }).stderr).toMatch(/log\.segment\.bytes/);
});
