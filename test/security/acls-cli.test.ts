// `rivulet acls` end to end against a broker with the built-in authorizer: kafka-acls.sh's options
// (--producer / --consumer shortcuts, --list with resources and --principal, --remove with and without
// --force), its output lines and its usage errors; and a broker without an authorizer.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as acls } from '../../host-node/cli/acls.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { tool } from '../helpers/cli-tool.js';
import { AclOperation, ResourceType } from '../../host-node/security/acl.js';

let secured: TestBroker;
let plain: TestBroker;
let bs: string;
let tmp: string;
beforeAll(async () => {
  [secured, plain] = await Promise.all([
    // User:ANONYMOUS (the plaintext tool) is a super user, so the ACL APIs are allowed whatever rules apply to them.
    startTestBroker({ sets: { 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer', 'super.users': 'User:ANONYMOUS' } }),
    startTestBroker(),
  ]);
  bs = `127.0.0.1:${secured.port}`;
  tmp = mkdtempSync(join(tmpdir(), 'rivulet-acls-cli-'));
});
afterAll(async () => {
  await Promise.all([secured?.close(), plain?.close()]);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const rp = (type: string, name: string, pattern = 'LITERAL') => `ResourcePattern(resourceType=${type}, name=${name}, patternType=${pattern})`;
const ace = (principal: string, op: string, perm = 'ALLOW', host = '*') => `\t(principal=${principal}, host=${host}, operation=${op}, permissionType=${perm})`;
/** kafka-acls.sh's "Adding ACLs" block: the first ACL line starts with a space, a blank line closes it. */
const adding = (resource: string, entries: string[]) => `Adding ACLs for resource \`${resource}\`: \n ${entries.join('\n')}\n\n`;
const current = (resource: string, entries: string[]) => `Current ACLs for resource \`${resource}\`:\n${entries.join('\n')}\n\n`;
const clear = () => secured.context.securityStore.updateAcls([], secured.context.securityStore.current().acls);

describe('rivulet acls', () => {
  it('--add with --producer (--idempotent, --transactional-id) and --consumer, then --list', async () => {
    await clear();
    let r = await tool(acls, ['--bootstrap-server', bs, '--add', '--allow-principal', 'User:alice', '--producer', '--topic', 'orders', '--idempotent', '--transactional-id', 'tx-1']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      adding(rp('TOPIC', 'orders'), [ace('User:alice', 'WRITE'), ace('User:alice', 'DESCRIBE'), ace('User:alice', 'CREATE')]) +
        adding(rp('TRANSACTIONAL_ID', 'tx-1'), [ace('User:alice', 'WRITE'), ace('User:alice', 'DESCRIBE')]) +
        adding(rp('CLUSTER', 'kafka-cluster'), [ace('User:alice', 'IDEMPOTENT_WRITE')]),
    );

    r = await tool(acls, ['--bootstrap-server', bs, '--add', '--allow-principal', 'User:bob', '--allow-host', '10.0.0.7', '--consumer', '--topic', 'orders', '--group', 'billing']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      adding(rp('TOPIC', 'orders'), [ace('User:bob', 'READ', 'ALLOW', '10.0.0.7'), ace('User:bob', 'DESCRIBE', 'ALLOW', '10.0.0.7')]) +
        adding(rp('GROUP', 'billing'), [ace('User:bob', 'READ', 'ALLOW', '10.0.0.7')]),
    );

    // The authorizer follows at once: alice may write orders, bob may read it from his host only.
    const authz = secured.context.authorizer!;
    const can = (name: string, host: string, operation: AclOperation, resourceType: ResourceType, resourceName: string) =>
      authz.authorize({ principal: { principalType: 'User', name }, host }, [{ operation, resourceType, resourceName }])[0];
    expect(can('alice', '10.0.0.1', AclOperation.WRITE, ResourceType.TOPIC, 'orders')).toBe(true);
    expect(can('alice', '10.0.0.1', AclOperation.READ, ResourceType.TOPIC, 'orders')).toBe(false);
    expect(can('alice', '10.0.0.1', AclOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER, 'kafka-cluster')).toBe(true);
    expect(can('bob', '10.0.0.7', AclOperation.READ, ResourceType.TOPIC, 'orders')).toBe(true);
    expect(can('bob', '10.0.0.8', AclOperation.READ, ResourceType.TOPIC, 'orders')).toBe(false);
    expect(can('bob', '10.0.0.7', AclOperation.READ, ResourceType.GROUP, 'billing')).toBe(true);

    r = await tool(acls, ['--bootstrap-server', bs, '--list', '--topic', 'orders']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      current(rp('TOPIC', 'orders'), [
        ace('User:alice', 'WRITE'),
        ace('User:alice', 'DESCRIBE'),
        ace('User:alice', 'CREATE'),
        ace('User:bob', 'READ', 'ALLOW', '10.0.0.7'),
        ace('User:bob', 'DESCRIBE', 'ALLOW', '10.0.0.7'),
      ]),
    );

    r = await tool(acls, ['--bootstrap-server', bs, '--list']);
    expect(r.out.split('\n').filter((l) => l.startsWith('Current ACLs for resource')).sort()).toEqual(
      [rp('TOPIC', 'orders'), rp('TRANSACTIONAL_ID', 'tx-1'), rp('CLUSTER', 'kafka-cluster'), rp('GROUP', 'billing')].map((x) => `Current ACLs for resource \`${x}\`:`).sort(),
    );
    expect(r.out.split('\n').filter((l) => l.startsWith('\t'))).toHaveLength(9);

    r = await tool(acls, ['--bootstrap-server', bs, '--list', '--principal', 'User:bob']);
    expect(r.out).toBe(
      'ACLs for principal `User:bob`\n' +
        current(rp('TOPIC', 'orders'), [ace('User:bob', 'READ', 'ALLOW', '10.0.0.7'), ace('User:bob', 'DESCRIBE', 'ALLOW', '10.0.0.7')]) +
        current(rp('GROUP', 'billing'), [ace('User:bob', 'READ', 'ALLOW', '10.0.0.7')]),
    );
  });

  it('--operation, --deny-principal, prefixed patterns and --resource-pattern-type match', async () => {
    await clear();
    let r = await tool(acls, [
      '--bootstrap-server', bs, '--add', '--allow-principal', 'User:*', '--deny-principal', 'User:mallory', '--deny-host', '10.9.9.9',
      '--operation', 'Read', '--operation', 'DESCRIBE_CONFIGS', '--topic', 'team-a.', '--resource-pattern-type', 'prefixed',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      adding(rp('TOPIC', 'team-a.', 'PREFIXED'), [
        ace('User:*', 'READ'),
        ace('User:*', 'DESCRIBE_CONFIGS'),
        ace('User:mallory', 'READ', 'DENY', '10.9.9.9'),
        ace('User:mallory', 'DESCRIBE_CONFIGS', 'DENY', '10.9.9.9'),
      ]),
    );
    await tool(acls, ['--bootstrap-server', bs, '--add', '--allow-principal', 'User:carol', '--topic', 'team-a.orders']);
    // A literal listing of the prefix shows nothing; "match" shows every pattern that applies to the name.
    r = await tool(acls, ['--bootstrap-server', bs, '--list', '--topic', 'team-a.']);
    expect(r).toEqual({ code: 0, out: '', err: '' });
    r = await tool(acls, ['--bootstrap-server', bs, '--list', '--topic', 'team-a.orders', '--resource-pattern-type', 'match']);
    expect(r.out.split('\n').filter((l) => l.startsWith('Current'))).toEqual([`Current ACLs for resource \`${rp('TOPIC', 'team-a.', 'PREFIXED')}\`:`, `Current ACLs for resource \`${rp('TOPIC', 'team-a.orders')}\`:`]);
    expect(r.out).toContain(ace('User:carol', 'ALL'));
  });

  it('--remove asks for confirmation unless --force', async () => {
    await clear();
    await tool(acls, ['--bootstrap-server', bs, '--add', '--allow-principal', 'User:alice', '--allow-principal', 'User:bob', '--operation', 'Write', '--topic', 'orders']);
    const count = () => secured.context.securityStore.current().acls.length;
    expect(count()).toBe(2);

    const ask = `Are you sure you want to remove ACLs: \n ${ace('User:bob', 'WRITE')}\n from resource filter \`${rp('TOPIC', 'orders')}\`? (y/n)\n`;
    let r = await tool(acls, ['--bootstrap-server', bs, '--remove', '--allow-principal', 'User:bob', '--operation', 'Write', '--topic', 'orders'], 'n\n');
    expect(r).toEqual({ code: 0, out: ask, err: '' });
    expect(count()).toBe(2);
    r = await tool(acls, ['--bootstrap-server', bs, '--remove', '--allow-principal', 'User:bob', '--operation', 'Write', '--topic', 'orders'], '');
    expect(count()).toBe(2); // no answer: nothing removed
    r = await tool(acls, ['--bootstrap-server', bs, '--remove', '--allow-principal', 'User:bob', '--operation', 'Write', '--topic', 'orders'], 'Y\n');
    expect(r).toEqual({ code: 0, out: ask, err: '' });
    expect(secured.context.securityStore.current().acls.map((a) => a.entry.principal)).toEqual(['User:alice']);

    // No principal: every ACL of the resource, after "delete all" is confirmed (here by --force, no prompt).
    r = await tool(acls, ['--bootstrap-server', bs, '--remove', '--topic', 'orders', '--force']);
    expect(r).toEqual({ code: 0, out: '', err: '' });
    expect(count()).toBe(0);
    r = await tool(acls, ['--bootstrap-server', bs, '--remove', '--topic', 'orders'], 'n\n');
    expect(r.out).toBe(`Are you sure you want to delete all ACLs for resource filter \`${rp('TOPIC', 'orders')}\`? (y/n)\n`);
  });

  it('--remove --force with the --consumer shortcut removes exactly those ACLs', async () => {
    await clear();
    await tool(acls, ['--bootstrap-server', bs, '--add', '--allow-principal', 'User:bob', '--consumer', '--topic', 'orders', '--group', 'g']);
    await tool(acls, ['--bootstrap-server', bs, '--add', '--allow-principal', 'User:bob', '--operation', 'Write', '--topic', 'orders']);
    const r = await tool(acls, ['--bootstrap-server', bs, '--remove', '--force', '--allow-principal', 'User:bob', '--consumer', '--topic', 'orders', '--group', 'g']);
    expect(r).toEqual({ code: 0, out: '', err: '' });
    expect((await tool(acls, ['--bootstrap-server', bs, '--list'])).out).toBe(current(rp('TOPIC', 'orders'), [ace('User:bob', 'WRITE')]));
  });

  it("refuses what kafka-acls.sh refuses, with its messages", async () => {
    const cases: Array<[string[], string]> = [
      [['--list'], 'One of --bootstrap-server or --bootstrap-controller must be specified'],
      [['--bootstrap-server', bs, '--list', '--add'], 'Command must include exactly one action: --list, --add, --remove. '],
      [['--bootstrap-server', bs, '--topic', 't'], 'Command must include exactly one action: --list, --add, --remove. '],
      [['--bootstrap-server', bs, '--list', '--producer', '--topic', 't'], 'Option "[list]" can\'t be used with option "[producer]"'],
      [['--bootstrap-server', bs, '--add', '--producer', '--operation', 'Read', '--topic', 't', '--allow-principal', 'User:a'], 'Option "[producer]" can\'t be used with option "[operation]"'],
      [['--bootstrap-server', bs, '--add', '--producer', '--allow-principal', 'User:a'], 'With --producer you must specify a --topic'],
      [['--bootstrap-server', bs, '--add', '--consumer', '--topic', 't', '--allow-principal', 'User:a'], 'With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option should be specified.'],
      [['--bootstrap-server', bs, '--add', '--idempotent', '--topic', 't', '--allow-principal', 'User:a'], 'The --idempotent option is only available if --producer is set'],
      [['--bootstrap-server', bs, '--add', '--principal', 'User:a', '--topic', 't'], 'The --principal option is only available if --list is set'],
      [['--bootstrap-server', bs, '--add', '--topic', 't'], 'You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.'],
      [['--bootstrap-server', bs, '--add', '--allow-principal', 'User:a'], 'You must provide at least one resource: --topic <topic> or --cluster or --group <group> or --delegation-token <Delegation Token ID>'],
      [['--bootstrap-server', bs, '--add', '--allow-principal', 'User:a', '--topic', 't', '--resource-pattern-type', 'match'], "A '--resource-pattern-type' value of 'MATCH' is not valid when adding acls."],
      [['--bootstrap-server', bs, '--list', '--resource-pattern-type', 'weird'], 'Unknown resource-pattern-type: weird'],
      [['--bootstrap-server', bs, '--add', '--allow-principal', 'User:a', '--group', 'g', '--operation', 'Write'], 'ResourceType GROUP only supports operations [READ, DESCRIBE, DELETE, DESCRIBE_CONFIGS, ALTER_CONFIGS, ALL]'],
    ];
    for (const [argv, message] of cases) {
      const r = await tool(acls, argv);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err.split('\n')[0], argv.join(' ')).toBe(message);
      expect(r.err, argv.join(' ')).toContain('Usage: rivulet acls');
    }
    let r = await tool(acls, ['--bootstrap-server', bs, '--add', '--allow-principal', 'alice', '--topic', 't']);
    expect(r).toEqual({ code: 1, out: '', err: 'Error while executing ACL command: expected a string in format principalType:principalName but got alice\n' });
    r = await tool(acls, ['--bootstrap-server', bs, '--add', '--allow-principal', 'User:a', '--topic', 't', '--operation', 'Fly']);
    expect(r).toEqual({ code: 1, out: '', err: 'Error while executing ACL command: Unknown operation: Fly\n' });
    expect((await tool(acls, ['--help'])).code).toBe(0);
  });

  it('--command-config: client settings are used; an unreadable file or an invalid security.protocol is a clear error', async () => {
    await clear();
    const ok = join(tmp, 'admin.properties');
    writeFileSync(ok, '# admin client\nclient.id=acl-tool\nrequest.timeout.ms=5000\nsecurity.protocol=PLAINTEXT\n');
    expect((await tool(acls, ['--bootstrap-server', bs, '--command-config', ok, '--list'])).code).toBe(0);
    const bad = join(tmp, 'bad.properties');
    writeFileSync(bad, 'security.protocol=TLS\n');
    const r = await tool(acls, ['--bootstrap-server', bs, '--command-config', bad, '--list']);
    expect(r).toEqual({ code: 1, out: '', err: 'Error while executing ACL command: Invalid value TLS for configuration security.protocol (one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)\n' });
    const nope = join(tmp, 'nope.properties');
    const missing = await tool(acls, ['--bootstrap-server', bs, '--command-config', nope, '--list']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(new RegExp(`^Error while executing ACL command: Cannot read --command-config ${nope}: ENOENT`));
  });

  it('--command-config with SASL settings: the tool logs in as the super user of a SASL_PLAINTEXT broker', async () => {
    const sasl = await startTestBroker({
      sets: {
        listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
        'sasl.enabled.mechanisms': 'PLAIN',
        'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_alice="alice-secret";',
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': 'User:admin',
      },
    });
    try {
      const saslBs = `127.0.0.1:${sasl.listeners[0]!.port}`;
      const props = (user: string, password: string) => {
        const f = join(tmp, `${user}-${password}.properties`);
        writeFileSync(f, `request.timeout.ms=5000\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${user}" password="${password}";\n`);
        return f;
      };
      let r = await tool(acls, ['--bootstrap-server', saslBs, '--command-config', props('admin', 'admin-secret'), '--add', '--allow-principal', 'User:alice', '--operation', 'Read', '--topic', 'orders']);
      expect(r.err).toBe('');
      expect(r).toEqual({ code: 0, out: adding(rp('TOPIC', 'orders'), [ace('User:alice', 'READ')]), err: '' });
      expect(sasl.context.securityStore.current().acls).toHaveLength(1);
      r = await tool(acls, ['--bootstrap-server', saslBs, '--command-config', props('admin', 'admin-secret'), '--list', '--topic', 'orders']);
      expect(r).toEqual({ code: 0, out: current(rp('TOPIC', 'orders'), [ace('User:alice', 'READ')]), err: '' });
      // alice authenticates but is no super user and has no ALTER/DESCRIBE on the cluster.
      r = await tool(acls, ['--bootstrap-server', saslBs, '--command-config', props('alice', 'alice-secret'), '--add', '--allow-principal', 'User:alice', '--operation', 'All', '--topic', '*']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^Error while executing ACL command: .*(authoriz|Cluster authorization failed)/i);
      // A wrong password is an authentication failure, not a silent PLAINTEXT connection.
      r = await tool(acls, ['--bootstrap-server', saslBs, '--command-config', props('admin', 'wrong'), '--list']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^Error while executing ACL command: .*(Authentication failed|Invalid username or password)/);
      expect(sasl.context.securityStore.current().acls).toHaveLength(1);
    } finally {
      await sasl.close();
    }
  });

  it('a broker without an authorizer: SECURITY_DISABLED, as kafka-acls.sh reports it', async () => {
    const plainBs = `127.0.0.1:${plain.port}`;
    let r = await tool(acls, ['--bootstrap-server', plainBs, '--list']);
    expect(r).toEqual({ code: 1, out: '', err: 'Error while executing ACL command: No Authorizer is configured.\n' });
    r = await tool(acls, ['--bootstrap-server', plainBs, '--add', '--allow-principal', 'User:a', '--topic', 't']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error while executing ACL command: No Authorizer is configured.\n');
  });
});
