// ElectLeaders and Alter/ListPartitionReassignments in a cluster, on whichever broker receives them. Each
// partition is judged first on this broker's ClusterImage with the controller's own rules, so what cannot
// happen is answered at once with Kafka's error; the rest becomes an /admin/elect or /admin/reassign
// request for the controller, and the answer waits (bounded by the request's timeout) until the image
// shows the controller took it: the request key removed, and the new leader or adding/removing set.
import { ErrorCode } from '../../protocol/errors.js';
import { stateForElection, type BrokerSets } from '../controller/partition-state-machine.js';
import { NO_LEADER } from '../controller/types.js';
import {
  ElectionType,
  invalidTarget,
  type LeaderElections,
  type OngoingReassignment,
  type PartitionReassignments,
  type PartitionResult,
  type ReassignmentRequest,
  type TopicPartitionRef,
} from '../server/partition-admin.js';
import type { ClusterImage, PartitionStateImage } from './cluster-image.js';
import { replicasOf } from './image-metadata.js';
import { waitForImage } from './image-wait.js';
import { electRequestKey, parseMetadataKey, reassignRequestKey } from './keys.js';
import type { EtcdMetadataStore } from './metadata-store.js';

export interface ClusterPartitionAdminOptions {
  readonly store: Pick<EtcdMetadataStore, 'putAdminRequest'>;
  readonly image: ClusterImage;
}

const NO_SUCH_PARTITION = 'The partition does not exist.';
const TIMED_OUT = 'The controller did not act on the request before the timeout.';

type Outcome = { readonly errorCode: number; readonly errorMessage: string | null };
const NONE: Outcome = { errorCode: ErrorCode.NONE, errorMessage: null };

/** Live brokers, and those in controlled shutdown (a pending /admin/shutdown request), as the controller sees them. */
export function brokerSetsOf(image: ClusterImage): BrokerSets {
  const shuttingDown = new Set<number>();
  for (const key of image.adminRequests.keys()) {
    const k = parseMetadataKey(key);
    if (k?.kind === 'shutdownRequest') shuttingDown.add(k.brokerId);
  }
  return { live: new Set(image.brokers.keys()), shuttingDown };
}

/** The partition's assignment and state, or undefined when either is unknown. */
function partitionOf(image: ClusterImage, ref: TopicPartitionRef): { replicas: readonly number[]; state: PartitionStateImage } | undefined {
  const replicas = image.topics.get(ref.topic)?.partitions[ref.partition];
  const state = image.partitionState(ref.topic, ref.partition);
  return replicas && state ? { replicas, state } : undefined;
}

const electionName = (type: ElectionType) => (type === ElectionType.PREFERRED ? 'preferred' : 'unclean');

/** What the controller would do: the leader it would elect, or the error it would answer. */
function judgeElection(image: ClusterImage, type: ElectionType, ref: TopicPartitionRef): { leader: number; leaderEpoch: number } | Outcome {
  const p = partitionOf(image, ref);
  if (p === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: NO_SUCH_PARTITION };
  const r = stateForElection(electionName(type), p.replicas, p.state, brokerSetsOf(image), p.state.controllerEpoch);
  if ('error' in r) return { errorCode: r.error, errorMessage: electionMessage(r.error, p.replicas) };
  return { leader: r.leader, leaderEpoch: p.state.leaderEpoch };
}

function electionMessage(code: number, replicas: readonly number[]): string | null {
  if (code === ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE) return `Failed to elect leader for partition: preferred replica ${replicas[0]} is not alive or not in the ISR`;
  if (code === ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE) return 'No live replica of the partition can lead.';
  return null;
}

interface PendingElection {
  readonly ref: TopicPartitionRef;
  readonly key: string;
  readonly revision: number;
  readonly leaderEpoch: number;
}

/** Settled: the leader epoch moved past the one judged, or the controller removed the request. */
function electionSettled(image: ClusterImage, p: PendingElection): boolean {
  const s = image.partitionState(p.ref.topic, p.ref.partition);
  if (s === undefined || s.leaderEpoch > p.leaderEpoch) return true;
  return image.revision >= p.revision && !image.adminRequests.has(p.key);
}

function electionResult(image: ClusterImage, type: ElectionType, p: PendingElection): Outcome {
  const s = image.partitionState(p.ref.topic, p.ref.partition);
  if (s === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: NO_SUCH_PARTITION };
  if (!electionSettled(image, p)) return { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: TIMED_OUT };
  const fits = type === ElectionType.PREFERRED ? s.leader === image.topics.get(p.ref.topic)?.partitions[p.ref.partition]?.[0] : s.leader !== NO_LEADER;
  if (fits && s.leaderEpoch > p.leaderEpoch) return NONE;
  const again = judgeElection(image, type, p.ref);
  return 'errorCode' in again ? again : { errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, errorMessage: 'The controller elected no leader.' };
}

export function clusterElections(o: ClusterPartitionAdminOptions): LeaderElections {
  const { image, store } = o;
  const everyPartition = (): TopicPartitionRef[] => [...image.topics.values()].flatMap((t) => t.partitions.map((_r, partition) => ({ topic: t.name, partition })));
  return {
    async elect(type, partitions, timeoutMs) {
      const refs = partitions ?? everyPartition();
      const results = new Map<number, Outcome>();
      const pending: { index: number; p: PendingElection }[] = [];
      for (let i = 0; i < refs.length; i++) {
        const ref = refs[i]!;
        const j = judgeElection(image, type, ref);
        if ('errorCode' in j) results.set(i, j);
        else {
          const revision = await store.putAdminRequest({ kind: 'elect', topic: ref.topic, partition: ref.partition, type: electionName(type) });
          pending.push({ index: i, p: { ref, key: electRequestKey(ref.topic, ref.partition), revision, leaderEpoch: j.leaderEpoch } });
        }
      }
      await waitForImage(image, (img) => pending.every((x) => electionSettled(img, x.p)), timeoutMs);
      for (const x of pending) results.set(x.index, electionResult(image, type, x.p));
      const out = refs.map((ref, i): PartitionResult => ({ ...ref, ...results.get(i)! }));
      return partitions === null ? out.filter((r) => r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED) : out;
    },
  };
}

/** Why the request cannot go to the controller, or null when it can. */
function judgeReassignment(image: ClusterImage, r: ReassignmentRequest): Outcome | null {
  const t = image.topics.get(r.topic);
  if (t === undefined || r.partition < 0 || r.partition >= t.partitions.length) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: NO_SUCH_PARTITION };
  if (r.target === null) {
    if (t.adding.has(r.partition) || t.removing.has(r.partition)) return null;
    return { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: 'No partition reassignment is in progress.' };
  }
  const invalid = invalidTarget(r.target, new Set(image.brokers.keys()));
  return invalid === null ? null : { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: invalid };
}

/** The replicas the partition ends with once its reassignment (if any) completes. */
function targetOf(image: ClusterImage, topic: string, partition: number): number[] | undefined {
  const t = image.topics.get(topic);
  const replicas = t?.partitions[partition];
  if (t === undefined || replicas === undefined) return undefined;
  const removing = t.removing.get(partition) ?? [];
  return replicas.filter((id) => !removing.includes(id));
}

function reassignmentResult(image: ClusterImage, r: ReassignmentRequest, key: string, revision: number): Outcome {
  if (image.revision < revision || image.adminRequests.has(key)) return { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: TIMED_OUT };
  if (r.target === null) return NONE;
  const target = targetOf(image, r.topic, r.partition);
  if (target === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: NO_SUCH_PARTITION };
  if (target.join(',') === r.target.join(',')) return NONE;
  return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `The controller refused the target ${r.target.join(',')} (it would leave no in-sync replica).` };
}

export function clusterReassignments(o: ClusterPartitionAdminOptions): PartitionReassignments {
  const { image, store } = o;
  return {
    async alter(requests, timeoutMs) {
      const results: (Outcome | { key: string; revision: number })[] = [];
      for (const r of requests) {
        const refused = judgeReassignment(image, r);
        if (refused !== null) results.push(refused);
        else results.push({ key: reassignRequestKey(r.topic, r.partition), revision: await store.putAdminRequest({ kind: 'reassign', topic: r.topic, partition: r.partition, target: r.target }) });
      }
      const taken = (img: ClusterImage) => results.every((x) => 'errorCode' in x || (img.revision >= x.revision && !img.adminRequests.has(x.key)));
      await waitForImage(image, taken, timeoutMs);
      return requests.map((r, i) => {
        const x = results[i]!;
        return { topic: r.topic, partition: r.partition, ...('errorCode' in x ? x : reassignmentResult(image, r, x.key, x.revision)) };
      });
    },
    async list(partitions) {
      const wanted = partitions === null ? null : new Set(partitions.map((p) => `${p.topic}\u0000${p.partition}`));
      const out: OngoingReassignment[] = [];
      for (const t of image.topics.values()) {
        for (let p = 0; p < t.partitions.length; p++) {
          const adding = t.adding.get(p) ?? [];
          const removing = t.removing.get(p) ?? [];
          if (adding.length === 0 && removing.length === 0) continue;
          if (wanted !== null && !wanted.has(`${t.name}\u0000${p}`)) continue;
          out.push({ topic: t.name, partition: p, replicas: replicasOf(t, p), adding: [...adding], removing: [...removing] });
        }
      }
      return out;
    },
  };
}
