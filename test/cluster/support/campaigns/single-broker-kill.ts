// Campaign `single-broker-kill`: today's single broker (default flush policy) under an idempotent acks=all
// confluent-kafka producer, SIGKILLed once at a random moment of the write and restarted on the same port
// and data dir after a random pause; then a consumer reads every partition and the history is checked.
// The random choices (kill moment, pause, producer keys) come from the trial's seed.
import { ApiKey } from '../../../../protocol/generated/index.js';
import { KafkaTestClient } from '../../../helpers/broker.js';
import { checkHistory } from '../history.js';
import { BrokerProcess } from '../processes.js';
import { consumeAll, startProducer } from '../workload.js';
import { seededRandom, type Campaign, type TrialResult } from './campaign.js';

const TOPIC = 'soak';
const PARTITIONS = 3;
const RATE = 300;
const DURATION_S = 6;

async function createTopic(port: number): Promise<void> {
  const c = await KafkaTestClient.connect(port);
  try {
    const r = await c.request(ApiKey.CreateTopics, 7, { timeoutMs: 10_000, topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: -1, assignments: [], configs: [] }] });
    if (r.topics[0]!.errorCode !== 0) throw new Error(`CreateTopics: error ${r.topics[0]!.errorCode}`);
  } finally {
    c.close();
  }
}

export async function trial(o: { seed: number; log: (line: string) => void }): Promise<TrialResult & { ackedAtKill: number }> {
  const rand = seededRandom(o.seed);
  const killAfterMs = 1000 + Math.floor(rand() * (DURATION_S * 1000 - 2500));
  const downMs = Math.floor(rand() * 1500);
  const broker = await BrokerProcess.start({ sets: { 'auto.create.topics.enable': 'false' } });
  try {
    await createTopic(broker.port);
    const prod = startProducer({ bootstrap: broker.bootstrap, topic: TOPIC, rate: RATE, durationS: DURATION_S, seed: o.seed, runId: `s${o.seed}` });
    await prod.untilAcked(1);
    await new Promise((r) => setTimeout(r, killAfterMs));
    const ackedAtKill = prod.acked;
    await broker.kill();
    await new Promise((r) => setTimeout(r, downMs));
    await broker.restart();
    o.log(`seed ${o.seed}: killed at ${ackedAtKill} acknowledged (${killAfterMs} ms in), restarted after ${downMs} ms`);
    const produced = await prod.done;
    const read = await consumeAll({ bootstrap: broker.bootstrap, topic: TOPIC, consumerId: 'final' });
    const check = checkHistory({ produced, consumed: read.records, completeReaders: read.complete ? ['final'] : [] });
    return { seed: o.seed, check, ackedAtKill, notes: `killed at ${ackedAtKill} acked, down ${downMs} ms` };
  } catch (e) {
    o.log(`seed ${o.seed}: broker log tail:\n${broker.logTail()}`);
    throw e;
  } finally {
    await broker.cleanup();
  }
}

export const campaign: Campaign = {
  name: 'single-broker-kill',
  description: 'one broker, idempotent acks=all producer, SIGKILL + restart at a random moment, full read, history check',
  trial: (o) => trial(o),
};
