// Property: after any sequence of admin operations, interleaved with clean restarts and crashes, the
// registry (rebuilt from disk) holds exactly what a simple model says: names, ids, partition counts,
// overrides, and the partition directories with their partition.metadata.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { BrokerConfig } from '../../host-node/config/index.js';
import { AdminError, TopicRegistry } from '../../host-node/topics/topic-registry.js';
import { silentLogger } from '../../host-node/util/log.js';
import { WasmStorageCore } from '../../storage/wasm-storage-core.js';
import { newCore } from '../../bindings/node.js';

interface Model {
  topicId: string;
  partitions: number;
  configs: Record<string, string>;
}

const NAMES = ['a', 'b', 'c.d', 'c_d', 'e-1'];
const CONFIGS: [string, string][] = [
  ['retention.ms', '60000'],
  ['retention.bytes', '1000000'],
  ['segment.bytes', '100000'],
  ['message.timestamp.type', 'LogAppendTime'],
  ['max.message.bytes', '5000'],
  ['cleanup.policy', 'delete'],
  ['retention.ms', '-2'], // invalid
  ['bogus.key', '1'], // invalid
];

type Op =
  | { k: 'create'; name: string; partitions: number; cfg: number[] }
  | { k: 'delete'; name: string }
  | { k: 'grow'; name: string; by: number }
  | { k: 'alter'; name: string; cfg: number[] }
  | { k: 'restart' }
  | { k: 'crash' };

const name = fc.constantFrom(...NAMES);
const cfg = fc.array(fc.integer({ min: 0, max: CONFIGS.length - 1 }), { maxLength: 3 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('create' as const), name, partitions: fc.integer({ min: 1, max: 3 }), cfg }),
  fc.record({ k: fc.constant('delete' as const), name }),
  fc.record({ k: fc.constant('grow' as const), name, by: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ k: fc.constant('alter' as const), name, cfg }),
  fc.constant({ k: 'restart' as const }),
  fc.constant({ k: 'crash' as const }),
);

function configsOf(idx: number[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of idx) out[CONFIGS[i]![0]] = CONFIGS[i]![1];
  return out;
}
const valid = (c: Record<string, string>) => !('bogus.key' in c) && c['retention.ms'] !== '-2';
const collides = (model: Map<string, Model>, n: string) => [...model.keys()].some((m) => m !== n && m.replace(/\./g, '_') === n.replace(/\./g, '_'));

it('the registry rebuilt from disk always matches the model', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
      const dir = mkdtempSync(join(tmpdir(), 'rivulet-admin-prop-'));
      const config = BrokerConfig.load({ flags: { dataDir: dir } });
      const open = () => new TopicRegistry({ config, nodeId: 1, core: new WasmStorageCore(newCore()), log: silentLogger, scheduler: false });
      let reg = open();
      const model = new Map<string, Model>();
      try {
        for (const o of ops) {
          try {
            switch (o.k) {
              case 'create': {
                const c = configsOf(o.cfg);
                const info = reg.createTopic({ name: o.name, numPartitions: o.partitions, replicationFactor: 1, configs: Object.entries(c).map(([n, v]) => ({ name: n, value: v })) });
                expect(model.has(o.name) || collides(model, o.name) || !valid(c)).toBe(false);
                model.set(o.name, { topicId: info.topicId, partitions: o.partitions, configs: c });
                break;
              }
              case 'delete':
                reg.deleteTopic(o.name);
                expect(model.has(o.name)).toBe(true);
                model.delete(o.name);
                break;
              case 'grow': {
                const m = model.get(o.name);
                reg.createPartitions(o.name, (m?.partitions ?? 1) + o.by, null);
                expect(m !== undefined && o.by > 0).toBe(true);
                m!.partitions += o.by;
                break;
              }
              case 'alter': {
                const c = configsOf(o.cfg);
                reg.setTopicConfigs(o.name, c);
                expect(model.has(o.name) && valid(c)).toBe(true);
                model.get(o.name)!.configs = c;
                break;
              }
              case 'restart':
                await reg.close();
                reg = open();
                break;
              case 'crash':
                reg.logManager.crash();
                reg = open();
                break;
            }
          } catch (e) {
            if (!(e instanceof AdminError)) throw e;
          }
          // The live registry matches the model after every step.
          expect(new Map([...reg.topics()].map((t) => [t.name, { topicId: t.topicId, partitions: t.partitions, configs: { ...t.configs } }]))).toEqual(model);
        }
        await reg.close();
        reg = open();
        expect(new Map([...reg.topics()].map((t) => [t.name, { topicId: t.topicId, partitions: t.partitions, configs: { ...t.configs } }]))).toEqual(model);
        for (const [n, m] of model) {
          for (let p = 0; p < m.partitions; p++) {
            expect(readFileSync(join(dir, `${n}-${p}`, 'partition.metadata'), 'utf8')).toBe(`version: 0\ntopic_id: ${m.topicId}\n`);
            const log = reg.partitionLog(n, p)!;
            expect(log.config['retention.ms']).toBe(m.configs['retention.ms'] !== undefined ? Number(m.configs['retention.ms']) : 604800000);
          }
          expect(existsSync(join(dir, `${n}-${m.partitions}`))).toBe(false);
        }
        for (const n of NAMES) if (!model.has(n)) expect(existsSync(join(dir, `${n}-0`))).toBe(false);
      } finally {
        await reg.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 40 },
  );
}, 120_000);
