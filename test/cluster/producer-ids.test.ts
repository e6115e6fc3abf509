// Producer ids are unique across the cluster: every broker takes blocks of ids from etcd's
// /latest_producer_id_block. Two idempotent producers with one id would have the second one's batches
// taken for the first one's duplicates, acknowledged and never written (found with kcat: two producers
// through different brokers, the second one's records answered "delivered" and missing).
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/api.js';
import { ErrorCode } from '../../protocol/errors.js';
import { Admin, Cluster } from '../../host-node/client/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { InProcessCluster } from './support/in-process-cluster.js';

let c: InProcessCluster;

/** kcat as a child process (the brokers run in this process: its event loop must stay free). */
function kcat(args: string[], input = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
    p.stdin.end(input);
  });
}

beforeAll(async () => {
  c = await InProcessCluster.start({ sets: { 'default.replication.factor': '3' } });
}, 60_000);

afterAll(async () => {
  await c?.close();
});

describe('producer ids in a cluster', () => {
  it('InitProducerId hands out distinct ids on every broker, in blocks taken from etcd', async () => {
    const ids: bigint[] = [];
    for (const id of c.runningIds()) {
      const client = await KafkaTestClient.connect(c.broker(id).port);
      try {
        for (let i = 0; i < 5; i++) {
          const r = await client.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
          expect(r.errorCode).toBe(ErrorCode.NONE);
          ids.push(r.producerId);
        }
      } finally {
        client.raw.close();
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    // Each broker took its own block: the ids of different brokers are at least a block apart.
    const firsts = [0, 5, 10].map((i) => ids[i]!).sort((a, b) => (a < b ? -1 : 1));
    expect(firsts[1]! - firsts[0]!).toBeGreaterThanOrEqual(1000n);
    expect(firsts[2]! - firsts[1]!).toBeGreaterThanOrEqual(1000n);
  });

  it('two kcat idempotent producers bootstrapped through different brokers both land all their records', async () => {
    const admin = new Admin(new Cluster({ bootstrapServers: c.bootstrap() }));
    await admin.createTopics([{ name: 'pid-kcat', numPartitions: 1, replicationFactor: 3 }]);
    const ports = c.runningIds().map((id) => c.broker(id).port);
    const produce = (port: number, from: number) =>
      kcat(['-b', `127.0.0.1:${port}`, '-P', '-t', 'pid-kcat', '-X', 'acks=all', '-X', 'enable.idempotence=true'], Array.from({ length: 100 }, (_, i) => `v${from + i}`).join('\n') + '\n');
    expect((await produce(ports[0]!, 0)).status).toBe(0);
    expect((await produce(ports[1]!, 100)).status).toBe(0);
    const out = await kcat(['-b', c.bootstrap(), '-C', '-t', 'pid-kcat', '-o', 'beginning', '-e', '-q']);
    const values = new Set(out.stdout.split('\n').filter((l) => l !== ''));
    expect(values.size).toBe(200);
    await admin.close();
  }, 60_000);
});
