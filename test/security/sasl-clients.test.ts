// Real clients over SASL: kcat, confluent-kafka-python, kafka-python, kafkajs and sarama produce and consume
// over SASL_PLAINTEXT and SASL_SSL (a throwaway openssl CA) with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512
// (sarama's default protocol version also takes the SaslHandshake v0 bare-token path); wrong passwords,
// unknown users and mechanisms the listener does not enable are refused with Kafka's errors; and clients keep
// producing across connections.max.reauth.ms — kafkajs re-authenticates on its connection (KIP-368), librdkafka
// 2.0.2 (no KIP-368 before 2.2) is disconnected when its session expires and reconnects.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newScramCredential } from '../../host-node/security/scram.js';
import { createLogger } from '../../host-node/util/log.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { runSaramaSasl } from './go/sarama-sasl.js';
import { kafkajsRoundTrip } from './support/kafkajs.js';
import { CertDir } from './support/certs.js';
import { kcat } from './support/kcat.js';

const run = promisify(execFile);
const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";';

const certs = new CertDir();
const pem = (name: string): string => certs.path(name);

async function addScramUsers(b: TestBroker): Promise<void> {
  await b.context.securityStore.alterScram([
    { user: 'alice', mechanism: 'SCRAM-SHA-256', credential: newScramCredential('SCRAM-SHA-256', 'alice-secret', 4096) },
    { user: 'alice', mechanism: 'SCRAM-SHA-512', credential: newScramCredential('SCRAM-SHA-512', 'alice-secret', 4096) },
  ]);
}

let broker: TestBroker;
const portOf = (b: TestBroker, name: string): number => b.listeners.find((l) => l.name === name)!.port;
type Protocol = 'SASL_PLAINTEXT' | 'SASL_SSL';
const bootstrap = (p: Protocol | 'ONLYPLAIN'): string => `127.0.0.1:${portOf(broker, p)}`;

beforeAll(async () => {
  await certs.caWithLeaves('ca', ['server']);
  broker = await startTestBroker({
    sets: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,ONLYPLAIN://127.0.0.1:0',
      'listener.security.protocol.map': 'SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,ONLYPLAIN:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'listener.name.onlyplain.sasl.enabled.mechanisms': 'PLAIN',
      'sasl.jaas.config': JAAS,
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.key': readFileSync(pem('server.key'), 'utf8'),
      'ssl.keystore.certificate.chain': readFileSync(pem('server.crt'), 'utf8'),
    },
  });
  await addScramUsers(broker);
}, 60_000);

afterAll(async () => {
  await broker?.close();
  certs.remove();
});

// ---- kcat -------------------------------------------------------------------------------------------------

const kcatSasl = (protocol: Protocol, mechanism: string, user: string, password: string): string[] => [
  '-X', `security.protocol=${protocol.toLowerCase()}`, '-X', `sasl.mechanisms=${mechanism}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`,
  ...(protocol === 'SASL_SSL' ? ['-X', `ssl.ca.location=${pem('ca.crt')}`] : []),
];

const matrix: [Protocol, string][] = [
  ['SASL_PLAINTEXT', 'PLAIN'],
  ['SASL_PLAINTEXT', 'SCRAM-SHA-256'],
  ['SASL_PLAINTEXT', 'SCRAM-SHA-512'],
  ['SASL_SSL', 'PLAIN'],
  ['SASL_SSL', 'SCRAM-SHA-256'],
  ['SASL_SSL', 'SCRAM-SHA-512'],
];

describe('kcat (librdkafka)', () => {
  for (const [protocol, mechanism] of matrix) {
    it(`produces and consumes over ${protocol} with ${mechanism}`, async () => {
      const topic = `kcat-${protocol}-${mechanism}`.toLowerCase();
      const lines = Array.from({ length: 20 }, (_, i) => `${topic}-${i}`);
      const auth = kcatSasl(protocol, mechanism, 'alice', 'alice-secret');
      const p = await kcat(['-P', '-b', bootstrap(protocol), '-t', topic, '-p', '0', ...auth], lines.join('\n') + '\n');
      expect(p.code, p.stderr).toBe(0);
      const c = await kcat(['-C', '-b', bootstrap(protocol), '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', ...auth]);
      expect(c.code, c.stderr).toBe(0);
      expect(c.stdout.trim().split('\n')).toEqual(lines);
    });
  }

  it('is refused with Kafka errors: wrong password, unknown user, a mechanism the listener does not enable', async () => {
    const wrong = await kcat(['-L', '-b', bootstrap('SASL_PLAINTEXT'), '-m', '1', ...kcatSasl('SASL_PLAINTEXT', 'PLAIN', 'alice', 'nope')]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/Authentication failed: Invalid username or password/);
    const unknown = await kcat(['-L', '-b', bootstrap('SASL_SSL'), '-m', '1', ...kcatSasl('SASL_SSL', 'SCRAM-SHA-512', 'mallory', 'x')]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/invalid credentials with SASL mechanism SCRAM-SHA-512/);
    const mech = await kcat(['-L', '-b', bootstrap('ONLYPLAIN'), '-m', '1', ...kcatSasl('SASL_PLAINTEXT', 'SCRAM-SHA-256', 'alice', 'alice-secret')]);
    expect(mech.code).not.toBe(0);
    expect(mech.stderr).toMatch(/SCRAM-SHA-256.*not supported by broker|Unsupported SASL mechanism/i);
    // And the right credentials on that listener work.
    const ok = await kcat(['-L', '-b', bootstrap('ONLYPLAIN'), '-m', '5', ...kcatSasl('SASL_PLAINTEXT', 'PLAIN', 'alice', 'alice-secret')]);
    expect(ok.code, ok.stderr).toBe(0);
  });
});

// ---- confluent-kafka-python and kafka-python ----------------------------------------------------------------

const CONFLUENT = `
import sys
from confluent_kafka import Producer, Consumer, TopicPartition
bootstrap, protocol, mechanism, user, password, ca, topic, wait = sys.argv[1:9]
conf = {'bootstrap.servers': bootstrap, 'security.protocol': protocol, 'sasl.mechanisms': mechanism, 'sasl.username': user, 'sasl.password': password}
if protocol == 'SASL_SSL':
    conf['ssl.ca.location'] = ca
errors = []
conf['error_cb'] = lambda e: errors.append(str(e))
p = Producer(conf)
for i in range(10):
    p.produce(topic, value=b'v%d' % i, partition=0)
left = p.flush(float(wait))
if left or errors:
    print('ERROR', left, errors[:3])
    sys.exit(0)
c = Consumer(dict(conf, **{'group.id': topic, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False}))
c.assign([TopicPartition(topic, 0, 0)])
got = []
while len(got) < 10:
    m = c.poll(10)
    assert m is not None, 'timed out'
    assert m.error() is None, m.error()
    got.append(m.value().decode())
c.close()
print(','.join(got))
`;

const KAFKA_PYTHON = `
import sys
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
bootstrap, protocol, mechanism, user, password, ca, topic = sys.argv[1:8]
conf = dict(bootstrap_servers=bootstrap, security_protocol=protocol, sasl_mechanism=mechanism, sasl_plain_username=user, sasl_plain_password=password)
if protocol == 'SASL_SSL':
    conf['ssl_cafile'] = ca
try:
    p = KafkaProducer(**conf)
except Exception as e:
    print('ERROR', type(e).__name__, e)
    sys.exit(0)
for i in range(10):
    p.send(topic, value=b'v%d' % i, partition=0).get(timeout=15)
p.close()
c = KafkaConsumer(**conf, consumer_timeout_ms=10000)
tp = TopicPartition(topic, 0)
c.assign([tp])
c.seek_to_beginning(tp)
got = []
for m in c:
    got.append(m.value.decode())
    if len(got) == 10:
        break
c.close()
print(','.join(got))
`;

/** Runs a client script; `waitS` bounds how long the producer waits for its deliveries (confluent-kafka-python). */
async function python(script: string, protocol: Protocol | 'ONLYPLAIN', mechanism: string, user: string, password: string, topic: string, waitS = 15): Promise<string> {
  const proto = protocol === 'ONLYPLAIN' ? 'SASL_PLAINTEXT' : protocol;
  const { stdout } = await run(PY, ['-c', script, bootstrap(protocol), proto, mechanism, user, password, pem('ca.crt'), topic, String(waitS)], { timeout: 60_000 });
  return stdout.trim();
}

const TEN = Array.from({ length: 10 }, (_, i) => `v${i}`).join(',');

describe('confluent-kafka-python', () => {
  for (const [protocol, mechanism] of [matrix[0]!, matrix[2]!, matrix[4]!]) {
    it(`produces and consumes over ${protocol} with ${mechanism}`, async () => {
      expect(await python(CONFLUENT, protocol, mechanism, 'alice', 'alice-secret', `ck-${protocol}-${mechanism}`.toLowerCase())).toBe(TEN);
    });
  }
  it('is refused with a wrong password', async () => {
    expect(await python(CONFLUENT, 'SASL_SSL', 'SCRAM-SHA-256', 'alice', 'nope', 'ck-refused', 2)).toMatch(/^ERROR .*Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/);
  });
});

describe('kafka-python', () => {
  for (const [protocol, mechanism] of [matrix[0]!, matrix[1]!, matrix[5]!, matrix[3]!]) {
    it(`produces and consumes over ${protocol} with ${mechanism}`, async () => {
      expect(await python(KAFKA_PYTHON, protocol, mechanism, 'alice', 'alice-secret', `kp-${protocol}-${mechanism}`.toLowerCase())).toBe(TEN);
    });
  }
  it('is refused with a wrong password and with a mechanism the listener does not enable', async () => {
    expect(await python(KAFKA_PYTHON, 'SASL_PLAINTEXT', 'PLAIN', 'alice', 'nope', 'kp-refused')).toMatch(/^ERROR /);
    expect(await python(KAFKA_PYTHON, 'ONLYPLAIN', 'SCRAM-SHA-512', 'alice', 'alice-secret', 'kp-refused')).toMatch(/^ERROR /);
  });
});

// ---- kafkajs ----------------------------------------------------------------------------------------------

function kafkajsSasl(protocol: Protocol | 'ONLYPLAIN', mechanism: string, password: string, topic: string): Promise<string[]> {
  return kafkajsRoundTrip(
    {
      brokers: [bootstrap(protocol)],
      ssl: protocol === 'SASL_SSL' ? { ca: [readFileSync(pem('ca.crt'), 'utf8')] } : false,
      sasl: { mechanism: mechanism.toLowerCase() as 'plain', username: 'alice', password },
    },
    topic,
  );
}

describe('kafkajs', () => {
  for (const [protocol, mechanism] of [matrix[0]!, matrix[4]!, matrix[5]!]) {
    it(`produces and consumes over ${protocol} with ${mechanism}`, async () => {
      expect((await kafkajsSasl(protocol, mechanism, 'alice-secret', `kjs-${protocol}-${mechanism}`.toLowerCase())).join(',')).toBe(TEN);
    }, 40_000);
  }
  it('is refused with SASL_AUTHENTICATION_FAILED and UNSUPPORTED_SASL_MECHANISM', async () => {
    await expect(kafkajsSasl('SASL_PLAINTEXT', 'SCRAM-SHA-256', 'nope', 'kjs-refused')).rejects.toThrow(/invalid credentials with SASL mechanism SCRAM-SHA-256/);
    await expect(kafkajsSasl('ONLYPLAIN', 'SCRAM-SHA-512', 'alice-secret', 'kjs-refused')).rejects.toThrow(/not supported by broker|UNSUPPORTED_SASL_MECHANISM|mechanism/i);
  });
});

// ---- sarama -----------------------------------------------------------------------------------------------

describe('sarama', () => {
  const cases: [Protocol, string, string][] = [
    ['SASL_PLAINTEXT', 'PLAIN', 'default'], // SaslHandshake v0 and a bare PLAIN token
    ['SASL_PLAINTEXT', 'PLAIN', '1.0.0'], // SaslHandshake v1 and SaslAuthenticate
    ['SASL_SSL', 'PLAIN', 'default'],
    ['SASL_PLAINTEXT', 'SCRAM-SHA-256', '2.0.0'],
    ['SASL_SSL', 'SCRAM-SHA-512', '2.0.0'],
  ];
  for (const [protocol, mechanism, version] of cases) {
    it(`produces and consumes over ${protocol} with ${mechanism} (protocol version ${version})`, async () => {
      const topic = `sarama-${protocol}-${mechanism}-${version}`.toLowerCase().replace(/\./g, '');
      const args = ['-brokers', bootstrap(protocol), '-mechanism', mechanism, '-user', 'alice', '-password', 'alice-secret', '-version', version, '-topic', topic, '-n', '10'];
      if (protocol === 'SASL_SSL') args.push('-ca', pem('ca.crt'));
      const r = await runSaramaSasl(args);
      expect(r.error).toBeUndefined();
      expect(r.values).toEqual(Array.from({ length: 10 }, (_, i) => `${topic}-${i}`));
    }, 90_000);
  }
  it('is refused with a wrong password (v0: the connection closes; v1: SASL_AUTHENTICATION_FAILED)', async () => {
    const base = ['-brokers', bootstrap('SASL_PLAINTEXT'), '-user', 'alice', '-password', 'nope', '-topic', 'sarama-refused', '-n', '1'];
    expect((await runSaramaSasl([...base, '-mechanism', 'PLAIN', '-version', 'default'])).error).toMatch(/producer:/);
    expect((await runSaramaSasl([...base, '-mechanism', 'SCRAM-SHA-256', '-version', '2.0.0'])).error).toMatch(/producer:/);
  }, 90_000);
});

// ---- sessions past connections.max.reauth.ms ------------------------------------------------------------

describe('clients across connections.max.reauth.ms', () => {
  let b: TestBroker;
  const saslLines: string[] = [];
  let accepted = 0;
  const LIFETIME = 2000;
  beforeAll(async () => {
    b = await startTestBroker({
      log: createLogger('test', 'debug', (line) => {
        if (line.includes('[test.sasl]')) saslLines.push(line);
      }),
      onConnection: () => accepted++,
      sets: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256', 'sasl.jaas.config': JAAS, 'connections.max.reauth.ms': String(LIFETIME) },
    });
    await addScramUsers(b);
  }, 30_000);
  afterAll(async () => b?.close());

  it('kafkajs re-authenticates on its connection and keeps producing', async () => {
    const { Kafka, logLevel } = await import('kafkajs');
    const kafka = new Kafka({
      clientId: 'rivulet-reauth',
      brokers: [`127.0.0.1:${portOf(b, 'SASL_PLAINTEXT')}`],
      logLevel: logLevel.NOTHING,
      reauthenticationThreshold: 800,
      sasl: { mechanism: 'scram-sha-256', username: 'alice', password: 'alice-secret' },
    });
    const producer = kafka.producer();
    await producer.connect();
    const before = saslLines.filter((l) => l.includes('re-authenticated')).length;
    const t0 = Date.now();
    let sent = 0;
    while (Date.now() - t0 < LIFETIME * 2.5) {
      await producer.send({ topic: 'reauth-kjs', messages: [{ value: `m${sent}`, partition: 0 }] });
      sent++;
      await new Promise((r) => setTimeout(r, 100));
    }
    await producer.disconnect();
    expect(sent).toBeGreaterThan(10);
    expect(saslLines.filter((l) => l.includes('re-authenticated as User:alice with SASL/SCRAM-SHA-256')).length - before).toBeGreaterThanOrEqual(2);
    expect(saslLines.filter((l) => l.includes('session expired')).length).toBe(0);
  }, 30_000);

  it('confluent-kafka-python (librdkafka 2.0.2, no KIP-368) keeps delivering: an expired session is closed and it reconnects', async () => {
    const script = `
import sys, time
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'PLAIN', 'sasl.username': 'alice', 'sasl.password': 'alice-secret', 'linger.ms': 0})
failed = []
def cb(err, msg):
    if err is not None: failed.append(str(err))
t0 = time.time(); n = 0
while time.time() - t0 < float(sys.argv[2]):
    p.produce('reauth-ck', value=b'%d' % n, partition=0, on_delivery=cb); n += 1
    p.poll(0.1)
assert p.flush(20) == 0
print(n, len(failed))
`;
    const acceptedBefore = accepted;
    const { stdout } = await run(PY, ['-c', script, `127.0.0.1:${portOf(b, 'SASL_PLAINTEXT')}`, String((LIFETIME * 2.5) / 1000)], { timeout: 60_000 });
    const [n, failed] = stdout.trim().split(' ').map(Number);
    expect(n).toBeGreaterThan(10);
    expect(failed).toBe(0);
    expect(saslLines.some((l) => l.includes('session expired'))).toBe(true);
    expect(accepted - acceptedBefore).toBeGreaterThan(2);
  }, 60_000);
});
