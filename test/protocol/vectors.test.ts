// Hand-assembled byte vectors for the flexible (KIP-482) encoding, which kafkajs cannot check:
// compact lengths, tagged fields (known, with size prefix), nullable structs, null compact arrays.
import { describe, expect, it } from 'vitest';
import { apis, ApiKey } from '../../protocol/generated/index.js';
import { Reader } from '../../protocol/wire/reader.js';
import { Writer } from '../../protocol/wire/writer.js';

const hex = (s: string): string => s.replace(/\s+/g, '');
function check(encode: (w: Writer) => void, size: number, expected: string, decode: (r: Reader) => unknown, value: unknown): void {
  const w = new Writer(size);
  encode(w);
  expect(Buffer.from(w.buf).toString('hex')).toBe(hex(expected));
  const r = new Reader(w.buf);
  expect(decode(r)).toMatchObject(value as object);
  expect(r.remaining()).toBe(0);
}

describe('flexible encoding vectors', () => {
  it('ApiVersionsResponse v3: compact array, struct tag sections, known tagged int64', () => {
    const api = apis[ApiKey.ApiVersions];
    const m = { apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 9 }], finalizedFeaturesEpoch: 5n };
    check((w) => api.encodeResponse(w, 3, m), api.sizeResponse(3, m), '0000 02 0000 0000 0009 00 00000000 01 01 08 0000000000000005', (r) => api.decodeResponse(r, 3), m);
  });
  it('MetadataRequest v12: null compact array; then with a topic (uuid + compact nullable string)', () => {
    const api = apis[ApiKey.Metadata];
    const m1 = { topics: null, allowAutoTopicCreation: true };
    check((w) => api.encodeRequest(w, 12, m1), api.sizeRequest(12, m1), '00 01 00 00', (r) => api.decodeRequest(r, 12), m1);
    const m2 = { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', name: 'a' }], allowAutoTopicCreation: false };
    check((w) => api.encodeRequest(w, 12, m2), api.sizeRequest(12, m2), `02 ${'00'.repeat(15)}01 02 61 00 00 00 00`, (r) => api.decodeRequest(r, 12), m2);
  });
  it('FetchRequest v12: tagged nullable string ClusterId (tag 0) with its size prefix', () => {
    const api = apis[ApiKey.Fetch];
    const m = { replicaId: -1, maxWaitMs: 0, minBytes: 0, sessionEpoch: -1, topics: [], clusterId: 'c' };
    check(
      (w) => api.encodeRequest(w, 12, m),
      api.sizeRequest(12, m),
      'ffffffff 00000000 00000000 7fffffff 00 00000000 ffffffff 01 01 01 01 00 02 02 63',
      (r) => api.decodeRequest(r, 12),
      m,
    );
  });
  it('DescribeTopicPartitionsRequest v0: nullable struct marker (-1 null, 1 present)', () => {
    const api = apis[ApiKey.DescribeTopicPartitions];
    check((w) => api.encodeRequest(w, 0, { cursor: null }), api.sizeRequest(0, { cursor: null }), '01 000007d0 ff 00', (r) => api.decodeRequest(r, 0), { cursor: null, responsePartitionLimit: 2000 });
    const m = { cursor: { topicName: 't', partitionIndex: 1 } };
    check((w) => api.encodeRequest(w, 0, m), api.sizeRequest(0, m), '01 000007d0 01 02 74 00000001 00 00', (r) => api.decodeRequest(r, 0), m);
  });
});
