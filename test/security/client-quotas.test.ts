// Client quotas' pure parts against Kafka's definitions: DefaultQuotaCallback's precedence (and the sensor
// each match names), the windowed Rate of a SampledStat and QuotaUtils' throttle time, on a fake clock; and
// ConnectionQuotas' admission (max.connections waits, per-IP refuses, the creation rate delays) with fake timers.
import { describe, expect, it } from 'vitest';
import { ClientQuotaIndex, ClientQuotas, QuotaSensor, WindowedRate, throttleTimeMs, NANOS_TO_PERCENTAGE_PER_SECOND } from '../../host-node/security/client-quotas.js';
import type { QuotaEntity, QuotaEntry } from '../../host-node/security/security-store.js';
import { ConnectionQuotas, type ConnectionQuotaConfig, type PendingSocket } from '../../host-node/network/connection-quotas.js';
import { parseIpOverrides } from '../../host-node/config/quota-defs.js';
import { BrokerConfig } from '../../host-node/config/index.js';

const W = { samples: 11, windowMs: 1000 };

describe('quota resolution (DefaultQuotaCallback precedence)', () => {
  // Most specific first, as Kafka resolves them; each sets a distinct producer_byte_rate.
  const LEVELS: { entity: QuotaEntity; name: string; tags: [string, string] }[] = [
    { entity: { user: 'alice', clientId: 'app' }, name: '/users/alice/clients/app', tags: ['alice', 'app'] },
    { entity: { user: 'alice', clientId: null }, name: '/users/alice/clients/<default>', tags: ['alice', 'app'] },
    { entity: { user: 'alice' }, name: '/users/alice', tags: ['alice', ''] },
    { entity: { user: null, clientId: 'app' }, name: '/users/<default>/clients/app', tags: ['alice', 'app'] },
    { entity: { user: null, clientId: null }, name: '/users/<default>/clients/<default>', tags: ['alice', 'app'] },
    { entity: { user: null }, name: '/users/<default>', tags: ['alice', ''] },
    { entity: { clientId: 'app' }, name: '/clients/app', tags: ['', 'app'] },
    { entity: { clientId: null }, name: '/clients/<default>', tags: ['', 'app'] },
  ];
  const entries = (from: number): QuotaEntry[] => LEVELS.slice(from).map((l, i) => ({ entity: l.entity, values: { producer_byte_rate: 1000 * (from + i + 1) } }));

  for (let i = 0; i < LEVELS.length; i++) {
    it(`${LEVELS[i]!.name} wins over everything below it`, () => {
      const idx = new ClientQuotaIndex(entries(i));
      expect(idx.resolve('producer_byte_rate', 'alice', 'app')).toEqual({ limit: 1000 * (i + 1), userTag: LEVELS[i]!.tags[0], clientTag: LEVELS[i]!.tags[1] });
    });
  }

  it('matches per quota type, and names nothing for other users/clients unless a default applies', () => {
    const idx = new ClientQuotaIndex([
      { entity: { user: 'alice', clientId: 'app' }, values: { producer_byte_rate: 1 } },
      { entity: { user: 'alice' }, values: { consumer_byte_rate: 2 } },
      { entity: { clientId: null }, values: { request_percentage: 3 } },
      { entity: { ip: '10.0.0.1' }, values: { connection_creation_rate: 4 } },
    ]);
    expect(idx.resolve('consumer_byte_rate', 'alice', 'app')).toEqual({ limit: 2, userTag: 'alice', clientTag: '' });
    expect(idx.resolve('producer_byte_rate', 'alice', 'other')).toBeUndefined();
    expect(idx.resolve('producer_byte_rate', 'bob', 'app')).toBeUndefined();
    expect(idx.resolve('request_percentage', 'bob', 'x')).toEqual({ limit: 3, userTag: '', clientTag: 'x' });
    expect(new ClientQuotaIndex([{ entity: { ip: null }, values: { connection_creation_rate: 1 } }]).isEmpty).toBe(true);
  });

  it('a /users/<default> quota gives each user a sensor of its own, shared by its client ids', () => {
    const q = new ClientQuotas([{ entity: { user: null }, values: { producer_byte_rate: 100 } }], W);
    // 10 s span at first: 1000 bytes = 100 B/s, at the quota; one byte more throttles.
    expect(q.record('producer_byte_rate', 'alice', 'a', 1000, 0)).toBe(0);
    expect(q.record('producer_byte_rate', 'alice', 'b', 100, 0)).toBe(1000); // (110 − 100) / 100 × 10 s
    expect(q.record('producer_byte_rate', 'bob', 'a', 1000, 0)).toBe(0);
    expect(q.sensorCount).toBe(2);
  });

  it('a quota changed at runtime applies to the next request; removed, it throttles nothing', () => {
    const q = new ClientQuotas([{ entity: { clientId: 'app' }, values: { producer_byte_rate: 100 } }], W);
    expect(q.record('producer_byte_rate', 'u', 'app', 2000, 0)).toBe(10_000);
    q.update([{ entity: { clientId: 'app' }, values: { producer_byte_rate: 1000 } }]);
    expect(q.record('producer_byte_rate', 'u', 'app', 1, 0)).toBe(0); // 2001 B over 10 s = 200 B/s < 1000
    q.update([]);
    expect(q.has('producer_byte_rate')).toBe(false);
    expect(q.record('producer_byte_rate', 'u', 'app', 1e9, 0)).toBe(0);
  });
});

describe('windowed rate and throttle time (Kafka Rate / SampledStat / QuotaUtils)', () => {
  it('spreads a first burst over (samples − 1) windows', () => {
    const r = new WindowedRate(W);
    r.record(100, 0);
    expect(r.windowSizeMs(0)).toBe(10_000);
    expect(r.measure(0)).toBeCloseTo(10);
    expect(r.windowSizeMs(3500)).toBe(10_500); // 3 full windows elapsed: 3500 ms + the 7 missing of 10
    expect(r.measure(3500)).toBeCloseTo(100 / 10.5);
  });

  it('forgets samples with no event over the whole span', () => {
    const r = new WindowedRate(W);
    r.record(500, 0);
    expect(r.measure(10_999)).toBeGreaterThan(0);
    expect(r.measure(11_000)).toBe(0);
  });

  it('converges to the recorded rate once the span is full', () => {
    const r = new WindowedRate(W);
    let t = 0;
    for (; t < 30_000; t += 100) r.record(10, t); // 100 per second
    expect(r.measure(t)).toBeGreaterThan(90);
    expect(r.measure(t)).toBeLessThan(110);
    expect(r.windowSizeMs(t)).toBeGreaterThanOrEqual(10_000);
    expect(r.windowSizeMs(t)).toBeLessThanOrEqual(12_000);
  });

  it('throttle time = (observed − quota) / quota × window span, rounded; request quotas bounded by one window', () => {
    expect(throttleTimeMs(300, 200, 10_000)).toBe(5000);
    expect(throttleTimeMs(200, 200, 10_000)).toBe(0);
    expect(throttleTimeMs(200.03, 200, 10_000)).toBe(2);
    expect(throttleTimeMs(1000, 10, 10_000, 1000)).toBe(1000);
    const bytes = new QuotaSensor(W, false);
    expect(bytes.recordAndGetThrottleTimeMs(5000, 100, 0)).toBe(40_000); // 500 B/s over 10 s vs 100
    const req = new QuotaSensor(W, true);
    expect(req.recordAndGetThrottleTimeMs(50, 1, 0)).toBe(1000);
  });

  it('request_percentage: handler nanos in percent-seconds (1 s of one thread = 100)', () => {
    expect(1e9 * NANOS_TO_PERCENTAGE_PER_SECOND).toBeCloseTo(100);
    const q = new ClientQuotas([{ entity: { clientId: null }, values: { request_percentage: 10 } }], W);
    // 10 % over the 10 s span allows 1 s of handler time; 1.5 s throttles (bounded by one window).
    expect(q.record('request_percentage', 'u', 'c', 1e9 * NANOS_TO_PERCENTAGE_PER_SECOND, 0)).toBe(0);
    expect(q.record('request_percentage', 'u', 'c', 0.5e9 * NANOS_TO_PERCENTAGE_PER_SECOND, 0)).toBe(1000);
  });
});

/** ConnectionQuotas with a fake clock and timers run by hand. */
function harness(c: Partial<ConnectionQuotaConfig>) {
  let now = 0;
  const timers: { at: number; fn: () => void }[] = [];
  const q = new ConnectionQuotas(
    {
      maxConnections: 2147483647,
      listenerMaxConnections: new Map(),
      maxConnectionsPerIp: 2147483647,
      maxConnectionsPerIpOverrides: new Map(),
      maxConnectionCreationRate: 2147483647,
      listenerMaxConnectionCreationRate: new Map(),
      window: W,
      ...c,
    },
    () => now,
    (fn, ms) => {
      timers.push({ at: now + ms, fn });
      return 0 as unknown as ReturnType<typeof setTimeout>;
    },
  );
  const log: string[] = [];
  const sock = (id: string, ip = '127.0.0.1'): PendingSocket => ({ remoteAddress: ip, admit: () => log.push(`+${id}`), refuse: () => log.push(`-${id}`), gone: () => false });
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.splice(0).sort((a, b) => a.at - b.at)) if (t.at <= now) t.fn();
      else timers.push(t);
  };
  return { q, log, sock, advance, timers };
}

describe('connection limits (Kafka ConnectionQuotas)', () => {
  it('max.connections: sockets past the limit wait, in order, until a connection closes', () => {
    const h = harness({ maxConnections: 2 });
    for (const id of ['a', 'b', 'c', 'd']) h.q.accept('PLAINTEXT', h.sock(id));
    expect(h.log).toEqual(['+a', '+b']);
    expect(h.q.waitingCount('PLAINTEXT')).toBe(2);
    h.q.closed('PLAINTEXT', '127.0.0.1');
    expect(h.log).toEqual(['+a', '+b', '+c']);
    h.q.close();
    expect(h.log).toEqual(['+a', '+b', '+c', '-d']);
  });

  it('listener max.connections limits that listener only; the protected listener ignores the broker limit', () => {
    const h = harness({ maxConnections: 3, listenerMaxConnections: new Map([['EXTERNAL', 1]]), protectedListener: 'INTERNAL' });
    h.q.accept('EXTERNAL', h.sock('e1'));
    h.q.accept('EXTERNAL', h.sock('e2'));
    h.q.accept('PLAINTEXT', h.sock('p1'));
    h.q.accept('PLAINTEXT', h.sock('p2'));
    h.q.accept('PLAINTEXT', h.sock('p3'));
    h.q.accept('INTERNAL', h.sock('i1'));
    expect(h.log).toEqual(['+e1', '+p1', '+p2', '+i1']);
    // The protected listener's connections still count in the broker's total (4 of 3).
    h.q.closed('PLAINTEXT', '127.0.0.1');
    expect(h.log.length).toBe(4);
    h.q.closed('EXTERNAL', '127.0.0.1');
    expect(h.log.slice(4)).toEqual(['+e2']);
    h.q.closed('INTERNAL', '127.0.0.1');
    expect(h.log.slice(5)).toEqual(['+p3']);
  });

  it('max.connections.per.ip: over the limit is refused at once; overrides win; IPv4-mapped addresses count as IPv4', () => {
    const h = harness({ maxConnectionsPerIp: 1, maxConnectionsPerIpOverrides: new Map([['10.0.0.9', 2]]) });
    h.q.accept('L', h.sock('a', '127.0.0.1'));
    h.q.accept('L', h.sock('b', '::ffff:127.0.0.1'));
    h.q.accept('L', h.sock('c', '10.0.0.9'));
    h.q.accept('L', h.sock('d', '10.0.0.9'));
    h.q.accept('L', h.sock('e', '10.0.0.9'));
    expect(h.log).toEqual(['+a', '-b', '+c', '+d', '-e']);
    h.q.closed('L', '127.0.0.1');
    h.q.accept('L', h.sock('f', '127.0.0.1'));
    expect(h.log.at(-1)).toBe('+f');
    expect(h.q.connectionCount()).toBe(3);
  });

  it('max.connection.creation.rate: accepting waits out the throttle (bounded by one window)', () => {
    const h = harness({ maxConnectionCreationRate: 2 });
    for (let i = 0; i < 22; i++) h.q.accept('L', h.sock(String(i)));
    // 20 connections in the first instant = 2/s over the 10 s span; the 21st is over: (2.1 − 2) / 2 × 10 s.
    expect(h.log.length).toBe(20);
    expect(h.timers.map((t) => t.at)).toEqual([500]);
    h.advance(499);
    expect(h.log.length).toBe(20);
    h.advance(1);
    expect(h.log.length).toBe(21);
    expect(h.timers.length).toBe(1); // the 22nd waits its own throttle
    expect(h.timers[0]!.at - 500).toBeLessThanOrEqual(1000);
  });

  it('connection_creation_rate on /ips (KIP-612): over its rate, a connection from the address is closed after the throttle time', () => {
    const h = harness({});
    const refusedAfter: number[] = [];
    const sock = (id: string, ip: string): PendingSocket => ({ remoteAddress: ip, admit: () => h.log.push(`+${id}`), refuse: (_w, ms) => (h.log.push(`-${id}`), refusedAfter.push(ms ?? 0)), gone: () => false });
    h.q.updateIpConnectionRates(new Map<string | null, number>([[null, 100], ['10.0.0.1', 2]]));
    for (let i = 0; i < 21; i++) h.q.accept('L', sock(`a${i}`, '10.0.0.1'));
    h.q.accept('L', sock('other', '10.0.0.2')); // the default rate: far from it
    expect(h.log.filter((x) => x.startsWith('+a')).length).toBe(20);
    expect(h.log).toContain('-a20');
    expect(h.log).toContain('+other');
    expect(refusedAfter).toEqual([500]); // (2.1 − 2) / 2 × 10 s
    expect(h.q.connectionCount()).toBe(21);
    h.q.updateIpConnectionRates(new Map());
    h.q.accept('L', sock('free', '10.0.0.1'));
    expect(h.log.at(-1)).toBe('+free');
  });

  it('configs: Kafka names and defaults, listener overrides, overrides parsed', () => {
    const d = BrokerConfig.load({});
    expect(d.get('max.connections')).toBe(2147483647);
    expect(d.get('max.connections.per.ip')).toBe(2147483647);
    expect(d.get('max.connection.creation.rate')).toBe(2147483647);
    expect(d.get('quota.window.num')).toBe(11);
    expect(d.get('quota.window.size.seconds')).toBe(1);
    const c = BrokerConfig.load({ propertiesText: 'listener.name.plaintext.max.connections=5\nlistener.name.plaintext.max.connection.creation.rate=7\nmax.connections.per.ip.overrides=localhost:3,127.0.0.1:200' });
    expect(c.listenerConnectionLimit('PLAINTEXT', 'max.connections')).toBe(5);
    expect(c.listenerConnectionLimit('PLAINTEXT', 'max.connection.creation.rate')).toBe(7);
    expect(c.listenerConnectionLimit('OTHER', 'max.connections')).toBeUndefined();
    expect(parseIpOverrides('hostName:100, 127.0.0.1:200,[::1]:3')).toEqual(new Map([['hostName', 100], ['127.0.0.1', 200], ['::1', 3]]));
    expect(typeof parseIpOverrides('nocount')).toBe('string');
    expect(() => BrokerConfig.load({ sets: { 'max.connections': -1 } })).toThrow(/max.connections/);
  });
});

describe('the broker keeps context.quotas in step with the store', () => {
  it('undefined while no client quota exists (ip-only quotas included), a manager once one does, undefined again when removed', async () => {
    const { attachClientQuotas } = await import('../../host-node/server/quota-manager.js');
    const { InMemorySecurityStore } = await import('../../host-node/security/security-store.js');
    const store = new InMemorySecurityStore();
    const ctx = { config: BrokerConfig.load({}), securityStore: store, quotas: undefined } as unknown as Parameters<typeof attachClientQuotas>[0];
    const stop = attachClientQuotas(ctx);
    expect(ctx.quotas).toBeUndefined();
    await store.alterQuotas([{ entity: { ip: '10.0.0.1' }, set: { connection_creation_rate: 5 } }]);
    expect(ctx.quotas).toBeUndefined();
    await store.alterQuotas([{ entity: { user: 'alice' }, set: { request_percentage: 50 } }]);
    const m = ctx.quotas;
    expect(m).toBeDefined();
    await store.alterQuotas([{ entity: { user: 'alice' }, set: { request_percentage: 60 } }]);
    expect(ctx.quotas).toBe(m); // the same manager: sensors keep their history
    await store.alterQuotas([{ entity: { user: 'alice' }, set: { request_percentage: null } }]);
    expect(ctx.quotas).toBeUndefined();
    stop();
  });
});
