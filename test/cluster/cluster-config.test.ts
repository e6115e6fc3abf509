// The cluster's config keys (Kafka's names and defaults), their cross-key checks, and etcd.connect parsing.
import { describe, expect, it } from 'vitest';
import { BrokerConfig, ConfigError } from '../../host-node/config/index.js';
import { parseEtcdConnect } from '../../host-node/config/etcd-connect.js';

function loadError(props: string): ConfigError {
  try {
    BrokerConfig.load({ propertiesText: props });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`loading ${JSON.stringify(props)} did not fail`);
}

describe('cluster config keys', () => {
  it("has Kafka's defaults, and no etcd.connect (a single broker)", () => {
    const c = BrokerConfig.load();
    expect(c.get('etcd.connect')).toBeNull();
    expect(c.get('broker.session.timeout.ms')).toBe(9000);
    expect(c.get('broker.heartbeat.interval.ms')).toBe(2000);
    expect(c.get('replica.lag.time.max.ms')).toBe(30000);
    expect(c.get('replica.fetch.max.bytes')).toBe(1048576);
    expect(c.get('replica.fetch.wait.max.ms')).toBe(500);
    expect(c.get('replica.fetch.min.bytes')).toBe(1);
    expect(c.get('replica.fetch.response.max.bytes')).toBe(10485760);
    expect(c.get('replica.fetch.backoff.ms')).toBe(1000);
    expect(c.get('num.replica.fetchers')).toBe(1);
    expect(c.get('unclean.leader.election.enable')).toBe(false);
    expect(c.get('auto.leader.rebalance.enable')).toBe(true);
    expect(c.get('leader.imbalance.check.interval.seconds')).toBe(300);
    expect(c.get('leader.imbalance.per.broker.percentage')).toBe(10);
    expect(c.get('controlled.shutdown.enable')).toBe(true);
    expect(c.get('controlled.shutdown.max.retries')).toBe(3);
    expect(c.get('controlled.shutdown.retry.backoff.ms')).toBe(5000);
    expect(c.get('default.replication.factor')).toBe(1);
    expect(c.get('min.insync.replicas')).toBe(1);
  });

  it('reads the keys from every source', () => {
    const c = BrokerConfig.load({
      propertiesText: 'etcd.connect=127.0.0.1:12379/rv\nreplica.lag.time.max.ms=5000\n',
      env: { RIVULET_BROKER_SESSION_TIMEOUT_MS: '2000', RIVULET_BROKER_HEARTBEAT_INTERVAL_MS: '500' },
      sets: { 'default.replication.factor': '3', 'unclean.leader.election.enable': true },
    });
    expect(c.get('etcd.connect')).toBe('127.0.0.1:12379/rv');
    expect(c.get('replica.lag.time.max.ms')).toBe(5000);
    expect(c.get('broker.session.timeout.ms')).toBe(2000);
    expect(c.get('default.replication.factor')).toBe(3);
    expect(c.get('unclean.leader.election.enable')).toBe(true);
  });

  it('allows default.replication.factor above 1 only with etcd.connect', () => {
    const e = loadError('default.replication.factor=3\n');
    expect(e.key).toBe('default.replication.factor');
    expect(e.message).toMatch(/default\.replication\.factor: without etcd\.connect .*only 1/);
    expect(BrokerConfig.load({ propertiesText: 'etcd.connect=h:1\ndefault.replication.factor=3\n' }).get('default.replication.factor')).toBe(3);
    expect(loadError('etcd.connect=h:1\ndefault.replication.factor=0\n').message).toMatch(/default\.replication\.factor: Value must be at least 1/);
  });

  it('rejects bad values with a message naming the key', () => {
    const bad: [string, RegExp][] = [
      ['etcd.connect=localhost', /etcd\.connect: Host localhost: expected host:port/],
      ['etcd.connect=http://h:2379', /etcd\.connect: .*without a URL scheme/],
      ['broker.session.timeout.ms=10', /broker\.session\.timeout\.ms: Value must be at least 1000/],
      ['leader.imbalance.per.broker.percentage=101', /leader\.imbalance\.per\.broker\.percentage: Value must be no less than 0 and no more than 100/],
      ['num.replica.fetchers=0', /num\.replica\.fetchers: Value must be at least 1/],
      ['auto.leader.rebalance.enable=maybe', /auto\.leader\.rebalance\.enable: Expected value to be either true or false/],
      ['etcd.connect=h:1\nbroker.session.timeout.ms=2000\nbroker.heartbeat.interval.ms=2000', /broker\.heartbeat\.interval\.ms: must be less than broker\.session\.timeout\.ms/],
    ];
    for (const [props, re] of bad) expect(loadError(props + '\n').message, props).toMatch(re);
  });
});

describe('etcd.connect', () => {
  it('parses hosts and the chroot', () => {
    expect(parseEtcdConnect('127.0.0.1:2379')).toEqual({ hosts: ['http://127.0.0.1:2379'], root: '' });
    expect(parseEtcdConnect(' a:1, b.example.com:2 ,[::1]:3/rivulet/prod')).toEqual({
      hosts: ['http://a:1', 'http://b.example.com:2', 'http://[::1]:3'],
      root: '/rivulet/prod',
    });
    expect(parseEtcdConnect('a:1/')).toEqual({ hosts: ['http://a:1'], root: '' });
  });

  it('explains malformed values', () => {
    const cases: [string, RegExp][] = [
      ['', /Expected host:port/],
      ['a:1,,b:2', /Empty host/],
      ['a:0', /port must be 1-65535/],
      ['a:99999', /port must be 1-65535/],
      ['a:x', /port must be 1-65535/],
      ['bad_host!:1', /invalid host name/],
      ['::1:2379', /invalid host name/],
      ['[::1]', /expected host:port/],
      ['a:1/x//y', /Invalid chroot/],
      ['a:1/x/', /Invalid chroot/],
      ['a:1/../x', /Invalid chroot/],
      ['http://a:1', /without a URL scheme/],
    ];
    for (const [v, re] of cases) {
      const r = parseEtcdConnect(v);
      expect(typeof r, v).toBe('string');
      expect(r as string, v).toMatch(re);
    }
  });
});
