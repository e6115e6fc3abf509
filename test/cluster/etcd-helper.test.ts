// The test etcd helper: starts a real one-member etcd on ephemeral ports, survives a restart with its data,
// and stop() removes everything.
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { startEtcd, type EtcdHandle } from '../helpers/etcd.js';

describe('startEtcd', () => {
  let etcd: EtcdHandle | undefined;
  afterAll(async () => etcd?.stop());

  it('serves on an ephemeral port, keeps its data across a restart, and stop() removes the data dir', async () => {
    etcd = await startEtcd();
    expect(etcd.clientPort).not.toBe(2379);
    expect(etcd.connect).toBe(`127.0.0.1:${etcd.clientPort}`);
    const c = new Etcd3({ hosts: etcd.endpoint });
    try {
      await c.put('/k').value('v1');
      await etcd.restart();
      expect(await c.get('/k').string()).toBe('v1');
    } finally {
      c.close();
    }
    const dir = etcd.dataDir;
    await etcd.stop();
    expect(existsSync(dir)).toBe(false);
    etcd = undefined;
  }, 60_000);
});
