// What the handlers ask the coordinator and what it answers: protocol-neutral shapes (the handlers map each
// API version onto them), and the error answers of JoinGroup / SyncGroup.

import { EMPTY_BYTES, type JoinResult, type MemberProtocol, type SyncResult } from './member.js';

export interface JoinParams {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  /** JoinGroup v4+: a new member first gets MEMBER_ID_REQUIRED and a member id (KIP-394). */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: the static leader may rejoin without a rebalance (skipAssignment). */
  supportsSkipAssignment: boolean;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: MemberProtocol[];
  reason?: string | null;
}

export interface SyncParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Uint8Array }[];
}

export interface LeaveMember {
  memberId: string;
  groupInstanceId: string | null;
  reason?: string | null;
}

export interface LeaveResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface CommitPartition {
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  /** OffsetCommit v1 only; -1 = now. */
  commitTimestamp: number;
}

export interface CommitParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2-4; -1 = broker default. */
  retentionTimeMs: number;
  topics: { name: string; partitions: CommitPartition[] }[];
}

export type CommitResult = { name: string; partitions: { partition: number; errorCode: number }[] }[];

export interface FetchedPartition {
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}
export interface FetchOffsetsResult {
  errorCode: number;
  topics: { name: string; partitions: FetchedPartition[] }[];
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; memberMetadata: Uint8Array; memberAssignment: Uint8Array }[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

export type PartitionValidator = (topic: string, partition: number) => number;

export function errorJoin(code: number, memberId: string): JoinResult {
  return { errorCode: code, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [], skipAssignment: false };
}

export function errorSync(code: number): SyncResult {
  return { errorCode: code, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

export interface DeleteOffsetsResult {
  errorCode: number;
  topics: { name: string; partitions: { partition: number; errorCode: number }[] }[];
}

export interface DeletedGroup {
  groupId: string;
  errorCode: number;
}
