// The cluster's security metadata in a real etcd: the keys and JSON of Kafka's ZooKeeper layout, two stores
// (two brokers) seeing each other's changes through their watches, concurrent changes of the same user from
// both all kept (each write compares the mod revisions it read), and values other tools wrote are read.
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdSecurityStore } from '../../host-node/cluster/etcd-security-store.js';
import { AclOperation, AclPermissionType, PatternType, ResourceType, type AclBinding } from '../../host-node/security/acl.js';
import { newScramCredential } from '../../host-node/security/scram.js';
import type { SecurityImage, SecurityStore } from '../../host-node/security/security-store.js';
import { startEtcd, type EtcdHandle } from '../helpers/etcd.js';

let etcd: EtcdHandle;
let raw: Etcd3;
const stores: SecurityStore[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
  raw = new Etcd3({ hosts: etcd.endpoint });
}, 30_000);

afterAll(async () => {
  for (const s of stores) await s.close();
  raw?.close();
  await etcd?.stop();
});

async function open(chroot = '/sec'): Promise<EtcdSecurityStore> {
  const s = await EtcdSecurityStore.connect(`${etcd.connect}${chroot}`);
  stores.push(s);
  return s;
}

async function eventually(what: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const acl = (name: string, principal: string, patternType: PatternType = PatternType.LITERAL): AclBinding => ({
  pattern: { resourceType: ResourceType.TOPIC, name, patternType },
  entry: { principal, host: '*', operation: AclOperation.WRITE, permissionType: AclPermissionType.ALLOW },
});

describe('EtcdSecurityStore', () => {
  it("writes Kafka's ZooKeeper layout, and a second store sees every change through its watch", async () => {
    const a = await open('/l1');
    const b = await open('/l1');
    const images: SecurityImage[] = [];
    b.onChange((img) => images.push(img));
    await a.updateAcls([acl('orders', 'User:alice'), acl('logs-', 'User:bob', PatternType.PREFIXED)], []);
    await a.alterScram([{ user: 'alice', mechanism: 'SCRAM-SHA-256', credential: newScramCredential('SCRAM-SHA-256', 'pw', 8192) }]);
    await a.alterQuotas([
      { entity: { user: 'alice' }, set: { producer_byte_rate: 1024 } },
      { entity: { clientId: null }, set: { consumer_byte_rate: 10 } },
      { entity: { user: 'alice', clientId: 'app' }, set: { request_percentage: 50 } },
    ]);
    // Visible in the writer's image as soon as the write resolved.
    expect(a.current().acls).toHaveLength(2);
    expect(a.current().scram.get('alice')?.get('SCRAM-SHA-256')?.iterations).toBe(8192);

    const kv = async (k: string) => JSON.parse((await raw.get(`/l1${k}`).string()) ?? 'null') as unknown;
    expect(await kv('/kafka-acl/Topic/orders')).toEqual({ version: 1, acls: [{ principal: 'User:alice', permissionType: 'Allow', operation: 'Write', host: '*' }] });
    expect(await kv('/kafka-acl-extended/prefixed/Topic/logs-')).toEqual({ version: 1, acls: [{ principal: 'User:bob', permissionType: 'Allow', operation: 'Write', host: '*' }] });
    const alice = (await kv('/config/users/alice')) as { version: number; config: Record<string, string> };
    expect(alice.version).toBe(1);
    expect(alice.config.producer_byte_rate).toBe('1024');
    expect(alice.config['SCRAM-SHA-256']).toMatch(/^salt=[^,]+,stored_key=[^,]+,server_key=[^,]+,iterations=8192$/);
    expect(await kv('/config/clients/<default>')).toEqual({ version: 1, config: { consumer_byte_rate: '10' } });
    expect(await kv('/config/users/alice/clients/app')).toEqual({ version: 1, config: { request_percentage: '50' } });

    await eventually(() => b.current().quotas.length === 3 && b.current().acls.length === 2 && b.current().scram.size === 1);
    expect(images.length).toBeGreaterThan(0);
    expect(b.current().scram.get('alice')!.get('SCRAM-SHA-256')!.storedKey).toEqual(a.current().scram.get('alice')!.get('SCRAM-SHA-256')!.storedKey);

    // Deleting the last credential keeps the user's quota; removing the quota then deletes the key.
    await b.alterScram([{ user: 'alice', mechanism: 'SCRAM-SHA-256', credential: null }]);
    expect(await kv('/config/users/alice')).toEqual({ version: 1, config: { producer_byte_rate: '1024' } });
    await b.alterQuotas([{ entity: { user: 'alice' }, set: { producer_byte_rate: null } }]);
    expect(await raw.get('/l1/config/users/alice').string()).toBeNull();
    await eventually(() => a.current().scram.size === 0 && a.current().quotas.length === 2);
  });

  it('concurrent changes of the same keys from two stores are all kept (conditional writes retried)', async () => {
    const a = await open('/c1');
    const b = await open('/c1');
    const n = 15;
    await Promise.all([
      ...Array.from({ length: n }, (_, i) => a.alterQuotas([{ entity: { user: 'carol' }, set: { [`producer_byte_rate`]: 1000 + i } }])),
      ...Array.from({ length: n }, (_, i) => b.updateAcls([acl('shared', `User:u${i}`)], [])),
      ...Array.from({ length: n }, (_, i) => a.updateAcls([acl('shared', `User:v${i}`)], [])),
      a.alterScram([{ user: 'carol', mechanism: 'SCRAM-SHA-256', credential: newScramCredential('SCRAM-SHA-256', 'x', 4096) }]),
      b.alterScram([{ user: 'carol', mechanism: 'SCRAM-SHA-512', credential: newScramCredential('SCRAM-SHA-512', 'y', 4096) }]),
      b.alterQuotas([{ entity: { user: 'carol' }, set: { consumer_byte_rate: 77 } }]),
    ]);
    const stored = JSON.parse((await raw.get('/c1/kafka-acl/Topic/shared').string())!) as { acls: { principal: string }[] };
    expect(stored.acls).toHaveLength(2 * n);
    await eventually(() => b.current().acls.length === 2 * n && a.current().acls.length === 2 * n);
    const carol = JSON.parse((await raw.get('/c1/config/users/carol').string())!) as { config: Record<string, string> };
    expect(Object.keys(carol.config).sort()).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-512', 'consumer_byte_rate', 'producer_byte_rate']);
    await eventually(() => a.current().scram.get('carol')?.size === 2 && b.current().scram.get('carol')?.size === 2);
  }, 30_000);

  it('loads what was written before it opened (another tool or broker), and keeps an unparsable entry out', async () => {
    await raw.put('/p1/config/users/dave').value(JSON.stringify({ version: 1, config: { consumer_byte_rate: '5', 'SCRAM-SHA-512': 'garbage' } }));
    await raw.put('/p1/config/ips/<default>').value(JSON.stringify({ version: 1, config: { connection_creation_rate: '3' } }));
    const errors: string[] = [];
    const s = await EtcdSecurityStore.connect(`${etcd.connect}/p1`, { onError: (e) => errors.push(e.message) });
    stores.push(s);
    expect(s.current().quotas).toEqual([{ entity: { ip: null }, values: { connection_creation_rate: 3 } }]);
    expect(errors.join()).toMatch(/\/config\/users\/dave: invalid SCRAM credential/);
  });

  it('keeps the configs it does not model when it rewrites an entry (what other tools wrote there)', async () => {
    await raw.put('/k1/config/clients/app').value(JSON.stringify({ version: 1, config: { 'custom.setting': 'x', producer_byte_rate: '10' } }));
    const s = await open('/k1');
    await s.alterQuotas([{ entity: { clientId: 'app' }, set: { producer_byte_rate: 20 } }]);
    expect(JSON.parse((await raw.get('/k1/config/clients/app').string())!)).toEqual({ version: 1, config: { 'custom.setting': 'x', producer_byte_rate: '20' } });
    await s.alterQuotas([{ entity: { clientId: 'app' }, set: { producer_byte_rate: null } }]);
    expect(JSON.parse((await raw.get('/k1/config/clients/app').string())!)).toEqual({ version: 1, config: { 'custom.setting': 'x' } });
  });
});
