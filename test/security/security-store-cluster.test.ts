// A cluster's security metadata lives in etcd: a credential and a quota altered through one broker are in
// etcd under Kafka's ZooKeeper paths and served by the other broker (its watch), no file is written beside
// the logs, and a broker started later loads them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../host-node/client/admin.js';
import { SECURITY_METADATA_FILE } from '../../host-node/security/file-security-store.js';
import { InProcessCluster, until } from '../cluster/support/in-process-cluster.js';

let c: InProcessCluster;
let etcd: Etcd3;

beforeAll(async () => {
  c = await InProcessCluster.start({ ids: [1, 2], sets: { 'broker.session.timeout.ms': '2000', 'broker.heartbeat.interval.ms': '500' } });
  etcd = new Etcd3({ hosts: c.etcd.endpoint });
}, 60_000);

afterAll(async () => {
  etcd?.close();
  await c?.close();
}, 60_000);

describe('security metadata in a cluster', () => {
  it('what one broker writes is in etcd and served by the other', async () => {
    const a1 = new Admin({ bootstrapServers: `127.0.0.1:${c.broker(1).port}` });
    const a2 = new Admin({ bootstrapServers: `127.0.0.1:${c.broker(2).port}` });
    try {
      expect(await a1.alterUserScramCredentials([{ user: 'alice', mechanism: 'SCRAM-SHA-256', password: 'pw', iterations: 8192 }])).toEqual([
        { user: 'alice', errorCode: 0, errorMessage: null },
      ]);
      await a1.alterClientQuotas([{ entity: { user: 'alice' }, ops: { producer_byte_rate: 1024 } }]);
      const stored = JSON.parse((await etcd.get('/config/users/alice').string())!) as { version: number; config: Record<string, string> };
      expect(stored.config.producer_byte_rate).toBe('1024');
      expect(stored.config['SCRAM-SHA-256']).toMatch(/iterations=8192$/);

      await until('broker 2 serves the credential', () => c.broker(2).context.securityStore.current().scram.has('alice'), 5000);
      expect((await a2.describeUserScramCredentials(['alice']))[0]!.credentials).toEqual([{ mechanism: 'SCRAM-SHA-256', iterations: 8192 }]);
      expect(await a2.describeClientQuotas([{ entityType: 'user', matchType: 0, match: 'alice' }])).toEqual([{ entity: { user: 'alice' }, values: { producer_byte_rate: 1024 } }]);

      // A change through broker 2 reaches broker 1.
      await a2.alterClientQuotas([{ entity: { user: 'alice' }, ops: { producer_byte_rate: 2048 } }]);
      await until('broker 1 sees the new quota', () => c.broker(1).context.securityStore.current().quotas.some((q) => q.values.producer_byte_rate === 2048), 5000);
      for (const id of [1, 2]) expect(existsSync(join(c.dataDir(id), SECURITY_METADATA_FILE))).toBe(false);
    } finally {
      await a1.close();
      await a2.close();
    }
  });

  it('a broker started again loads the security metadata from etcd', async () => {
    await c.stopNode(2);
    const b = await c.startNode(2);
    expect(b.context.securityStore.current().scram.get('alice')?.get('SCRAM-SHA-256')?.iterations).toBe(8192);
  }, 30_000);
});
