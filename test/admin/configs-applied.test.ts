// Topic configs reach the live logs (segment roll, retention), DescribeLogDirs reports real sizes, and
// records written through a real producer survive a restart with the topic.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../host-node/broker.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { silentLogger } from '../../host-node/util/log.js';
import { KafkaTestClient } from '../helpers/broker.js';

const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-admin-applied-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** kcat, asynchronously (the broker runs in this process, so the event loop must stay free). */
function kcat(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = execFile('kcat', args, { timeout: 30_000 }, (e, stdout, stderr) => (e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout)));
    if (input !== undefined) p.stdin!.end(input);
  });
}

async function start(): Promise<RunningBroker> {
  return startBroker({ host: '127.0.0.1', port: 0, dataDir, log: silentLogger, sets: { 'log.retention.check.interval.ms': 100 } });
}

it('segment.bytes and retention.bytes act on the live log; data and topic survive a restart', async () => {
  let b = await start();
  const bs = () => `127.0.0.1:${b.port}`;
  let c = await KafkaTestClient.connect(b.port);
  const ct = await c.request(ApiKey.CreateTopics, 7, {
    topics: [{ name: 'applied', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'segment.bytes', value: '1000' }] }],
    timeoutMs: 1000,
  });
  expect(ct.topics[0]!.errorCode).toBe(0);
  const input = Array.from({ length: 50 }, (_, i) => `message-${i}-${'x'.repeat(100)}`).join('\n') + '\n';
  await kcat(['-P', '-b', bs(), '-t', 'applied', '-p', '0', '-X', 'linger.ms=0', '-X', 'batch.num.messages=1'], input);
  const log = b.context.topicRegistry.partitionLog('applied', 0)!;
  expect(log.logEndOffset).toBe(50);
  expect(log.segmentCount).toBeGreaterThan(5); // rolled at ~1000 bytes

  const dld = await c.request(ApiKey.DescribeLogDirs, 4, { topics: [{ topic: 'applied', partitions: [0] }] });
  expect(dld.results[0]!.topics[0]!.partitions[0]!.partitionSize).toBe(BigInt(log.size));
  expect(log.size).toBeGreaterThan(5000);

  const ia = await c.request(ApiKey.IncrementalAlterConfigs, 1, {
    resources: [{ resourceType: 2, resourceName: 'applied', configs: [{ name: 'retention.bytes', configOperation: 0, value: '2000' }] }],
  });
  expect(ia.responses[0]!.errorCode).toBe(0);
  const deadline = Date.now() + 5000;
  while (log.logStartOffset === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(log.logStartOffset).toBeGreaterThan(0);
  expect(log.size).toBeLessThan(4000);
  const lso = log.logStartOffset;
  c.close();
  await b.close();

  b = await start();
  c = await KafkaTestClient.connect(b.port);
  const md = await c.request(ApiKey.Metadata, 12, { topics: null });
  expect(md.topics.map((t) => [t.name, t.topicId])).toEqual([['applied', ct.topics[0]!.topicId]]);
  const again = b.context.topicRegistry.partitionLog('applied', 0)!;
  expect(again.logEndOffset).toBe(50);
  expect(again.logStartOffset).toBe(lso);
  expect(again.config['retention.bytes']).toBe(2000);
  expect(again.config['segment.bytes']).toBe(1000);
  const out = await kcat(['-C', '-b', bs(), '-t', 'applied', '-p', '0', '-o', 'beginning', '-e', '-f', '%o\\n']);
  const offsets = out.trim().split('\n').map(Number);
  expect(offsets[0]).toBe(lso);
  expect(offsets[offsets.length - 1]).toBe(49);
  c.close();
  await b.close();
});
