// `rivulet leader-election`, `rivulet reassign-partitions` and the replication reports of `rivulet topics
// --describe`, run in-process against a real broker: Kafka's output lines and exit codes, and Kafka-like
// errors for bad JSON files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as leaderElection } from '../../host-node/cli/leader-election.js';
import { run as reassign } from '../../host-node/cli/reassign-partitions.js';
import { run as topics } from '../../host-node/cli/topics.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { tool } from '../helpers/cli-tool.js';

let broker: TestBroker;
let bs: string;
let dir: string;
let id: number;
beforeAll(async () => {
  broker = await startTestBroker();
  bs = `127.0.0.1:${broker.port}`;
  id = broker.nodeId;
  dir = mkdtempSync(join(tmpdir(), 'rivulet-cli-json-'));
  expect((await tool(topics, ['--bootstrap-server', bs, '--create', '--topic', 'ops', '--partitions', '2'])).code).toBe(0);
  expect((await tool(topics, ['--bootstrap-server', bs, '--create', '--topic', 'strict', '--partitions', '1', '--config', 'min.insync.replicas=2'])).code).toBe(0);
});
afterAll(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('rivulet leader-election', () => {
  it('reports partitions whose leader already fits, for both election types', async () => {
    let r = await tool(leaderElection, ['--bootstrap-server', bs, '--election-type', 'preferred', '--topic', 'ops', '--partition', '1']);
    expect(r).toEqual({ code: 0, out: 'Valid replica already elected for partitions ops-1\n', err: '' });
    const json = file('elect.json', { partitions: [{ topic: 'ops', partition: 1 }, { topic: 'ops', partition: 0 }] });
    r = await tool(leaderElection, ['--bootstrap-server', bs, '--election-type', 'UNCLEAN', '--path-to-json-file', json]);
    expect(r).toEqual({ code: 0, out: 'Valid replica already elected for partitions ops-0, ops-1\n', err: '' });
    r = await tool(leaderElection, ['--bootstrap-server', bs, '--election-type', 'preferred', '--all-topic-partitions']);
    expect(r).toEqual({ code: 0, out: '', err: '' });
  });

  it('lists failed partitions and exits 1', async () => {
    const json = file('elect-bad.json', { partitions: [{ topic: 'ops', partition: 0 }, { topic: 'ops', partition: 5 }] });
    const r = await tool(leaderElection, ['--bootstrap-server', bs, '--election-type', 'preferred', '--path-to-json-file', json]);
    expect(r.code).toBe(1);
    expect(r.out).toBe(
      'Valid replica already elected for partitions ops-0\n' +
        'Error completing leader election (PREFERRED) for partition: ops-5: UNKNOWN_TOPIC_OR_PARTITION (3): The partition does not exist.\n',
    );
    expect(r.err).toBe('Error: 1 replica(s) could not be elected\n');
  });

  it('refuses bad usage and bad JSON files with clear messages and exit code 1', async () => {
    const cases: [string[], RegExp][] = [
      [['--election-type', 'preferred', '--all-topic-partitions'], /^Missing required option\(s\) \[bootstrap-server\]/],
      [['--bootstrap-server', bs, '--all-topic-partitions'], /^Missing required option\(s\) \[election-type\]/],
      [['--bootstrap-server', bs, '--election-type', 'best', '--all-topic-partitions'], /^Invalid value 'best' for --election-type/],
      [['--bootstrap-server', bs, '--election-type', 'preferred'], /^One and only one of the following options is required/],
      [['--bootstrap-server', bs, '--election-type', 'preferred', '--topic', 'ops', '--all-topic-partitions'], /^One and only one/],
      [['--bootstrap-server', bs, '--election-type', 'preferred', '--topic', 'ops'], /^Missing required option\(s\) \[partition\]/],
    ];
    for (const [argv, message] of cases) {
      const r = await tool(leaderElection, argv);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err).toMatch(message);
    }
    const files: [unknown, string][] = [
      ['{"partitions": [', `Error: Unable to parse the JSON in ${join(dir, 'e0.json')} (--path-to-json-file): `],
      [{ parts: [] }, `Error: ${join(dir, 'e1.json')}: missing the "partitions" field\n`],
      [{ partitions: [{ topic: 'ops' }] }, `Error: ${join(dir, 'e2.json')}: entry 0 needs "partition" (a partition number ≥ 0)\n`],
      [{ partitions: [{ topic: 'ops', partition: 0 }, { topic: 'ops', partition: 0 }] }, 'Error: Replica election data contains duplicate partitions: ops-0\n'],
    ];
    for (const [i, [content, message]] of files.entries()) {
      const r = await tool(leaderElection, ['--bootstrap-server', bs, '--election-type', 'preferred', '--path-to-json-file', file(`e${i}.json`, content)]);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err.startsWith(message)).toBe(true);
    }
    const missing = await tool(leaderElection, ['--bootstrap-server', bs, '--election-type', 'preferred', '--path-to-json-file', join(dir, 'absent.json')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^Error: Unable to read --path-to-json-file .*absent\.json: ENOENT/);
  });
});

describe('rivulet reassign-partitions', () => {
  it('--generate prints the current and the proposed assignment in Kafka JSON', async () => {
    const topicsFile = file('move.json', { version: 1, topics: [{ topic: 'ops' }] });
    const r = await tool(reassign, ['--bootstrap-server', bs, '--generate', '--topics-to-move-json-file', topicsFile, '--broker-list', String(id)]);
    const json = JSON.stringify({ version: 1, partitions: [0, 1].map((p) => ({ topic: 'ops', partition: p, replicas: [id], log_dirs: ['any'] })) });
    expect(r).toEqual({ code: 0, out: `Current partition replica assignment\n${json}\n\nProposed partition reassignment configuration\n${json}\n`, err: '' });
    const bad = await tool(reassign, ['--bootstrap-server', bs, '--generate', '--topics-to-move-json-file', topicsFile, '--broker-list', `${id},${id + 4}`]);
    expect(bad).toEqual({ code: 1, out: '', err: `Error: Unknown broker id ${id + 4}\n` });
  });

  it('--execute, --verify, --cancel and --list a reassignment onto this broker', async () => {
    const plan = file('plan.json', { version: 1, partitions: [1, 0].map((p) => ({ topic: 'ops', partition: p, replicas: [id], log_dirs: ['any'] })) });
    const current = JSON.stringify({ version: 1, partitions: [0, 1].map((p) => ({ topic: 'ops', partition: p, replicas: [id], log_dirs: ['any'] })) });
    let r = await tool(reassign, ['--bootstrap-server', bs, '--execute', '--reassignment-json-file', plan, '--throttle', '1000000']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      `Current partition replica assignment\n\n${current}\n\nSave this to use as the --reassignment-json-file option during rollback\n` +
        'Successfully started partition reassignments for ops-0,ops-1\n',
    );
    expect(r.err).toBe('Warning: --throttle is not applied: Rivulet does not throttle replication traffic.\n');

    r = await tool(reassign, ['--bootstrap-server', bs, '--verify', '--reassignment-json-file', plan]);
    expect(r).toEqual({ code: 0, out: 'Status of partition reassignment:\nReassignment of partition ops-0 is completed.\nReassignment of partition ops-1 is completed.\n', err: '' });
    const elsewhere = file('elsewhere.json', { version: 1, partitions: [{ topic: 'ops', partition: 0, replicas: [id + 1] }] });
    r = await tool(reassign, ['--bootstrap-server', bs, '--verify', '--reassignment-json-file', elsewhere]);
    expect(r.out).toBe(`Status of partition reassignment:\nThere is no active reassignment of partition ops-0, but replica set is ${id} rather than ${id + 1}.\n`);

    r = await tool(reassign, ['--bootstrap-server', bs, '--cancel', '--reassignment-json-file', plan]);
    expect(r).toEqual({ code: 0, out: 'None of the specified partition reassignments are active.\n', err: '' });
    r = await tool(reassign, ['--bootstrap-server', bs, '--list']);
    expect(r).toEqual({ code: 0, out: 'No partition reassignments found.\n', err: '' });
  });

  it('--execute refuses unknown brokers, topics and partitions before changing anything', async () => {
    const cases: [unknown, string][] = [
      [{ version: 1, partitions: [{ topic: 'ops', partition: 0, replicas: [id, id + 7] }] }, `Error: Unknown broker id ${id + 7}\n`],
      [{ version: 1, partitions: [{ topic: 'ghost', partition: 0, replicas: [id] }] }, 'Error: Topic ghost not found.\n'],
      [{ version: 1, partitions: [{ topic: 'ops', partition: 4, replicas: [id] }] }, 'Error: Unable to find partition: ops-4\n'],
    ];
    for (const [i, [content, message]] of cases.entries()) {
      const r = await tool(reassign, ['--bootstrap-server', bs, '--execute', '--reassignment-json-file', file(`x${i}.json`, content)]);
      expect(r).toEqual({ code: 1, out: '', err: message });
    }
  });

  it('refuses bad reassignment files and bad usage with Kafka-like messages and exit code 1', async () => {
    const files: [unknown, string][] = [
      ['not json', 'Unable to parse the JSON in'],
      [{ version: 2, partitions: [{ topic: 'ops', partition: 0, replicas: [id] }] }, 'Not supported version field value 2'],
      [{ version: 1, partitions: [] }, 'Partition reassignment list cannot be empty'],
      [{ version: 1, partitions: [{ topic: 'ops', partition: 0 }] }, 'entry 0 needs "replicas" (a list of broker ids)'],
      [{ version: 1, partitions: [{ topic: 'ops', partition: 0, replicas: [id, id] }] }, `Partition replica lists may not contain duplicate entries: ops-0 contains ${id}`],
      [{ version: 1, partitions: [{ topic: 'ops', partition: 0, replicas: [id] }, { topic: 'ops', partition: 0, replicas: [id] }] }, 'Partition reassignment contains duplicate topic partitions: ops-0'],
      [{ version: 1, partitions: [{ topic: 'ops', partition: 0, replicas: [id], log_dirs: ['any', 'any'] }] }, 'is different from size of log dirs list'],
      [{ version: 1, partitions: [{ topic: 'ops', partition: 0, replicas: [id], log_dirs: ['/data'] }] }, 'must be "any"'],
    ];
    for (const [i, [content, message]] of files.entries()) {
      for (const action of ['--execute', '--verify', '--cancel']) {
        const r = await tool(reassign, ['--bootstrap-server', bs, action, '--reassignment-json-file', file(`r${i}.json`, content)]);
        expect(r.code, `${action} ${JSON.stringify(content)}`).toBe(1);
        expect(r.out).toBe('');
        expect(r.err).toMatch(/^Error: /);
        expect(r.err).toContain(message);
      }
    }
    let r = await tool(reassign, ['--bootstrap-server', bs, '--execute', '--verify']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Command must include exactly one action: --generate, --execute, --verify, --cancel, or --list/);
    r = await tool(reassign, ['--bootstrap-server', bs, '--execute']);
    expect(r.err).toMatch(/^Missing required argument "\[reassignment-json-file\]"/);
    r = await tool(reassign, ['--bootstrap-server', bs, '--generate', '--broker-list', '1']);
    expect(r.err).toMatch(/^Command must include both --topics-to-move-json-file and --broker-list/);
    r = await tool(reassign, ['--bootstrap-server', bs, '--generate', '--broker-list', '1,x', '--topics-to-move-json-file', file('t.json', { version: 1, topics: [{ topic: 'ops' }] })]);
    expect(r).toEqual({ code: 1, out: '', err: "Error: Invalid --broker-list '1,x': expected broker ids like 1,2,3\n" });
  });
});

describe('rivulet topics --describe replication reports', () => {
  const describeArgs = (...more: string[]) => ['--bootstrap-server', bs, '--describe', ...more];
  const line = (t: string, p: number) => `\tTopic: ${t}\tPartition: ${p}\tLeader: ${id}\tReplicas: ${id}\tIsr: ${id}\tElr: N/A\tLastKnownElr: N/A\n`;

  it('prints only the partitions a report picks, without topic lines', async () => {
    expect(await tool(topics, describeArgs('--under-replicated-partitions'))).toEqual({ code: 0, out: '', err: '' });
    expect(await tool(topics, describeArgs('--unavailable-partitions'))).toEqual({ code: 0, out: '', err: '' });
    // min.insync.replicas: 1 by default (ops: ISR 1 is at it), 2 on strict (ISR 1 is under it).
    expect(await tool(topics, describeArgs('--at-min-isr-partitions'))).toEqual({ code: 0, out: line('ops', 0) + line('ops', 1), err: '' });
    expect(await tool(topics, describeArgs('--under-min-isr-partitions'))).toEqual({ code: 0, out: line('strict', 0), err: '' });
    expect(await tool(topics, describeArgs('--under-min-isr-partitions', '--at-min-isr-partitions', '--topic', 'ops'))).toEqual({ code: 0, out: line('ops', 0) + line('ops', 1), err: '' });
  });

  it('--topics-with-overrides prints the topic lines of topics with overridden configs', async () => {
    const r = await tool(topics, describeArgs('--topics-with-overrides'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Topic: strict\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: min\.insync\.replicas=2\n$/);
  });

  it('the reports go with --describe only', async () => {
    const r = await tool(topics, ['--bootstrap-server', bs, '--list', '--under-replicated-partitions']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Option "\[under-replicated-partitions\]" can't be used with option "\[list\]"/);
  });
});
