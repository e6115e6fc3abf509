// Offsets of a deleted topic are tombstoned, as Kafka's coordinator does on partition deletion: OffsetFetch
// no longer returns them, a standalone group left with no offsets is removed (its metadata tombstoned), the
// tombstones are the last records of their keys in __consumer_offsets (so a compacted log keeps nothing
// of them), and a restarted broker loads the same.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { startDataBroker, type DataBroker } from '../helpers/data-broker.js';
import { decodeKey, readSegment } from './independent-decoder.js';

const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-deleted-topic-offsets-'));
const sets = { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '1' };
const open: (DataBroker | KafkaTestClient)[] = [];
afterAll(async () => {
  for (const x of open) if (x instanceof KafkaTestClient) x.close();
  for (const x of open) if (!(x instanceof KafkaTestClient)) await x.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function fetched(c: KafkaTestClient, groupId: string): Promise<string[]> {
  const r = await c.request(ApiKey.OffsetFetch, 7, { groupId, topics: null, requireStable: false });
  expect(r.errorCode).toBe(0);
  return r.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}@${p.committedOffset}`)).sort();
}

async function groups(c: KafkaTestClient): Promise<string[]> {
  return (await c.request(ApiKey.ListGroups, 4, { statesFilter: [] })).groups.map((g) => g.groupId).sort();
}

/** The last record of every key in __consumer_offsets-0: `group/topic/partition` (or `group`) → tombstone? */
function lastRecords(): Map<string, boolean> {
  const dir = join(dataDir, '__consumer_offsets-0');
  const out = new Map<string, boolean>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.log')).sort())
    for (const r of readSegment(readFileSync(join(dir, f)))) {
      const k = decodeKey(r.key!);
      out.set(k.type === 'offset' ? `${k.group}/${k.topic}/${k.partition}` : k.group, r.value === null);
    }
  return out;
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('deleting a topic', () => {
  it('tombstones its committed offsets and removes groups left without any', async () => {
    const b1 = await startDataBroker({ dataDir, sets });
    open.push(b1);
    b1.createTopic('gone', 2);
    b1.createTopic('kept', 1);
    const c = await KafkaTestClient.connect(b1.port);
    open.push(c);
    const commit = async (groupId: string, name: string, partitionIndex: number, committedOffset: bigint) => {
      const r = await c.request(ApiKey.OffsetCommit, 8, { groupId, generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name, partitions: [{ partitionIndex, committedOffset }] }] });
      expect(r.topics[0]!.partitions[0]!.errorCode).toBe(0);
    };
    await commit('both', 'gone', 0, 5n);
    await commit('both', 'gone', 1, 6n);
    await commit('both', 'kept', 0, 7n);
    await commit('only-gone', 'gone', 1, 8n);
    expect(await groups(c)).toEqual(['both', 'only-gone']);

    b1.topics.deleteTopic('gone');
    await waitFor('the tombstones', () => lastRecords().get('only-gone') === true);
    expect(await fetched(c, 'both')).toEqual(['kept-0@7']);
    expect(await groups(c)).toEqual(['both']);
    expect(Object.fromEntries(lastRecords())).toEqual({
      'both/gone/0': true,
      'both/gone/1': true,
      'both/kept/0': false,
      'only-gone/gone/1': true,
      'only-gone': true,
    });

    c.close();
    await b1.close();
    open.length = 0;
    const b2 = await startDataBroker({ dataDir, sets });
    open.push(b2);
    const c2 = await KafkaTestClient.connect(b2.port);
    open.push(c2);
    expect(await groups(c2)).toEqual(['both']);
    expect(await fetched(c2, 'both')).toEqual(['kept-0@7']);
  });
});
