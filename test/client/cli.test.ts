// `rivulet topics / produce / consume` (host-node/cli/*.ts run()) against the real in-process broker
// (admin APIs it lacks yet are stand-ins, see admin-standins.ts): Kafka-like output, messages and exit codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as consume } from '../../host-node/cli/consume.js';
import { run as produce } from '../../host-node/cli/produce.js';
import { run as topics } from '../../host-node/cli/topics.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { registerAdminStandIns } from './admin-standins.js';
import { tool } from '../helpers/cli-tool.js';

let broker: TestBroker;
let bs: string;
beforeAll(async () => {
  broker = await startTestBroker({ configureHandlers: (r) => void registerAdminStandIns(r) });
  bs = `127.0.0.1:${broker.port}`;
});
afterAll(async () => {
  await broker.close();
});

describe('rivulet topics', () => {
  it('creates, lists, describes, alters and deletes like kafka-topics.sh', async () => {
    let r = await tool(topics, ['--bootstrap-server', bs, '--create', '--topic', 'cli-t', '--partitions', '2', '--replication-factor', '1', '--config', 'retention.ms=1000']);
    expect(r).toEqual({ code: 0, out: 'Created topic cli-t.\n', err: '' });
    r = await tool(topics, ['--bootstrap-server', bs, '--create', '--topic', 'cli-t', '--partitions', '2']);
    expect(r.code).toBe(1);
    expect(r.err).toBe("Error while executing topic command : Topic 'cli-t' already exists.\n");
    expect((await tool(topics, ['--bootstrap-server', bs, '--create', '--if-not-exists', '--topic', 'cli-t'])).code).toBe(0);
    r = await tool(topics, ['--bootstrap-server', bs, '--create', '--topic', 'cli-rf', '--replication-factor', '3']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error while executing topic command : .*replication factor of 3/);

    expect((await tool(topics, ['--bootstrap-server', bs, '--list'])).out).toBe('cli-t\n');
    r = await tool(topics, ['--bootstrap-server', bs, '--describe', '--topic', 'cli-t']);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Topic: cli-t\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: retention\.ms=1000$/);
    expect(lines.slice(1)).toEqual([0, 1].map((p) => `\tTopic: cli-t\tPartition: ${p}\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A`));

    expect((await tool(topics, ['--bootstrap-server', bs, '--alter', '--topic', 'cli-t', '--partitions', '3'])).code).toBe(0);
    expect((await tool(topics, ['--bootstrap-server', bs, '--describe', '--topic', 'cli-t'])).out).toContain('PartitionCount: 3');
    r = await tool(topics, ['--bootstrap-server', bs, '--alter', '--topic', 'cli-t', '--partitions', '2']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('Error while executing topic command : Topic currently has 3 partitions');

    expect(await tool(topics, ['--bootstrap-server', bs, '--delete', '--topic', 'cli-t'])).toEqual({ code: 0, out: '', err: '' });
    r = await tool(topics, ['--bootstrap-server', bs, '--describe', '--topic', 'cli-t']);
    expect(r).toEqual({ code: 1, out: '', err: "Error while executing topic command : Topic 'cli-t' does not exist as expected\n" });
    r = await tool(topics, ['--bootstrap-server', bs, '--delete', '--topic', 'cli-t']);
    expect(r.code).toBe(1);
    expect((await tool(topics, ['--bootstrap-server', bs, '--delete', '--if-exists', '--topic', 'cli-t'])).code).toBe(0);
  });

  it('rejects bad usage with Kafka-like messages', async () => {
    let r = await tool(topics, ['--list']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Missing required argument "\[bootstrap-server\]"/);
    r = await tool(topics, ['--bootstrap-server', bs, '--list', '--delete']);
    expect(r.err).toMatch(/^Command must include exactly one action/);
    r = await tool(topics, ['--bootstrap-server', bs, '--bogus']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Unknown option '--bogus'/);
    expect((await tool(topics, ['--help'])).code).toBe(0);
  });
});

describe('rivulet produce / consume', () => {
  it('produces stdin lines with keys and consumes them back with Kafka formatting', async () => {
    expect((await tool(topics, ['--bootstrap-server', bs, '--create', '--topic', 'cli-pc', '--partitions', '3'])).code).toBe(0);
    const input = Array.from({ length: 30 }, (_, i) => `k${i % 5}:value ${i}`).join('\n') + '\n';
    let r = await tool(produce, ['--bootstrap-server', bs, '--topic', 'cli-pc', '--property', 'parse.key=true', '--property', 'key.separator=:', '--producer-property', 'acks=all'], input);
    expect(r).toEqual({ code: 0, out: '', err: '' });

    r = await tool(consume, ['--bootstrap-server', bs, '--topic', 'cli-pc', '--from-beginning', '--max-messages', '30', '--property', 'print.key=true', '--property', 'print.partition=true', '--property', 'print.offset=true', '--property', 'key.separator=|']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('Processed a total of 30 messages\n');
    const rows = r.out.trimEnd().split('\n').map((l) => l.split('|'));
    expect(rows).toHaveLength(30);
    for (const [part, off, key, value] of rows) {
      expect(part).toMatch(/^Partition:\d$/);
      expect(off).toMatch(/^Offset:\d+$/);
      expect(value!.startsWith('value ')).toBe(true);
      expect(Number(value!.slice(6)) % 5).toBe(Number(key!.slice(1)));
    }
    // same key → same partition
    const byKey = new Map<string, Set<string>>();
    for (const [part, , key] of rows) byKey.set(key!, (byKey.get(key!) ?? new Set()).add(part!));
    for (const s of byKey.values()) expect(s.size).toBe(1);
  });

  it('reads one partition from an offset, prints timestamps, and stops on --timeout-ms', async () => {
    await tool(topics, ['--bootstrap-server', bs, '--create', '--topic', 'cli-one', '--partitions', '1']);
    expect((await tool(produce, ['--bootstrap-server', bs, '--topic', 'cli-one', '--sync'], 'a\nb\nc\nd\n')).code).toBe(0);
    const r = await tool(consume, ['--bootstrap-server', bs, '--topic', 'cli-one', '--partition', '0', '--offset', '2', '--timeout-ms', '300', '--property', 'print.timestamp=true']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^CreateTime:\d{13}\tc\nCreateTime:\d{13}\td\n$/);
    expect(r.err).toBe('Processed a total of 2 messages\n');
    const latest = await tool(consume, ['--bootstrap-server', bs, '--topic', 'cli-one', '--timeout-ms', '200']);
    expect(latest).toEqual({ code: 0, out: '', err: 'Processed a total of 0 messages\n' });
  });

  it('reports usage errors and lines without a key separator', async () => {
    let r = await tool(consume, ['--bootstrap-server', bs, '--topic', 'cli-one', '--offset', '3']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^The partition is required when offset is specified\./);
    r = await tool(produce, ['--bootstrap-server', bs, '--topic', 'cli-one', '--property', 'parse.key=true'], 'no-separator\n');
    expect(r.code).toBe(1);
    expect(r.err).toContain("No key separator found on line number 1: 'no-separator'");
    r = await tool(produce, ['--bootstrap-server', bs]);
    expect(r.err).toMatch(/^Missing required argument "\[topic\]"/);
  });
});

describe('bad numbers in options', () => {
  it('are usage errors (exit 1, the option named, the usage printed), never a crash', async () => {
    const cases: Array<[typeof topics, string[], RegExp]> = [
      [topics, ['--bootstrap-server', bs, '--list', '--command-timeout', 'abc'], /Invalid value 'abc' for --command-timeout/],
      [consume, ['--bootstrap-server', bs, '--topic', 't', '--consumer-property', 'fetch.max.wait.ms=abc'], /Invalid value 'abc' for --fetch\.max\.wait\.ms/],
      [consume, ['--bootstrap-server', bs, '--topic', 't', '--consumer-property', 'request.timeout.ms=0'], /Invalid value '0' for --request\.timeout\.ms/],
    ];
    for (const [run, argv, message] of cases) {
      const r = await tool(run, argv);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err).toMatch(message);
      expect(r.err).toMatch(/^Usage: rivulet /m);
    }
  });
});
