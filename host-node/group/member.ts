// One member of a classic group: what it joined with, and the join/sync responses it is waiting for.

export interface MemberProtocol {
  name: string;
  metadata: Uint8Array;
}

export interface JoinMemberInfo {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Uint8Array;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: JoinMemberInfo[];
  skipAssignment: boolean;
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Uint8Array;
}

export const EMPTY_BYTES = new Uint8Array(0);

export class GroupMember {
  assignment: Uint8Array = EMPTY_BYTES;
  awaitingJoin: ((r: JoinResult) => void) | null = null;
  awaitingSync: ((r: SyncResult) => void) | null = null;
  /** Joined during the current rebalance and never completed one (KIP-394 new member join timeout). */
  isNew = false;
  /** When the member last heartbeated / joined / synced (clock ms). */
  lastSeen = 0;
  /** When it first asked to join (for the new-member join timeout). */
  joinedAt = 0;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    public protocolType: string,
    public protocols: MemberProtocol[],
  ) {}

  /** Answers the JoinGroup request the member waits on, if any (each is answered exactly once). */
  completeJoin(r: JoinResult): void {
    const cb = this.awaitingJoin;
    if (!cb) return;
    this.awaitingJoin = null;
    cb(r);
  }

  /** Answers the SyncGroup request the member waits on, if any (each is answered exactly once). */
  completeSync(r: SyncResult): void {
    const cb = this.awaitingSync;
    if (!cb) return;
    this.awaitingSync = null;
    cb(r);
  }

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  metadataFor(protocol: string): Uint8Array {
    const p = this.protocols.find((x) => x.name === protocol);
    return p ? p.metadata : EMPTY_BYTES;
  }

  /** Same protocols, in the same order, with the same metadata bytes. */
  matches(protocols: readonly MemberProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    for (let i = 0; i < protocols.length; i++) {
      const a = protocols[i]!;
      const b = this.protocols[i]!;
      if (a.name !== b.name || !bytesEqual(a.metadata, b.metadata)) return false;
    }
    return true;
  }

  /** Its most preferred protocol among the candidates. */
  vote(candidates: ReadonlySet<string>): string | undefined {
    return this.protocols.find((p) => candidates.has(p.name))?.name;
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
