// Kafka's LeaderEpochFileCache: for every leader epoch of a partition, the first offset written in it,
// checkpointed as `leader-epoch-checkpoint` in the partition directory. Replicas use it to answer
// OffsetForLeaderEpoch and to find where their log diverged from a new leader's (KIP-101, KIP-279).
//
// File format (Kafka's text checkpoint):   0\n<count>\n<epoch> <startOffset>\n...
// Entries strictly increase in both epoch and start offset. Every change is written atomically (temp file,
// fsync, rename, fsync of the directory): changes happen once per leader change, never per record.
import { invariant } from './errors.js';
import { writeFileAtomic, type StorageFs } from './fs.js';
import { joinPath } from './path.js';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
const VERSION = 0;
/** Bounds what a corrupt count line may make the reader expect. */
const MAX_ENTRIES = 1_000_000;

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

/** OffsetForLeaderEpoch's answer: the largest epoch <= the one asked and the offset where it ended. */
export interface EpochEndOffset {
  leaderEpoch: number;
  endOffset: number;
}

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export class CorruptEpochCheckpointError extends Error {}

export class LeaderEpochFileCache {
  private entries: EpochEntry[];
  readonly path: string;

  constructor(
    private readonly fs: StorageFs,
    dir: string,
    entries: EpochEntry[] = [],
  ) {
    this.path = joinPath(dir, LEADER_EPOCH_CHECKPOINT);
    checkMonotonic(entries);
    this.entries = entries;
  }

  /** The checkpoint's entries; a missing file reads as empty, a malformed one throws CorruptEpochCheckpointError. */
  static read(fs: StorageFs, dir: string): EpochEntry[] {
    const path = joinPath(dir, LEADER_EPOCH_CHECKPOINT);
    if (!fs.existsSync(path)) return [];
    return decodeCheckpoint(new TextDecoder().decode(fs.readFileSync(path)));
  }

  get latestEpoch(): number {
    return this.entries.length === 0 ? UNDEFINED_EPOCH : this.entries[this.entries.length - 1]!.epoch;
  }

  get latestEntry(): EpochEntry | null {
    return this.entries.at(-1) ?? null;
  }

  /** A copy of the entries, oldest first. */
  epochEntries(): EpochEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  /**
   * Records that `epoch` starts at `startOffset`. An epoch not newer than the latest is ignored, and so is a
   * newer one starting before the latest's start; a newer one at the latest's start replaces it (that epoch
   * wrote nothing). Returns whether the cache changed.
   */
  assign(epoch: number, startOffset: number): boolean {
    invariant(epoch >= 0 && startOffset >= 0, `epoch entry (${epoch}, ${startOffset})`);
    const latest = this.latestEntry;
    if (latest !== null) {
      if (epoch <= latest.epoch || startOffset < latest.startOffset) return false;
      if (startOffset === latest.startOffset) this.entries.pop();
    }
    this.entries.push({ epoch, startOffset });
    this.flush();
    return true;
  }

  /**
   * Kafka's endOffsetFor: the largest epoch <= `requested` this replica knows and the start offset of the
   * next higher epoch (the log end offset for the latest epoch). An epoch above every known one, or -1,
   * gives (-1, -1); one below the first known epoch gives (requested, first epoch's start).
   */
  endOffsetFor(requested: number, logEndOffset: number): EpochEndOffset {
    if (requested === UNDEFINED_EPOCH) return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requested === this.latestEpoch) return { leaderEpoch: requested, endOffset: logEndOffset };
    const higher = this.entries.findIndex((e) => e.epoch > requested);
    if (higher < 0) return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    const endOffset = this.entries[higher]!.startOffset;
    if (higher === 0) return { leaderEpoch: requested, endOffset };
    return { leaderEpoch: this.entries[higher - 1]!.epoch, endOffset };
  }

  /** The log was truncated to `endOffset`: entries starting at or after it go. */
  truncateFromEnd(endOffset: number): void {
    const latest = this.latestEntry;
    if (endOffset < 0 || latest === null || latest.startOffset < endOffset) return;
    this.entries = this.entries.filter((e) => e.startOffset < endOffset);
    this.flush();
  }

  /**
   * The log start moved to `startOffset`: entries wholly before it go, and the one spanning it (the last
   * starting at or before it) now starts there.
   */
  truncateFromStart(startOffset: number): void {
    let last = -1;
    for (let i = 0; i < this.entries.length && this.entries[i]!.startOffset <= startOffset; i++) last = i;
    if (last < 0 || (last === 0 && this.entries[0]!.startOffset === startOffset)) return;
    const spanning = this.entries[last]!;
    this.entries = [{ epoch: spanning.epoch, startOffset }, ...this.entries.slice(last + 1)];
    this.flush();
  }

  /** Drops every entry (the log was emptied and restarted at a new offset). */
  clear(): void {
    if (this.entries.length === 0 && !this.fs.existsSync(this.path)) return;
    this.entries = [];
    this.flush();
  }

  /** Replaces the whole content (a rebuild from the log's batches) and writes it. */
  reset(entries: EpochEntry[]): void {
    checkMonotonic(entries);
    this.entries = entries;
    this.flush();
  }

  private flush(): void {
    writeFileAtomic(this.fs, this.path, new TextEncoder().encode(encodeCheckpoint(this.entries)));
  }
}

export function encodeCheckpoint(entries: readonly EpochEntry[]): string {
  let text = `${VERSION}\n${entries.length}\n`;
  for (const e of entries) text += `${e.epoch} ${e.startOffset}\n`;
  return text;
}

export function decodeCheckpoint(text: string): EpochEntry[] {
  const bad = (why: string): never => {
    throw new CorruptEpochCheckpointError(`malformed ${LEADER_EPOCH_CHECKPOINT}: ${why}`);
  };
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length < 2) bad('missing header');
  if (lines[0]!.trim() !== String(VERSION)) bad(`unrecognised version ${JSON.stringify(lines[0])}`);
  const count = Number(lines[1]!.trim());
  if (!Number.isInteger(count) || count < 0 || count > MAX_ENTRIES) bad(`bad entry count ${JSON.stringify(lines[1])}`);
  if (lines.length - 2 !== count) bad(`expected ${count} entries, found ${lines.length - 2}`);
  const out: EpochEntry[] = [];
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i]!.trim().split(/\s+/);
    const epoch = Number(parts[0]);
    const startOffset = Number(parts[1]);
    if (parts.length !== 2 || !Number.isInteger(epoch) || epoch < 0 || !Number.isSafeInteger(startOffset) || startOffset < 0) bad(`line ${i + 1}: ${JSON.stringify(lines[i])}`);
    const prev = out.at(-1);
    if (prev !== undefined && (epoch <= prev.epoch || startOffset <= prev.startOffset)) bad(`line ${i + 1}: entries do not increase`);
    out.push({ epoch, startOffset });
  }
  return out;
}

function checkMonotonic(entries: readonly EpochEntry[]): void {
  for (let i = 1; i < entries.length; i++) {
    const a = entries[i - 1]!;
    const b = entries[i]!;
    invariant(b.epoch > a.epoch && b.startOffset > a.startOffset, `epoch entries increase (${a.epoch}@${a.startOffset} then ${b.epoch}@${b.startOffset})`);
  }
}
