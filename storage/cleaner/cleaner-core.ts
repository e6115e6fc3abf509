// What the log cleaner needs from the WASM core: an offset map (key → the last offset holding it) and the
// filter-and-rewrite pass, both over whole batches in the core's linear memory, as the append path works.
// Bytes go in once (read from a segment straight into linear memory) and the output comes out once (written
// to the `.cleaned` segment straight from linear memory). Compressed batches are decompressed and, when they
// change, compressed again with their own codec through the `BatchCodecs` the adapter is given (codecs are a
// host concern: Node has them natively, the core does not).
//
// The rules (Kafka's LogCleaner, with KIP-534's delete horizon):
// - The map holds a 128-bit hash of each key (a collision as unlikely as with Kafka's MD5 map) and its
//   offset; a later offset of the same key replaces an earlier one. Records without a key are not mapped.
// - A record is kept when it has a key, and the map has no entry for it or maps it to an offset <= the
//   record's, and it is not an expired tombstone.
// - A tombstone (null value) in a batch without a delete horizon is kept, and the batch written with
//   horizon = nowMs + deleteRetentionMs (attribute bit 0x40 set, baseTimestamp = the horizon, each record's
//   timestampDelta rewritten so its timestamp is unchanged). In a batch with a horizon it is kept while
//   nowMs < horizon and dropped after.
// - Control batches are copied as they are.
// - A batch none of whose records is kept is dropped, unless its last offset is in `retainBatchLastOffsets`
//   (the last batch of a live idempotent producer): then its header is kept with zero records, so the
//   producer's epoch and sequence survive a reload of the log.
// - A batch all of whose records are kept, and which needs no horizon, is copied byte for byte.
// - Otherwise the batch is rebuilt: base offset, lastOffsetDelta, producer id/epoch/base sequence, leader
//   epoch, codec, timestamp type and transactional bit unchanged; kept records byte for byte (bar a
//   timestampDelta rewritten for a new horizon); recordCount and maxTimestamp (CreateTime: the max over the
//   kept records; LogAppendTime: unchanged) recomputed; a new CRC-32C.
// - A batch's CRC is checked (and a wrong one is an error) before the batch is rebuilt, emptied or handed
//   over compressed: nothing unchecked is signed anew. Copied batches keep their CRC, dropped ones are gone.
// So offsets never change: consumers see gaps.
import type { BatchInfo } from '../core-port.js';

/** Compression for batches the cleaner rewrites (codec ids are the batch attributes' low 3 bits). */
export interface BatchCodecs {
  /** The records section of a compressed batch, decompressed. Throws on corrupt input. */
  decompress(codec: number, data: Uint8Array): Uint8Array;
  /** A records section compressed with `codec` (1 gzip, 2 snappy, 3 lz4, 4 zstd). */
  compress(codec: number, data: Uint8Array): Uint8Array;
}

export interface MapPutResult {
  /** Bytes of whole batches taken from the start of the input (the rest did not fit the map, or is a partial batch). */
  bytes: number;
  /** Last offset of the last batch taken, -1 if none. */
  lastOffset: number;
  /** Whether it stopped because the next batch's records might not fit the map. */
  full: boolean;
  /** Records put (keyed records of the batches taken). */
  records: number;
}

export interface CleanParams {
  nowMs: number;
  /** delete.retention.ms of the topic. */
  deleteRetentionMs: number;
  /** Last offsets of the last batch of each live idempotent producer (kept, empty if need be). */
  retainBatchLastOffsets: ReadonlySet<number>;
}

export interface CleanStats {
  batchesRead: number;
  batchesWritten: number;
  recordsRead: number;
  recordsKept: number;
  /** Tombstones dropped because their horizon passed. */
  tombstonesDropped: number;
  /** Records dropped for having no key. */
  keylessDropped: number;
}

export interface CleanOutput {
  /** The kept batches, whole (a view of linear memory, valid until the next call on this core). */
  output: Uint8Array;
  /** The output's batches (positions relative to `output`), for the cleaned segment's indexes. */
  batches: BatchInfo[];
  /** Bytes of whole batches consumed from the start of the input (a trailing partial batch is left). */
  bytesRead: number;
  stats: CleanStats;
}

export interface CleanerCore {
  /** A writable region of linear memory of `size` bytes to read segment bytes into. Valid until the next region(). */
  region(size: number): Uint8Array;
  /** Empties the offset map and sizes it to `slots` entries (24 bytes each); keys are accepted up to mapLimit. */
  mapReset(slots: number, loadFactor: number): void;
  /** Keys in the map (distinct key hashes). */
  readonly mapSize: number;
  /** floor(slots × loadFactor): mapPut stops before a batch that could take the map past it. */
  readonly mapLimit: number;
  /** Puts the keyed records of the whole batches at the start of `input` (a view from region()) into the map. */
  mapPut(input: Uint8Array): MapPutResult;
  /** The offset the map holds for `key`, or -1. */
  mapGet(key: Uint8Array): number;
  /** The filter-and-rewrite pass over the whole batches at the start of `input` (a view from region()). */
  clean(input: Uint8Array, params: CleanParams): CleanOutput;
}
