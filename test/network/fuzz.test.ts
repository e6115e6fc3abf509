// Fuzz: well over 100,000 random and mutated frames, over thousands of connections, against a live listener.
// The broker must never crash or hang, every fuzz connection must end (answered or closed), and a well-formed
// client on its own connection must keep getting correct ApiVersions / Metadata answers the whole time.
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { encodeRequestFrame } from '../../protocol/frame.js';
import { KafkaTestClient, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { sleep } from '../helpers/raw-client.js';

const TARGET_FRAMES = 300_000;
const FRAMES_PER_CONNECTION = 60;
const CONCURRENCY = 24;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

// xorshift32: reproducible with FUZZ_SEED.
let state = SEED || 1;
function rnd(): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 2 ** 32;
}
const ri = (n: number) => Math.floor(rnd() * n);
function randomBytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = ri(256);
  return b;
}

// A corpus of valid request frames (with size prefix) to mutate.
const corpus: Buffer[] = [];
for (let v = 0; v <= 4; v++) corpus.push(Buffer.from(encodeRequestFrame(ApiKey.ApiVersions, v, 1, 'fuzz', { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1.0' })));
for (let v = 0; v <= 12; v++) {
  corpus.push(Buffer.from(encodeRequestFrame(ApiKey.Metadata, v, 2, 'fuzz', { topics: v === 0 ? [] : null })));
  if (v <= 1) corpus.push(Buffer.from(encodeRequestFrame(ApiKey.DescribeCluster, v, 7, 'fuzz', { includeClusterAuthorizedOperations: true })));
  corpus.push(
    Buffer.from(
      encodeRequestFrame(ApiKey.Metadata, v, 3, null, {
        topics: [{ name: 'a-topic' }, { name: 'another.topic_with-a-longer-name' }],
        ...(v >= 4 ? { allowAutoTopicCreation: false } : {}),
        includeTopicAuthorizedOperations: v >= 8,
      }),
    ),
  );
}
// Well-formed requests for APIs without a handler (yet): the broker closes the connection.
const refused: Buffer[] = [
  Buffer.from(encodeRequestFrame(ApiKey.Fetch, 12, 4, 'fuzz', { topics: [] })),
  Buffer.from(encodeRequestFrame(ApiKey.Produce, 9, 5, 'fuzz', { acks: 0, topicData: [] })),
  Buffer.from(encodeRequestFrame(ApiKey.ListGroups, 4, 6, 'fuzz', {})),
];

function prefix(size: number): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(size >>> 0);
  return h;
}

type Kind = 'valid' | 'refused' | 'flip' | 'length' | 'truncate' | 'random' | 'header' | 'huge';
const kinds: [Kind, number][] = [
  ['valid', 20],
  ['refused', 5],
  ['flip', 25],
  ['length', 10],
  ['truncate', 8],
  ['random', 12],
  ['header', 15],
  ['huge', 5],
];
const kindTotal = kinds.reduce((a, [, w]) => a + w, 0);
function pickKind(): Kind {
  let r = ri(kindTotal);
  for (const [k, w] of kinds) if ((r -= w) < 0) return k;
  return 'valid';
}

const stats: Record<Kind, number> = { valid: 0, refused: 0, flip: 0, length: 0, truncate: 0, random: 0, header: 0, huge: 0 };

/** `gentle` connections send mostly valid frames with occasional byte flips, so most frames get decoded. */
function fuzzFrame(gentle: boolean): Buffer {
  const kind: Kind = gentle ? (rnd() < 0.97 ? 'valid' : 'flip') : pickKind();
  stats[kind]++;
  const base = corpus[ri(corpus.length)]!;
  switch (kind) {
    case 'valid':
      return base;
    case 'refused':
      return refused[ri(refused.length)]!;
    case 'flip': {
      const b = Buffer.from(base);
      for (let i = 1 + ri(4); i > 0; i--) b[4 + ri(b.length - 4)] = ri(256);
      return b;
    }
    case 'length': {
      const b = Buffer.from(base);
      const len = b.length - 4;
      b.writeInt32BE([len + 1 + ri(20), Math.max(0, len - 1 - ri(len)), ri(2 * len + 1), ri(16)][ri(4)]!, 0);
      return b;
    }
    case 'truncate':
      return base.subarray(0, ri(base.length));
    case 'random': {
      const n = ri(400);
      return Buffer.concat([prefix(n), randomBytes(n)]);
    }
    case 'header': {
      // A well-formed header for a random api key / version, then random or empty body.
      const body = randomBytes(ri(64));
      const id = randomBytes(ri(12)).toString('latin1');
      const h = Buffer.alloc(8);
      h.writeInt16BE(ri(100) - 5, 0);
      h.writeInt16BE(ri(140) - 5, 2);
      h.writeInt32BE(ri(2 ** 31), 4);
      const idb = Buffer.from(id, 'latin1');
      const idl = Buffer.alloc(2);
      idl.writeInt16BE(rnd() < 0.1 ? -1 : idb.length);
      const p = Buffer.concat([h, idl, idb, rnd() < 0.5 ? Buffer.from([0]) : Buffer.alloc(0), body]);
      return Buffer.concat([prefix(p.length), p]);
    }
    case 'huge':
      return Buffer.concat([prefix([0x7fffffff, 0x80000000, 0xffffffff, 104857600, 104857601, 50_000_000, 2_000_000][ri(7)]!), randomBytes(ri(100))]);
  }
}

let broker: TestBroker;
let dispatched = 0;
let opened = 0;
beforeAll(async () => {
  broker = await startTestBroker({
    onConnection: (c) => {
      opened++;
      // Count requests the broker actually framed and dispatched (not just bytes we wrote).
      const d = c as unknown as { requestCount: number };
      let last = 0;
      const t = setInterval(() => {
        dispatched += d.requestCount - last;
        last = d.requestCount;
        if (c.isClosed) clearInterval(t);
      }, 50);
    },
  });
});
afterAll(async () => {
  await broker?.close();
});

/** One fuzz connection: write a batch in random chunks, half-close, wait until the broker ends it. */
function fuzzConnection(port: number): Promise<{ frames: number; closedBy: 'end' | 'reset' }> {
  return new Promise((resolve, reject) => {
    const frames: Buffer[] = [];
    const gentle = rnd() < 0.6;
    for (let i = 0; i < FRAMES_PER_CONNECTION; i++) frames.push(fuzzFrame(gentle));
    const all = Buffer.concat(frames);
    const s = connect({ port, host: '127.0.0.1' });
    let reset = false;
    const hang = setTimeout(() => {
      s.destroy();
      reject(new Error(`fuzz connection not ended by the broker within 10 s (seed ${SEED})`));
    }, 10_000);
    s.on('data', () => {});
    s.on('error', () => {
      reset = true;
    });
    s.on('close', () => {
      clearTimeout(hang);
      resolve({ frames: FRAMES_PER_CONNECTION, closedBy: reset ? 'reset' : 'end' });
    });
    s.on('connect', () => {
      let off = 0;
      while (off < all.length) {
        const n = 1 + ri(rnd() < 0.5 ? 64 : 4096);
        s.write(all.subarray(off, off + n));
        off += n;
      }
      s.end();
    });
  });
}

it(`survives ${TARGET_FRAMES} fuzzed frames while a well-formed client keeps getting answers`, async () => {
  const started = Date.now();
  let sent = 0;
  let connections = 0;
  let fuzzing = true;

  // The well-formed client: ApiVersions + Metadata in a loop on one connection for the whole run.
  const control = await KafkaTestClient.connect(broker.port);
  let answered = 0;
  const controlLoop = (async () => {
    while (fuzzing) {
      const av = await control.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'control', clientSoftwareVersion: '1' });
      expect(av.errorCode).toBe(0);
      expect(av.apiKeys.find((k) => k.apiKey === ApiKey.Metadata)).toEqual(expect.objectContaining({ minVersion: 0, maxVersion: 12 }));
      const md = await control.request(ApiKey.Metadata, 12, { topics: null });
      expect(md.brokers).toEqual([expect.objectContaining({ nodeId: 1, host: '127.0.0.1', port: broker.port })]);
      expect(md.controllerId).toBe(1);
      answered++;
      await sleep(5);
    }
  })();

  const worker = async () => {
    while (sent < TARGET_FRAMES) {
      sent += FRAMES_PER_CONNECTION;
      connections++;
      await fuzzConnection(broker.port);
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    fuzzing = false;
  }
  await controlLoop;

  // Still healthy afterwards, on a fresh connection too.
  const after = await KafkaTestClient.connect(broker.port);
  expect((await after.request(ApiKey.Metadata, 1, { topics: null })).controllerId).toBe(1);
  after.close();
  control.close();
  await sleep(150);

  const secs = (Date.now() - started) / 1000;
  console.log(
    `fuzz seed=${SEED}: ${sent} frames over ${connections} connections in ${secs.toFixed(1)} s; broker accepted ${opened} connections and dispatched ${dispatched} requests; control round trips ${answered}; mix ${JSON.stringify(stats)}; open connections now ${broker.listeners[0]!.connections.size}`,
  );
  expect(sent).toBeGreaterThanOrEqual(100_000);
  expect(answered).toBeGreaterThan(10);
  expect(dispatched).toBeGreaterThan(50_000);
  expect(broker.listeners[0]!.connections.size).toBe(0);
}, 90_000);
