// Record bytes on the data path, between the wire and storage:
// - Produce: what Kafka checks before an append that storage's one-pass append (validate, assign offsets,
//   LogAppendTime) does not do itself — the magic the request version requires, one batch per partition for
//   Produce v3+, the structure of compressed batches (decompressed and walked by the core, then dropped:
//   compressed batches are stored as they arrived), and the up-conversion of magic 0/1 message sets (old
//   clients, Produce v0–2) to one v2 batch by the core (compressed wrappers: decompressed here, converted there).
// - Fetch v0–3: down-conversion of stored v2 batches to magic 0/1 by the core (compressed batches expanded first).
//
// The host reads only the fixed fields that locate batches (length, magic, attributes); every byte of
// validation and every conversion is done by the WASM core.
import { newCore } from '../../../bindings/node.js';
import { CoreError, ErrorCode as CoreCode, kafkaErrorFor } from '../../../bindings/errors.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { Codec, CodecError, decompress } from './codecs.js';

/** A per-partition error a handler reports in its response (Kafka error code + message). */
export class PartitionError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'PartitionError';
  }
}

/** One core instance for the data path's conversions and checks (its own linear memory, not storage's). */
let dataCore: ReturnType<typeof newCore> | null = null;
function core(): ReturnType<typeof newCore> {
  return (dataCore ??= newCore());
}

/** Offset of the magic byte: the same in v2 batches and legacy messages (offset 8 + size 4 + epoch/crc 4). */
const MAGIC_AT = 16;
const V2_HEADER = 61;
const ATTRIBUTES_AT = 21;
const LEGACY_COMPRESSED_LIMIT = 64 * 1024 * 1024;

export interface BatchLocation {
  position: number;
  size: number;
  magic: number;
  /** v2 attributes (int16); for legacy messages the attributes byte. */
  attributes: number;
}

/**
 * Locates the batches (or legacy messages) in `bytes` by their length fields only. A trailing piece too short
 * to hold its declared length is reported with `partial` (Fetch reads never have one; Produce bytes with one
 * are corrupt).
 */
export function locateBatches(bytes: Uint8Array): { batches: BatchLocation[]; partial: boolean } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const batches: BatchLocation[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes.length - pos < MAGIC_AT + 1) return { batches, partial: true };
    const length = dv.getInt32(pos + 8);
    const size = length + 12;
    if (length < 0 || pos + size > bytes.length) return { batches, partial: true };
    const magic = dv.getInt8(pos + MAGIC_AT);
    let attributes = 0;
    if (magic >= 2) attributes = size >= V2_HEADER ? dv.getInt16(pos + ATTRIBUTES_AT) : 0;
    else if (size >= 22) attributes = dv.getInt8(pos + 21); // legacy: offset 8, size 4, crc 4, magic 1, attributes 1
    batches.push({ position: pos, size, magic, attributes });
    pos += size;
  }
  return { batches, partial: false };
}

function coreFailure(e: unknown, what: string): PartitionError {
  if (e instanceof CoreError) {
    const k = kafkaErrorFor(e.code);
    return new PartitionError(k === -1 ? ErrorCode.CORRUPT_MESSAGE : k, `${what}: ${e.message}`);
  }
  if (e instanceof CodecError) return new PartitionError(ErrorCode.CORRUPT_MESSAGE, `${what}: ${e.message}`);
  return e as PartitionError;
}

/**
 * Checks a Produce partition's `records` and returns the bytes to hand to `Log.append`: the same view for v2
 * batches (nothing copied), or a new v2 batch converted from a legacy message set. Throws PartitionError.
 */
export function prepareProduceRecords(records: Uint8Array | null, produceVersion: number): Uint8Array {
  if (records === null || records.length === 0) throw new PartitionError(ErrorCode.CORRUPT_MESSAGE, 'no records');
  const { batches, partial } = locateBatches(records);
  if (partial || batches.length === 0) throw new PartitionError(ErrorCode.CORRUPT_MESSAGE, 'records end inside a batch');
  const magic = batches[0]!.magic;
  if (produceVersion >= 3) {
    // Kafka's ProduceRequest.validateRecords.
    if (magic !== 2 || batches.some((b) => b.magic !== 2))
      throw new PartitionError(ErrorCode.INVALID_RECORD, `Produce v${produceVersion} requires record batches of magic 2`);
    if (batches.length !== 1)
      throw new PartitionError(ErrorCode.INVALID_RECORD, `Produce v${produceVersion} allows exactly one record batch per partition`);
  }
  if (magic === 2) {
    for (const b of batches) {
      if (b.magic !== 2) throw new PartitionError(ErrorCode.CORRUPT_MESSAGE, 'mixed record formats');
      const codec = b.attributes & 7;
      if (codec === Codec.ZSTD && produceVersion < 7)
        throw new PartitionError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'zstd needs Produce v7 or later');
      if (codec !== Codec.NONE) checkCompressedBatch(records.subarray(b.position, b.position + b.size));
    }
    return records;
  }
  if (magic === 0 || magic === 1) return legacySetToV2(records);
  throw new PartitionError(ErrorCode.CORRUPT_MESSAGE, `unknown magic ${magic}`);
}

/**
 * A compressed v2 batch: header and CRC checked by the core, records section decompressed and walked by the
 * core — the count must match the header and offset deltas must run 0, 1, 2… (Kafka's LogValidator). The
 * decompressed bytes are dropped: the batch is stored compressed, as it arrived.
 */
function checkCompressedBatch(batch: Uint8Array): void {
  const c = core();
  let info;
  try {
    info = c.validateBatch(batch, { strict: true });
  } catch (e) {
    throw coreFailure(e, 'record batch');
  }
  if (info.isControl) return; // rejected by storage's append (client appends may not carry control batches)
  let section: Uint8Array;
  try {
    section = decompress(info.compression, batch.subarray(V2_HEADER));
  } catch (e) {
    throw new PartitionError(ErrorCode.CORRUPT_MESSAGE, `cannot decompress record batch: ${(e as Error).message}`);
  }
  let records;
  try {
    records = c.decodeRecords(section, info.recordCount, info);
  } catch (e) {
    throw new PartitionError(ErrorCode.INVALID_RECORD, `compressed records: ${(e as Error).message}`);
  }
  if (records.length !== info.recordCount)
    throw new PartitionError(ErrorCode.INVALID_RECORD, `batch says ${info.recordCount} records, holds ${records.length}`);
  for (let i = 0; i < records.length; i++)
    if (records[i]!.offsetDelta !== i) throw new PartitionError(ErrorCode.INVALID_RECORD, `record ${i} has offset delta ${records[i]!.offsetDelta}`);
}

/** Magic 0/1 message set (Produce v0–2) → v2 batches, by the core. Compressed wrappers are decompressed here. */
function legacySetToV2(set: Uint8Array): Uint8Array {
  const c = core();
  let info;
  try {
    info = c.validateLegacy(set);
  } catch (e) {
    throw coreFailure(e, 'message set');
  }
  try {
    if (info.compressedCount === 0) return c.legacyToV2(set);
    if (info.compressedCount !== info.count)
      throw new PartitionError(ErrorCode.INVALID_RECORD, 'message set mixes compressed wrappers and plain messages');
    // Every message is a wrapper: its value is a compressed inner message set. Copy the values out first
    // (they alias the core's input area, which the conversions below overwrite).
    const wrappers = c.legacyMessages(set).map((m) => ({ codec: m.compression, value: m.value?.slice() ?? null }));
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const w of wrappers) {
      if (w.value === null) throw new PartitionError(ErrorCode.CORRUPT_MESSAGE, 'compressed wrapper without a value');
      const inner = decompress(w.codec, w.value);
      if (inner.length > LEGACY_COMPRESSED_LIMIT) throw new PartitionError(ErrorCode.MESSAGE_TOO_LARGE, 'decompressed message set too large');
      const innerInfo = c.validateLegacy(inner);
      if (innerInfo.compressedCount !== 0) throw new PartitionError(ErrorCode.INVALID_RECORD, 'nested compressed wrappers');
      const v2 = c.legacyToV2(inner);
      parts.push(v2);
      total += v2.length;
    }
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  } catch (e) {
    throw coreFailure(e, 'message set');
  }
}

/** Highest compression codec used by any batch in stored bytes (for Fetch < v10 and zstd). */
export function usesCodec(bytes: Uint8Array, codec: number): boolean {
  for (const b of locateBatches(bytes).batches) if (b.magic >= 2 && (b.attributes & 7) === codec) return true;
  return false;
}

/**
 * Stored v2 batches → a magic 0 (Fetch v0–1) or magic 1 (Fetch v2–3) message set, by the core. Compressed
 * batches are expanded (decompressed and re-wrapped uncompressed) first; the result is uncompressed.
 */
export function downConvert(bytes: Uint8Array, toMagic: 0 | 1): Uint8Array {
  const c = core();
  const { batches } = locateBatches(bytes);
  let input = bytes;
  if (batches.some((b) => b.magic >= 2 && (b.attributes & 7) !== 0)) {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const b of batches) {
      let part = bytes.subarray(b.position, b.position + b.size);
      if (b.magic >= 2 && (b.attributes & 7) !== 0) part = expandBatch(part);
      parts.push(part);
      total += part.length;
    }
    input = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      input.set(p, at);
      at += p.length;
    }
  }
  return c.v2ToLegacy(input, toMagic, { verifyCrc: false });
}

/** A compressed v2 batch → the same batch uncompressed (same offsets, timestamps and producer fields). */
function expandBatch(batch: Uint8Array): Uint8Array {
  const c = core();
  const info = c.validateBatch(batch, { skipCrc: true });
  const section = decompress(info.compression, batch.subarray(V2_HEADER)).slice();
  const out = c.encodeBatchRaw({
    records: section,
    recordCount: info.recordCount,
    compression: 0,
    baseOffset: info.baseOffset,
    baseTimestamp: info.baseTimestamp,
    maxTimestamp: info.maxTimestamp,
    lastOffsetDelta: info.lastOffsetDelta,
    partitionLeaderEpoch: info.partitionLeaderEpoch,
    timestampType: info.timestampType,
    transactional: info.isTransactional,
    control: info.isControl,
    producerId: info.producerId,
    producerEpoch: info.producerEpoch,
    baseSequence: info.baseSequence,
  });
  return out;
}

export { CoreCode };
