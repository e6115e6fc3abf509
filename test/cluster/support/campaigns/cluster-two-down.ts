// Campaign `cluster-two-down` (fault g): two of the three brokers are SIGKILLed at once at a random moment.
// The survivor alone is below min.insync.replicas 2: an acks=all Produce to it must fail (NOT_ENOUGH_REPLICAS
// once it leads with ISR [itself], or not-leader / timeout before) and the workload producer must get no
// acknowledgement while they are down; both return after a random pause, writes resume, and nothing
// acknowledged is lost.
import { encodeBatch } from '../../../../bindings/node.js';
import { ApiKey } from '../../../../protocol/generated/index.js';
import { KafkaTestClient } from '../../../helpers/broker.js';
import { checkedTrial, ackedBetween, clusterTrial, type ClusterTrialResult } from '../cluster-trial.js';
import { sleep, type FaultCluster } from '../fault-cluster.js';
import type { Campaign } from './campaign.js';

/** A topic of its own for the raw probe, so the probe never enters the workload's history. */
const PROBE = 'probe';

export interface TwoDownFacts {
  survivor: number;
  /** The probe's Produce error code once the survivor led the probe partition alone (0 would be a bug). */
  probeError: number;
  /** The survivor's view of the probe partition when probed. */
  probeLeader: number;
  probeIsr: number[];
  /** Workload acknowledgements that arrived while two brokers were down (1 s after the kill until the restart). */
  ackedWhileDown: number;
  downMs: number;
}

/** One acks=all Produce of one record to partition 0 of the probe topic on broker `id`; its error code. */
async function probe(c: FaultCluster, id: number): Promise<number> {
  const k = await KafkaTestClient.connect(c.broker(id).port);
  try {
    const records = encodeBatch({ records: [{ key: 'probe', value: 'probe', timestamp: Date.now() }] });
    const r = await k.request(ApiKey.Produce, 9, { acks: -1, timeoutMs: 3000, topicData: [{ name: PROBE, partitionData: [{ index: 0, records }] }] });
    return r.responses[0]!.partitionResponses[0]!.errorCode;
  } finally {
    k.close();
  }
}

export function trial(o: { seed: number; log: (line: string) => void }): Promise<ClusterTrialResult<TwoDownFacts>> {
  const setup = (c: FaultCluster) => c.createTopic(PROBE, 1);
  return clusterTrial({ ...o, setup }, async ({ rand, cluster, producer, loadMs }) => {
    const survivor = 1 + Math.floor(rand() * 3);
    const down = cluster.ids.filter((id) => id !== survivor);
    await sleep(1000 + Math.floor(rand() * (loadMs - 6000)));
    const killedAt = Date.now();
    await Promise.all(down.map((id) => cluster.broker(id).kill()));
    // The survivor's view once the others' sessions expired: it leads alone, or the partition is offline.
    const alone = (p: { leader: number; isr: number[] }) => p.leader === -1 || (p.leader === survivor && p.isr.length === 1);
    const view = (await cluster.waitMetadata('the survivor alone', PROBE, (m) => alone(m.partitions[0]!), 20_000, survivor)).partitions[0]!;
    const probeError = await probe(cluster, survivor);
    const downMs = Date.now() - killedAt + Math.floor(rand() * 2000);
    await sleep(downMs - (Date.now() - killedAt));
    const restartAt = Date.now();
    await Promise.all(down.map((id) => cluster.broker(id).restart()));
    const ackedWhileDown = ackedBetween(await producer.done, killedAt + 1000, restartAt);
    const facts = { survivor, probeError, probeLeader: view.leader, probeIsr: view.isr, ackedWhileDown, downMs };
    return { notes: `killed ${down}, survivor ${survivor} (probe leader ${view.leader} isr ${view.isr}: error ${probeError}), down ${downMs} ms, ${ackedWhileDown} acked while down`, facts };
  });
}

export const campaign: Campaign = {
  name: 'cluster-two-down',
  description: '3 brokers RF 3 min ISR 2; SIGKILL 2 of 3: acks=all refused (NOT_ENOUGH_REPLICAS), nothing acknowledged while down; they return, writes resume; history check',
  trial: checkedTrial(trial, (r) => [r.facts.probeError === 0 && 'acks=all succeeded on the lone survivor', r.facts.ackedWhileDown > 0 && `${r.facts.ackedWhileDown} writes acknowledged while two brokers were down`]),
};
