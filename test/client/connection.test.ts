// Connection: framing, correlation, pipelining, version negotiation, timeouts and the in-flight bound,
// against a tiny in-test TCP server that speaks our codecs.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection, KafkaConnectionError, KafkaProtocolError, KafkaTimeoutError, KafkaUnsupportedVersionError } from '../../host-node/client/index.js';
import { decodeRequestFrame, encodeResponseFrame, type DecodedRequest } from '../../protocol/frame.js';
import { ApiKey, type ResponseInputTypes } from '../../protocol/generated/index.js';

type Reply = { body: ResponseInputTypes[ApiKey]; delayMs?: number; version?: number } | null | 'drop';

interface TinyServer {
  port: number;
  requests: DecodedRequest[];
  maxOutstanding: number;
  sockets: Socket[];
  close(): Promise<void>;
}

const servers: TinyServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A server that decodes each request and answers with reply(req) (null = no answer ever). */
async function tinyServer(
  apiVersions: Array<[number, number, number]>,
  reply: (req: DecodedRequest) => Reply,
  opts: { byteByByte?: boolean; apiVersionsMax?: number } = {},
): Promise<TinyServer> {
  const requests: DecodedRequest[] = [];
  const sockets: Socket[] = [];
  const state = { outstanding: 0, maxOutstanding: 0 };
  const server: Server = createServer((s) => {
    sockets.push(s);
    let buf = Buffer.alloc(0);
    const send = (b: Uint8Array) => {
      if (!opts.byteByByte) return void s.write(b);
      for (let i = 0; i < b.length; i++) s.write(b.subarray(i, i + 1));
    };
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const n = buf.readInt32BE(0);
        const frame = buf.subarray(4, 4 + n);
        buf = buf.subarray(4 + n);
        const apiKey = frame.readInt16BE(0);
        const version = frame.readInt16BE(2);
        const corr = frame.readInt32BE(4);
        if (apiKey === ApiKey.ApiVersions && version > (opts.apiVersionsMax ?? 4)) {
          send(encodeResponseFrame(ApiKey.ApiVersions, 0, corr, { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: opts.apiVersionsMax ?? 4 }] }));
          continue;
        }
        const req = decodeRequestFrame(frame);
        requests.push(req);
        if (req.apiKey === ApiKey.ApiVersions) {
          send(encodeResponseFrame(ApiKey.ApiVersions, req.apiVersion, corr, { errorCode: 0, apiKeys: apiVersions.map(([apiKey, minVersion, maxVersion]) => ({ apiKey, minVersion, maxVersion })) }));
          continue;
        }
        const r = reply(req);
        if (r === 'drop') {
          s.destroy();
          return;
        }
        state.outstanding++;
        state.maxOutstanding = Math.max(state.maxOutstanding, state.outstanding);
        if (r === null) continue;
        const out = () => {
          state.outstanding--;
          send(encodeResponseFrame(req.apiKey, r.version ?? req.apiVersion, corr, r.body as never));
        };
        if (r.delayMs) setTimeout(out, r.delayMs);
        else out();
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const t: TinyServer = {
    port: (server.address() as { port: number }).port,
    requests,
    get maxOutstanding() {
      return state.maxOutstanding;
    },
    sockets,
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
  servers.push(t);
  return t;
}

const metadataBody = (controllerId: number) => ({ brokers: [{ nodeId: 1, host: 'h', port: 1 }], clusterId: 'c', controllerId, topics: [] });

describe('Connection', () => {
  it('negotiates the highest common version per API and refuses APIs the broker lacks', async () => {
    const srv = await tinyServer([[18, 0, 4], [3, 0, 9], [0, 0, 2]], () => ({ body: metadataBody(1) }));
    const c = await Connection.connect({ host: '127.0.0.1', port: srv.port });
    expect(c.version(ApiKey.Metadata)).toBe(9);
    expect(c.supports(ApiKey.Produce)).toBe(false); // broker 0-2, we need ≥ 3
    expect(() => c.version(ApiKey.Produce)).toThrow(KafkaUnsupportedVersionError);
    expect(() => c.version(ApiKey.Fetch)).toThrow(/does not support Fetch/);
    const md = await c.send(ApiKey.Metadata, { topics: null });
    expect(md.controllerId).toBe(1);
    expect(srv.requests.at(-1)!.apiVersion).toBe(9);
    expect(srv.requests[0]!.header.clientId).toBe('rivulet');
    c.close();
  });

  it('retries ApiVersions lower when the broker answers UNSUPPORTED_VERSION in v0', async () => {
    const srv = await tinyServer([[18, 0, 2], [3, 0, 12]], () => ({ body: metadataBody(1) }), { apiVersionsMax: 2 });
    const c = await Connection.connect({ host: '127.0.0.1', port: srv.port });
    expect(srv.requests[0]!.apiKey).toBe(ApiKey.ApiVersions);
    expect(srv.requests[0]!.apiVersion).toBe(2);
    expect(c.version(ApiKey.Metadata)).toBe(12);
    c.close();
  });

  it('matches pipelined responses by correlation id even out of order, with frames split byte by byte', async () => {
    const srv = await tinyServer([[18, 0, 4], [3, 0, 12]], (req) => {
      const id = req.apiKey === ApiKey.Metadata ? (req.body.topics?.[0]?.name ?? '') : '';
      const n = Number(id.slice(1));
      return { body: metadataBody(n), delayMs: 60 - n * 10 };
    }, { byteByByte: true });
    const c = await Connection.connect({ host: '127.0.0.1', port: srv.port, maxInFlight: 10 });
    const res = await Promise.all([1, 2, 3, 4, 5].map((i) => c.send(ApiKey.Metadata, { topics: [{ name: `t${i}` }] })));
    expect(res.map((r) => r.controllerId)).toEqual([1, 2, 3, 4, 5]);
    c.close();
  });

  it('keeps at most maxInFlight requests outstanding and queues the rest', async () => {
    const srv = await tinyServer([[18, 0, 4], [3, 0, 12]], () => ({ body: metadataBody(7), delayMs: 20 }));
    const c = await Connection.connect({ host: '127.0.0.1', port: srv.port, maxInFlight: 2 });
    const all = Array.from({ length: 8 }, () => c.send(ApiKey.Metadata, { topics: null }));
    expect(c.inFlightCount).toBe(2);
    await Promise.all(all);
    expect(srv.maxOutstanding).toBe(2);
    const c2 = await Connection.connect({ host: '127.0.0.1', port: srv.port, maxInFlight: 1, maxQueued: 1 });
    const a = c2.send(ApiKey.Metadata, { topics: null });
    const b = c2.send(ApiKey.Metadata, { topics: null });
    await expect(c2.send(ApiKey.Metadata, { topics: null })).rejects.toThrow(/queue full/);
    await Promise.all([a, b]);
    c.close();
    c2.close();
  });

  it('times out a request, drops its late response and stays usable', async () => {
    let first = true;
    const srv = await tinyServer([[18, 0, 4], [3, 0, 12]], () => {
      const delayMs = first ? 150 : 0;
      first = false;
      return { body: metadataBody(delayMs ? 99 : 2), delayMs };
    });
    const c = await Connection.connect({ host: '127.0.0.1', port: srv.port });
    const err = await c.send(ApiKey.Metadata, { topics: null }, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaTimeoutError);
    expect((err as Error).message).toMatch(/Metadata v12 to 127\.0\.0\.1:\d+: no response within 50 ms/);
    await new Promise((r) => setTimeout(r, 150));
    expect(c.isOpen).toBe(true);
    expect((await c.send(ApiKey.Metadata, { topics: null })).controllerId).toBe(2);
    c.close();
  });

  it('rejects pending requests when the broker closes the connection; requests without responses resolve on write', async () => {
    const srv = await tinyServer([[18, 0, 4], [3, 0, 12], [0, 3, 11]], (req) => (req.apiKey === ApiKey.Metadata ? 'drop' : null));
    const c = await Connection.connect({ host: '127.0.0.1', port: srv.port });
    await expect(c.send(ApiKey.Produce, { acks: 0, timeoutMs: 1000, topicData: [] }, { expectResponse: false })).resolves.toBeUndefined();
    const err = await c.send(ApiKey.Metadata, { topics: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaConnectionError);
    expect((err as KafkaConnectionError).retriable).toBe(true);
    await expect(c.send(ApiKey.Metadata, { topics: null })).rejects.toBeInstanceOf(KafkaConnectionError);
  });

  it('fails clearly when nobody listens, and KafkaProtocolError names the Kafka error', async () => {
    const srv = await tinyServer([], () => null);
    const port = srv.port;
    await srv.close();
    await expect(Connection.connect({ host: '127.0.0.1', port, connectTimeoutMs: 2000 })).rejects.toThrow(/cannot connect: .*ECONNREFUSED.*127\.0\.0\.1:\d+/);
    const e = new KafkaProtocolError(36, "create topic 'x'", "Topic 'x' already exists.");
    expect(e.type).toBe('TOPIC_ALREADY_EXISTS');
    expect(e.message).toBe("create topic 'x': TOPIC_ALREADY_EXISTS (36): Topic 'x' already exists.");
    expect(new KafkaProtocolError(6).retriable).toBe(true);
  });
});
