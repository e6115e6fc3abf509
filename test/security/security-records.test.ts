// The ZooKeeper-layout records both security stores keep: Kafka's Sanitizer for entity names, the
// credential string of ScramCredentialUtils, and what a reader does with entries it cannot use.
import { describe, expect, it } from 'vitest';
import { decodeScramCredential, encodeScramCredential, imageFromEntries, quotaEntityPath, sanitizeEntityName, securityEntries } from '../../host-node/security/security-records.js';
import { AclOperation, AclPermissionType, PatternType, ResourceType } from '../../host-node/security/acl.js';

describe('security records', () => {
  it("sanitizes entity names as Kafka's Sanitizer (URL-encoding, %20 and %2A)", () => {
    expect(sanitizeEntityName('CN=alice,O=Org')).toBe('CN%3Dalice%2CO%3DOrg');
    expect(sanitizeEntityName('a b*c/d')).toBe('a%20b%2Ac%2Fd');
    expect(sanitizeEntityName("x!'()~-_.")).toBe('x%21%27%28%29%7E-_.');
    expect(sanitizeEntityName('<default>')).toBe('%3Cdefault%3E');
    expect(quotaEntityPath({ user: 'CN=alice,O=Org', clientId: null })).toBe('/config/users/CN%3Dalice%2CO%3DOrg/clients/<default>');
    const back = imageFromEntries([[quotaEntityPath({ user: 'a b*c/d' }), '{"version":1,"config":{"producer_byte_rate":"5"}}']], () => {});
    expect(back.quotas).toEqual([{ entity: { user: 'a b*c/d' }, values: { producer_byte_rate: 5 } }]);
  });

  it("writes credentials as ScramCredentialUtils.credentialToString and reads them back", () => {
    const c = { salt: Buffer.from([1, 2, 3]), storedKey: Buffer.from([4]), serverKey: Buffer.from([5, 6]), iterations: 4096 };
    expect(encodeScramCredential(c)).toBe('salt=AQID,stored_key=BA==,server_key=BQY=,iterations=4096');
    expect(decodeScramCredential('/p', 'salt=AQID,stored_key=BA==,server_key=BQY=,iterations=4096')).toEqual(c);
    expect(() => decodeScramCredential('/p', 'salt=AQID,iterations=4096')).toThrow('/p: invalid SCRAM credential');
  });

  it('ignores keys outside the layout, reports entries that do not parse, and round-trips images', () => {
    const errors: string[] = [];
    const img = imageFromEntries(
      [
        ['/config/topics/orders', '{"version":1,"config":{"retention.ms":"1"}}'],
        ['/kafka-acl/Widget/x', '{"version":1,"acls":[]}'],
        ['/kafka-acl/Topic/bad', '{"version":1,"acls":[{"principal":"User:a","permissionType":"Maybe","operation":"Read","host":"*"}]}'],
        ['/kafka-acl/Cluster/kafka-cluster', '{"version":1,"acls":[{"principal":"User:a","permissionType":"Allow","operation":"IdempotentWrite","host":"*"}]}'],
        ['/config/users/<default>', '{"version":1,"config":{"SCRAM-SHA-256":"salt=AQID,stored_key=BA==,server_key=BQY=,iterations=4096"}}'],
      ],
      (e) => errors.push(e.message),
    );
    expect(img.acls).toEqual([
      { pattern: { resourceType: ResourceType.CLUSTER, name: 'kafka-cluster', patternType: PatternType.LITERAL }, entry: { principal: 'User:a', host: '*', operation: AclOperation.IDEMPOTENT_WRITE, permissionType: AclPermissionType.ALLOW } },
    ]);
    expect(errors).toEqual([expect.stringContaining('/kafka-acl/Topic/bad: invalid ACL'), expect.stringContaining("/config/users/<default>: SCRAM credentials outside a user's config")]);
    expect(securityEntries(img)).toEqual(new Map([['/kafka-acl/Cluster/kafka-cluster', '{"version":1,"acls":[{"principal":"User:a","permissionType":"Allow","operation":"IdempotentWrite","host":"*"}]}']]));
  });
});
