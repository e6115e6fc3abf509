// The topic-related broker config keys (Kafka's names and defaults), how they feed the storage layer and the
// topic defaults, topic-config parsing, and topic names.
import { describe, expect, it } from 'vitest';
import { BrokerConfig, ConfigError } from '../../host-node/config/index.js';
import { LONG_MAX, defaultLogConfig } from '../../storage/index.js';
import { invalidTopicNameReason, newTopicId, unifyCollisionChars } from '../../host-node/topics/names.js';
import { TopicConfigError, defaultTopicConfig, formatConfigValue, parseTopicConfigValue, storageConfigOf } from '../../host-node/topics/topic-config.js';

describe('broker config keys', () => {
  it("has Kafka's defaults", () => {
    const c = BrokerConfig.load();
    expect(c.get('num.partitions')).toBe(1);
    expect(c.get('default.replication.factor')).toBe(1);
    expect(c.get('auto.create.topics.enable')).toBe(true);
    expect(c.get('delete.topic.enable')).toBe(true);
    expect(c.get('log.segment.bytes')).toBe(1073741824);
    expect(c.get('log.roll.hours')).toBe(168);
    expect(c.get('log.roll.ms')).toBeNull();
    expect(c.get('log.retention.hours')).toBe(168);
    expect(c.get('log.retention.ms')).toBeNull();
    expect(c.get('log.retention.bytes')).toBe(-1);
    expect(c.get('log.retention.check.interval.ms')).toBe(300000);
    expect(c.get('log.flush.interval.messages')).toBe(LONG_MAX);
    expect(c.get('log.flush.interval.ms')).toBeNull();
    expect(c.get('message.max.bytes')).toBe(1048588);
    expect(c.get('log.index.interval.bytes')).toBe(4096);
    expect(c.get('log.index.size.max.bytes')).toBe(10485760);
    expect(c.get('log.message.timestamp.type')).toBe('CreateTime');
    expect(c.get('log.cleanup.policy')).toEqual(['delete']);
    expect(c.get('compression.type')).toBe('producer');
    expect(c.get('compression.gzip.level')).toBe(-1);
    expect(c.get('compression.lz4.level')).toBe(9);
    expect(c.get('compression.zstd.level')).toBe(3);
    expect(c.get('log.message.format.version')).toBe('3.0-IV1');
    expect(c.get('log.message.downconversion.enable')).toBe(true);
    expect(c.get('log.message.timestamp.difference.max.ms')).toBe(LONG_MAX);
    expect(c.get('log.message.timestamp.before.max.ms')).toBe(LONG_MAX);
    expect(c.get('log.message.timestamp.after.max.ms')).toBe(LONG_MAX);
    expect(c.get('log.preallocate')).toBe(false);
    expect(c.get('log.local.retention.ms')).toBe(-2);
    expect(c.get('log.local.retention.bytes')).toBe(-2);
  });

  it('takes every compression.type and level in range', () => {
    for (const t of ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd']) expect(BrokerConfig.load({ sets: { 'compression.type': t } }).get('compression.type')).toBe(t);
    const c = BrokerConfig.load({ propertiesText: 'compression.gzip.level=9\ncompression.lz4.level=17\ncompression.zstd.level=-131072\n' });
    expect([c.get('compression.gzip.level'), c.get('compression.lz4.level'), c.get('compression.zstd.level')]).toEqual([9, 17, -131072]);
    const tc = defaultTopicConfig(BrokerConfig.load({ sets: { 'compression.type': 'lz4', 'compression.zstd.level': 7, 'log.preallocate': true } }));
    expect([tc['compression.type'], tc['compression.zstd.level'], tc.preallocate]).toEqual(['lz4', 7, true]);
  });

  it('rejects bad values with a message naming the key', () => {
    const bad: [string, string, RegExp][] = [
      ['num.partitions', '0', /num\.partitions: Value must be at least 1/],
      ['log.segment.bytes', '13', /log\.segment\.bytes: Value must be at least 14/],
      ['log.message.timestamp.type', 'Now', /log\.message\.timestamp\.type: String must be one of: CreateTime, LogAppendTime/],
      ['log.cleanup.policy', '', /log\.cleanup\.policy/],
      ['log.cleanup.policy', 'shred', /log\.cleanup\.policy: String must be one of/],
      ['default.replication.factor', '3', /default\.replication\.factor: .*only 1/],
      ['auto.create.topics.enable', 'yes', /auto\.create\.topics\.enable: Expected value to be either true or false/],
      ['log.retention.ms', 'forever', /log\.retention\.ms: Not a number of type LONG/],
      ['compression.type', 'brotli', /compression\.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer/],
      ['compression.gzip.level', '0', /compression\.gzip\.level: Value must be between 1 and 9, or -1/],
      ['compression.lz4.level', '18', /compression\.lz4\.level: Value must be no less than 1 and no more than 17/],
      ['compression.zstd.level', '23', /compression\.zstd\.level: Value must be no less than -131072 and no more than 22/],
      ['log.message.format.version', 'latest', /log\.message\.format\.version: Version must look like/],
      ['log.local.retention.ms', '-3', /log\.local\.retention\.ms: Value must be at least -2/],
    ];
    for (const [k, v, re] of bad) {
      let err: unknown;
      try {
        BrokerConfig.load({ propertiesText: `${k}=${v}\n` });
      } catch (e) {
        err = e;
      }
      expect(err, k).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).key).toBe(k);
      expect((err as Error).message).toMatch(re);
    }
  });

  it("reads Kafka's Long.MAX and nullable keys", () => {
    const c = BrokerConfig.load({ propertiesText: 'log.flush.interval.ms=9223372036854775807\nlog.retention.minutes=30\nlog.roll.ms=\n' });
    expect(c.get('log.flush.interval.ms')).toBe(LONG_MAX);
    expect(c.get('log.retention.minutes')).toBe(30);
    expect(c.get('log.roll.ms')).toBeNull();
  });

  it('feeds the storage defaults and topic defaults (ms > minutes > hours)', () => {
    const c = BrokerConfig.load({
      sets: { 'log.retention.minutes': 30, 'log.roll.hours': 2, 'message.max.bytes': 5000, 'log.message.timestamp.type': 'LogAppendTime', 'log.flush.interval.messages': 10 },
    });
    const lc = defaultLogConfig(storageConfigOf(c));
    expect(lc['retention.ms']).toBe(30 * 60_000);
    expect(lc['segment.ms']).toBe(2 * 3600_000);
    expect(lc['max.message.bytes']).toBe(5000);
    expect(lc['flush.messages']).toBe(10);
    const tc = defaultTopicConfig(c);
    expect(tc['message.timestamp.type']).toBe('LogAppendTime');
    expect(tc['compression.type']).toBe('producer');
    expect(tc['min.insync.replicas']).toBe(1);
    const ms = BrokerConfig.load({ sets: { 'log.retention.minutes': 30, 'log.retention.ms': 1234 } });
    expect(defaultLogConfig(storageConfigOf(ms))['retention.ms']).toBe(1234);
  });
});

describe('topic configs', () => {
  it('parses and validates with Kafka wording', () => {
    expect(parseTopicConfigValue('retention.ms', '-1')).toBe(-1);
    expect(parseTopicConfigValue('retention.ms', '9223372036854775807')).toBe(LONG_MAX);
    expect(parseTopicConfigValue('cleanup.policy', 'delete')).toEqual(['delete']);
    expect(parseTopicConfigValue('unclean.leader.election.enable', 'true')).toBe(true);
    expect(() => parseTopicConfigValue('retention.ms', '-2')).toThrow('Invalid value -2 for configuration retention.ms: Value must be at least -1');
    expect(() => parseTopicConfigValue('segment.bytes', '2147483648')).toThrow(/Not a number of type INT/);
    expect(() => parseTopicConfigValue('nope', '1')).toThrow(TopicConfigError);
    expect(() => parseTopicConfigValue('nope', '1')).toThrow('Unknown topic config name: nope');
    expect(parseTopicConfigValue('compression.type', 'zstd')).toBe('zstd');
    expect(parseTopicConfigValue('compression.gzip.level', '-1')).toBe(-1);
    expect(() => parseTopicConfigValue('compression.gzip.level', '10')).toThrow(/Value must be between 1 and 9, or -1/);
    expect(parseTopicConfigValue('message.format.version', '0.10.2-IV0')).toBe('0.10.2-IV0');
    expect(parseTopicConfigValue('leader.replication.throttled.replicas', '0:1, 1:2')).toEqual(['0:1', '1:2']);
    expect(parseTopicConfigValue('follower.replication.throttled.replicas', '*')).toEqual(['*']);
    expect(parseTopicConfigValue('follower.replication.throttled.replicas', '')).toEqual([]);
    expect(() => parseTopicConfigValue('leader.replication.throttled.replicas', '0-1')).toThrow(/partitionId:brokerId/);
    expect(parseTopicConfigValue('remote.storage.enable', 'false')).toBe(false);
    expect(() => parseTopicConfigValue('remote.storage.enable', 'true')).toThrow(/Tiered Storage functionality is disabled/);
    expect(formatConfigValue(LONG_MAX)).toBe('9223372036854775807');
    expect(formatConfigValue(['delete', 'compact'])).toBe('delete,compact');
  });
});

describe('topic names and ids', () => {
  it("follows Kafka's rules", () => {
    for (const ok of ['a', 'A.b_c-9', 'x'.repeat(249), '__consumer_offsets']) expect(invalidTopicNameReason(ok), ok).toBeUndefined();
    for (const bad of ['', '.', '..', 'x'.repeat(250), 'a b', 'a/b', 'a:b', 'é']) expect(invalidTopicNameReason(bad), bad).toBeDefined();
    expect(unifyCollisionChars('a.b_c')).toBe('a_b_c');
  });

  it('makes random base64url ids that never start with "-"', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => newTopicId()));
    expect(ids.size).toBe(2000);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(id.startsWith('-')).toBe(false);
    }
  });
});
