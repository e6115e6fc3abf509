// Start an in-process broker on 127.0.0.1:0 with a temp data dir, and a tiny typed client over RawClient.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker, type StartBrokerOptions } from '../../host-node/broker.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../protocol/frame.js';
import type { ApiKey, RequestInputTypes, ResponseTypes } from '../../protocol/generated/index.js';
import { createLogger, silentLogger } from '../../host-node/util/log.js';
import { RawClient } from './raw-client.js';

export interface TestBroker extends RunningBroker {
  dataDir: string;
}

export async function startTestBroker(o: StartBrokerOptions = {}): Promise<TestBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-test-'));
  const b = await startBroker({ host: '127.0.0.1', port: 0, dataDir, log: process.env.RIVULET_TEST_LOG ? createLogger('test', 'debug') : silentLogger, ...o });
  return {
    ...b,
    dataDir,
    close: async () => {
      await b.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export class KafkaTestClient {
  private corr = 1;
  constructor(readonly raw: RawClient, readonly clientId = 'rivulet-test') {}

  static async connect(port: number): Promise<KafkaTestClient> {
    return new KafkaTestClient(await RawClient.connect(port));
  }

  send<K extends ApiKey>(apiKey: K, version: number, body: RequestInputTypes[K]): number {
    const c = this.corr++;
    this.raw.write(encodeRequestFrame(apiKey, version, c, this.clientId, body));
    return c;
  }

  async recv<K extends ApiKey>(apiKey: K, version: number, timeoutMs = 5000): Promise<{ correlationId: number; body: ResponseTypes[K] }> {
    return decodeResponseFrame(apiKey, version, await this.raw.next(timeoutMs));
  }

  async request<K extends ApiKey>(apiKey: K, version: number, body: RequestInputTypes[K]): Promise<ResponseTypes[K]> {
    const c = this.send(apiKey, version, body);
    const r = await this.recv(apiKey, version);
    if (r.correlationId !== c) throw new Error(`correlation id ${r.correlationId}, expected ${c}`);
    return r.body;
  }

  close(): void {
    this.raw.close();
  }
}
