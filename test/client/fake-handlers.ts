// A stand-in broker state with handlers for topics and logs (CreateTopics, Produce, Fetch, ListOffsets, …),
// in memory, served by fake-broker.ts: it lets the client's fault handling (partial batches, retriable
// errors, auto-creation) be tested deterministically, independent of the real broker's handlers. Deliberately simple: one node, logs are arrays
// of v2 batches whose base offsets are stamped on append.
import { randomBytes } from 'node:crypto';
import { setBaseOffset, validateBatch } from '../../bindings/node.js';
import { ApiKey, apis } from '../../protocol/generated/index.js';
import type { ApiHandler } from '../../host-node/server/registry.js';
import { NO_RESPONSE } from '../../host-node/server/registry.js';
import type { TopicMetadata, TopicMetadataSource } from '../../host-node/topics/metadata.js';
import { uuidFromBytes } from '../../protocol/wire/uuid.js';

interface StoredBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  bytes: Uint8Array;
}

interface FakePartition {
  logStart: bigint;
  next: bigint;
  batches: StoredBatch[];
}

interface FakeTopic {
  meta: TopicMetadata;
  partitions: FakePartition[];
  configs: Map<string, string>;
}

export interface FakeOptions {
  /** Cut the last batch of every non-empty Fetch answer in half (partial trailing batch). */
  partialTrailingBatch?: boolean;
  /** Answer the first N Produce partitions with NOT_LEADER_OR_FOLLOWER (retry path). */
  failFirstProduces?: number;
  /** Auto-create unknown topics named in Metadata (with this many partitions) when the client allows it. */
  autoCreatePartitions?: number;
}

export class FakeCluster implements TopicMetadataSource {
  readonly topics = new Map<string, FakeTopic>();
  produceRequests = 0;
  private failuresLeft: number;
  autoCreateTopic?: (name: string) => TopicMetadata | number;
  constructor(readonly nodeId = 1, readonly options: FakeOptions = {}) {
    this.failuresLeft = options.failFirstProduces ?? 0;
    const n = options.autoCreatePartitions;
    if (n !== undefined) {
      this.autoCreateTopic = (name) => {
        this.createTopic(name, n);
        return this.topics.get(name)!.meta;
      };
    }
  }

  listTopics(): Iterable<TopicMetadata> {
    return [...this.topics.values()].map((t) => t.meta);
  }
  topicByName(name: string): TopicMetadata | undefined {
    return this.topics.get(name)?.meta;
  }
  topicById(id: string): TopicMetadata | undefined {
    return [...this.topics.values()].find((t) => t.meta.topicId === id)?.meta;
  }

  private partitionMeta(i: number) {
    return { partition: i, leaderId: this.nodeId, leaderEpoch: 0, replicas: [this.nodeId], isr: [this.nodeId], offlineReplicas: [] };
  }

  createTopic(name: string, partitions: number, configs: Record<string, string> = {}): void {
    this.topics.set(name, {
      meta: { name, topicId: uuidFromBytes(randomBytes(16), 0), isInternal: false, partitions: Array.from({ length: partitions }, (_, i) => this.partitionMeta(i)) },
      partitions: Array.from({ length: partitions }, () => ({ logStart: 0n, next: 0n, batches: [] })),
      configs: new Map(Object.entries(configs)),
    });
  }

  register(r: { register<K extends ApiKey>(h: ApiHandler<K>): unknown }): void {
    r.register({
      api: apis[ApiKey.CreateTopics],
      handle: (req) => ({
        topics: req.topics.map((t) => {
          if (this.topics.has(t.name)) return { name: t.name, errorCode: 36, errorMessage: `Topic '${t.name}' already exists.` };
          if (t.replicationFactor > 1) return { name: t.name, errorCode: 38, errorMessage: 'Replication factor: 2 larger than available brokers: 1.' };
          const n = t.numPartitions === -1 ? 1 : t.numPartitions;
          if (n <= 0) return { name: t.name, errorCode: 37, errorMessage: 'Number of partitions must be larger than 0.' };
          if (!req.validateOnly) this.createTopic(t.name, n, Object.fromEntries(t.configs.map((c) => [c.name, c.value ?? ''])));
          return { name: t.name, topicId: this.topics.get(t.name)?.meta.topicId, errorCode: 0, numPartitions: n, replicationFactor: 1 };
        }),
      }),
    });
    r.register({
      api: apis[ApiKey.DeleteTopics],
      handle: (req) => {
        const names = req.topicNames.length > 0 ? req.topicNames : req.topics.map((t) => t.name ?? this.topicById(t.topicId)?.name ?? '');
        return {
          responses: names.map((name) => {
            if (!this.topics.has(name)) return { name, errorCode: 3 };
            this.topics.delete(name);
            return { name, errorCode: 0 };
          }),
        };
      },
    });
    r.register({
      api: apis[ApiKey.CreatePartitions],
      handle: (req) => ({
        results: req.topics.map((t) => {
          const ft = this.topics.get(t.name);
          if (!ft) return { name: t.name, errorCode: 3 };
          if (t.count <= ft.partitions.length) return { name: t.name, errorCode: 37, errorMessage: `Topic currently has ${ft.partitions.length} partitions, which is higher than the requested ${t.count}.` };
          while (ft.partitions.length < t.count) ft.partitions.push({ logStart: 0n, next: 0n, batches: [] });
          ft.meta = { ...ft.meta, partitions: ft.partitions.map((_, i) => this.partitionMeta(i)) };
          return { name: t.name, errorCode: 0 };
        }),
      }),
    });
    r.register({
      api: apis[ApiKey.DescribeConfigs],
      handle: (req) => ({
        results: req.resources.map((res) => {
          const ft = this.topics.get(res.resourceName);
          if (res.resourceType !== 2 || !ft) return { resourceType: res.resourceType, resourceName: res.resourceName, errorCode: 3, configs: [] };
          const all = new Map([['cleanup.policy', 'delete'], ['retention.ms', '604800000'], ...ft.configs]);
          return {
            resourceType: 2,
            resourceName: res.resourceName,
            errorCode: 0,
            configs: [...all].filter(([k]) => !res.configurationKeys || res.configurationKeys.includes(k)).map(([name, value]) => ({ name, value, configSource: ft.configs.has(name) ? 1 : 5 })),
          };
        }),
      }),
    });
    r.register({
      api: apis[ApiKey.IncrementalAlterConfigs],
      handle: (req) => ({
        responses: req.resources.map((res) => {
          const ft = this.topics.get(res.resourceName);
          if (!ft) return { resourceType: res.resourceType, resourceName: res.resourceName, errorCode: 3 };
          for (const c of res.configs) {
            if (c.configOperation === 1) ft.configs.delete(c.name);
            else ft.configs.set(c.name, c.value ?? '');
          }
          return { resourceType: res.resourceType, resourceName: res.resourceName, errorCode: 0 };
        }),
      }),
    });
    r.register({
      api: apis[ApiKey.AlterConfigs],
      handle: (req) => ({
        responses: req.resources.map((res) => {
          const ft = this.topics.get(res.resourceName);
          if (!ft) return { resourceType: res.resourceType, resourceName: res.resourceName, errorCode: 3 };
          ft.configs = new Map(res.configs.map((c) => [c.name, c.value ?? '']));
          return { resourceType: res.resourceType, resourceName: res.resourceName, errorCode: 0 };
        }),
      }),
    });
    r.register({
      api: apis[ApiKey.Produce],
      minVersion: 3,
      handle: (req) => {
        this.produceRequests++;
        const responses = req.topicData.map((t) => ({
          name: t.name,
          partitionResponses: t.partitionData.map((p) => {
            const part = this.topics.get(t.name)?.partitions[p.index];
            if (!part) return { index: p.index, errorCode: 3 };
            if (this.failuresLeft > 0) {
              this.failuresLeft--;
              return { index: p.index, errorCode: 6 };
            }
            const bytes = new Uint8Array(p.records!); // a copy: the request frame is reused after the handler returns
            const base = part.next;
            let pos = 0;
            while (pos < bytes.length) {
              const b = bytes.subarray(pos);
              const info = validateBatch(b, { strict: true });
              const one = b.subarray(0, info.size);
              setBaseOffset(one, part.next);
              part.batches.push({ baseOffset: part.next, lastOffset: part.next + BigInt(info.lastOffsetDelta), maxTimestamp: info.maxTimestamp, bytes: one });
              part.next += BigInt(info.lastOffsetDelta + 1);
              pos += info.size;
            }
            return { index: p.index, errorCode: 0, baseOffset: base, logAppendTimeMs: -1n, logStartOffset: part.logStart };
          }),
        }));
        return req.acks === 0 ? NO_RESPONSE : { responses };
      },
    });
    r.register({
      api: apis[ApiKey.ListOffsets],
      handle: (req) => ({
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => {
            const part = this.topics.get(t.name)?.partitions[p.partitionIndex];
            if (!part) return { partitionIndex: p.partitionIndex, errorCode: 3 };
            let offset: bigint;
            if (p.timestamp === -2n) offset = part.logStart;
            else if (p.timestamp === -1n) offset = part.next;
            else offset = part.batches.find((b) => b.maxTimestamp >= p.timestamp && b.lastOffset >= part.logStart)?.baseOffset ?? -1n;
            return { partitionIndex: p.partitionIndex, errorCode: 0, offset, timestamp: -1n, oldStyleOffsets: [] };
          }),
        })),
      }),
    });
    r.register({
      api: apis[ApiKey.DeleteRecords],
      handle: (req) => ({
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => {
            const part = this.topics.get(t.name)?.partitions[p.partitionIndex];
            if (!part) return { partitionIndex: p.partitionIndex, errorCode: 3, lowWatermark: -1n };
            const to = p.offset === -1n ? part.next : p.offset;
            if (to > part.next) return { partitionIndex: p.partitionIndex, errorCode: 1, lowWatermark: -1n };
            if (to > part.logStart) part.logStart = to;
            return { partitionIndex: p.partitionIndex, errorCode: 0, lowWatermark: part.logStart };
          }),
        })),
      }),
    });
    r.register({
      api: apis[ApiKey.Fetch],
      minVersion: 4,
      handle: async (req) => {
        const answer = () =>
          req.topics.map((t) => ({
            topic: t.topic,
            topicId: t.topicId,
            partitions: t.partitions.map((p) => {
              const name = t.topic !== '' ? t.topic : (this.topicById(t.topicId)?.name ?? '');
              const part = this.topics.get(name)?.partitions[p.partition];
              if (!part) return { partitionIndex: p.partition, errorCode: 3, records: null };
              if (p.fetchOffset < part.logStart || p.fetchOffset > part.next) return { partitionIndex: p.partition, errorCode: 1, highWatermark: part.next, records: null };
              const chunks: Uint8Array[] = [];
              let size = 0;
              for (const b of part.batches) {
                if (b.lastOffset < p.fetchOffset || b.lastOffset < part.logStart) continue;
                if (chunks.length > 0 && size + b.bytes.length > p.partitionMaxBytes) break;
                chunks.push(b.bytes);
                size += b.bytes.length;
              }
              let records = Buffer.concat(chunks);
              if (this.options.partialTrailingBatch && chunks.length > 0) {
                const extra = chunks[chunks.length - 1]!;
                records = Buffer.concat([records, extra.subarray(0, Math.floor(extra.length / 2))]);
              }
              return { partitionIndex: p.partition, errorCode: 0, highWatermark: part.next, lastStableOffset: part.next, logStartOffset: part.logStart, records };
            }),
          }));
        const deadline = Date.now() + req.maxWaitMs;
        let res = answer();
        while (Date.now() < deadline && res.every((t) => t.partitions.every((p) => !p.records || p.records.length === 0))) {
          await new Promise((r) => setTimeout(r, 10));
          res = answer();
        }
        return { responses: res };
      },
    });
  }
}
