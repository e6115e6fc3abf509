// What the controller writes for each kind of work, computed from its context: groups of writes, each
// group one atomic transaction (a group never writes a key another group of the same batch writes, so
// the groups of a batch can be committed one after the other with the revisions read up front).
import { ErrorCode } from '../../protocol/errors.js';
import type { ControllerContext } from './controller-context.js';
import type { MetadataWrite } from './controller-port.js';
import { cancelReassignment, completeReassignment, isReassigning, reassignTo, stateWithoutReplicas, validateReassignmentTarget } from './reassignment.js';
import { initialLeaderAndIsr, stateAfterBrokerChange, stateForControlledShutdown, stateForElection } from './partition-state-machine.js';
import { AssignmentError } from './assignment-error.js';
import { NO_LEADER, partitionKey, type LeaderAndIsr, type PartitionAssignment, type TopicRecord } from './types.js';

export type WriteGroup = readonly MetadataWrite[];

export interface DecisionConfig {
  readonly uncleanLeaderElectionEnable: boolean;
  readonly leaderImbalancePerBrokerPercentage: number;
}

function putState(ctx: ControllerContext, topic: string, partition: number, state: LeaderAndIsr): MetadataWrite {
  const expectedRevision = ctx.partitions.get(partitionKey(topic, partition))?.partitionEpoch ?? 0;
  return { kind: 'putPartitionState', topic, partition, state, expectedRevision };
}

function putTopic(ctx: ControllerContext, topic: TopicRecord): MetadataWrite {
  return { kind: 'putTopic', topic, expectedRevision: ctx.topics.get(topic.name)?.modRevision ?? 0 };
}

function withPartitions(t: TopicRecord, changed: ReadonlyMap<number, PartitionAssignment>): TopicRecord {
  return { ...t, partitions: t.partitions.map((a, p) => changed.get(p) ?? a) };
}

/**
 * Every partition of `topics` (all when absent) brought in line with the live brokers: new ones
 * initialized, leaders lost re-elected, dead brokers out of the ISR, finished reassignments completed.
 * Topics being deleted are left alone.
 */
export function partitionChanges(ctx: ControllerContext, cfg: DecisionConfig, topics?: Iterable<string>): WriteGroup[] {
  const groups: WriteGroup[] = [];
  const brokers = ctx.brokerSets();
  for (const name of topics ?? [...ctx.topics.keys()]) {
    const t = ctx.topics.get(name)?.value;
    if (t === undefined || ctx.deletions.has(name)) continue;
    const unclean = ctx.uncleanAllowed(name, cfg.uncleanLeaderElectionEnable);
    const completed = new Map<number, PartitionAssignment>();
    const completionWrites: MetadataWrite[] = [];
    t.partitions.forEach((a, p) => {
      const old = ctx.partitions.get(partitionKey(name, p));
      let next = old === undefined ? initialLeaderAndIsr(a.replicas, brokers.live, ctx.controllerEpoch) : stateAfterBrokerChange(a.replicas, old, brokers, unclean, ctx.controllerEpoch);
      const current = next ?? old;
      if (current !== undefined && isReassigning(a)) {
        const done = completeReassignment(a, current, brokers.live, ctx.controllerEpoch);
        if (!('error' in done)) {
          completed.set(p, done.assignment);
          next = done.state;
          completionWrites.push(putState(ctx, name, p, next));
          return;
        }
      }
      if (next !== null) groups.push([putState(ctx, name, p, next)]);
    });
    if (completed.size > 0) groups.push([putTopic(ctx, withPartitions(t, completed)), ...completionWrites]);
  }
  return groups;
}

/** Delete a topic: its partition states one by one, then the topic, its config and the request together. */
export function deletionWrites(ctx: ControllerContext, topic: string): WriteGroup[] {
  const request = ctx.deletions.get(topic);
  if (request === undefined) return [];
  const t = ctx.topics.get(topic);
  const groups: WriteGroup[] = [];
  t?.value.partitions.forEach((_a, p) => {
    const s = ctx.partitions.get(partitionKey(topic, p));
    if (s !== undefined) groups.push([{ kind: 'deletePartitionState', topic, partition: p, expectedRevision: s.partitionEpoch }]);
  });
  const last: MetadataWrite[] = [{ kind: 'deleteDeletionRequest', topic, expectedRevision: request.modRevision }];
  if (t !== undefined) last.push({ kind: 'deleteTopic', topic, expectedRevision: t.modRevision });
  const config = ctx.topicConfigs.get(topic);
  if (config !== undefined) last.push({ kind: 'deleteTopicConfig', topic, expectedRevision: config.modRevision });
  groups.push(last);
  return groups;
}

/**
 * A reassignment request: start (or cancel) it in the topic's assignment and clear the request, in one
 * transaction. A request that cannot run (unknown partition, bad target, cancel of nothing) is cleared.
 */
export function reassignmentRequestWrites(ctx: ControllerContext, key: string): { groups: WriteGroup[]; error: AssignmentError | null } {
  const req = ctx.reassignments.get(key);
  if (req === undefined) return { groups: [], error: null };
  const { topic, partition, target } = req.value;
  const clear: MetadataWrite = { kind: 'deleteReassignmentRequest', topic, partition, expectedRevision: req.modRevision };
  const t = ctx.topics.get(topic)?.value;
  const a = t?.partitions[partition];
  if (t === undefined || a === undefined || ctx.deletions.has(topic)) return { groups: [[clear]], error: null };
  try {
    if (target !== null) validateReassignmentTarget(target, new Set(ctx.brokers.keys()));
    const next = target === null ? cancelReassignment(a) : reassignTo(a, target);
    const writes = [putTopic(ctx, withPartitions(t, new Map([[partition, next]]))), clear];
    const s = ctx.partitions.get(key);
    const dropped = a.replicas.filter((id) => !next.replicas.includes(id));
    const state = s === undefined ? null : stateWithoutReplicas(s, dropped, next.replicas, new Set(ctx.brokers.keys()), ctx.controllerEpoch);
    if (state !== null) writes.push(putState(ctx, topic, partition, state));
    return { groups: [writes], error: null };
  } catch (e) {
    if (!(e instanceof AssignmentError)) throw e;
    return { groups: [[clear]], error: e };
  }
}

/** An ElectLeaders request: the new state (when one is elected) and the cleared request, together. */
export function electionRequestWrites(ctx: ControllerContext, key: string): { groups: WriteGroup[]; error: number | null } {
  const req = ctx.elections.get(key);
  if (req === undefined) return { groups: [], error: null };
  const { topic, partition, type } = req.value;
  const clear: MetadataWrite = { kind: 'deleteElectionRequest', topic, partition, expectedRevision: req.modRevision };
  const a = ctx.topics.get(topic)?.value.partitions[partition];
  const s = ctx.partitions.get(key);
  if (a === undefined || s === undefined || ctx.deletions.has(topic)) return { groups: [[clear]], error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  const r = stateForElection(type, a.replicas, s, ctx.brokerSets(), ctx.controllerEpoch);
  if ('error' in r) return { groups: [[clear]], error: r.error };
  return { groups: [[putState(ctx, topic, partition, r), clear]], error: null };
}

/** Controlled shutdown of `broker`: leadership moved off it, it leaves every ISR; then the request cleared. */
export function shutdownWrites(ctx: ControllerContext, broker: number): { groups: WriteGroup[]; remaining: number } {
  const groups: WriteGroup[] = [];
  const brokers = ctx.brokerSets();
  let remaining = 0;
  for (const [name, { value: t }] of ctx.topics) {
    if (ctx.deletions.has(name)) continue;
    t.partitions.forEach((a, p) => {
      const s = ctx.partitions.get(partitionKey(name, p));
      if (s === undefined || !a.replicas.includes(broker)) return;
      const next = stateForControlledShutdown(a.replicas, s, broker, brokers, ctx.controllerEpoch);
      if (next !== null) groups.push([putState(ctx, name, p, next)]);
      else if (s.leader === broker) remaining++;
    });
  }
  const req = ctx.shutdowns.get(broker);
  if (req !== undefined) groups.push([{ kind: 'deleteShutdownRequest', brokerId: broker, expectedRevision: req.modRevision }]);
  return { groups, remaining };
}

/**
 * Kafka's auto leader rebalance: for every live broker that is the preferred (first) replica of some
 * partitions, when more than `leader.imbalance.per.broker.percentage` of them are led by others, a
 * preferred election for those it can lead (live, in the ISR, no reassignment running).
 */
export function imbalanceWrites(ctx: ControllerContext, cfg: DecisionConfig): WriteGroup[] {
  const byPreferred = new Map<number, { topic: string; p: number; a: PartitionAssignment; s: LeaderAndIsr }[]>();
  for (const [name, { value: t }] of ctx.topics) {
    if (ctx.deletions.has(name)) continue;
    t.partitions.forEach((a, p) => {
      const s = ctx.partitions.get(partitionKey(name, p));
      const head = a.replicas[0];
      if (s === undefined || head === undefined) return;
      const list = byPreferred.get(head) ?? [];
      list.push({ topic: name, p, a, s });
      byPreferred.set(head, list);
    });
  }
  const brokers = ctx.brokerSets();
  const groups: WriteGroup[] = [];
  for (const [preferred, parts] of byPreferred) {
    if (!brokers.live.has(preferred) || brokers.shuttingDown.has(preferred)) continue;
    const notLed = parts.filter((x) => x.s.leader !== preferred);
    if (notLed.length / parts.length <= cfg.leaderImbalancePerBrokerPercentage / 100) continue;
    for (const x of notLed) {
      if (isReassigning(x.a) || x.s.leader === NO_LEADER) continue;
      const r = stateForElection('preferred', x.a.replicas, x.s, brokers, ctx.controllerEpoch);
      if (!('error' in r)) groups.push([putState(ctx, x.topic, x.p, r)]);
    }
  }
  return groups;
}

/** Partition states whose topic no longer exists (a topic key removed by hand, a deletion cut short). */
export function orphanStateWrites(ctx: ControllerContext): WriteGroup[] {
  const groups: WriteGroup[] = [];
  for (const [key, s] of ctx.partitions) {
    const cut = key.lastIndexOf('/');
    const topic = key.slice(0, cut);
    if (!ctx.topics.has(topic)) groups.push([{ kind: 'deletePartitionState', topic, partition: Number(key.slice(cut + 1)), expectedRevision: s.partitionEpoch }]);
  }
  return groups;
}
