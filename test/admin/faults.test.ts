// Disk failures during admin operations: the operation answers KAFKA_STORAGE_ERROR and leaves nothing
// half-done (no topic visible, no partition directories, old configs still in force).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { BrokerConfig } from '../../host-node/config/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { FaultyFs } from '../helpers/faulty-fs.js';
import { AdminError, TopicRegistry } from '../../host-node/topics/topic-registry.js';
import { silentLogger } from '../../host-node/util/log.js';
import { WasmStorageCore } from '../../storage/wasm-storage-core.js';
import { newCore } from '../../bindings/node.js';

const dirs: string[] = [];
const regs: TopicRegistry[] = [];
afterEach(async () => {
  for (const r of regs.splice(0)) await r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(dir: string, fs: FaultyFs): TopicRegistry {
  const config = BrokerConfig.load({ flags: { dataDir: dir } });
  const r = new TopicRegistry({ config, nodeId: 1, core: new WasmStorageCore(newCore()), log: silentLogger, fs, scheduler: false });
  regs.push(r);
  return r;
}

function codeOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof AdminError ? e.code : -999;
  }
  return undefined;
}

it('a failing topic record write refuses create / alter / grow / delete with KAFKA_STORAGE_ERROR', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-admin-faults-'));
  dirs.push(dir);
  const fs = new FaultyFs();
  const reg = open(dir, fs);
  reg.createTopic({ name: 'ok', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'retention.ms', value: '1000' }] });

  const off = fs.inject({ op: 'write', code: 'ENOSPC', pathIncludes: 'rivulet-topics' });
  expect(codeOf(() => reg.createTopic({ name: 'nope', numPartitions: 2, replicationFactor: 1 }))).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
  expect(reg.topic('nope')).toBeUndefined();
  expect(existsSync(join(dir, 'nope-0'))).toBe(false);
  expect(codeOf(() => reg.setTopicConfigs('ok', { 'retention.ms': '5' }))).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
  expect(reg.partitionLog('ok', 0)!.config['retention.ms']).toBe(1000);
  expect(codeOf(() => reg.createPartitions('ok', 3, null))).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
  expect(reg.topic('ok')!.partitions).toBe(1);
  expect(codeOf(() => reg.deleteTopic('ok'))).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
  expect(reg.partitionLog('ok', 0)).toBeDefined();
  off();
  expect(codeOf(() => reg.createTopic({ name: 'nope', numPartitions: 2, replicationFactor: 1 }))).toBeUndefined();
});

it('a partition directory that cannot be created rolls the topic back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-admin-faults-'));
  dirs.push(dir);
  const fs = new FaultyFs();
  const reg = open(dir, fs);
  fs.inject({ op: 'mkdir', code: 'EIO', pathIncludes: 'broken-2' });
  expect(codeOf(() => reg.createTopic({ name: 'broken', numPartitions: 3, replicationFactor: 1 }))).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
  expect(reg.topic('broken')).toBeUndefined();
  expect(existsSync(join(dir, 'rivulet-topics', 'broken.json'))).toBe(false);
  expect(existsSync(join(dir, 'broken-0'))).toBe(false);
});
