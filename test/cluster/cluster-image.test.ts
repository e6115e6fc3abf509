// ClusterImage fed by hand (no etcd): what each key becomes, the changes listeners see, a reset to a
// snapshot diffed against the current image, and malformed values reported with their key.
import { describe, expect, it } from 'vitest';
import { ClusterImage, type ImageChange } from '../../host-node/cluster/cluster-image.js';
import type { MetadataEvent } from '../../host-node/cluster/metadata-watch.js';
import { parseMetadataKey, partitionStateKey } from '../../host-node/cluster/keys.js';
import { MetadataRecordError, decodePartitionState, decodeTopic, encodeBrokerRegistration, encodePartitionState, encodeTopic } from '../../host-node/cluster/records.js';

const put = (key: string, value: string, modRevision: number, createRevision = modRevision): MetadataEvent => ({ type: 'put', key, value, createRevision, modRevision });
const del = (key: string, modRevision: number): MetadataEvent => ({ type: 'delete', key, value: null, createRevision: 0, modRevision });
const broker = (id: number) => encodeBrokerRegistration({ brokerId: id, endpoints: [{ name: 'PLAINTEXT', host: 'h', port: 9000 + id }], rack: null }, 0);
const topicJson = (parts: number[][]) => encodeTopic({ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: parts, adding: new Map([[0, [3]]]), removing: new Map() });
const stateJson = (leader: number, isr: number[]) => encodePartitionState({ leader, leaderEpoch: 4, isr, controllerEpoch: 2, leaderRecoveryState: 0 });

describe('metadata keys', () => {
  it('name their entity', () => {
    expect(parseMetadataKey('/brokers/ids/3')).toEqual({ kind: 'broker', brokerId: 3 });
    expect(parseMetadataKey(partitionStateKey('a.b-c_d', 12))).toEqual({ kind: 'partitionState', topic: 'a.b-c_d', partition: 12 });
    expect(parseMetadataKey('/admin/reassign/t/0')).toEqual({ kind: 'reassignRequest', topic: 't', partition: 0 });
    expect(parseMetadataKey('/controller_epoch')).toEqual({ kind: 'controllerEpoch' });
    expect(parseMetadataKey('/config/brokers/<default>')).toEqual({ kind: 'brokerConfig', entity: '<default>' });
    expect(parseMetadataKey('/config/brokers/7')).toEqual({ kind: 'brokerConfig', entity: '7' });
    for (const k of ['/brokers/ids/x', '/brokers/ids/01', '/brokers/topics/t/partitions/0', '/other', '/brokers/topics/a/b', '/config/brokers/x', '/config/brokers/07'])
      expect(parseMetadataKey(k), k).toBeNull();
  });

  it('a /config/brokers entry is a dynamic broker config change', () => {
    const image = new ClusterImage();
    const changes: ImageChange[] = [];
    image.onChange((c) => changes.push(...c));
    image.apply({ kind: 'events', revision: 5, events: [put('/config/brokers/<default>', '{"version":1,"config":{"log.cleaner.threads":"2"}}', 5)] });
    expect(image.brokerConfigs.get('<default>')).toEqual({ config: { 'log.cleaner.threads': '2' }, modRevision: 5 });
    image.apply({ kind: 'events', revision: 6, events: [del('/config/brokers/<default>', 6)] });
    expect(image.brokerConfigs.has('<default>')).toBe(false);
    expect(changes).toEqual([
      { type: 'brokerConfigChanged', entity: '<default>' },
      { type: 'brokerConfigChanged', entity: '<default>' },
    ]);
  });
});

describe('records', () => {
  it("round-trip Kafka's shapes and reject malformed values naming the key", () => {
    expect(decodeTopic('/k', topicJson([[1, 2], [2, 3]]))).toMatchObject({ partitions: [[1, 2], [2, 3]], adding: new Map([[0, [3]]]) });
    expect(decodePartitionState('/k', stateJson(1, [1, 2]))).toEqual({ leader: 1, leaderEpoch: 4, isr: [1, 2], controllerEpoch: 2, leaderRecoveryState: 0 });
    const bad: [() => unknown, RegExp][] = [
      [() => decodeTopic('/brokers/topics/t', '{'), /at \/brokers\/topics\/t: not JSON/],
      [() => decodeTopic('/brokers/topics/t', '{"topic_id":"AAAAAAAAAAAAAAAAAAAAAA","partitions":{"1":[1]}}'), /lacks partition 0/],
      [() => decodeTopic('/brokers/topics/t', '{"topic_id":"short","partitions":{}}'), /topic_id/],
      [() => decodePartitionState('/s', '{"leader":1,"leader_epoch":0,"isr":[1,1],"controller_epoch":1}'), /at \/s: isr repeats/],
      [() => decodePartitionState('/s', '{"leader":"1","leader_epoch":0,"isr":[1],"controller_epoch":1}'), /leader is not an integer/],
    ];
    for (const [f, re] of bad) {
      expect(f).toThrow(MetadataRecordError);
      expect(f).toThrow(re);
    }
  });
});

describe('ClusterImage', () => {
  it('applies events and tells listeners what changed', () => {
    const image = new ClusterImage();
    const seen: ImageChange[] = [];
    image.onChange((c) => seen.push(...c));
    image.apply({
      kind: 'events',
      revision: 5,
      events: [put('/brokers/ids/1', broker(1), 2), put('/controller', '{"version":2,"brokerid":1}', 3), put('/controller_epoch', '1', 3), put('/brokers/topics/t', topicJson([[1]]), 4), put(partitionStateKey('t', 0), stateJson(1, [1]), 5)],
    });
    expect(image.revision).toBe(5);
    expect(image.brokers.get(1)).toMatchObject({ brokerEpoch: 2, endpoints: [{ name: 'PLAINTEXT', host: 'h', port: 9001 }] });
    expect(image.controller).toEqual({ brokerId: 1, epoch: 1 });
    expect(image.controllerEpochModRevision).toBe(3);
    expect(image.partitionState('t', 0)).toMatchObject({ leader: 1, isr: [1], partitionEpoch: 5 });
    expect(seen.map((c) => c.type)).toEqual(['brokerAdded', 'controllerChanged', 'controllerChanged', 'topicAdded', 'partitionStateChanged']);

    seen.length = 0;
    image.apply({ kind: 'events', revision: 7, events: [del('/controller', 6), put('/brokers/ids/1', broker(1), 7, 7)] });
    expect(image.controller).toBeNull();
    // A re-registration (new create revision) is a new broker epoch: removed, then added.
    expect(seen.map((c) => c.type)).toEqual(['controllerChanged', 'brokerRemoved', 'brokerAdded']);
    expect(image.brokers.get(1)?.brokerEpoch).toBe(7);
    expect(() => image.apply({ kind: 'events', revision: 6, events: [] })).toThrow(/invariant violated: metadata revision 6 goes back/);
  });

  it('a reset diffs the snapshot against the image', () => {
    const image = ClusterImage.fromSnapshot({
      revision: 10,
      entries: [
        { key: '/brokers/ids/1', value: broker(1), createRevision: 2, modRevision: 2, lease: '1' },
        { key: '/brokers/topics/a', value: topicJson([[1]]), createRevision: 3, modRevision: 3, lease: '0' },
        { key: '/brokers/topics/b', value: topicJson([[1]]), createRevision: 4, modRevision: 4, lease: '0' },
      ],
    });
    const seen: ImageChange[] = [];
    image.onChange((c) => seen.push(...c));
    image.apply({
      kind: 'reset',
      snapshot: {
        revision: 20,
        entries: [
          { key: '/brokers/ids/1', value: broker(1), createRevision: 2, modRevision: 2, lease: '1' },
          { key: '/brokers/topics/a', value: topicJson([[1], [1]]), createRevision: 3, modRevision: 15, lease: '0' },
          { key: '/brokers/topics/c', value: topicJson([[1]]), createRevision: 16, modRevision: 16, lease: '0' },
        ],
      },
    });
    expect(image.revision).toBe(20);
    expect([...image.topics.keys()].sort()).toEqual(['a', 'c']);
    expect(image.topics.get('a')?.partitions).toHaveLength(2);
    expect(seen).toEqual([
      { type: 'topicChanged', topic: 'a' },
      { type: 'topicAdded', topic: 'c' },
      { type: 'topicRemoved', topic: 'b' },
    ]);
  });

  it('reports a malformed value with its key and treats the entity as absent', () => {
    const errors: MetadataRecordError[] = [];
    const image = new ClusterImage((e) => errors.push(e));
    image.apply({ kind: 'events', revision: 3, events: [put('/brokers/topics/t', topicJson([[1]]), 2), put('/brokers/topics/t', '{"topic_id":1}', 3)] });
    expect(image.topics.has('t')).toBe(false);
    expect(errors.map((e) => e.key)).toEqual(['/brokers/topics/t']);
    expect(errors[0]!.message).toMatch(/malformed metadata value at \/brokers\/topics\/t: topic_id is not a string/);
  });
});
