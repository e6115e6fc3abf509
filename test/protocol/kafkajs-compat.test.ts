// Byte-for-byte comparison with kafkajs's request encoders (kafkajs/src/protocol/requests/<api>/v<N>)
// for every version kafkajs implements: the whole frame (size prefix, request header v1, body) that
// kafkajs would put on the socket must equal what encodeRequestFrame produces from the equivalent
// input. kafkajs only speaks non-flexible versions, so this pins the classic encoding.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { encodeRequestFrame, decodeRequestFrame } from '../../protocol/frame.js';
import { ApiKey, type RequestInputTypes } from '../../protocol/generated/index.js';

const require = createRequire(import.meta.url);
const kjs = (path: string): any => require(`kafkajs/src/protocol/${path}`);
const KRequest = kjs('request.js');
const Long = require('kafkajs/src/utils/long');
const MessageSet = kjs('messageSet/index.js');
const { RecordBatch } = kjs('recordBatch/v0/index.js');
const Record = kjs('recordBatch/record/v0/index.js');

const CLIENT_ID = 'rivulet-test';

async function kafkajsFrame(api: string, version: number, args: unknown, correlationId: number): Promise<Uint8Array> {
  const request = kjs(`requests/${api}/v${version}/request.js`)(args);
  expect(request.apiVersion).toBe(version);
  const enc = await KRequest({ correlationId, clientId: CLIENT_ID, request });
  return new Uint8Array(enc.buffer);
}

interface Case<K extends keyof RequestInputTypes> {
  api: string;
  key: K;
  versions: number[];
  build: (v: number) => Promise<[kafkajsArgs: unknown, ours: RequestInputTypes[K]]> | [unknown, RequestInputTypes[K]];
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

const topics = ['orders', 'payments-ü'];

const cases: Case<any>[] = [
  { api: 'apiVersions', key: ApiKey.ApiVersions, versions: range(0, 2), build: () => [{}, {}] },
  {
    api: 'metadata',
    key: ApiKey.Metadata,
    versions: range(0, 6),
    build: (v) => [
      { topics, allowAutoTopicCreation: false },
      { topics: topics.map((name) => ({ name })), allowAutoTopicCreation: v >= 4 ? false : undefined },
    ],
  },
  {
    api: 'findCoordinator',
    key: ApiKey.FindCoordinator,
    versions: range(0, 2),
    build: (v) => (v === 0 ? [{ groupId: 'group-1' }, { key: 'group-1' }] : [{ coordinatorKey: 'txn-1', coordinatorType: 1 }, { key: 'txn-1', keyType: 1 }]),
  },
  {
    api: 'heartbeat',
    key: ApiKey.Heartbeat,
    versions: range(0, 3),
    build: (v) => [
      { groupId: 'g', groupGenerationId: 7, memberId: 'member-1', groupInstanceId: 'inst-1' },
      { groupId: 'g', generationId: 7, memberId: 'member-1', groupInstanceId: v >= 3 ? 'inst-1' : undefined },
    ],
  },
  {
    api: 'syncGroup',
    key: ApiKey.SyncGroup,
    versions: range(0, 3),
    build: () => {
      const assignment = [
        { memberId: 'm1', memberAssignment: Buffer.from([0, 1, 0, 0, 0, 1]) },
        { memberId: 'm2', memberAssignment: Buffer.alloc(0) },
      ];
      return [
        { groupId: 'g', generationId: 3, memberId: 'm1', groupInstanceId: null, groupAssignment: assignment },
        { groupId: 'g', generationId: 3, memberId: 'm1', groupInstanceId: null, assignments: assignment.map((a) => ({ memberId: a.memberId, assignment: new Uint8Array(a.memberAssignment) })) },
      ];
    },
  },
  {
    api: 'joinGroup',
    key: ApiKey.JoinGroup,
    versions: range(0, 5),
    build: (v) => {
      const protocols = [
        { name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 0, 0, 0, 0]) },
        { name: 'range', metadata: Buffer.from([9]) },
      ];
      return [
        { groupId: 'g', sessionTimeout: 30000, rebalanceTimeout: 60000, memberId: '', groupInstanceId: null, protocolType: 'consumer', groupProtocols: protocols },
        {
          groupId: 'g',
          sessionTimeoutMs: 30000,
          rebalanceTimeoutMs: v >= 1 ? 60000 : undefined,
          memberId: '',
          groupInstanceId: null,
          protocolType: 'consumer',
          protocols: protocols.map((p) => ({ name: p.name, metadata: new Uint8Array(p.metadata) })),
        },
      ];
    },
  },
  {
    api: 'offsetCommit',
    key: ApiKey.OffsetCommit,
    versions: range(0, 5),
    build: (v) => {
      const kTopics = [{ topic: 'orders', partitions: [{ partition: 0, offset: '42', timestamp: 1700000000000, metadata: null }, { partition: 3, offset: '9007199254740993', timestamp: 1700000000000, metadata: 'meta' }] }];
      return [
        { groupId: 'g', groupGenerationId: 5, memberId: 'm', retentionTime: -1, topics: kTopics },
        {
          groupId: 'g',
          generationIdOrMemberEpoch: v >= 1 ? 5 : undefined,
          memberId: v >= 1 ? 'm' : undefined,
          retentionTimeMs: -1n,
          topics: kTopics.map((t) => ({
            name: t.topic,
            partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, committedOffset: BigInt(p.offset), commitTimestamp: v === 1 ? BigInt(p.timestamp) : undefined, committedMetadata: p.metadata })),
          })),
        },
      ];
    },
  },
  {
    api: 'offsetFetch',
    key: ApiKey.OffsetFetch,
    versions: range(1, 4),
    build: () => [
      { groupId: 'g', topics: [{ topic: 'orders', partitions: [{ partition: 0 }, { partition: 1 }] }] },
      { groupId: 'g', topics: [{ name: 'orders', partitionIndexes: [0, 1] }] },
    ],
  },
  {
    api: 'listOffsets',
    key: ApiKey.ListOffsets,
    versions: range(0, 3),
    build: (v) => [
      { replicaId: -1, isolationLevel: 1, topics: [{ topic: 'orders', partitions: [{ partition: 0, timestamp: -2, maxNumOffsets: 1 }, { partition: 1, timestamp: 1700000000000 }] }] },
      {
        replicaId: -1,
        isolationLevel: v >= 2 ? 1 : undefined,
        topics: [
          {
            name: 'orders',
            partitions: [
              { partitionIndex: 0, timestamp: -2n, maxNumOffsets: 1 },
              { partitionIndex: 1, timestamp: 1700000000000n, maxNumOffsets: 1 },
            ],
          },
        ],
      },
    ],
  },
  {
    api: 'createTopics',
    key: ApiKey.CreateTopics,
    versions: range(0, 3),
    build: (v) => [
      {
        timeout: 5000,
        validateOnly: true,
        topics: [
          { topic: 'a', numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
          { topic: 'b', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] },
        ],
      },
      {
        timeoutMs: 5000,
        validateOnly: v >= 1 ? true : undefined,
        topics: [
          { name: 'a', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] },
          { name: 'b', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }], configs: [] },
        ],
      },
    ],
  },
  {
    api: 'fetch',
    key: ApiKey.Fetch,
    versions: range(0, 11),
    build: (v) => [
      {
        replicaId: -1,
        maxWaitTime: 500,
        minBytes: 1,
        maxBytes: 10485760,
        isolationLevel: 1,
        sessionId: 0,
        sessionEpoch: -1,
        rackId: 'rack-a',
        forgottenTopics: [{ topic: 'old', partitions: [4, 5] }],
        topics: [{ topic: 'orders', partitions: [{ partition: 0, currentLeaderEpoch: 3, fetchOffset: '100', logStartOffset: '-1', maxBytes: 1048576 }] }],
      },
      {
        replicaId: -1,
        maxWaitMs: 500,
        minBytes: 1,
        maxBytes: v >= 3 ? 10485760 : undefined,
        isolationLevel: v >= 4 ? 1 : undefined,
        sessionId: 0,
        sessionEpoch: -1,
        rackId: v >= 11 ? 'rack-a' : undefined,
        forgottenTopicsData: v >= 7 ? [{ topic: 'old', partitions: [4, 5] }] : undefined,
        topics: [{ topic: 'orders', partitions: [{ partition: 0, currentLeaderEpoch: v >= 9 ? 3 : undefined, fetchOffset: 100n, logStartOffset: -1n, partitionMaxBytes: 1048576 }] }],
      },
    ],
  },
  {
    api: 'produce',
    key: ApiKey.Produce,
    versions: range(0, 7),
    build: async (v) => {
      const messages = [
        { key: 'k1', value: 'hellO', timestamp: 1700000000000, headers: { h: 'x' } },
        { key: null, value: 'world!', timestamp: 1700000000005 },
      ];
      // The record bytes kafkajs puts in the request, built with its own record encoders.
      let records: Uint8Array;
      if (v <= 1) records = new Uint8Array(MessageSet({ messageVersion: 0, entries: messages }).buffer);
      else if (v === 2) records = new Uint8Array(MessageSet({ messageVersion: 1, compression: 0, entries: messages }).buffer);
      else {
        const batch = await RecordBatch({
          compression: 0,
          records: messages.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: m.timestamp - messages[0]!.timestamp })),
          firstTimestamp: 1700000000000,
          maxTimestamp: 1700000000005,
          producerId: Long.fromInt(-1),
          producerEpoch: 0,
          firstSequence: 0,
          transactional: false,
          lastOffsetDelta: 1,
        });
        records = new Uint8Array(batch.buffer);
      }
      return [
        { acks: -1, timeout: 30000, transactionalId: null, compression: 0, topicData: [{ topic: 'orders', partitions: [{ partition: 2, firstSequence: 0, messages }] }] },
        { transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: 'orders', partitionData: [{ index: 2, records }] }] },
      ];
    },
  },
];

describe('request bytes equal kafkajs', () => {
  for (const c of cases) {
    describe(c.api, () => {
      it.each(c.versions)('v%i', async (v) => {
        const [kArgs, ours] = await c.build(v);
        const expected = await kafkajsFrame(c.api, v, kArgs, 1000 + v);
        const actual = encodeRequestFrame(c.key, v, 1000 + v, CLIENT_ID, ours);
        expect(expected.length).toBeGreaterThan(4 + 10 + CLIENT_ID.length - 1);
        expect(Buffer.from(actual).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
        // And our decoder reads kafkajs's bytes back to the same frame.
        const decoded = decodeRequestFrame(expected.subarray(4));
        expect(decoded.apiKey).toBe(c.key);
        expect(decoded.header.clientId).toBe(CLIENT_ID);
        const again = encodeRequestFrame(c.key, v, 1000 + v, CLIENT_ID, decoded.body as never);
        expect(again).toEqual(expected);
      });
    });
  }
});
