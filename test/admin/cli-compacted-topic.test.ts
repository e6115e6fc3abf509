// `rivulet topics` as users run it (bin/rivulet.js over the built dist/cli/ bundle) against a test broker:
// --create passes any --config through (a compacted topic with its compaction settings), --describe shows
// them among the topic's overrides, --topics-with-overrides picks it, and a config the broker refuses is an
// error; __consumer_offsets, created by a group lookup, describes as compacted too.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient, startTestBroker, type TestBroker } from '../helpers/broker.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function newest(dir: string): number {
  let t = 0;
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : n.endsWith('.ts') ? s.mtimeMs : 0);
  }
  return t;
}

let broker: TestBroker;
beforeAll(async () => {
  const bundle = join(root, 'dist/cli/rivulet.js');
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < newest(join(root, 'host-node'))) execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  broker = await startTestBroker({ sets: { 'offsets.topic.num.partitions': 2 } });
}, 180_000);
afterAll(async () => {
  await broker?.close();
});

function rivulet(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin/rivulet.js'), 'topics', '--bootstrap-server', `127.0.0.1:${broker.port}`, ...args], { timeout: 30_000 }, (e, out, err) =>
      resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, out, err }),
    );
  });
}

describe('rivulet topics with cleanup.policy=compact', () => {
  it('--create --config passes compaction configs through and --describe shows them', async () => {
    const created = await rivulet('--create', '--topic', 'table', '--partitions', '2', '--config', 'cleanup.policy=compact', '--config', 'min.cleanable.dirty.ratio=0.1', '--config', 'delete.retention.ms=1000', '--config', 'segment.ms=60000');
    expect(created).toMatchObject({ code: 0, err: '' });
    expect(created.out).toBe('Created topic table.\n');
    expect(broker.context.topicRegistry.partitionLog('table', 1)!.config).toMatchObject({ 'cleanup.policy': ['compact'], 'min.cleanable.dirty.ratio': 0.1, 'delete.retention.ms': 1000, 'segment.ms': 60000 });

    const described = await rivulet('--describe', '--topic', 'table');
    expect(described.code).toBe(0);
    const topicLine = described.out.split('\n')[0]!;
    expect(topicLine).toMatch(/^Topic: table\tTopicId: \S+\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: /);
    expect(topicLine.split('Configs: ')[1]).toBe('cleanup.policy=compact,delete.retention.ms=1000,min.cleanable.dirty.ratio=0.1,segment.ms=60000');

    await rivulet('--create', '--topic', 'plain');
    const overrides = await rivulet('--describe', '--topics-with-overrides', '--exclude-internal');
    expect(overrides.code).toBe(0);
    expect(overrides.out.split('\n').filter((l) => l.startsWith('Topic: ')).map((l) => l.split('\t')[0])).toEqual(['Topic: table']);

    const both = await rivulet('--create', '--topic', 'both', '--config', 'cleanup.policy=compact,delete');
    expect(both.code).toBe(0);
    expect((await rivulet('--describe', '--topic', 'both')).out).toContain('Configs: cleanup.policy=compact,delete\n');

    const refused = await rivulet('--create', '--topic', 'bad', '--config', 'cleanup.policy=shred');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/cleanup\.policy/);
  });

  it('__consumer_offsets describes as compacted', async () => {
    const c = await KafkaTestClient.connect(broker.port);
    try {
      expect((await c.request(ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: ['g'] })).coordinators[0]!.errorCode).toBe(0);
    } finally {
      c.close();
    }
    const d = await rivulet('--describe', '--topic', '__consumer_offsets');
    expect(d.code).toBe(0);
    expect(d.out.split('\n')[0]).toMatch(/PartitionCount: 2\tReplicationFactor: 1\tConfigs: cleanup.policy=compact,compression.type=producer,segment.bytes=104857600$/);
  });
});
