// Producer state snapshots: `<20-digit offset>.snapshot` files in the partition directory, named as Kafka
// names them. A snapshot at offset X holds the producer state of every batch below X, so loading a partition
// reads the newest snapshot and replays only the log from X (not the whole log).
//
// Written at every segment roll (X = the new segment's base offset), at the end of a load that replayed
// anything, and on clean close (X = the log end offset). Deleted with their segments (retention,
// DeleteRecords), and at load when past the recovered log end (truncation) or stray (neither a segment base
// nor the newest). A snapshot that does not read back (bad CRC, short, unknown version) is deleted and the
// next older one is tried; with none left the state is rebuilt from the log start. Snapshots are a cache:
// losing one only costs a longer replay.
//
// The format is Rivulet's own, not Kafka's: Kafka's (version 1) keeps only the last batch of each producer,
// and this one keeps the last 5, so duplicates of any of them are still recognised after a restart.
// Big-endian, as Kafka's files:
//   int16   version            101 (Kafka's readers know version 1 only: they reject this file as an
//                              unknown version and rebuild from the log, and we do the same with theirs)
//   uint32  crc                CRC-32C of every byte after this field
//   int64   offset             the offset in the file name (a renamed or misplaced file is rejected)
//   int32   producer count
//   per producer:
//     int64 producer id
//     int16 epoch
//     int64 last write (broker wall clock, ms; producer.id.expiration.ms counts from it)
//     int8  batch count        0..5, oldest first
//     per batch: int32 first sequence, int32 last sequence, int64 first offset, int32 last offset delta,
//                int64 max timestamp
import type { StorageFs } from './fs.js';
import { writeFully } from './fs.js';
import { BATCHES_TO_RETAIN, ProducerStateManager, replayProducerState, type ProducerEntry, type ProducerStateLog, type ReplayStats } from './producer-state.js';
import { joinPath } from './path.js';

const SNAPSHOT_SUFFIX = '.snapshot';
export const SNAPSHOT_VERSION = 101;
const HEADER_BYTES = 2 + 4 + 8 + 4;
const PRODUCER_BYTES = 8 + 2 + 8 + 1;
const BATCH_BYTES = 4 + 4 + 8 + 4 + 8;
/** Bounds what a (corrupt) count field may make us allocate. */
const MAX_SNAPSHOT_BYTES = 1 << 30;

export class CorruptSnapshotError extends Error {}

export function snapshotFileName(offset: number): string {
  return String(offset).padStart(20, '0') + SNAPSHOT_SUFFIX;
}

function parseSnapshotFileName(name: string): number | null {
  if (!name.endsWith(SNAPSHOT_SUFFIX)) return null;
  const digits = name.slice(0, -SNAPSHOT_SUFFIX.length);
  if (!/^\d{20}$/.test(digits)) return null;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : null;
}

// CRC-32C (Castagnoli, reflected 0x82F63B78), the checksum Kafka uses in batches and snapshots. Snapshot files
// are small and rare, so a table loop on the host is enough.
const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC32C_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function encodeSnapshot(offset: number, entries: Iterable<ProducerEntry>): Uint8Array {
  const list = [...entries];
  let size = HEADER_BYTES;
  for (const e of list) size += PRODUCER_BYTES + Math.min(e.batches.length, BATCHES_TO_RETAIN) * BATCH_BYTES;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setInt16(0, SNAPSHOT_VERSION);
  v.setBigInt64(6, BigInt(offset));
  v.setInt32(14, list.length);
  let p = HEADER_BYTES;
  for (const e of list) {
    const batches = e.batches.slice(-BATCHES_TO_RETAIN);
    v.setBigInt64(p, e.producerId);
    v.setInt16(p + 8, e.epoch);
    v.setBigInt64(p + 10, BigInt(Math.trunc(e.lastWriteMs)));
    v.setInt8(p + 18, batches.length);
    p += PRODUCER_BYTES;
    for (const b of batches) {
      v.setInt32(p, b.firstSeq);
      v.setInt32(p + 4, b.lastSeq);
      v.setBigInt64(p + 8, BigInt(b.firstOffset));
      v.setInt32(p + 16, b.lastOffset - b.firstOffset);
      v.setBigInt64(p + 20, BigInt(b.maxTimestamp));
      p += BATCH_BYTES;
    }
  }
  v.setUint32(2, crc32c(out.subarray(6)));
  return out;
}

/** The entries of a snapshot file's bytes; throws CorruptSnapshotError for anything that does not check out. */
export function decodeSnapshot(bytes: Uint8Array, expectedOffset: number): ProducerEntry[] {
  if (bytes.length < HEADER_BYTES) throw new CorruptSnapshotError(`snapshot too short (${bytes.length} bytes)`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = v.getInt16(0);
  if (version !== SNAPSHOT_VERSION) throw new CorruptSnapshotError(`unknown snapshot version ${version}`);
  const stored = v.getUint32(2);
  const actual = crc32c(bytes.subarray(6));
  if (stored !== actual) throw new CorruptSnapshotError(`snapshot CRC mismatch (stored ${stored}, computed ${actual})`);
  const offset = Number(v.getBigInt64(6));
  if (offset !== expectedOffset) throw new CorruptSnapshotError(`snapshot holds offset ${offset}, its name says ${expectedOffset}`);
  const count = v.getInt32(14);
  if (count < 0 || count * PRODUCER_BYTES > bytes.length - HEADER_BYTES) throw new CorruptSnapshotError(`bad producer count ${count}`);
  const out: ProducerEntry[] = [];
  let p = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (p + PRODUCER_BYTES > bytes.length) throw new CorruptSnapshotError('snapshot ends inside a producer entry');
    const producerId = v.getBigInt64(p);
    const epoch = v.getInt16(p + 8);
    const lastWriteMs = Number(v.getBigInt64(p + 10));
    const n = v.getInt8(p + 18);
    p += PRODUCER_BYTES;
    if (producerId < 0n || n < 0 || n > BATCHES_TO_RETAIN || p + n * BATCH_BYTES > bytes.length)
      throw new CorruptSnapshotError(`bad producer entry ${i} (id ${producerId}, ${n} batches)`);
    const batches = [];
    for (let k = 0; k < n; k++) {
      const firstOffset = Number(v.getBigInt64(p + 8));
      batches.push({ firstSeq: v.getInt32(p), lastSeq: v.getInt32(p + 4), firstOffset, lastOffset: firstOffset + v.getInt32(p + 16), maxTimestamp: Number(v.getBigInt64(p + 20)) });
      p += BATCH_BYTES;
    }
    out.push({ producerId, epoch, lastWriteMs, batches });
  }
  if (p !== bytes.length) throw new CorruptSnapshotError(`${bytes.length - p} trailing bytes after the last producer`);
  return out;
}

/** Offsets of the snapshot files in a partition directory, ascending. */
export function listSnapshots(fs: StorageFs, dir: string): number[] {
  const out: number[] = [];
  for (const n of fs.readdirSync(dir)) {
    const o = parseSnapshotFileName(n);
    if (o !== null) out.push(o);
  }
  return out.sort((a, b) => a - b);
}

/**
 * Writes `<dir>/<offset>.snapshot` through a temp file and a rename, so a reader never sees a half-written
 * file under the final name. `sync`: fsync before the rename (clean close); a roll's snapshot is not synced
 * (a torn one fails its CRC after a power cut and an older one is used).
 */
export function writeSnapshot(fs: StorageFs, dir: string, offset: number, state: ProducerStateManager, sync: boolean): void {
  const bytes = encodeSnapshot(offset, state.entries());
  invariantSize(bytes.length);
  const path = joinPath(dir, snapshotFileName(offset));
  const tmp = path + '.tmp';
  const fd = fs.openSync(tmp, 'w');
  try {
    writeFully(fs, fd, bytes, 0);
    if (sync) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
}

function invariantSize(n: number): void {
  if (n > MAX_SNAPSHOT_BYTES) throw new Error(`producer snapshot of ${n} bytes`);
}

export function deleteSnapshot(fs: StorageFs, dir: string, offset: number): void {
  try {
    fs.unlinkSync(joinPath(dir, snapshotFileName(offset)));
  } catch {
    /* already gone; a leftover is removed at the next load */
  }
}

export interface ProducerStateLoad {
  state: ProducerStateManager;
  /** Offset of the snapshot loaded, or -1 when the state was rebuilt from the log start. */
  snapshotOffset: number;
  /** Snapshots that failed to read back (deleted). */
  corruptSnapshots: { offset: number; error: string }[];
  replay: ReplayStats;
}

export interface ProducerStateLoadParams {
  fs: StorageFs;
  dir: string;
  log: ProducerStateLog;
  /** Base offsets of the log's segments, ascending. */
  segmentBases: readonly number[];
  now: () => number;
  expirationMs: number;
}

/**
 * Loads a partition's producer state (Kafka's LogLoader + ProducerStateManager.truncateAndReload): snapshots
 * past the log end or below the first segment are deleted, stray ones too; the newest one that reads back is
 * loaded (expired producers left out) and the log is replayed from its offset to the log end.
 */
export function loadProducerState(p: ProducerStateLoadParams): ProducerStateLoad {
  const { fs, dir, log } = p;
  const end = log.logEndOffset;
  const first = p.segmentBases[0] ?? 0;
  const bases = new Set(p.segmentBases);
  let offsets = listSnapshots(fs, dir);
  const newest = offsets.filter((o) => o <= end && o >= first).pop();
  for (const o of offsets)
    if (o > end || o < first || (o !== newest && !bases.has(o))) deleteSnapshot(fs, dir, o);
  offsets = offsets.filter((o) => o <= end && o >= first && (o === newest || bases.has(o)));

  const nowMs = p.now();
  const state = new ProducerStateManager(p.now);
  const corrupt: ProducerStateLoad['corruptSnapshots'] = [];
  let snapshotOffset = -1;
  for (let i = offsets.length - 1; i >= 0 && snapshotOffset < 0; i--) {
    const o = offsets[i]!;
    try {
      const entries = decodeSnapshot(fs.readFileSync(joinPath(dir, snapshotFileName(o))), o);
      for (const e of entries) if (nowMs - e.lastWriteMs < p.expirationMs) state.load(e);
      snapshotOffset = o;
    } catch (e) {
      corrupt.push({ offset: o, error: (e as Error).message });
      state.clear();
      deleteSnapshot(fs, dir, o);
    }
  }
  const replay = replayProducerState(state, log, snapshotOffset >= 0 ? snapshotOffset : log.logStartOffset, nowMs);
  return { state, snapshotOffset, corruptSnapshots: corrupt, replay };
}
