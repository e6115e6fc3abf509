// LinkedIn's Burrow (Debian package `burrow`, 1.2.1) against Rivulet: its Kafka consumer module reads
// __consumer_offsets over the Kafka protocol and its cluster module reads high watermarks; the lag it
// reports must equal our kafka_consumergroup_lag.
//
// Opt-in, not part of CI: Burrow 1.2.1 cannot run without ZooKeeper — its own coordinator (locking) is
// mandatory, and a config without [zookeeper] servers panics with "No Zookeeper servers specified". This
// test therefore starts a throwaway ZooKeeper (Debian package `zookeeper`, Java) for Burrow alone; Rivulet
// never talks to it. Run: RIVULET_BURROW_TEST=1 npx vitest run test/metrics/burrow.test.ts
// (needs `apt-get install -y burrow zookeeper`).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { startDataBroker, type DataBroker } from '../helpers/data-broker.js';
import { encodeBatch } from '../storage/helpers/js-core.js';
import { scrape, value } from './scrape.js';
import { freePort, waitForPort } from '../helpers/ports.js';

const BURROW = '/usr/bin/Burrow';
const ZK_JARS = '/usr/share/java/zookeeper.jar';
const enabled = process.env.RIVULET_BURROW_TEST === '1' && existsSync(BURROW) && existsSync(ZK_JARS);

const procs: ChildProcess[] = [];
const dirs: string[] = [];
let b: DataBroker | undefined;

afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await b?.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});


interface BurrowPartition {
  topic: string;
  partition: number;
  current_lag: number;
  end: { offset: number } | null;
}

describe.skipIf(!enabled)('Burrow (opt-in: RIVULET_BURROW_TEST=1)', () => {
  it('reads __consumer_offsets from Rivulet and reports the same lag as kafka_consumergroup_lag', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-burrow-'));
    dirs.push(dir);

    // ZooKeeper, for Burrow's own coordinator only.
    const zkPort = await freePort();
    writeFileSync(join(dir, 'zoo.cfg'), `tickTime=2000\ndataDir=${join(dir, 'zk')}\nclientPort=${zkPort}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n`);
    const zk = spawn('java', ['-cp', '/usr/share/java/*:/etc/zookeeper/conf', 'org.apache.zookeeper.server.ZooKeeperServerMain', join(dir, 'zoo.cfg')], { stdio: 'ignore' });
    procs.push(zk);
    await waitForPort(zkPort, 30_000);

    b = await startDataBroker({ sets: { 'metrics.port': '0' } });
    b.createTopic('bt', 3);
    const c = await KafkaTestClient.connect(b.port);
    try {
      for (let p = 0; p < 3; p++) {
        const records = encodeBatch(Array.from({ length: 10 }, (_, i) => ({ value: Buffer.from(`v${p}-${i}`), timestamp: Date.now() })));
        const r = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'bt', partitionData: [{ index: p, records }] }] });
        expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      }
      const oc = await c.request(ApiKey.OffsetCommit, 8, {
        groupId: 'burrow-g',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: 'bt', partitions: [4n, 10n, 7n].map((o, i) => ({ partitionIndex: i, committedOffset: o, committedLeaderEpoch: -1, committedMetadata: '' })) }],
      });
      expect(oc.topics[0]!.partitions.every((p) => p.errorCode === 0)).toBe(true);
    } finally {
      c.close();
    }

    const httpPort = await freePort();
    const profile = `client-profile="rivulet"`;
    writeFileSync(
      join(dir, 'burrow.toml'),
      [
        `[general]\npidfile="${join(dir, 'burrow.pid')}"`,
        `[logging]\nlevel="info"`,
        `[zookeeper]\nservers=[ "127.0.0.1:${zkPort}" ]\ntimeout=6\nroot-path="/burrow"`,
        `[client-profile.rivulet]\nclient-id="burrow"\nkafka-version="2.0.0"`,
        `[cluster.rivulet]\nclass-name="kafka"\nservers=[ "${b.bootstrap}" ]\n${profile}\ntopic-refresh=5\noffset-refresh=1`,
        `[consumer.rivulet]\nclass-name="kafka"\ncluster="rivulet"\nservers=[ "${b.bootstrap}" ]\n${profile}\noffsets-topic="__consumer_offsets"\nstart-latest=false`,
        `[httpserver.default]\naddress="127.0.0.1:${httpPort}"`,
        `[storage.default]\nclass-name="inmemory"\nworkers=4\nintervals=10\nexpire-group=604800\nmin-distance=1`,
      ].join('\n\n') + '\n',
    );
    let burrowLog = '';
    const burrow = spawn(BURROW, ['-config-dir', dir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    burrow.stdout!.on('data', (d: Buffer) => (burrowLog += d.toString()));
    burrow.stderr!.on('data', (d: Buffer) => (burrowLog += d.toString()));
    procs.push(burrow);

    // Poll Burrow's HTTP API until it has the group's three partitions with broker offsets.
    let parts: BurrowPartition[] = [];
    const until = Date.now() + 45_000;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 500));
      try {
        const res = await fetch(`http://127.0.0.1:${httpPort}/v3/kafka/rivulet/consumer/burrow-g/lag`);
        if (res.status !== 200) continue;
        const body = (await res.json()) as { status?: { partitions?: BurrowPartition[] } };
        parts = (body.status?.partitions ?? []).filter((p) => p.topic === 'bt' && p.end !== null);
        if (parts.length === 3) break;
      } catch {
        /* not up yet */
      }
    }
    expect(parts, burrowLog.slice(-3000)).toHaveLength(3);
    const burrowLag = Object.fromEntries(parts.map((p) => [p.partition, p.current_lag]));
    expect(burrowLag).toEqual({ 0: 6, 1: 0, 2: 3 });

    const { samples } = await scrape(b.broker.metrics!.url);
    for (const [p, lag] of Object.entries(burrowLag)) expect(value(samples, 'kafka_consumergroup_lag', { group: 'burrow-g', topic: 'bt', partition: p })).toBe(lag);
  });
});
