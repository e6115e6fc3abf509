// The controller's I/O: one consistent read of the cluster metadata and conditional writes. Shaped for
// etcd: a commit is ONE transaction whose compares are `mod_revision(/controller_epoch) == fence` plus
// `mod_revision(key) == expectedRevision` for every write (0: the key must be absent), and whose success
// branch does the puts and deletes. Keys and JSON are the cluster design's (/brokers/topics/<t>,
// /brokers/topics/<t>/partitions/<p>/state, /config/topics/<t>, /admin/...).
import type { ControllerImage, LeaderAndIsr, TopicRecord } from './types.js';

export type MetadataWrite =
  | { readonly kind: 'putPartitionState'; readonly topic: string; readonly partition: number; readonly state: LeaderAndIsr; readonly expectedRevision: number }
  | { readonly kind: 'deletePartitionState'; readonly topic: string; readonly partition: number; readonly expectedRevision: number }
  | { readonly kind: 'putTopic'; readonly topic: TopicRecord; readonly expectedRevision: number }
  | { readonly kind: 'deleteTopic'; readonly topic: string; readonly expectedRevision: number }
  | { readonly kind: 'deleteTopicConfig'; readonly topic: string; readonly expectedRevision: number }
  | { readonly kind: 'deleteDeletionRequest'; readonly topic: string; readonly expectedRevision: number }
  | { readonly kind: 'deleteReassignmentRequest'; readonly topic: string; readonly partition: number; readonly expectedRevision: number }
  | { readonly kind: 'deleteElectionRequest'; readonly topic: string; readonly partition: number; readonly expectedRevision: number }
  | { readonly kind: 'deleteShutdownRequest'; readonly brokerId: number; readonly expectedRevision: number };

/**
 * ok: every write applied at `revision` (each written key's new mod revision). fenced: the fence compare
 * failed (another controller claimed). conflict: a key moved since it was read; nothing was written.
 * An etcd implementation tells the two failures apart by reading /controller_epoch after a failed txn.
 */
export type CommitResult = { readonly status: 'ok'; readonly revision: number } | { readonly status: 'fenced' } | { readonly status: 'conflict' };

export interface ControllerPort {
  /** The whole metadata at one revision, at least as new as every commit this controller made. */
  load(): Promise<ControllerImage>;
  /** All writes in one conditional transaction fenced by `fence`, or none of them. */
  commit(fence: number, writes: readonly MetadataWrite[]): Promise<CommitResult>;
}
