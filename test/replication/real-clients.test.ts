// kcat (librdkafka) against the leader of a replicated partition: acks=all produce answered once the
// followers hold the records, and a consumer reads them back in order from below the high watermark.
import { describe, expect, it } from 'vitest';
import { run } from '../broker-data/helpers.js';
import { startCluster, waitFor } from './harness.js';
import { logBytes } from './client.js';

describe('kcat and a replicated partition', () => {
  it('acks=all produce and consume through the leader', async () => {
    const T = 'kcat-replicated';
    const c = await startCluster([1, 2, 3]);
    try {
      c.publish({ topic: T, partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 0 });
      const bootstrap = `127.0.0.1:${c.brokers.get(1)!.port}`;
      const lines = Array.from({ length: 20 }, (_, i) => `m${i}`);
      const p = await run('kcat', ['-P', '-b', bootstrap, '-t', T, '-p', '0', '-X', 'acks=all', '-X', 'enable.idempotence=true'], { input: lines.join('\n') + '\n', timeoutMs: 60_000 });
      expect(p.code, p.stderr).toBe(0);
      const logOf = (id: number) => c.brokers.get(id)!.context.topicRegistry.partitionLog(T, 0)!;
      expect(logOf(1).highWatermark).toBe(20);
      await waitFor('followers at 20', () => [2, 3].every((id) => logOf(id).logEndOffset === 20));
      for (const id of [2, 3]) expect(logBytes(logOf(id)).equals(logBytes(logOf(1)))).toBe(true);
      const k = await run('kcat', ['-C', '-b', bootstrap, '-t', T, '-p', '0', '-e', '-q', '-f', '%o:%s\n'], { timeoutMs: 60_000 });
      expect(k.code, k.stderr).toBe(0);
      expect(k.stdout.toString().trim().split('\n')).toEqual(lines.map((l, i) => `${i}:${l}`));
    } finally {
      await c.close();
    }
  });
});
