// A broker for data-path tests: the real broker (topic registry + LogManager under its data dir), topics
// created through CreateTopics, and small helpers to run client processes.
import { spawn } from 'node:child_process';
import { ApiKey } from '../../protocol/generated/index.js';
import type { Log } from '../../storage/index.js';
import type { TopicInfo } from '../../host-node/topics/topic-registry.js';
import type { StartBrokerOptions } from '../../host-node/broker.js';
import { startTestBroker, KafkaTestClient, type TestBroker } from '../helpers/broker.js';

/** Topic helpers over the broker's registry; topics are created with a CreateTopics request (v7). */
export class TestTopics {
  constructor(
    private readonly broker: TestBroker,
    private readonly admin: KafkaTestClient,
  ) {}

  /** CreateTopics (v7) with topic-level config overrides, e.g. { 'max.message.bytes': 2000 }. */
  async create(name: string, partitions = 1, configs: Record<string, string | number> = {}): Promise<TopicInfo> {
    const r = await this.admin.request(ApiKey.CreateTopics, 7, {
      timeoutMs: 10_000,
      topics: [{ name, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: String(v) })) }],
    });
    const t = r.topics[0]!;
    if (t.errorCode !== 0) throw new Error(`CreateTopics ${name}: error ${t.errorCode} ${t.errorMessage}`);
    return this.broker.context.topicRegistry.topic(name)!;
  }

  topicByName(name: string): TopicInfo | undefined {
    return this.broker.context.topicRegistry.topic(name);
  }

  log(name: string, partition = 0): Log {
    return this.broker.context.topicRegistry.partitionLog(name, partition)!;
  }
}

export interface DataBroker {
  broker: TestBroker;
  topics: TestTopics;
  port: number;
  client(): Promise<KafkaTestClient>;
  close(): Promise<void>;
}

export async function startDataBroker(o: StartBrokerOptions = {}): Promise<DataBroker> {
  const broker = await startTestBroker(o);
  const clients: KafkaTestClient[] = [];
  const admin = await KafkaTestClient.connect(broker.port);
  clients.push(admin);
  return {
    broker,
    topics: new TestTopics(broker, admin),
    port: broker.port,
    async client() {
      const c = await KafkaTestClient.connect(broker.port);
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.close();
      await broker.close();
    },
  };
}

/** Runs a command; resolves with stdout/stderr/code (rejects on spawn failure or timeout). */
export function run(cmd: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out; stderr: ${err.slice(-2000)}`));
    }, opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

export const PYTHON = '/usr/bin/python3';
