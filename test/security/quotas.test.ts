// Client quotas against real clients, enforced as Kafka does: a confluent-kafka-python producer held to
// producer_byte_rate (by user and client id) slows to its quota once its first burst has used the window's
// allowance, and librdkafka sees the throttle time; a consumer held to consumer_byte_rate likewise;
// request_percentage throttles by at most one window, the throttled response leaves at once (KIP-219) and the
// connection's next request waits the throttle out; a quota removed at runtime stops throttling.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/generated/index.js';
import { encodeRequestFrame } from '../../protocol/frame.js';
import { KafkaTestClient } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { startDataBroker, run, PYTHON, type DataBroker } from '../broker-data/helpers.js';

const PY = join(import.meta.dirname, 'py', 'quota_client.py');
const SW = { clientSoftwareName: 'rivulet-test', clientSoftwareVersion: '1' };
const QUOTA = 200 * 1024; // bytes/s
const WINDOWS = 5;
// Runs long enough to measure 5 s past the first (WINDOWS − 1) windows, which a first burst uses up.
const RUN_S = WINDOWS + 5.5;

let b: DataBroker;
const bootstrap = () => `127.0.0.1:${b.port}`;

beforeAll(async () => {
  // quota.window.num 5 (Kafka's default is 11): the rate reaches its steady state after 4 s, not after the
  // 10 s a first burst is spread over by default (the window math is unit-tested with 11).
  b = await startDataBroker({ sets: { 'quota.window.num': WINDOWS } });
});
afterAll(async () => {
  await b?.close();
});

interface Point {
  t: number;
  bytes: number;
}

async function py(args: string[]): Promise<{ points: Point[]; done: number; throttleMax: number; throttleCnt: number }> {
  const r = await run(PYTHON, [PY, ...args], { timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  const lines = r.stdout
    .toString()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  const last = lines.pop();
  return { points: lines, ...last };
}

/** Bytes per second between the reports nearest `from` and `to` seconds. */
function slope(points: Point[], from: number, to: number): number {
  const at = (t: number) => points.reduce((best, p) => (Math.abs(p.t - t) < Math.abs(best.t - t) ? p : best));
  const a = at(from);
  const z = at(to);
  return (z.bytes - a.bytes) / (z.t - a.t);
}

describe('client quotas with real clients', () => {
  it('producer_byte_rate on /users/ANONYMOUS/clients/<id>: the producer slows to its quota and sees the throttle time', async () => {
    await b.topics.create('quota-produce');
    await b.broker.context.securityStore.alterQuotas([{ entity: { user: 'ANONYMOUS', clientId: 'slow-producer' }, set: { producer_byte_rate: QUOTA } }]);
    const r = await py(['produce', bootstrap(), 'quota-produce', 'slow-producer', String(RUN_S), '1000']);
    const rate = slope(r.points, WINDOWS, WINDOWS + 5);
    console.log(`producer: ${(rate / 1024).toFixed(1)} KiB/s over ${WINDOWS}-${WINDOWS + 5} s (quota ${QUOTA / 1024} KiB/s), total ${r.done} B, throttle max ${r.throttleMax} ms`);
    expect(rate).toBeGreaterThan(QUOTA * 0.75);
    expect(rate).toBeLessThan(QUOTA * 1.25);
    // Kafka's window allows (samples − 1) windows of quota at first, then the quota's pace.
    expect(r.done).toBeLessThan(QUOTA * (WINDOWS - 1 + RUN_S) * 1.25);
    expect(r.throttleMax).toBeGreaterThan(0);
  }, 40_000);

  it('consumer_byte_rate on /clients/<id>: the consumer slows to its quota; other clients are not throttled', async () => {
    await b.topics.create('quota-consume');
    const fill = await py(['produce', bootstrap(), 'quota-consume', 'filler', '20', '1000', String(6 * 1024 * 1024)]);
    expect(fill.done).toBeGreaterThanOrEqual(6 * 1024 * 1024);
    expect(fill.throttleMax).toBe(0);
    await b.broker.context.securityStore.alterQuotas([{ entity: { clientId: 'slow-consumer' }, set: { consumer_byte_rate: QUOTA } }]);
    const r = await py(['consume', bootstrap(), 'quota-consume', 'slow-consumer', String(RUN_S)]);
    const rate = slope(r.points, WINDOWS, WINDOWS + 5);
    console.log(`consumer: ${(rate / 1024).toFixed(1)} KiB/s over ${WINDOWS}-${WINDOWS + 5} s (quota ${QUOTA / 1024} KiB/s), total ${r.done} B, throttle max ${r.throttleMax} ms`);
    expect(rate).toBeGreaterThan(QUOTA * 0.75);
    expect(rate).toBeLessThan(QUOTA * 1.25);
    expect(r.throttleMax).toBeGreaterThan(0);
  }, 60_000);

  it('request_percentage: bounded by one window; the throttled response leaves at once, the next request waits; removed at runtime, throttling stops', async () => {
    const ctx = b.broker.context;
    await ctx.securityStore.alterQuotas([{ entity: { clientId: 'busy' }, set: { request_percentage: 0.0001 } }]);
    const c = new KafkaTestClient(await RawClient.connect(b.port), 'busy');
    try {
      let throttle = 0;
      let latency = 0;
      for (let i = 0; i < 50 && throttle === 0; i++) {
        const t0 = performance.now();
        throttle = (await c.request(ApiKey.ApiVersions, 3, SW)).throttleTimeMs;
        latency = performance.now() - t0;
      }
      expect(throttle).toBeGreaterThan(0);
      expect(throttle).toBeLessThanOrEqual(1000); // quota.window.size.seconds
      expect(latency).toBeLessThan(Math.min(throttle / 2, 300)); // KIP-219: not delayed by its own throttle
      // The connection is muted: the next request is read only once the throttle is over.
      const t1 = performance.now();
      await c.request(ApiKey.ApiVersions, 3, SW);
      expect(performance.now() - t1).toBeGreaterThan(throttle - 100);

      // Requests pipelined in one write: the first is answered at once with its throttle time; the ones read
      // with it wait until the throttle is over (a muted connection serves nothing, as Kafka's muted channel).
      const p = new KafkaTestClient(await RawClient.connect(b.port), 'busy');
      const frames = [1, 2, 3].map((corr) => encodeRequestFrame(ApiKey.ApiVersions, 3, corr, 'busy', SW));
      const tp = performance.now();
      p.raw.write(Buffer.concat(frames));
      const first = await p.recv(ApiKey.ApiVersions, 3);
      const firstAt = performance.now() - tp;
      expect(first.body.throttleTimeMs).toBeGreaterThan(0);
      expect(firstAt).toBeLessThan(300);
      await p.recv(ApiKey.ApiVersions, 3);
      expect(performance.now() - tp).toBeGreaterThan(first.body.throttleTimeMs - 100);
      p.close();

      // Another client id has no quota: never throttled.
      const other = new KafkaTestClient(await RawClient.connect(b.port), 'free');
      expect((await other.request(ApiKey.ApiVersions, 3, SW)).throttleTimeMs).toBe(0);
      other.close();

      await ctx.securityStore.alterQuotas([
        { entity: { clientId: 'busy' }, set: { request_percentage: null } },
        { entity: { user: 'ANONYMOUS', clientId: 'slow-producer' }, set: { producer_byte_rate: null } },
        { entity: { clientId: 'slow-consumer' }, set: { consumer_byte_rate: null } },
      ]);
      expect(ctx.quotas).toBeUndefined(); // no quota left: the dispatcher skips quotas altogether
      await new Promise((r) => setTimeout(r, 1100)); // the last mute runs out
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        expect((await c.request(ApiKey.ApiVersions, 3, SW)).throttleTimeMs).toBe(0);
        expect(performance.now() - t0).toBeLessThan(500);
      }
    } finally {
      c.close();
    }
  }, 30_000);
});
