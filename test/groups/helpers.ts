// Shared helpers for the group coordinator tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSUMER_OFFSETS_TOPIC, GroupCoordinator, type CoordinatorConfig, type OffsetsTopicLogs } from '../../host-node/group/index.js';
import { ManualClock } from './manual-clock.js';
import type { JoinParams } from '../../host-node/group/coordinator.js';
import type { JoinResult, SyncResult } from '../../host-node/group/member.js';
import { LogManager } from '../../storage/index.js';
import { Writer } from '../../protocol/wire/writer.js';
import { encodeConsumerProtocolSubscription, sizeConsumerProtocolSubscription } from '../../protocol/generated/consumer-protocol-subscription.js';
import { encodeConsumerProtocolAssignment, sizeConsumerProtocolAssignment } from '../../protocol/generated/consumer-protocol-assignment.js';
import { WasmStorageCore } from '../../storage/wasm-storage-core.js';
import { newCore } from '../../bindings/node.js';
import { realFs } from '../../host-node/storage/node-fs.js';

/** __consumer_offsets partitions straight from a LogManager (no topic registry), kept forever. */
export function offsetsLogsFromManager(logs: LogManager, segmentBytes = 104857600): OffsetsTopicLogs {
  const config = { 'retention.ms': -1, 'retention.bytes': -1, 'segment.bytes': segmentBytes };
  return {
    existing: (p) => logs.logFor(CONSUMER_OFFSETS_TOPIC, p),
    getOrCreate: (p) => logs.getOrCreateLog(CONSUMER_OFFSETS_TOPIC, p, config),
  };
}

/** Consumer protocol subscription bytes (int16 version + struct), as a Java/librdkafka consumer sends. */
export function subscription(topics: string[], version = 1): Uint8Array {
  const msg = { topics, userData: null, ownedPartitions: [] };
  const w = new Writer(2 + sizeConsumerProtocolSubscription(version, msg));
  w.int16(version);
  encodeConsumerProtocolSubscription(w, version, msg);
  return w.buf;
}

export function assignment(parts: { topic: string; partitions: number[] }[], version = 1): Uint8Array {
  const msg = { assignedPartitions: parts, userData: null };
  const w = new Writer(2 + sizeConsumerProtocolAssignment(version, msg));
  w.int16(version);
  encodeConsumerProtocolAssignment(w, version, msg);
  return w.buf;
}

export const tick = () => new Promise<void>((r) => setImmediate(r));

/** Lets promises (store writes) settle. */
export async function settle(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await tick();
}

export interface Harness {
  c: GroupCoordinator;
  clock: ManualClock;
  lm: LogManager;
  dir: string;
  /** A new coordinator over the same log dir (after shutting this one's storage down). */
  restart(): Promise<Harness>;
  close(): Promise<void>;
}

export async function harness(config: Partial<CoordinatorConfig> = {}, dir = mkdtempSync(join(tmpdir(), 'rivulet-groups-'))): Promise<Harness> {
  const core = newCore();
  const lm = new LogManager({ config: { 'log.dirs': [dir] }, core: new WasmStorageCore(core), fs: realFs, scheduler: false });
  const clock = new ManualClock();
  const c = new GroupCoordinator({ core, logs: offsetsLogsFromManager(lm), config: { initialRebalanceDelayMs: 0, offsetsTopicPartitions: 5, ...config }, clock });
  c.start();
  const h: Harness = {
    c,
    clock,
    lm,
    dir,
    async restart() {
      await c.shutdown();
      await lm.shutdown();
      return harness(config, dir);
    },
    async close() {
      await c.shutdown();
      await lm.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

export function joinParams(groupId: string, over: Partial<JoinParams> = {}): JoinParams {
  return {
    groupId,
    memberId: '',
    groupInstanceId: null,
    requireKnownMemberId: false,
    supportsSkipAssignment: true,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    rebalanceTimeoutMs: 10000,
    sessionTimeoutMs: 10000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t']) }],
    ...over,
  };
}

/** A pending promise whose state can be inspected. */
export function track<T>(p: Promise<T>): { promise: Promise<T>; value: T | undefined; done: boolean } {
  const s = { promise: p, value: undefined as T | undefined, done: false };
  p.then((v) => {
    s.value = v;
    s.done = true;
  });
  return s;
}

export type { JoinResult, SyncResult };
