// BrokerProcess drives a real `node bin/rivulet.js broker`: SIGKILL ends it and a client loses its
// connection; restart() brings it back on the same port with the same data; SIGSTOP makes it stop answering
// while its port still accepts, SIGCONT makes it answer again; stop() is a clean SIGTERM shutdown.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiKey } from '../../../protocol/generated/index.js';
import { KafkaTestClient } from '../../helpers/broker.js';
import { fetchAll, produce, v2Batch } from '../../faults/helpers.js';
import { BrokerProcess, answersApiVersions, ensureBuilt } from './processes.js';

let b: BrokerProcess;

beforeAll(async () => {
  ensureBuilt();
  b = await BrokerProcess.start({ sets: { 'auto.create.topics.enable': 'false' } });
}, 180_000);
afterAll(() => b?.cleanup());

it('kills, restarts on the same port and data dir, pauses, resumes and stops a broker', async () => {
  const c = await KafkaTestClient.connect(b.port);
  const ct = await c.request(ApiKey.CreateTopics, 7, { timeoutMs: 10_000, topics: [{ name: 't', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }] });
  expect(ct.topics[0]!.errorCode).toBe(0);
  expect((await produce(c, 't', 0, v2Batch(['a', 'b', 'c']))).errorCode).toBe(0);

  const firstPid = b.pid;
  expect(await b.kill()).toEqual({ code: null, signal: 'SIGKILL' });
  expect(b.running).toBe(false);
  expect(await c.raw.waitClosed(5000)).toBe(true);
  expect(await answersApiVersions(b.port, 1000)).toBe(false);

  await b.restart();
  expect(b.pid).not.toBe(firstPid);
  const c2 = await KafkaTestClient.connect(b.port);
  expect((await fetchAll(c2, 't', 0)).records.map((r) => r.value)).toEqual(['a', 'b', 'c']);

  b.pause();
  expect(await answersApiVersions(b.port, 1000)).toBe(false);
  expect(b.running).toBe(true);
  b.resume();
  expect(await answersApiVersions(b.port, 5000)).toBe(true);
  expect((await produce(c2, 't', 0, v2Batch(['d']))).baseOffset).toBe(3n);
  c2.close();

  expect(await b.stop()).toEqual({ code: 0, signal: null });
  expect(b.logTail()).toMatch(/listening on PLAINTEXT:\/\/127\.0\.0\.1:\d+/);
});

it('stop() ends a paused broker cleanly, kill() ends a paused one at once', async () => {
  await b.restart();
  b.pause();
  expect(await b.stop()).toEqual({ code: 0, signal: null });
  await b.restart();
  b.pause();
  expect(await b.kill()).toEqual({ code: null, signal: 'SIGKILL' });
});
