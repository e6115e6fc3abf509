// Campaign `cluster-controller-kill` (fault d): the controller broker is SIGKILLed at a random moment of the
// load. Another broker must claim the controller (Metadata names it, /controller_epoch in etcd grows), a new
// topic can then be created (RF 2: two brokers live), and after a random pause the killed broker returns
// and rejoins every ISR; the history of the load is clean.
import { checkedTrial, clusterTrial, type ClusterTrialResult } from '../cluster-trial.js';
import { sleep } from '../fault-cluster.js';
import type { Campaign } from './campaign.js';

export interface ControllerKillFacts {
  controllerBefore: number;
  controllerAfter: number;
  controllerEpochBefore: number;
  controllerEpochAfter: number;
  /** Milliseconds from SIGKILL until Metadata from a live broker named the new controller. */
  claimedAfterMs: number;
  /** The topic created while the old controller was down, in sync on its replicas. */
  createdTopic: string;
  downMs: number;
}

export function trial(o: { seed: number; log: (line: string) => void }): Promise<ClusterTrialResult<ControllerKillFacts>> {
  return clusterTrial(o, async ({ seed, rand, cluster, loadMs }) => {
    await sleep(1000 + Math.floor(rand() * (loadMs - 6000)));
    const before = await cluster.metadata(null);
    const epochBefore = await cluster.controllerEpoch();
    const other = cluster.ids.find((id) => id !== before.controllerId)!;
    const t0 = Date.now();
    await cluster.broker(before.controllerId).kill();
    const claimed = (m: { controllerId: number }) => m.controllerId > 0 && m.controllerId !== before.controllerId;
    const after = await cluster.waitMetadata('another controller', null, claimed, 20_000, other);
    const claimedAfterMs = Date.now() - t0;
    const epochAfter = await cluster.controllerEpoch();
    const createdTopic = `after-${seed}`;
    await cluster.createTopic(createdTopic, 2, { replicationFactor: 2, via: other });
    const downMs = Math.floor(rand() * 2000);
    await sleep(downMs);
    await cluster.broker(before.controllerId).restart();
    const facts = {
      controllerBefore: before.controllerId,
      controllerAfter: after.controllerId,
      controllerEpochBefore: epochBefore,
      controllerEpochAfter: epochAfter,
      claimedAfterMs,
      createdTopic,
      downMs,
    };
    const notes = `killed controller ${before.controllerId} (epoch ${epochBefore}); broker ${after.controllerId} claimed after ${claimedAfterMs} ms (epoch ${epochAfter}); created ${createdTopic}; down ${downMs} ms more`;
    return { notes, facts };
  });
}

export const campaign: Campaign = {
  name: 'cluster-controller-kill',
  description: '3 brokers RF 3 min ISR 2; SIGKILL the controller at a random moment: another claims with a higher epoch, a topic can be created, it returns and rejoins; history check',
  trial: checkedTrial(trial, (r) => [r.facts.controllerEpochAfter <= r.facts.controllerEpochBefore && 'controller epoch did not grow', r.check.attempts.fail > 0 && `${r.check.attempts.fail} failed deliveries`]),
};
