// The client connection core (client/connection.ts) over an in-memory transport: what both the TCP and the
// WebSocket connection inherit, without a socket: the API set and version narrowing, a broker breaking the
// protocol, late frames after close, and acks=0 requests resolving on write.
import { describe, expect, it } from 'vitest';
import { ClientConnection, type ClientConnectionOptions, type Transport, type TransportEvents } from '../../client/connection.js';
import { KafkaConnectionError, KafkaUnsupportedVersionError } from '../../client/errors.js';
import { CLIENT_VERSION_LIMITS } from '../../client/version-limits.js';
import { decodeRequestFrame, encodeResponseFrame, type DecodedRequest } from '../../protocol/frame.js';
import { ApiKey, apiByKey } from '../../protocol/generated/index.js';

/** A transport that keeps what is written and lets the test answer. */
class MemoryTransport implements Transport {
  readonly requests: DecodedRequest[] = [];
  closedWith: string | null | undefined = undefined;
  events!: TransportEvents;
  get writable(): boolean {
    return this.closedWith === undefined;
  }
  write(frame: Uint8Array, written?: (err?: Error) => void): void {
    this.requests.push(decodeRequestFrame(frame.subarray(4)));
    written?.();
  }
  close(protocolError?: string): void {
    this.closedWith = protocolError ?? null;
  }
  /** Answers the last request with `body` under `correlationId` (default: the request's own). */
  answer(body: unknown, correlationId?: number): void {
    const req = this.requests.at(-1)!;
    const frame = encodeResponseFrame(req.apiKey, req.apiVersion, correlationId ?? req.header.correlationId, body as never, { sizePrefix: false });
    this.events.frame(frame);
  }
}

class MemoryConnection extends ClientConnection {
  static async open(transport: MemoryTransport, options: Partial<ClientConnectionOptions> = {}): Promise<MemoryConnection> {
    const c = new MemoryConnection({ address: 'memory', clientId: 'test', api: apiByKey, skipApiVersions: true, ...options });
    await c.start(async (events) => {
      transport.events = events;
      return transport;
    }, { name: 'test', version: '0' });
    return c;
  }
}

const metadata = { brokers: [], clusterId: 'c', controllerId: 1, topics: [] };

describe('ClientConnection', () => {
  it('speaks the codec range within CLIENT_VERSION_LIMITS and the caller’s narrowing, and only the APIs it was given', async () => {
    const only = (k: number) => (k === ApiKey.Fetch || k === ApiKey.Metadata ? apiByKey(k) : undefined);
    const c = await MemoryConnection.open(new MemoryTransport(), { api: only, versionLimits: { [ApiKey.Fetch]: [0, 12] } });
    expect(CLIENT_VERSION_LIMITS[ApiKey.Fetch]).toEqual([4, 17]);
    expect(c.clientRange(ApiKey.Fetch)).toEqual([4, 12]);
    expect(c.version(ApiKey.Fetch)).toBe(12);
    expect(c.clientRange(ApiKey.Produce)).toBeUndefined();
    await expect(c.send(ApiKey.Produce, { acks: 1, timeoutMs: 1, topicData: [] })).rejects.toBeInstanceOf(KafkaUnsupportedVersionError);
    c.close();
  });

  it('a response with an unknown correlation id fails the connection and closes the transport with the reason', async () => {
    const t = new MemoryTransport();
    const c = await MemoryConnection.open(t);
    const pending = c.send(ApiKey.Metadata, { topics: null });
    t.answer(metadata, 4242);
    await expect(pending).rejects.toThrow(/unknown correlation id 4242 \[memory\]/);
    expect(t.closedWith).toMatch(/unknown correlation id 4242/);
    expect(c.isOpen).toBe(false);
  });

  it('answers matched by correlation id; frames after close are ignored; acks=0 requests resolve once written', async () => {
    const t = new MemoryTransport();
    const c = await MemoryConnection.open(t);
    const closes: Error[] = [];
    c.onClose((e) => closes.push(e));
    const md = c.send(ApiKey.Metadata, { topics: null });
    expect(c.inFlightCount).toBe(1);
    t.answer(metadata);
    expect((await md).controllerId).toBe(1);
    expect(c.inFlightCount).toBe(0);
    await expect(c.send(ApiKey.Produce, { acks: 0, timeoutMs: 1, topicData: [] }, { expectResponse: false })).resolves.toBeUndefined();
    expect(c.inFlightCount).toBe(0);
    c.close();
    expect(t.closedWith).toBeNull();
    expect(() => t.answer(metadata)).not.toThrow();
    expect(closes).toHaveLength(1);
    expect(closes[0]).toBeInstanceOf(KafkaConnectionError);
  });
});
