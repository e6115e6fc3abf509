// kafka-python, kafkajs and sarama over SSL listeners, server-only and mutual TLS (ssl.client.auth=required):
// each produces ten records and consumes them back; under mutual TLS the verified certificate is the
// connection's principal (User:CN=alice), a client without a certificate, or with one another CA signed, is
// refused, and nothing it sent reached the log.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../host-node/network/connection.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { runSaramaSasl } from './go/sarama-sasl.js';
import { CertDir } from './support/certs.js';
import { kafkajsRoundTrip } from './support/kafkajs.js';

const run = promisify(execFile);
const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const TEN = Array.from({ length: 10 }, (_, i) => `v${i}`);

const certs = new CertDir();
let broker: TestBroker;
const principals: string[] = [];
const port = (name: string): number => broker.listeners.find((l) => l.name === name)!.port;
type Listener = 'SSL' | 'MTLS';
/** The client's own certificate: none, one the broker's CA signed, or one of another CA. */
type Identity = 'none' | 'alice' | 'stranger';

beforeAll(async () => {
  await certs.ca('ca');
  await certs.ca('other-ca');
  await certs.leaf('ca', 'server');
  await certs.leaf('ca', 'alice', '/CN=alice');
  await certs.leaf('other-ca', 'stranger');
  broker = await startTestBroker({
    sets: {
      listeners: 'SSL://127.0.0.1:0,MTLS://127.0.0.1:0',
      'listener.security.protocol.map': 'SSL:SSL,MTLS:SSL',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.path('server.pem'),
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': certs.path('ca.crt'),
      'listener.name.mtls.ssl.client.auth': 'required',
    },
    onConnection: (c: Connection) => {
      // The principal is set once the TLS handshake is done, before the first request is read.
      setImmediate(() => principals.push(`${c.listenerName} ${c.security.principal.principalType}:${c.security.principal.name}`));
    },
  });
}, 60_000);

afterAll(async () => {
  await broker?.close();
  certs.remove();
});

/** Records in partition 0 of `topic` on the broker's own log (what reached it, whoever sent it). */
function logged(topic: string): number {
  const log = broker.context.topicRegistry.partitionLog(topic, 0);
  return log === undefined ? 0 : Number(log.logEndOffset);
}

const KAFKA_PYTHON = `
import sys
from kafka import KafkaProducer, KafkaConsumer
bootstrap, topic, ca, cert, key = sys.argv[1:6]
tls = dict(security_protocol='SSL', ssl_cafile=ca, ssl_check_hostname=False)
if cert:
    tls.update(ssl_certfile=cert, ssl_keyfile=key)
try:
    p = KafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=8000, max_block_ms=8000, api_version_auto_timeout_ms=8000, **tls)
    for i in range(10):
        p.send(topic, value=('v%d' % i).encode(), partition=0)
    p.flush(timeout=10)
    p.close()
    c = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset='earliest', consumer_timeout_ms=8000, group_id=None, **tls)
    print(','.join(m.value.decode() for m in c))
    c.close()
except Exception as e:
    print('ERROR %s: %s' % (type(e).__name__, e))
`;

async function kafkaPython(listener: Listener, who: Identity, topic: string): Promise<string> {
  const cert = who === 'none' ? '' : certs.path(`${who}.crt`);
  const key = who === 'none' ? '' : certs.path(`${who}.key`);
  const { stdout } = await run(PY, ['-c', KAFKA_PYTHON, `127.0.0.1:${port(listener)}`, topic, certs.path('ca.crt'), cert, key], { timeout: 60_000 });
  return stdout.trim().split('\n').pop() ?? '';
}

function kafkajs(listener: Listener, who: Identity, topic: string): Promise<string[]> {
  const ssl = { ca: [certs.read('ca.crt')], ...(who === 'none' ? {} : { cert: certs.read(`${who}.crt`), key: certs.read(`${who}.key`) }) };
  return kafkajsRoundTrip({ brokers: [`127.0.0.1:${port(listener)}`], connectionTimeout: 5000, ssl }, topic);
}

async function sarama(listener: Listener, who: Identity, topic: string): Promise<{ values?: string[]; error?: string }> {
  const tls = who === 'none' ? [] : ['-cert', certs.path(`${who}.crt`), '-key', certs.path(`${who}.key`)];
  return runSaramaSasl(['-brokers', `127.0.0.1:${port(listener)}`, '-mechanism', 'NONE', '-version', '1.0.0', '-ca', certs.path('ca.crt'), ...tls, '-topic', topic, '-n', '10']);
}

describe('SSL, server certificate only', () => {
  it('kafka-python produces and consumes', async () => {
    expect(await kafkaPython('SSL', 'none', 'kp-ssl')).toBe(TEN.join(','));
  });
  it('kafkajs produces and consumes', async () => {
    expect(await kafkajs('SSL', 'none', 'kjs-ssl')).toEqual(TEN);
  }, 40_000);
  it('sarama produces and consumes', async () => {
    expect(await sarama('SSL', 'none', 'sarama-ssl')).toEqual({ values: TEN.map((_, i) => `sarama-ssl-${i}`) });
  }, 120_000);
});

describe('mutual TLS (ssl.client.auth=required)', () => {
  it('kafka-python, kafkajs and sarama with a certificate the trust store verifies produce and consume as User:CN=alice', async () => {
    principals.length = 0;
    expect(await kafkaPython('MTLS', 'alice', 'kp-mtls')).toBe(TEN.join(','));
    expect(await kafkajs('MTLS', 'alice', 'kjs-mtls')).toEqual(TEN);
    expect(await sarama('MTLS', 'alice', 'sarama-mtls')).toEqual({ values: TEN.map((_, i) => `sarama-mtls-${i}`) });
    const mtls = principals.filter((p) => p.startsWith('MTLS '));
    expect(mtls.length).toBeGreaterThan(0);
    expect(new Set(mtls)).toEqual(new Set(['MTLS User:CN=alice']));
  }, 180_000);

  it('without a certificate, or with one another CA signed, every client is refused and nothing reaches the log', async () => {
    for (const who of ['none', 'stranger'] as const) {
      expect(await kafkaPython('MTLS', who, `kp-refused-${who}`)).toMatch(/^ERROR /);
      await expect(kafkajs('MTLS', who, `kjs-refused-${who}`)).rejects.toThrow();
      expect((await sarama('MTLS', who, `sarama-refused-${who}`)).error).toBeDefined();
      for (const client of ['kp', 'kjs', 'sarama']) expect(logged(`${client}-refused-${who}`), `${client} as ${who}`).toBe(0);
    }
  }, 180_000);
});
