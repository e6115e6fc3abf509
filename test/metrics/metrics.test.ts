// The Prometheus endpoint (host-node/metrics) end to end: a broker with metrics.port=0, Produce with known
// record bytes, Fetch, a consumer group that commits partway, then GET /metrics — and `rivulet groups
// --describe` showing the same lag.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as groupsCli } from '../../host-node/cli/groups.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { startDataBroker, type DataBroker } from '../helpers/data-broker.js';
import { encodeBatch } from '../storage/helpers/js-core.js';
import { assignment, subscription } from '../groups/helpers.js';
import { scrape, value } from './scrape.js';

let b: DataBroker;
let c: KafkaTestClient;
let url: string;

const TOPIC = 'mt';
/** Partition 0: 3 batches × 10 records; partition 1: 2 batches × 5 records; values of 100 bytes. */
const PLAN: { partition: number; records: number }[] = [
  { partition: 0, records: 10 },
  { partition: 0, records: 10 },
  { partition: 1, records: 5 },
  { partition: 0, records: 10 },
  { partition: 1, records: 5 },
];
const N = PLAN.reduce((n, p) => n + p.records, 0);
let bytesSent = 0;
const bytesByPartition = [0, 0];

function batch(n: number, seed: number): Buffer {
  return encodeBatch(
    Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${seed}-${i}`), value: Buffer.alloc(100, 65 + (i % 26)), timestamp: 1_700_000_000_000 + i })),
  );
}

async function produce(partition: number, records: Uint8Array): Promise<void> {
  const r = await c.request(ApiKey.Produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: TOPIC, partitionData: [{ index: partition, records }] }],
  });
  expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await groupsCli(['--bootstrap-server', b.bootstrap, ...argv], {
    stdin: process.stdin,
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  return { code, out, err };
}

beforeAll(async () => {
  b = await startDataBroker({ sets: { 'metrics.port': '0', 'group.initial.rebalance.delay.ms': '0' } });
  url = b.broker.metrics!.url;
  b.createTopic(TOPIC, 2);
  c = await KafkaTestClient.connect(b.port);
});
afterAll(async () => {
  c?.close();
  await b?.dispose();
});

describe('Prometheus metrics', () => {
  it('is off by default (metrics.port = -1)', async () => {
    const plain = await startDataBroker();
    try {
      expect(plain.broker.metrics).toBeUndefined();
      expect(plain.broker.context.metrics).toBeUndefined();
    } finally {
      await plain.dispose();
    }
  });

  it('serves /metrics on metrics.host (127.0.0.1 by default) and 404 elsewhere', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const s = await scrape(url);
    expect(s.contentType).toMatch(/^text\/plain/);
    expect(s.text).toContain('# TYPE kafka_network_requestmetrics_totaltimems histogram');
    expect((await fetch(url.replace('/metrics', '/nope'))).status).toBe(404);
  });

  it('counts records and bytes in/out, requests per API, logs, and group lag', async () => {
    let seed = 0;
    for (const p of PLAN) {
      const bytes = batch(p.records, seed++);
      bytesSent += bytes.length;
      bytesByPartition[p.partition]! += bytes.length;
      await produce(p.partition, bytes);
    }

    // Fetch all of partition 0 (bytes out = what is stored there).
    const f = await c.request(ApiKey.Fetch, 12, {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 10_000_000,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: TOPIC, topicId: '00000000-0000-0000-0000-000000000000' as never, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 10_000_000 }] }],
      forgottenTopicsData: [],
      rackId: '',
    } as never);
    expect(f.responses[0]!.partitions[0]!.records!.length).toBe(bytesByPartition[0]);

    // A consumer group: one member owning both partitions, commits 12 of 30 on p0 and all 10 on p1.
    const join = { groupId: 'mg', sessionTimeoutMs: 30000, rebalanceTimeoutMs: 30000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription([TOPIC]) }], reason: null };
    let j = await c.request(ApiKey.JoinGroup, 9, join);
    j = await c.request(ApiKey.JoinGroup, 9, { ...join, memberId: j.memberId });
    expect(j.errorCode).toBe(0);
    const s = await c.request(ApiKey.SyncGroup, 5, {
      groupId: 'mg',
      generationId: j.generationId,
      memberId: j.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [{ memberId: j.memberId, assignment: assignment([{ topic: TOPIC, partitions: [0, 1] }]) }],
    });
    expect(s.errorCode).toBe(0);
    const oc = await c.request(ApiKey.OffsetCommit, 8, {
      groupId: 'mg',
      generationIdOrMemberEpoch: j.generationId,
      memberId: j.memberId,
      groupInstanceId: null,
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 12n, committedLeaderEpoch: -1, committedMetadata: '' }, { partitionIndex: 1, committedOffset: 10n, committedLeaderEpoch: -1, committedMetadata: '' }] }],
    });
    expect(oc.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([0, 0]);

    const { samples } = await scrape(url);
    const t = { topic: TOPIC };
    expect(value(samples, 'kafka_server_brokertopicmetrics_messagesin_total', t)).toBe(N);
    expect(value(samples, 'kafka_server_brokertopicmetrics_bytesin_total', t)).toBe(bytesSent);
    expect(value(samples, 'kafka_server_brokertopicmetrics_bytesout_total', t)).toBe(bytesByPartition[0]);
    // __consumer_offsets appends are the coordinator's own, not Produce: not counted as messages in.
    expect(value(samples, 'kafka_server_brokertopicmetrics_messagesin_total', { topic: '__consumer_offsets' })).toBeUndefined();

    expect(value(samples, 'kafka_network_requestmetrics_requests_total', { request: 'Produce' })).toBe(PLAN.length);
    expect(value(samples, 'kafka_network_requestmetrics_requests_total', { request: 'Fetch' })).toBe(1);
    expect(value(samples, 'kafka_network_requestmetrics_requests_total', { request: 'JoinGroup' })).toBe(2);
    expect(value(samples, 'kafka_network_requestmetrics_requests_total', { request: 'SyncGroup' })).toBe(1);
    expect(value(samples, 'kafka_network_requestmetrics_requests_total', { request: 'OffsetCommit' })).toBe(1);
    expect(value(samples, 'kafka_network_requestmetrics_totaltimems_count', { request: 'Produce' })).toBe(PLAN.length);
    expect(value(samples, 'kafka_network_requestmetrics_totaltimems_bucket', { request: 'Produce', le: '+Inf' })).toBe(PLAN.length);
    expect(value(samples, 'kafka_network_requestmetrics_totaltimems_sum', { request: 'Produce' })).toBeGreaterThan(0);

    expect(value(samples, 'kafka_log_log_logendoffset', { topic: TOPIC, partition: '0' })).toBe(30);
    expect(value(samples, 'kafka_log_log_logendoffset', { topic: TOPIC, partition: '1' })).toBe(10);
    expect(value(samples, 'kafka_log_log_logstartoffset', { topic: TOPIC, partition: '0' })).toBe(0);
    expect(value(samples, 'kafka_log_log_size', { topic: TOPIC, partition: '0' })).toBe(bytesByPartition[0]);
    expect(value(samples, 'kafka_log_log_size', { topic: TOPIC, partition: '1' })).toBe(bytesByPartition[1]);

    const g0 = { group: 'mg', topic: TOPIC, partition: '0' };
    const g1 = { group: 'mg', topic: TOPIC, partition: '1' };
    expect(value(samples, 'kafka_consumergroup_lag', g0)).toBe(18);
    expect(value(samples, 'kafka_consumergroup_lag', g1)).toBe(0);
    expect(value(samples, 'kafka_consumergroup_current_offset', g0)).toBe(12);
    expect(value(samples, 'kafka_consumergroup_current_offset', g1)).toBe(10);
    expect(value(samples, 'kafka_consumergroup_members', { group: 'mg' })).toBe(1);

    expect(value(samples, 'kafka_server_socket_server_metrics_connection_count', { listener: 'PLAINTEXT' })).toBeGreaterThanOrEqual(1);
    expect(value(samples, 'kafka_server_socket_server_metrics_connection_creation_total', { listener: 'PLAINTEXT' })).toBeGreaterThanOrEqual(1);
    expect(value(samples, 'kafka_server_delayedoperationpurgatory_purgatorysize', { delayedOperation: 'Produce' })).toBe(0);
    expect(value(samples, 'kafka_server_delayedoperationpurgatory_purgatorysize', { delayedOperation: 'Fetch' })).toBe(0);

    // The same lag in `rivulet groups --describe`.
    const d = await cli('--describe', '--group', 'mg');
    expect(d.code).toBe(0);
    expect(d.out).toMatch(new RegExp(`mg\\s+${TOPIC}\\s+0\\s+12\\s+30\\s+18\\s+${j.memberId}`));
    expect(d.out).toMatch(new RegExp(`mg\\s+${TOPIC}\\s+1\\s+10\\s+10\\s+0\\s+${j.memberId}`));

    // More records raise the lag at the next scrape (computed at scrape time).
    await produce(0, batch(5, 99));
    const again = await scrape(url);
    expect(value(again.samples, 'kafka_consumergroup_lag', g0)).toBe(23);
    expect(value(again.samples, 'kafka_server_brokertopicmetrics_messagesin_total', t)).toBe(N + 5);
  });

  it('reports a single broker as Kafka reports a one-broker cluster: leader of every partition, the controller', async () => {
    const { samples } = await scrape(url);
    const logs = samples.filter((s) => s.name === 'kafka_log_log_size').length;
    expect(logs).toBeGreaterThanOrEqual(2);
    expect(value(samples, 'kafka_server_replicamanager_partitioncount')).toBe(logs);
    expect(value(samples, 'kafka_server_replicamanager_leadercount')).toBe(logs);
    expect(value(samples, 'kafka_server_replicamanager_underreplicatedpartitions')).toBe(0);
    expect(value(samples, 'kafka_server_replicamanager_underminisrpartitioncount')).toBe(0);
    expect(value(samples, 'kafka_server_replicamanager_isrshrinks_total')).toBe(0);
    expect(value(samples, 'kafka_server_replicamanager_isrexpands_total')).toBe(0);
    expect(value(samples, 'kafka_controller_kafkacontroller_activecontrollercount')).toBe(1);
    expect(value(samples, 'kafka_controller_kafkacontroller_offlinepartitionscount')).toBe(0);
  });

  it('shows long-poll fetches in the Fetch purgatory while they wait', async () => {
    b.createTopic('waiting', 1);
    const w = await KafkaTestClient.connect(b.port);
    try {
      const corr = w.send(ApiKey.Fetch, 12, {
        clusterId: null,
        replicaId: -1,
        replicaState: { replicaId: -1, replicaEpoch: -1n },
        maxWaitMs: 10_000,
        minBytes: 1,
        maxBytes: 1_000_000,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: 'waiting', topicId: '00000000-0000-0000-0000-000000000000' as never, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1_000_000 }] }],
        forgottenTopicsData: [],
        rackId: '',
      } as never);
      let waiting: number | undefined;
      for (let i = 0; i < 50 && waiting !== 1; i++) {
        await new Promise((r) => setTimeout(r, 20));
        waiting = value((await scrape(url)).samples, 'kafka_server_delayedoperationpurgatory_purgatorysize', { delayedOperation: 'Fetch' });
      }
      expect(waiting).toBe(1);
      const r = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'waiting', partitionData: [{ index: 0, records: batch(1, 7) }] }] });
      expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      const got = await w.recv(ApiKey.Fetch, 12);
      expect(got.correlationId).toBe(corr);
      expect(value((await scrape(url)).samples, 'kafka_server_delayedoperationpurgatory_purgatorysize', { delayedOperation: 'Fetch' })).toBe(0);
    } finally {
      w.close();
    }
  });
});
