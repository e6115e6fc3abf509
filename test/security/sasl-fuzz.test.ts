// A seeded fuzz of SASL authentication: random bytes, mutated SaslHandshake / SaslAuthenticate frames, random
// and mutated mechanism names, mutated PLAIN and SCRAM tokens in SaslAuthenticate and as bare tokens after a
// v0 handshake. Whatever arrives, the broker never serves a request from a connection that has not
// authenticated (a Metadata request sent after the fuzzed bytes is never answered, and the connection closes),
// never logs a broker error, and keeps serving a client with the right password. Replay with SASL_FUZZ_SEED.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequestFrame } from '../../protocol/frame.js';
import { ApiKey } from '../../protocol/generated/api.js';
import { newScramCredential } from '../../host-node/security/scram.js';
import { createLogger } from '../../host-node/util/log.js';
import { KafkaTestClient, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient, frame } from '../helpers/raw-client.js';
import { mulberry32 } from '../helpers/seeded-random.js';
import { ScramClient, authenticate, plainToken } from './sasl-client.js';

const SEED = Number(process.env.SASL_FUZZ_SEED ?? Date.now() % 2 ** 31);
const ROUNDS = 1200;
const PARALLEL = 12;
const METADATA_CORRELATION = 0x7eadbeef;
const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";';

let broker: TestBroker;
let port: number;
const brokerErrors: string[] = [];

beforeAll(async () => {
  console.log(`sasl fuzz seed ${SEED} (replay with SASL_FUZZ_SEED=${SEED})`);
  broker = await startTestBroker({
    log: createLogger('fuzz', 'warn', (line) => {
      if (line.includes(' ERROR ')) brokerErrors.push(line);
    }),
    sets: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'sasl.jaas.config': JAAS,
      'connection.failed.authentication.delay.ms': '0',
      'sasl.server.max.receive.size': '4096',
    },
  });
  await broker.context.securityStore.alterScram([
    { user: 'alice', mechanism: 'SCRAM-SHA-256', credential: newScramCredential('SCRAM-SHA-256', 'alice-secret', 4096) },
    { user: 'alice', mechanism: 'SCRAM-SHA-512', credential: newScramCredential('SCRAM-SHA-512', 'alice-secret', 4096) },
  ]);
  port = broker.listeners[0]!.port;
}, 30_000);
afterAll(async () => broker?.close());

type Rand = () => number;
const int = (r: Rand, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;
const randomBytes = (r: Rand, n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(r, 256)));

/** Flips, drops, inserts or truncates a few bytes; may splice in SCRAM/PLAIN syntax characters. */
function mutate(r: Rand, b: Uint8Array): Buffer {
  let out = Buffer.from(b);
  const edits = 1 + int(r, 4);
  for (let e = 0; e < edits; e++) {
    const at = int(r, out.length + 1);
    switch (int(r, 5)) {
      case 0:
        if (out.length > 0) out[Math.min(at, out.length - 1)]! ^= 1 << int(r, 8);
        break;
      case 1:
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + int(r, 4))]);
        break;
      case 2:
        out = Buffer.concat([out.subarray(0, at), Buffer.from(pick(r, [',', '=', '\0', 'n,,', ',p=', 'r=', '=2C', '\xff', 'tokenauth=true']), 'latin1'), out.subarray(at)]);
        break;
      case 3:
        out = out.subarray(0, at);
        break;
      default:
        out = Buffer.concat([out.subarray(0, at), randomBytes(r, 1 + int(r, 8)), out.subarray(at)]);
    }
  }
  return out;
}

const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'GSSAPI', 'OAUTHBEARER', '', 'plain', 'SCRAM-SHA-1'];

/** A token that starts like a valid one for `mechanism` (mutated later). */
function seedToken(r: Rand, mechanism: string): Buffer {
  if (mechanism.startsWith('SCRAM')) return new ScramClient(mechanism as 'SCRAM-SHA-256', pick(r, ['alice', 'bob', 'a=2Cb']), 'alice-secret').first();
  return plainToken(pick(r, ['alice', 'mallory', '']), pick(r, ['alice-secret', 'x', '']), pick(r, ['', 'alice', 'root']));
}

/** The PLAIN tokens that authenticate (a mutation may leave a token as it was). */
const VALID_PLAIN = [plainToken('alice', 'alice-secret'), plainToken('alice', 'alice-secret', 'alice')];

/**
 * One fuzzed conversation; resolves once the broker has closed the connection. Throws if Metadata was answered
 * although no token the conversation sent was a valid one (checked here, independently of the broker).
 */
async function conversation(r: Rand, round: number): Promise<void> {
  const c = new KafkaTestClient(await RawClient.connect(port), `fuzz-${round}`);
  const mechanism = pick(r, MECHANISMS);
  const handshakeVersion = int(r, 3) === 0 ? 0 : 1;
  let corr = 1;
  /** Set when the first token sent is one that authenticates: the broker may then serve the Metadata request. */
  let legit = false;
  const firstToken = (token: Buffer, first: boolean): Buffer => {
    if (first && mechanism === 'PLAIN' && VALID_PLAIN.some((v) => v.equals(token))) legit = true;
    return token;
  };
  const send = (apiKey: number, version: number, body: unknown): void => c.raw.write(encodeRequestFrame(apiKey as never, version, corr++, c.clientId, body as never));
  const kind = int(r, 6);
  switch (kind) {
    case 0: // bare random bytes, size-prefixed
      c.raw.write(frame(randomBytes(r, int(r, 300))));
      break;
    case 1: // a mutated SaslHandshake frame
      c.raw.write(frame(mutate(r, encodeRequestFrame(ApiKey.SaslHandshake, handshakeVersion, corr++, 'fuzz', { mechanism }).subarray(4))));
      break;
    case 2: // a handshake with a mutated mechanism name
      send(ApiKey.SaslHandshake, handshakeVersion, { mechanism: mutate(r, Buffer.from(pick(r, MECHANISMS))).toString('latin1') });
      break;
    case 3: // a handshake, then mutated or random SaslAuthenticate tokens
      send(ApiKey.SaslHandshake, 1, { mechanism });
      for (let i = int(r, 3), first = true; i >= 0; i--, first = false)
        send(ApiKey.SaslAuthenticate, int(r, 3), { authBytes: firstToken(int(r, 4) === 0 ? randomBytes(r, int(r, 200)) : mutate(r, seedToken(r, mechanism)), first) });
      break;
    case 4: // a v0 handshake, then bare mutated tokens
      send(ApiKey.SaslHandshake, 0, { mechanism });
      for (let i = int(r, 3), first = true; i >= 0; i--, first = false) c.raw.write(frame(firstToken(mutate(r, seedToken(r, mechanism)), first)));
      break;
    default: {
      // a valid first SCRAM step, then a mutated client-final
      const m = pick(r, ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const);
      send(ApiKey.SaslHandshake, 1, { mechanism: m });
      const password = pick(r, ['alice-secret', 'wrong']);
      const scram = new ScramClient(m, 'alice', password);
      send(ApiKey.SaslAuthenticate, 2, { authBytes: scram.first() });
      await c.raw.next(3000).catch(() => undefined); // handshake answer
      const first = await c.raw.next(3000).catch(() => undefined);
      if (first !== undefined) {
        // The SaslAuthenticate v2 response: header (correlation id, tagged fields), error code, message, bytes.
        const serverFirst = /r=[^,]+,s=[^,]+,i=\d+/.exec(first.toString('latin1'))?.[0] ?? 'r=x,s=AA==,i=4096';
        const final = scram.final(serverFirst);
        const mutated = mutate(r, final);
        legit = password === 'alice-secret' && mutated.equals(final);
        send(ApiKey.SaslAuthenticate, 2, { authBytes: mutated });
      }
    }
  }
  // Whatever state the exchange is in, an unauthenticated Metadata request is never answered.
  c.raw.write(encodeRequestFrame(ApiKey.Metadata, 1, METADATA_CORRELATION, 'fuzz', { topics: null }));
  const answers: Buffer[] = [];
  for (;;) {
    try {
      answers.push(await c.raw.next(legit ? 1000 : 5000));
    } catch (e) {
      if (legit) break;
      if (!c.raw.closed) throw new Error(`round ${round} (kind ${kind}, ${mechanism}, v${handshakeVersion}): connection still open without authentication (seed ${SEED}): ${(e as Error).message}`);
      break;
    }
  }
  c.close();
  if (legit) return;
  for (const a of answers) if (a.length >= 4 && a.readInt32BE(0) === METADATA_CORRELATION) throw new Error(`round ${round}: Metadata was answered before authentication (seed ${SEED})`);
}

describe(`SASL fuzz (seed ${SEED})`, () => {
  it('never serves an unauthenticated connection, never fails inside the broker, and keeps serving real clients', async () => {
    const r = mulberry32(SEED);
    // Conversations are generated in order from one PRNG (replayable), then run a batch at a time.
    for (let round = 0; round < ROUNDS; round += PARALLEL) {
      const batch = Array.from({ length: Math.min(PARALLEL, ROUNDS - round) }, (_, i) => mulberry32(Math.floor(r() * 2 ** 31) ^ (round + i)));
      await Promise.all(batch.map((rr, i) => conversation(rr, round + i)));
    }
    expect(brokerErrors).toEqual([]);
    for (const m of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) {
      const c = await KafkaTestClient.connect(port);
      expect((await authenticate(c, m, 'alice', 'alice-secret')).errorCode).toBe(0);
      expect((await c.request(ApiKey.Metadata, 1, { topics: null })).brokers).toHaveLength(1);
      c.close();
    }
  }, 60_000);
});
