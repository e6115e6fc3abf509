// `rivulet configs` end to end against a real broker, with kafka-configs.sh's flags and output lines:
// SCRAM credentials (salted by the tool; the stored credential verifies the password), user / client /
// user+client / ip quotas with defaults, topic configs, --command-config, and Kafka's errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../host-node/cli/configs.js';
import { main } from '../../host-node/cli/main.js';
import { Admin } from '../../host-node/client/admin.js';
import { hash, hmac, saltedPassword } from '../../host-node/security/scram.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { tool } from '../helpers/cli-tool.js';

let broker: TestBroker;
let bs: string;
let tmp: string;

beforeAll(async () => {
  broker = await startTestBroker();
  bs = `127.0.0.1:${broker.port}`;
  tmp = mkdtempSync(join(tmpdir(), 'rivulet-configs-'));
});

afterAll(async () => {
  await broker?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const configs = (...args: string[]) => tool(run, ['--bootstrap-server', bs, ...args]);

describe('rivulet configs', () => {
  it('adds a SCRAM credential and a quota to a user, and describes them as kafka-configs.sh', async () => {
    const alter = await configs('--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add-config', 'SCRAM-SHA-256=[iterations=8192,password=alice-secret],producer_byte_rate=1024');
    expect(alter).toEqual({ code: 0, out: 'Completed updating config for user alice.\n', err: '' });
    const d = await configs('--describe', '--entity-type', 'users', '--entity-name', 'alice');
    expect(d.out).toBe("Quota configs for user-principal 'alice' are producer_byte_rate=1024.0\nSCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192\n");
    // What the broker keeps verifies alice-secret (RFC 5802), and nothing else.
    const cred = broker.context.securityStore.current().scram.get('alice')!.get('SCRAM-SHA-256')!;
    const storedKeyOf = (pw: string) => hash('SCRAM-SHA-256', hmac('SCRAM-SHA-256', saltedPassword('SCRAM-SHA-256', pw, cred.salt, 8192), 'Client Key'));
    expect(Buffer.from(cred.storedKey).equals(storedKeyOf('alice-secret'))).toBe(true);
    expect(Buffer.from(cred.storedKey).equals(storedKeyOf('alice-secret2'))).toBe(false);
  });

  it('adds both mechanisms at once, deletes a mechanism and a quota with --delete-config', async () => {
    expect((await configs('--alter', '--entity-type', 'users', '--entity-name', 'bob', '--add-config', 'SCRAM-SHA-256=[password=b1],SCRAM-SHA-512=[iterations=5000,password=b2],consumer_byte_rate=300')).code).toBe(0);
    expect((await configs('--describe', '--entity-type', 'users', '--entity-name', 'bob')).out).toBe(
      "Quota configs for user-principal 'bob' are consumer_byte_rate=300.0\nSCRAM credential configs for user-principal 'bob' are SCRAM-SHA-256=iterations=4096, SCRAM-SHA-512=iterations=5000\n",
    );
    const del = await configs('--alter', '--entity-type', 'users', '--entity-name', 'bob', '--delete-config', 'SCRAM-SHA-512,consumer_byte_rate');
    expect(del.out).toBe('Completed updating config for user bob.\n');
    expect((await configs('--describe', '--entity-type', 'users', '--entity-name', 'bob')).out).toBe("SCRAM credential configs for user-principal 'bob' are SCRAM-SHA-256=iterations=4096\n");
    // Every user: quotas of named users, then the SCRAM credentials of every user.
    const all = await configs('--describe', '--entity-type', 'users');
    expect(all.out).toBe(
      "Quota configs for user-principal 'alice' are producer_byte_rate=1024.0\n" +
        "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192\n" +
        "SCRAM credential configs for user-principal 'bob' are SCRAM-SHA-256=iterations=4096\n",
    );
  });

  it('default entities, user+client entities, clients and ips', async () => {
    expect((await configs('--alter', '--entity-type', 'users', '--entity-default', '--add-config', 'consumer_byte_rate=2048')).out).toBe('Completed updating default config for users in the cluster.\n');
    expect((await configs('--describe', '--entity-type', 'users', '--entity-default')).out).toBe('Quota configs for the default user-principal are consumer_byte_rate=2048.0\n');
    const uc = await configs('--alter', '--entity-type', 'users', '--entity-name', 'alice', '--entity-type', 'clients', '--entity-name', 'app', '--add-config', 'request_percentage=50');
    expect(uc.out).toBe('Completed updating config for user alice.\n');
    expect((await configs('--describe', '--entity-type', 'users', '--entity-name', 'alice', '--entity-type', 'clients', '--entity-name', 'app')).out).toBe(
      "Quota configs for user-principal 'alice', client-id 'app' are request_percentage=50.0\n",
    );
    expect((await configs('--alter', '--entity-type', 'users', '--entity-name', 'alice', '--entity-type', 'clients', '--entity-default', '--add-config', 'producer_byte_rate=10')).code).toBe(0);
    expect((await configs('--describe', '--entity-type', 'users', '--entity-name', 'alice', '--entity-type', 'clients', '--entity-default')).out).toBe(
      "Quota configs for user-principal 'alice', the default client-id are producer_byte_rate=10.0\n",
    );
    expect((await configs('--alter', '--entity-type', 'clients', '--entity-name', 'svc', '--add-config', 'producer_byte_rate=20000000')).out).toBe('Completed updating config for client svc.\n');
    expect((await configs('--describe', '--entity-type', 'clients')).out).toBe("Quota configs for client-id 'svc' are producer_byte_rate=2.0E7\n");
    expect((await configs('--alter', '--entity-type', 'ips', '--entity-name', '10.0.0.7', '--add-config', 'connection_creation_rate=15')).out).toBe('Completed updating config for ip 10.0.0.7.\n');
    expect((await configs('--describe', '--entity-type', 'ips', '--entity-name', '10.0.0.7')).out).toBe("Quota configs for ip '10.0.0.7' are connection_creation_rate=15.0\n");
  });

  it('topic configs through IncrementalAlterConfigs / DescribeConfigs', async () => {
    const admin = new Admin({ bootstrapServers: bs });
    await admin.createTopics([{ name: 'orders', numPartitions: 1 }]);
    await admin.close();
    expect((await configs('--alter', '--entity-type', 'topics', '--entity-name', 'orders', '--add-config', 'retention.ms=60000,cleanup.policy=[compact,delete]')).out).toBe(
      'Completed updating config for topic orders.\n',
    );
    expect((await configs('--describe', '--entity-type', 'topics', '--entity-name', 'orders')).out).toBe(
      'Dynamic configs for topic orders are:\n' +
        '  cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete, DEFAULT_CONFIG:log.cleanup.policy=delete}\n' +
        '  retention.ms=60000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=60000, DEFAULT_CONFIG:log.retention.hours=168}\n',
    );
    await configs('--alter', '--entity-type', 'topics', '--entity-name', 'orders', '--delete-config', 'retention.ms');
    expect((await configs('--describe', '--entity-type', 'topics', '--entity-name', 'orders')).out).not.toContain('retention.ms');
  });

  it("refuses what kafka-configs.sh refuses, with the broker's reason", async () => {
    const few = await configs('--alter', '--entity-type', 'users', '--entity-name', 'carl', '--add-config', 'SCRAM-SHA-256=[iterations=100,password=x]');
    expect(few.code).toBe(1);
    expect(few.err).toContain('Too few iterations');
    expect(few.err).toContain('password=[hidden]');
    expect(few.err).not.toContain('password=x');
    const nopw = await configs('--alter', '--entity-type', 'users', '--entity-name', 'carl', '--add-config', 'SCRAM-SHA-256=[iterations=4096]');
    expect(nopw.code).toBe(1);
    expect(nopw.err).toContain("You must supply 'password=...' when creating SCRAM credential for SCRAM-SHA-256");
    const badKey = await configs('--alter', '--entity-type', 'clients', '--entity-name', 'x', '--add-config', 'bogus_rate=1');
    expect(badKey.code).toBe(1);
    expect(badKey.err).toContain('Invalid configuration key bogus_rate');
    const gone = await configs('--alter', '--entity-type', 'users', '--entity-name', 'nobody', '--delete-config', 'SCRAM-SHA-512');
    expect(gone.code).toBe(1);
    expect(gone.err).toContain('Attempt to delete a user credential that does not exist');
    const noAction = await configs('--entity-type', 'users');
    expect(noAction.code).toBe(1);
    expect(noAction.err).toContain('Command must include exactly one action');
    const noName = await configs('--alter', '--entity-type', 'users', '--add-config', 'producer_byte_rate=1');
    expect(noName.code).toBe(1);
    expect(noName.err).toContain('--entity-name or --entity-default must be specified');
    expect(broker.context.securityStore.current().scram.has('carl')).toBe(false);
  });

  it('--command-config: read; a PLAINTEXT one is used, an unreadable one or an invalid security.protocol is a clear error', async () => {
    const plain = join(tmp, 'plain.properties');
    writeFileSync(plain, 'security.protocol=PLAINTEXT\nclient.id=x\n');
    expect((await configs('--command-config', plain, '--describe', '--entity-type', 'users', '--entity-name', 'alice')).code).toBe(0);
    const bad = join(tmp, 'bad.properties');
    writeFileSync(bad, 'security.protocol=SASL\n');
    const r = await configs('--command-config', bad, '--describe', '--entity-type', 'users');
    expect(r.code).toBe(1);
    expect(r.err).toContain('Invalid value SASL for configuration security.protocol (one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)');
    const incomplete = join(tmp, 'incomplete.properties');
    writeFileSync(incomplete, 'security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-256\n');
    const r2 = await configs('--command-config', incomplete, '--describe', '--entity-type', 'users');
    expect(r2.code).toBe(1);
    expect(r2.err).toContain('sasl.mechanism SCRAM-SHA-256 needs sasl.jaas.config with the username and password');
    const nope = join(tmp, 'nope.properties');
    const missing = await configs('--command-config', nope, '--describe', '--entity-type', 'users');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`Cannot read the command config ${nope}: ENOENT`);
  });

  it('--command-config with SASL settings: the admin of a SASL_PLAINTEXT broker adds a SCRAM user, who then logs in with it', async () => {
    const sasl = await startTestBroker({
      sets: {
        listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256',
        'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret";',
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': 'User:admin',
      },
    });
    try {
      const saslBs = `127.0.0.1:${sasl.listeners[0]!.port}`;
      const props = (name: string, mechanism: string, user: string, password: string) => {
        const f = join(tmp, name);
        const module = mechanism === 'PLAIN' ? 'plain.PlainLoginModule' : 'scram.ScramLoginModule';
        writeFileSync(f, `request.timeout.ms=5000\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanism=${mechanism}\nsasl.jaas.config=org.apache.kafka.common.security.${module} required username="${user}" password="${password}";\n`);
        return f;
      };
      const admin = props('admin.properties', 'PLAIN', 'admin', 'admin-secret');
      const alter = await tool(run, ['--bootstrap-server', saslBs, '--command-config', admin, '--alter', '--add-config', 'SCRAM-SHA-256=[iterations=8192,password=carol-secret]', '--entity-type', 'users', '--entity-name', 'carol']);
      expect(alter).toEqual({ code: 0, out: 'Completed updating config for user carol.\n', err: '' });
      expect(sasl.context.securityStore.current().scram.get('carol')?.has('SCRAM-SHA-256')).toBe(true);
      // carol logs in with SCRAM (the credential works) but may not describe users (not a super user, no ACL).
      const carol = await tool(run, ['--bootstrap-server', saslBs, '--command-config', props('carol.properties', 'SCRAM-SHA-256', 'carol', 'carol-secret'), '--describe', '--entity-type', 'users', '--entity-name', 'carol']);
      expect(carol.code).toBe(1);
      expect(carol.err).toMatch(/authoriz/i);
      const d = await tool(run, ['--bootstrap-server', saslBs, '--command-config', admin, '--describe', '--entity-type', 'users', '--entity-name', 'carol']);
      expect(d).toEqual({ code: 0, out: "SCRAM credential configs for user-principal 'carol' are SCRAM-SHA-256=iterations=8192\n", err: '' });
      // A wrong password is refused by the broker.
      const wrong = await tool(run, ['--bootstrap-server', saslBs, '--command-config', props('wrong.properties', 'SCRAM-SHA-256', 'carol', 'nope'), '--describe', '--entity-type', 'users']);
      expect(wrong.code).toBe(1);
      expect(wrong.err).toMatch(/Authentication failed/);
    } finally {
      await sasl.close();
    }
  });

  it('is a rivulet subcommand', async () => {
    const write = process.stdout.write;
    let out = '';
    process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
    try {
      expect(await main(['configs', '--help'])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(out).toContain('Usage: rivulet configs');
  });
});
