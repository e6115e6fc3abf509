// workload.py through its driver against a real broker process: every attempt is reported (as many as the
// producer says it made), SIGTERM ends the producer early with exit 0 and nothing unaccounted, the consumer
// reads exactly what was acknowledged, and writes to an unreachable broker come back as 'fail' with
// librdkafka's error name, and writes still outstanding when the producer stops are 'unknown'.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { checkHistory, anomalyNames } from './history.js';
import { BrokerProcess, ensureBuilt } from './processes.js';
import { consumeAll, startProducer } from './workload.js';

let b: BrokerProcess;
beforeAll(async () => {
  ensureBuilt();
  b = await BrokerProcess.start();
}, 180_000);
afterAll(() => b?.cleanup());

it('SIGTERM stops the producer cleanly with every attempt reported; the consumer reads them all', async () => {
  const p = startProducer({ bootstrap: b.bootstrap, topic: 'wl', rate: 200, durationS: 60, seed: 7, runId: 'wl' });
  await p.untilAcked(100);
  const t = Date.now();
  p.stop();
  const attempts = await p.done;
  expect(Date.now() - t).toBeLessThan(10_000);
  expect(p.sent).toBeGreaterThanOrEqual(100);
  expect(attempts).toHaveLength(p.sent);
  expect(new Set(attempts.map((a) => a.value)).size).toBe(p.sent);
  expect(attempts.every((a) => a.outcome === 'ok' && a.offset! >= 0 && a.tAck! >= a.tSend!)).toBe(true);
  const read = await consumeAll({ bootstrap: b.bootstrap, topic: 'wl', consumerId: 'r1', timeoutS: 30 });
  expect(read.complete).toBe(true);
  expect(read.records.map((r) => r.value).sort()).toEqual(attempts.map((a) => a.value).sort());
  const r = checkHistory({ produced: attempts, consumed: read.records, completeReaders: ['r1'] });
  expect(anomalyNames(r)).toEqual([]);
});

it("writes to a broker that is not there are reported 'fail' with the error's name", async () => {
  const nowhere = await freePort();
  const p = startProducer({ bootstrap: `127.0.0.1:${nowhere}`, topic: 'wl', rate: 20, durationS: 0.5, messageTimeoutMs: 1000, drainS: 10 });
  const attempts = await p.done;
  expect(attempts.length).toBe(p.sent);
  expect(attempts.length).toBeGreaterThan(0);
  expect(new Set(attempts.map((a) => `${a.outcome}:${a.error}`))).toEqual(new Set(['fail:_MSG_TIMED_OUT']));
});

it("writes outstanding when the producer is stopped (broker paused) are reported 'unknown'", async () => {
  const p = startProducer({ bootstrap: b.bootstrap, topic: 'wl-unknown', rate: 200, durationS: 60, runId: 'u' });
  await p.untilAcked(20);
  b.pause();
  try {
    await new Promise((r) => setTimeout(r, 500));
    p.stop();
    const attempts = await p.done;
    expect(attempts).toHaveLength(p.sent);
    expect(attempts.filter((a) => a.outcome === 'ok').length).toBeGreaterThanOrEqual(20);
    expect(attempts.filter((a) => a.outcome === 'unknown').length).toBeGreaterThan(0);
    expect(attempts.filter((a) => a.outcome === 'fail')).toEqual([]);
  } finally {
    b.resume();
  }
});
