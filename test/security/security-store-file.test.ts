// The single broker's security metadata file: what is written is what a restart loads (ACLs, SCRAM
// credentials as Kafka stores them, quotas), a process killed in the middle of writes leaves the last
// complete version, and a corrupt file stops the broker with a message naming it instead of starting empty.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AclOperation, AclPermissionType, PatternType, ResourceType, type AclBinding } from '../../host-node/security/acl.js';
import { FileSecurityStore, SECURITY_METADATA_FILE, SecurityMetadataFileError } from '../../host-node/security/file-security-store.js';
import { newScramCredential } from '../../host-node/security/scram.js';
import { startBroker } from '../../host-node/broker.js';
import { silentLogger } from '../../host-node/util/log.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'rivulet-secfile-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const readAcl: AclBinding = {
  pattern: { resourceType: ResourceType.TOPIC, name: 'orders', patternType: PatternType.LITERAL },
  entry: { principal: 'User:alice', host: '*', operation: AclOperation.READ, permissionType: AclPermissionType.ALLOW },
};
const prefixedDeny: AclBinding = {
  pattern: { resourceType: ResourceType.GROUP, name: 'app-', patternType: PatternType.PREFIXED },
  entry: { principal: 'User:bob', host: '10.0.0.1', operation: AclOperation.DESCRIBE, permissionType: AclPermissionType.DENY },
};

describe('FileSecurityStore', () => {
  it('round-trips ACLs, SCRAM credentials and quotas through a restart, stored in Kafka ZooKeeper layout without passwords', async () => {
    const dir = tempDir();
    const s = FileSecurityStore.open(dir);
    const cred = newScramCredential('SCRAM-SHA-512', 'alice-secret', 8192);
    const seen: number[] = [];
    s.onChange((img) => seen.push(img.acls.length));
    await s.updateAcls([readAcl, prefixedDeny], []);
    await s.alterScram([{ user: 'alice', mechanism: 'SCRAM-SHA-512', credential: cred }]);
    await s.alterQuotas([
      { entity: { user: 'alice' }, set: { producer_byte_rate: 1024 } },
      { entity: { user: null }, set: { consumer_byte_rate: 2048 } },
      { entity: { user: 'alice', clientId: 'app/1' }, set: { request_percentage: 12.5 } },
      { entity: { ip: '10.0.0.1' }, set: { connection_creation_rate: 5 } },
    ]);
    expect(seen).toEqual([2, 2, 2]);
    await s.close();

    const text = readFileSync(join(dir, SECURITY_METADATA_FILE), 'utf8');
    expect(text).not.toContain('alice-secret');
    const file = JSON.parse(text) as { entries: Record<string, unknown> };
    expect(file.entries['/kafka-acl/Topic/orders']).toEqual({ version: 1, acls: [{ principal: 'User:alice', permissionType: 'Allow', operation: 'Read', host: '*' }] });
    expect(file.entries['/kafka-acl-extended/prefixed/Group/app-']).toEqual({ version: 1, acls: [{ principal: 'User:bob', permissionType: 'Deny', operation: 'Describe', host: '10.0.0.1' }] });
    const alice = (file.entries['/config/users/alice'] as { config: Record<string, string> }).config;
    expect(alice.producer_byte_rate).toBe('1024');
    expect(alice['SCRAM-SHA-512']).toMatch(/^salt=[A-Za-z0-9+/=]+,stored_key=[A-Za-z0-9+/=]+,server_key=[A-Za-z0-9+/=]+,iterations=8192$/);
    expect(file.entries['/config/users/<default>']).toEqual({ version: 1, config: { consumer_byte_rate: '2048' } });
    expect(file.entries['/config/users/alice/clients/app%2F1']).toEqual({ version: 1, config: { request_percentage: '12.5' } });
    expect(file.entries['/config/ips/10.0.0.1']).toEqual({ version: 1, config: { connection_creation_rate: '5' } });

    const again = FileSecurityStore.open(dir);
    const img = again.current();
    expect(img.acls).toEqual(expect.arrayContaining([readAcl, prefixedDeny]));
    expect(img.acls).toHaveLength(2);
    const back = img.scram.get('alice')!.get('SCRAM-SHA-512')!;
    expect(Buffer.from(back.salt).equals(Buffer.from(cred.salt))).toBe(true);
    expect(Buffer.from(back.storedKey).equals(Buffer.from(cred.storedKey))).toBe(true);
    expect(Buffer.from(back.serverKey).equals(Buffer.from(cred.serverKey))).toBe(true);
    expect(back.iterations).toBe(8192);
    expect(img.quotas).toEqual(
      expect.arrayContaining([
        { entity: { user: 'alice' }, values: { producer_byte_rate: 1024 } },
        { entity: { user: null }, values: { consumer_byte_rate: 2048 } },
        { entity: { user: 'alice', clientId: 'app/1' }, values: { request_percentage: 12.5 } },
        { entity: { ip: '10.0.0.1' }, values: { connection_creation_rate: 5 } },
      ]),
    );
    // Removing the last ACL / credential / quota of an entry removes the entry.
    await again.updateAcls([], [readAcl]);
    await again.alterScram([{ user: 'alice', mechanism: 'SCRAM-SHA-512', credential: null }]);
    await again.alterQuotas([{ entity: { user: 'alice' }, set: { producer_byte_rate: null } }]);
    const after = JSON.parse(readFileSync(join(dir, SECURITY_METADATA_FILE), 'utf8')) as { entries: Record<string, unknown> };
    expect(Object.keys(after.entries).sort()).toEqual(['/config/ips/10.0.0.1', '/config/users/<default>', '/config/users/alice/clients/app%2F1', '/kafka-acl-extended/prefixed/Group/app-']);
  });

  it('keeps every change of concurrent updates (each written from the image the previous one left)', async () => {
    const dir = tempDir();
    const s = FileSecurityStore.open(dir);
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.alterQuotas([{ entity: { clientId: `c${i}` }, set: { producer_byte_rate: i + 1 } }])));
    expect(FileSecurityStore.open(dir).current().quotas).toHaveLength(20);
  });

  it('a process killed during writes leaves the last complete version (old or new, never a mix)', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./support/security-file-writer.ts', import.meta.url)), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const deadline = Date.now() + 20_000;
    while (out.split('\n').length < 30 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    expect(child.exitCode, err).toBeNull();
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const acknowledged = out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
    const lastAck = acknowledged[acknowledged.length - 1]!;
    const img = FileSecurityStore.open(dir).current();
    const iterations = img.scram.get('u')!.get('SCRAM-SHA-256')!.iterations;
    // Every acknowledged write is durable; at most the one in flight may also be there.
    expect(iterations === lastAck || iterations === lastAck + 1).toBe(true);
    expect(img.scram.size).toBe(201);
  }, 40_000);

  it('a corrupt file stops the broker at start-up with a message naming it', async () => {
    const dir = tempDir();
    const path = join(dir, SECURITY_METADATA_FILE);
    writeFileSync(path, '{"version":1,"entries":{"/config/users/alice":{"version":1,"con');
    expect(() => FileSecurityStore.open(dir)).toThrow(SecurityMetadataFileError);
    await expect(startBroker({ host: '127.0.0.1', port: 0, dataDir: dir, log: silentLogger })).rejects.toThrow(`The security metadata file ${path} is unreadable`);
    // A credential that does not parse is refused too, not skipped.
    writeFileSync(path, JSON.stringify({ version: 1, entries: { '/config/users/alice': { version: 1, config: { 'SCRAM-SHA-256': 'salt=abc' } } } }));
    expect(() => FileSecurityStore.open(dir)).toThrow(/invalid SCRAM credential/);
    // The directory is usable again once the file is fixed (the failed start released its lock).
    rmSync(path);
    const b = await startBroker({ host: '127.0.0.1', port: 0, dataDir: dir, log: silentLogger });
    expect(b.context.securityStore.current().scram.size).toBe(0);
    await b.close();
  });
});
