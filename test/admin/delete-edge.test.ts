// Deleting topics at the edges: a 249-character name (the `-delete` directory name must still fit in 255
// bytes) and a topic with a partition that failed to load. Neither may come back after a restart.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { BrokerConfig } from '../../host-node/config/index.js';
import { FaultyFs } from '../helpers/faulty-fs.js';
import { TopicRegistry } from '../../host-node/topics/topic-registry.js';
import { silentLogger } from '../../host-node/util/log.js';
import { WasmStorageCore } from '../../storage/wasm-storage-core.js';
import { newCore } from '../../bindings/node.js';

const dirs: string[] = [];
const regs: TopicRegistry[] = [];
afterEach(async () => {
  for (const r of regs.splice(0)) await r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(dir: string, fs?: FaultyFs): TopicRegistry {
  const r = new TopicRegistry({ config: BrokerConfig.load({ flags: { dataDir: dir } }), nodeId: 1, core: new WasmStorageCore(newCore()), log: silentLogger, fs, scheduler: false });
  regs.push(r);
  return r;
}

async function reopen(r: TopicRegistry, dir: string, fs?: FaultyFs): Promise<TopicRegistry> {
  await r.close();
  regs.splice(regs.indexOf(r), 1);
  return open(dir, fs);
}

it('a topic with a 249-character name is deleted for good', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-admin-del-'));
  dirs.push(dir);
  const name = 'n'.repeat(249);
  let reg = open(dir);
  reg.createTopic({ name, numPartitions: 2, replicationFactor: 1 });
  expect(existsSync(join(dir, `${name}-1`))).toBe(true);
  reg.deleteTopic(name);
  expect(existsSync(join(dir, `${name}-0`))).toBe(false);
  reg = await reopen(reg, dir);
  expect(reg.topic(name)).toBeUndefined();
  expect(readdirSync(dir).filter((d) => d.startsWith('nnn'))).toEqual([]);
});

it('a partition that failed to load is deleted with its topic', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-admin-del-'));
  dirs.push(dir);
  let reg = open(dir);
  reg.createTopic({ name: 'sick', numPartitions: 2, replicationFactor: 1 });
  const fs = new FaultyFs();
  const off = fs.inject({ op: 'open', code: 'EIO', pathIncludes: 'sick-1' });
  reg = await reopen(reg, dir, fs);
  off();
  expect(reg.logManager.startup.failedLogs.map((f) => `${f.topic}-${f.partition}`)).toEqual(['sick-1']);
  expect(reg.topic('sick')!.partitions).toBe(2);
  reg.deleteTopic('sick');
  await new Promise((r) => setTimeout(r, 50));
  expect(existsSync(join(dir, 'sick-1'))).toBe(false);
  reg = await reopen(reg, dir);
  expect(reg.topic('sick')).toBeUndefined();
});
