// The answers the authorization rules give without the handler (a request denied as a whole) must encode at
// every version of their API, as Kafka's error responses do: a field a version lacks must hold its default.
// Also the rules of the APIs whose handlers are not registered yet (ACLs, SCRAM credentials, client quotas),
// and the fast path: an allowed request is passed on as it is, with nothing to complete.
import { describe, expect, it } from 'vitest';
import { ApiKey, apis, type ApiDescriptor } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { encodeResponseFrameFor, decodeResponseFrameFor } from '../../protocol/api-frame.js';
import { ZERO_UUID } from '../../protocol/wire/uuid.js';
import { createRequestAuthorization } from '../../host-node/server/authorization/index.js';
import type { Authorizer } from '../../host-node/security/authorizer.js';
import type { AuthzAction } from '../../host-node/security/acl.js';
import { ANONYMOUS } from '../../host-node/security/principal.js';
import type { RequestContext } from '../../host-node/server/context.js';

/** Allows what `allow` says (default: nothing), and counts the questions. */
function fakeAuthorizer(allow: (a: AuthzAction) => boolean = () => false): Authorizer & { asked: number } {
  const az = {
    asked: 0,
    authorize: (_s: unknown, actions: readonly AuthzAction[]) => {
      az.asked += actions.length;
      return actions.map(allow);
    },
    authorizeAny: () => false,
    describeAcls: () => [],
    createAcls: async () => [],
    deleteAcls: async () => [],
  };
  return az;
}

let closed = 0;
function ctxAt(apiKey: number, apiVersion: number): RequestContext {
  const topic = { name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', isInternal: false, partitions: [] };
  return {
    apiKey,
    apiVersion,
    correlationId: 1,
    clientId: 'c',
    connection: { remoteAddress: '127.0.0.1', security: { principal: ANONYMOUS }, closeAfterResponses: () => closed++ },
    broker: {
      metadata: { topicById: (id: string) => (id === topic.topicId ? topic : undefined), topicByName: () => undefined, autoCreateTopic: () => 3, listTopics: () => [] },
      config: { get: () => true },
    },
  } as unknown as RequestContext;
}

const part = { partition: 0, partitionIndex: 0, index: 0, records: new Uint8Array(0), fetchOffset: 0n, timestamp: -1n, leaderEpoch: 0, offset: 0n, partitionIndexes: [0] };
/** One request per API, with every field any version reads (the rules read only a few). */
const REQUESTS: Partial<Record<ApiKey, object>> = {
  [ApiKey.Produce]: { transactionalId: null, acks: -1, timeoutMs: 1, topicData: [{ name: 't', partitionData: [part] }] },
  [ApiKey.Fetch]: { replicaId: -1, replicaState: { replicaId: -1 }, sessionEpoch: -1, topics: [{ topic: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: [part] }] },
  [ApiKey.ListOffsets]: { topics: [{ name: 't', partitions: [part] }] },
  [ApiKey.Metadata]: { topics: [{ name: 't', topicId: ZERO_UUID }], allowAutoTopicCreation: true },
  [ApiKey.OffsetCommit]: { groupId: 'g', topics: [{ name: 't', partitions: [part] }] },
  [ApiKey.OffsetFetch]: { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }], groups: [{ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] }] },
  [ApiKey.FindCoordinator]: { key: 'g', keyType: 0, coordinatorKeys: ['g'] },
  [ApiKey.JoinGroup]: { groupId: 'g' },
  [ApiKey.Heartbeat]: { groupId: 'g' },
  [ApiKey.LeaveGroup]: { groupId: 'g' },
  [ApiKey.SyncGroup]: { groupId: 'g' },
  [ApiKey.DescribeGroups]: { groups: ['g'] },
  [ApiKey.CreateTopics]: { topics: [{ name: 't' }] },
  [ApiKey.DeleteTopics]: { topics: [{ name: 't', topicId: ZERO_UUID }], topicNames: ['t'] },
  [ApiKey.DeleteRecords]: { topics: [{ name: 't', partitions: [part] }] },
  [ApiKey.InitProducerId]: { transactionalId: null },
  [ApiKey.OffsetForLeaderEpoch]: { topics: [{ topic: 't', partitions: [part] }] },
  [ApiKey.DescribeAcls]: {},
  [ApiKey.CreateAcls]: { creations: [{}] },
  [ApiKey.DeleteAcls]: { filters: [{}] },
  [ApiKey.DescribeConfigs]: { resources: [{ resourceType: 2, resourceName: 't' }, { resourceType: 4, resourceName: '1' }] },
  [ApiKey.AlterConfigs]: { resources: [{ resourceType: 2, resourceName: 't' }] },
  [ApiKey.DescribeLogDirs]: { topics: null },
  [ApiKey.CreatePartitions]: { topics: [{ name: 't' }] },
  [ApiKey.DeleteGroups]: { groupsNames: ['g'] },
  [ApiKey.ElectLeaders]: { topicPartitions: [{ topic: 't', partitions: [0] }] },
  [ApiKey.IncrementalAlterConfigs]: { resources: [{ resourceType: 32, resourceName: 'g' }] },
  [ApiKey.AlterPartitionReassignments]: { topics: [{ name: 't', partitions: [part] }] },
  [ApiKey.ListPartitionReassignments]: { topics: [{ name: 't', partitionIndexes: [0] }] },
  [ApiKey.OffsetDelete]: { groupId: 'g', topics: [{ name: 't', partitions: [part] }] },
  [ApiKey.DescribeClientQuotas]: { components: [] },
  [ApiKey.AlterClientQuotas]: { entries: [{ entity: [{ entityType: 'user', entityName: 'alice' }], ops: [] }] },
  [ApiKey.DescribeUserScramCredentials]: { users: [{ name: 'alice' }] },
  [ApiKey.AlterUserScramCredentials]: { deletions: [{ name: 'bob' }], upsertions: [{ name: 'alice' }] },
};

const AUTHZ_ERRORS = [ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED];

/** Every error code anywhere in a decoded response. */
function errorCodes(x: unknown, out: number[] = []): number[] {
  if (Array.isArray(x)) for (const e of x) errorCodes(e, out);
  else if (x !== null && typeof x === 'object')
    for (const [k, v] of Object.entries(x)) {
      if ((k === 'errorCode' || k === 'topicConfigErrorCode') && typeof v === 'number') out.push(v);
      else errorCodes(v, out);
    }
  return out;
}

describe('authorization answers', () => {
  const authz = createRequestAuthorization(fakeAuthorizer());
  for (const [key, request] of Object.entries(REQUESTS)) {
    const apiKey = Number(key) as ApiKey;
    const api = apis[apiKey] as unknown as ApiDescriptor;
    it(`${api.name}: denied, the answer encodes at every version with an authorization error`, () => {
      const [lo, hi] = api.validVersions;
      for (let v = lo; v <= hi; v++) {
        const outcome = authz.check(apiKey, request, ctxAt(apiKey, v));
        expect(outcome, `${api.name} v${v}`).toBeDefined();
        // Metadata always goes to its handler (it lists the brokers): complete an empty answer of it.
        const response = 'response' in outcome! ? outcome.response : outcome!.complete({});
        if (typeof response === 'symbol') continue; // acks=0 gets no answer
        const frame = encodeResponseFrameFor(api, v, 7, response as never);
        const body = decodeResponseFrameFor(api, v, frame.subarray(4)).body;
        const codes = errorCodes(body);
        // DescribeLogDirs v0-2 have no error field at all: their answer is then only empty.
        if (apiKey !== ApiKey.DescribeLogDirs || v >= 3) expect(codes.some((c) => AUTHZ_ERRORS.includes(c as never)), `${api.name} v${v}: ${JSON.stringify(codes)}`).toBe(true);
      }
    });
  }

  it('an allowed Produce or Fetch is passed on as it is, one question for one topic', () => {
    const az = fakeAuthorizer(() => true);
    const allowAll = createRequestAuthorization(az);
    expect(allowAll.check(ApiKey.Produce, REQUESTS[ApiKey.Produce], ctxAt(ApiKey.Produce, 9))).toBeUndefined();
    expect(allowAll.check(ApiKey.Fetch, REQUESTS[ApiKey.Fetch], ctxAt(ApiKey.Fetch, 12))).toBeUndefined();
    expect(az.asked).toBe(2);
  });

  it('a Produce naming many partitions of few topics asks once per topic', () => {
    const az = fakeAuthorizer((a) => a.resourceName !== 'b');
    const authz2 = createRequestAuthorization(az);
    const parts = Array.from({ length: 50 }, (_, i) => ({ index: i, records: null }));
    const request = { transactionalId: null, acks: 1, timeoutMs: 1, topicData: ['a', 'b', 'a', 'c'].map((name) => ({ name, partitionData: parts })) };
    const outcome = authz2.check(ApiKey.Produce, request, ctxAt(ApiKey.Produce, 9));
    expect(az.asked).toBe(3);
    if (outcome === undefined || !('complete' in outcome)) throw new Error('expected a partial outcome');
    expect((outcome.request as typeof request).topicData.map((t) => t.name)).toEqual(['a', 'a', 'c']);
    const handled = { responses: ['a', 'a', 'c'].map((name) => ({ name, partitionResponses: [{ index: 0, errorCode: 0 }] })) };
    const done = outcome.complete(handled) as typeof handled;
    expect(done.responses.map((t) => [t.name, t.partitionResponses[0]!.errorCode])).toEqual([
      ['a', 0],
      ['b', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      ['a', 0],
      ['c', 0],
    ]);
    expect(done.responses[1]!.partitionResponses.length).toBe(50);
  });

  it('an API without a rule is refused, not served', () => {
    expect(() => authz.check(ApiKey.EndTxn, {}, ctxAt(ApiKey.EndTxn, 0))).toThrow(/no authorization rule/);
  });

  it('ApiVersions and the SASL APIs are served before any principal is known', () => {
    for (const k of [ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]) expect(authz.check(k, {}, ctxAt(k, 0))).toBeUndefined();
  });

  it('a denied acks=0 Produce gets no answer and its connection is closed', () => {
    const before = closed;
    const outcome = authz.check(ApiKey.Produce, { ...REQUESTS[ApiKey.Produce], acks: 0 }, ctxAt(ApiKey.Produce, 9));
    expect(outcome && 'response' in outcome && typeof outcome.response).toBe('symbol');
    expect(closed).toBe(before + 1);
  });
});
