import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrokerConfig, ConfigError, envName, parseProperties } from '../../host-node/config/index.js';

describe('properties parsing', () => {
  it('reads Java .properties syntax', () => {
    const p = parseProperties(
      ['# comment', '! also comment', 'a=1', 'b : two', 'c three', '  d=  spaced  ', 'e=multi\\', '   line', 'f=x\\=y\\u0041', 'g='].join('\n'),
    );
    expect(Object.fromEntries(p)).toEqual({ a: '1', b: 'two', c: 'three', d: 'spaced  ', e: 'multiline', f: 'x=yA', g: '' });
  });
});

describe('BrokerConfig', () => {
  it('has Kafka names and defaults', () => {
    const c = BrokerConfig.load();
    expect(c.get('node.id')).toBe(1);
    expect(c.get('listeners')).toEqual(['PLAINTEXT://127.0.0.1:9092']);
    expect(c.get('socket.request.max.bytes')).toBe(104857600);
    expect(c.get('queued.max.requests')).toBe(500);
    expect(c.get('connections.max.idle.ms')).toBe(600000);
    expect(c.get('advertised.listeners')).toBeNull();
    expect(c.listeners).toEqual([{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }]);
  });

  it('applies sources in precedence: defaults < file < env < --set < flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-cfg-'));
    const file = join(dir, 'server.properties');
    writeFileSync(file, 'node.id=5\nqueued.max.requests=10\nsocket.request.max.bytes=2000\nconnections.max.idle.ms=7\nlisteners=PLAINTEXT://0.0.0.0:9000\nlog.dirs=/a,/b\nsome.kafka.only.key=1\n');
    const env = { [envName('queued.max.requests')]: '20', [envName('socket.request.max.bytes')]: '3000', RIVULET_CONNECTIONS_MAX_IDLE_MS: '8' };
    const c = BrokerConfig.load({ configFile: file, env, sets: [['socket.request.max.bytes', '4000']], flags: { port: 0, dataDir: '/data' } });
    expect(c.get('node.id')).toBe(5); // file
    expect(c.get('queued.max.requests')).toBe(20); // env over file
    expect(c.get('connections.max.idle.ms')).toBe(8);
    expect(c.get('socket.request.max.bytes')).toBe(4000); // --set over env
    expect(c.listeners).toEqual([{ name: 'PLAINTEXT', host: '0.0.0.0', port: 0 }]); // --port keeps the file's host
    expect(c.logDirs).toEqual(['/data']); // --data-dir over file
    expect(c.unknownKeys).toEqual(['some.kafka.only.key']);
    expect(c.sources.get('queued.max.requests')).toBe('env');
    const h = BrokerConfig.load({ configFile: file, flags: { host: '::1' } });
    expect(h.get('listeners')).toEqual(['PLAINTEXT://[::1]:9000']);
  });

  it('rejects bad values with an error naming the key', () => {
    const bad: [string, string, RegExp][] = [
      ['node.id', 'abc', /node\.id/],
      ['node.id', '-1', /node\.id.*at least 0/],
      ['queued.max.requests', '0', /queued\.max\.requests/],
      ['socket.request.max.bytes', '99999999999', /socket\.request\.max\.bytes/],
      ['listeners', 'localhost:9092', /listeners/],
      ['listeners', 'INTERNAL://:9093', /No security protocol defined for listener INTERNAL/],
      ['sasl.enabled.mechanisms', 'plain', /sasl\.enabled\.mechanisms: Mechanism names are upper-case/],
      ['connections.max.reauth.ms', '-1', /connections\.max\.reauth\.ms/],
      ['listener.name.sasl_ssl.sasl.enabled.mechanisms', 'a b', /listener\.name\.sasl_ssl\.sasl\.enabled\.mechanisms/],
      ['advertised.listeners', 'PLAINTEXT://0.0.0.0:9092', /advertised\.listeners/],
      ['cluster.id', 'short', /cluster\.id/],
      ['no.such.key', '1', /no\.such\.key/],
    ];
    for (const [k, v, re] of bad) {
      let err: unknown;
      try {
        BrokerConfig.load({ sets: [[k, v]] });
      } catch (e) {
        err = e;
      }
      expect(err, `${k}=${v}`).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(re);
    }
    expect(() => BrokerConfig.load({ env: { RIVULET_NODE_ID: 'x' } })).toThrow(/node\.id.*RIVULET_NODE_ID/);
    expect(() => BrokerConfig.load({ propertiesText: 'connections.max.idle.ms=soon' })).toThrow(/connections\.max\.idle\.ms/);
    expect(() => BrokerConfig.load({ configFile: '/nonexistent/server.properties' })).toThrow(/server\.properties/);
  });
});
