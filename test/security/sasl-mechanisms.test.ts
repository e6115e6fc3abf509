// The SASL pieces on their own: the JAAS parser (Kafka's sasl.jaas.config syntax, strictly), the PLAIN server
// (users from JAAS options, Kafka's messages) and the SCRAM server (RFC 5802 steps against stored credentials,
// saslname escapes, librdkafka's repeated nonce, strict base64, the unknown-user path).
import { describe, expect, it } from 'vitest';
import { JaasConfigError, parseJaasConfig, parseJaasModules } from '../../host-node/security/jaas.js';
import { SaslAuthenticationError, type SaslServer } from '../../host-node/security/sasl/mechanism.js';
import { plainMechanism, plainUsers } from '../../host-node/security/sasl/plain.js';
import { decodeSaslName, scramMechanism } from '../../host-node/security/sasl/scram.js';
import { SASL_MECHANISMS } from '../../host-node/security/sasl/registry.js';
import { newScramCredential } from '../../host-node/security/scram.js';
import type { ScramCredential, ScramMechanism } from '../../host-node/security/security-store.js';
import { ScramClient, plainToken } from './sasl-client.js';

const ctx = { listenerName: 'SASL_PLAINTEXT', remoteAddress: '127.0.0.1' };

describe('JAAS configuration', () => {
  it('parses Kafka\'s PlainLoginModule line: options in order, quoted values with escapes, bare words', () => {
    const m = parseJaasConfig(
      'org.apache.kafka.common.security.plain.PlainLoginModule required\n  username="admin" password="admin-secret"\n  user_admin="admin-secret" user_alice="al\\"ice\\\\sec ret" debug=true;',
    );
    expect(m.loginModule).toBe('org.apache.kafka.common.security.plain.PlainLoginModule');
    expect(m.controlFlag).toBe('required');
    expect([...m.options]).toEqual([
      ['username', 'admin'],
      ['password', 'admin-secret'],
      ['user_admin', 'admin-secret'],
      ['user_alice', 'al"ice\\sec ret'],
      ['debug', 'true'],
    ]);
    expect([...plainUsers(m.options)]).toEqual([
      ['admin', 'admin-secret'],
      ['alice', 'al"ice\\sec ret'],
    ]);
    expect(parseJaasConfig('org.apache.kafka.common.security.scram.ScramLoginModule REQUIRED;').options.size).toBe(0);
  });

  it('refuses what Kafka refuses, saying where', () => {
    const bad = [
      ['org.Foo required a="b"', /expected ";"/],
      ['org.Foo mandatory;', /invalid control flag "mandatory"/],
      ['org.Foo required a="b;', /unterminated quoted value/],
      ['org.Foo required a="\\q";', /unknown escape/],
      ['org.Foo required a=;', /expected an option value/],
      ['org.Foo required ="x";', /expected an option name/],
      ['org.Foo required a "x";', /expected "="/],
      ['', /no login module/],
      ['a.B required; c.D required;', /contains 2 login modules, should be 1 module/],
      ['9bad required;', /invalid login module class name/],
    ] as const;
    for (const [text, re] of bad) {
      expect(() => parseJaasConfig(text), text).toThrow(JaasConfigError);
      expect(() => parseJaasConfig(text), text).toThrow(re);
    }
    expect(parseJaasModules('a.B required; c.D optional x=1;')).toHaveLength(2);
  });
});

describe('PLAIN', () => {
  const server = (): SaslServer => plainMechanism(new Map([['alice', 'alice-secret']])).create(ctx);
  const fails = (token: Buffer, message: string | RegExp) => expect(() => server().evaluate(token)).toThrow(message);

  it('authenticates a JAAS user, with an empty authzid or the same user', () => {
    for (const t of [plainToken('alice', 'alice-secret'), plainToken('alice', 'alice-secret', 'alice')]) {
      const step = server().evaluate(t) as { complete: boolean; principal: unknown; response: Uint8Array };
      expect(step.complete).toBe(true);
      expect(step.principal).toEqual({ principalType: 'User', name: 'alice' });
      expect(step.response.length).toBe(0);
    }
  });

  it("fails with Kafka's messages", () => {
    fails(plainToken('alice', 'nope'), /^Authentication failed: Invalid username or password$/);
    fails(plainToken('bob', 'alice-secret'), /^Authentication failed: Invalid username or password$/);
    fails(plainToken('', 'x'), 'Authentication failed: username not specified');
    fails(plainToken('alice', ''), 'Authentication failed: password not specified');
    fails(plainToken('alice', 'alice-secret', 'admin'), 'Authentication failed: Client requested an authorization id that is different from username');
    fails(Buffer.from('alice\0alice-secret'), 'Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN');
    expect(() => server().evaluate(Buffer.from('a\0b\0c\0d'))).toThrow(SaslAuthenticationError);
  });
});

describe('SCRAM', () => {
  const creds = new Map<string, ScramCredential>([
    ['SCRAM-SHA-256/alice', newScramCredential('SCRAM-SHA-256', 'alice-secret', 4096)],
    ['SCRAM-SHA-512/alice', newScramCredential('SCRAM-SHA-512', 'alice-secret', 8192)],
    ['SCRAM-SHA-256/a,b=c', newScramCredential('SCRAM-SHA-256', 'pw', 4096)],
  ]);
  const server = (m: ScramMechanism): SaslServer => scramMechanism(m, (u, mech) => creds.get(`${mech}/${u}`)).create(ctx);
  const text = (b: Uint8Array): string => Buffer.from(b).toString();

  async function exchange(m: ScramMechanism, user: string, password: string, editFinal: (s: string) => string = (s) => s) {
    const s = server(m);
    const c = new ScramClient(m, user, password);
    const first = await s.evaluate(c.first());
    expect(first.complete).toBe(false);
    const final = await s.evaluate(Buffer.from(editFinal(c.final(Buffer.from(first.response)).toString())));
    return { first: text(first.response), final, verified: c.verify(Buffer.from(final.response)) };
  }

  it('runs RFC 5802 with the stored iterations and proves the server to the client', async () => {
    for (const m of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
      const r = await exchange(m, 'alice', 'alice-secret');
      expect(r.first).toMatch(new RegExp(`,i=${m === 'SCRAM-SHA-256' ? 4096 : 8192}$`));
      expect(r.final.complete).toBe(true);
      expect(r.final.principal).toEqual({ principalType: 'User', name: 'alice' });
      expect(r.verified).toBe(true);
    }
    // saslname escapes: "a=2Cb=3Dc" is the user "a,b=c".
    expect((await exchange('SCRAM-SHA-256', 'a,b=c', 'pw')).final.principal).toEqual({ principalType: 'User', name: 'a,b=c' });
    expect(decodeSaslName('a=2Cb=3Dc')).toBe('a,b=c');
    expect(decodeSaslName('a=b')).toBeNull();
  });

  it('accepts a final nonce that ends with the server nonce (librdkafka < 2.2 repeats its own), as Kafka does', async () => {
    const s = server('SCRAM-SHA-256');
    const c = new ScramClient('SCRAM-SHA-256', 'alice', 'alice-secret');
    const first = await s.evaluate(c.first());
    const final = c.final(Buffer.from(first.response), true);
    expect(text(final)).toMatch(/^c=biws,r=([^,]{24})\1/);
    const done = await s.evaluate(final);
    expect(done.complete).toBe(true);
    expect(c.verify(Buffer.from(done.response))).toBe(true);
  });

  it('fails a wrong password, an unknown user (only at the final step), a bad nonce or channel binding, and non-canonical base64', async () => {
    const generic = 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256';
    await expect(exchange('SCRAM-SHA-256', 'alice', 'wrong')).rejects.toThrow(generic);
    await expect(exchange('SCRAM-SHA-512', 'a,b=c', 'pw')).rejects.toThrow(/SCRAM-SHA-512$/);
    const unknown = server('SCRAM-SHA-256');
    const c = new ScramClient('SCRAM-SHA-256', 'nobody', 'x');
    const first = await unknown.evaluate(c.first());
    expect(text(first.response)).toMatch(/^r=[^,]+,s=[A-Za-z0-9+/]+=*,i=4096$/);
    expect(() => unknown.evaluate(c.final(Buffer.from(first.response)))).toThrow(generic);
    await expect(exchange('SCRAM-SHA-256', 'alice', 'alice-secret', (s) => s.replace(/r=[^,]+/, 'r=other'))).rejects.toThrow(generic);
    await expect(exchange('SCRAM-SHA-256', 'alice', 'alice-secret', (s) => s.replace('c=biws', 'c=eSws'))).rejects.toThrow(generic);
    await expect(exchange('SCRAM-SHA-256', 'alice', 'alice-secret', (s) => s.replace(/=$/, ''))).rejects.toThrow(generic);
    expect(() => server('SCRAM-SHA-256').evaluate(Buffer.from('y,,n=alice,r=abc'))).toThrow(generic);
    expect(() => server('SCRAM-SHA-256').evaluate(Buffer.from('n,a=bob,n=alice,r=abc'))).toThrow('Authentication failed: Client requested an authorization id that is different from username');
  });

  it('is in the mechanism registry with PLAIN', () => {
    expect([...SASL_MECHANISMS.keys()]).toEqual(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
  });
});
