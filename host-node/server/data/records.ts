// Record bytes on the data path, between the wire and storage:
// - Produce: what Kafka checks before an append that storage's one-pass append (validate, assign offsets,
//   LogAppendTime) does not do itself — the magic the request version requires, one batch per partition for
//   Produce v3+, the structure of compressed batches (decompressed and walked by the core, then dropped:
//   compressed batches are stored as they arrived), and the up-conversion of magic 0/1 message sets (old
//   clients, Produce v0–2) to one v2 batch by the core (compressed wrappers: decompressed here, converted there).
//   Then what the topic's configs ask (produce-rules.ts; nothing for most topics): a batch whose codec is not
//   the topic's compression.type is recompressed (records section decompressed, compressed in the target
//   codec, header rebuilt by the core with the same producer fields, timestamps, count and a new CRC), and in a
//   compacted topic a compressed batch with a keyless record is refused (uncompressed batches: the append).
// - Fetch v0–3: down-conversion of stored v2 batches to magic 0/1 by the core (compressed batches expanded first).
//
// The host reads only the fixed fields that locate batches (length, magic, attributes); every byte of
// validation and every conversion is done by the WASM core — the broker's one instance, shared with storage.
//
// Sharing the instance is safe because:
// - every conversion's input and output live in the core's own scratch areas (outputs are copied out), apart
//   from storage's staging region, the frame arena's regions and the index slots; and storage holds no staged
//   bytes between calls (Log.append stages, assigns and writes in one synchronous call);
// - Produce bytes reassembled in linear memory (storage/linear-frame-arena.ts) are checked where they lie, and
//   a check that grows memory (scratch for a decompressed section) detaches views of it: RecordFormats takes a
//   fresh view from the bytes' address after each such call instead of keeping the old one.
import type { RivuletCore } from '../../../bindings/core.js';
import { CoreError, kafkaErrorFor } from '../../../bindings/errors.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { BatchInfo } from '../../../bindings/batch-info.js';
import { Codec, CodecError, compress, decompress } from '../../codecs/codecs.js';
import type { ProduceRules } from './produce-rules.js';

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

/** Offset of the magic byte: the same in v2 batches and legacy messages (offset 8 + size 4 + epoch/crc 4). */
const MAGIC_AT = 16;
const V2_HEADER = 61;
const ATTRIBUTES_AT = 21;
/** v2 attributes: the control-batch bit. */
const ATTR_CONTROL = 0x20;
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

/** Highest compression codec used by any batch in stored bytes (for Fetch < v10 and zstd). */
export function usesCodec(bytes: Uint8Array, codec: number): boolean {
  for (const b of locateBatches(bytes).batches) if (b.magic >= 2 && (b.attributes & 7) === codec) return true;
  return false;
}


/** Produce checks and conversions and Fetch down-conversion, in the broker's WASM core. */
export class RecordFormats {
  constructor(private readonly core: RivuletCore) {}

  /**
   * Checks a Produce partition's `records` and returns the bytes to hand to `Log.append`: the same bytes for
   * v2 batches (nothing copied; a fresh view if they lie in linear memory and it grew), or a new v2 batch
   * converted from a legacy message set. With `rules` (the topic's, produce-rules.ts), batches are also
   * recompressed into the topic's codec and keyless records of compacted topics refused; `partition` names
   * the partition in that refusal. Throws PartitionError.
   */
  prepareProduce(records: Uint8Array | null, produceVersion: number, rules: ProduceRules | null = null, partition = -1): Uint8Array {
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
    if (magic === 0 || magic === 1) {
      const v2 = this.legacySetToV2(records);
      return rules === null || rules.targetCodec < 0 ? v2 : this.recompress(v2, locateBatches(v2).batches, rules, partition, null);
    }
    if (magic !== 2) throw new PartitionError(ErrorCode.CORRUPT_MESSAGE, `unknown magic ${magic}`);
    const bytes = this.linearView(records);
    // Decompressed sections of the batches checked below, by batch index, when they are about to be recompressed.
    let sections: (Uint8Array | undefined)[] | null = null;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i]!;
      if (b.magic !== 2) throw new PartitionError(ErrorCode.CORRUPT_MESSAGE, 'mixed record formats');
      const codec = b.attributes & 7;
      if (codec === Codec.ZSTD && produceVersion < 7)
        throw new PartitionError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'zstd needs Produce v7 or later');
      if (codec === Codec.NONE) continue;
      const checked = this.checkCompressedBatch(bytes().subarray(b.position, b.position + b.size), rules, partition);
      if (rules !== null && rules.targetCodec >= 0 && rules.targetCodec !== codec) (sections ??= [])[i] = checked;
    }
    if (rules === null || rules.targetCodec < 0) return bytes();
    return this.recompress(bytes(), batches, rules, partition, sections);
  }

  /**
   * Stored v2 batches → a magic 0 (Fetch v0–1) or magic 1 (Fetch v2–3) message set, by the core. Compressed
   * batches are expanded (decompressed and re-wrapped uncompressed) first; the result is uncompressed.
   */
  downConvert(bytes: Uint8Array, toMagic: 0 | 1): Uint8Array {
    const { batches } = locateBatches(bytes);
    let input = bytes;
    if (batches.some((b) => b.magic >= 2 && (b.attributes & 7) !== 0)) {
      const parts: Uint8Array[] = [];
      for (const b of batches) {
        const part = bytes.subarray(b.position, b.position + b.size);
        parts.push(b.magic >= 2 && (b.attributes & 7) !== 0 ? this.expandBatch(part) : part);
      }
      input = concat(parts);
    }
    return this.core.v2ToLegacy(input, toMagic, { verifyCrc: false });
  }

  /**
   * `bytes` as a getter that survives memory growth: bytes in the core's linear memory are looked up again
   * by address once a call grew (and so detached) it; other bytes are returned as they are.
   */
  private linearView(bytes: Uint8Array): () => Uint8Array {
    if (bytes.buffer !== this.core.exports.memory.buffer) return () => bytes;
    const at = bytes.byteOffset;
    const length = bytes.byteLength;
    let view = bytes;
    return () => (view.byteLength === length ? view : (view = this.core.u8.subarray(at, at + length)));
  }

  /**
   * A compressed v2 batch: header and CRC checked by the core, records section decompressed and walked by the
   * core — the count must match the header and offset deltas must run 0, 1, 2… (Kafka's LogValidator); in a
   * compacted topic every record must have a key. Returns the decompressed section (the batch is stored
   * compressed, as it arrived, unless the topic recompresses it), undefined for a control batch.
   */
  private checkCompressedBatch(batch: Uint8Array, rules: ProduceRules | null, partition: number): Uint8Array | undefined {
    const c = this.core;
    let info;
    try {
      info = c.validateBatch(batch, { strict: true });
    } catch (e) {
      throw coreFailure(e, 'record batch');
    }
    if (info.isControl) return undefined; // rejected by storage's append (client appends may not carry control batches)
    let section: Uint8Array;
    try {
      section = decompress(info.compression, batch.subarray(V2_HEADER));
    } catch (e) {
      throw new PartitionError(ErrorCode.CORRUPT_MESSAGE, `cannot decompress record batch: ${(e as Error).message}`);
    }
    this.checkRecords(section, info, rules !== null && rules.requireKey ? rules : null, partition, 'compressed records');
    return section;
  }

  /** The records of a section walked by the core: count, offset deltas 0, 1, 2…, and keys when `keyed` says so. */
  private checkRecords(section: Uint8Array, info: BatchInfo, keyed: ProduceRules | null, partition: number, what: string): void {
    let records;
    try {
      records = this.core.decodeRecords(section, info.recordCount, info);
    } catch (e) {
      throw new PartitionError(ErrorCode.INVALID_RECORD, `${what}: ${(e as Error).message}`);
    }
    if (records.length !== info.recordCount)
      throw new PartitionError(ErrorCode.INVALID_RECORD, `batch says ${info.recordCount} records, holds ${records.length}`);
    for (let i = 0; i < records.length; i++)
      if (records[i]!.offsetDelta !== i) throw new PartitionError(ErrorCode.INVALID_RECORD, `record ${i} has offset delta ${records[i]!.offsetDelta}`);
    if (keyed === null) return;
    for (let i = 0; i < records.length; i++)
      if (records[i]!.key === null)
        throw new PartitionError(ErrorCode.INVALID_RECORD, `Compacted topic cannot accept message without key in topic partition ${keyed.topic}-${partition}.`);
  }

  /**
   * Kafka's recompression (LogValidator, when compression.type is a codec): every batch whose codec is not
   * `rules.targetCodec` is rebuilt in it — records section decompressed (or taken from `sections`, already
   * decompressed and checked), compressed in the target codec (kept uncompressed for `uncompressed`), and the
   * header written by the core with the same base offset, leader epoch, producer id/epoch/base sequence,
   * transactional bit, timestamp type, timestamps, last offset delta and count, and a new CRC. Control
   * batches and batches already in the target codec are kept byte for byte. Returns `bytes` when nothing
   * changed, else new bytes.
   */
  private recompress(bytes: Uint8Array, batches: readonly BatchLocation[], rules: ProduceRules, partition: number, sections: readonly (Uint8Array | undefined)[] | null): Uint8Array {
    const target = rules.targetCodec;
    const view = this.linearView(bytes);
    // Rebuilt batches by index; the others are cut from `view()` at the end (rebuilding may grow linear
    // memory, which detaches earlier views of it).
    let rebuilt: (Uint8Array | undefined)[] | null = null;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i]!;
      if (b.magic !== 2 || (b.attributes & 7) === target || (b.attributes & ATTR_CONTROL) !== 0) continue;
      (rebuilt ??= [])[i] = this.rebuildBatch(view().subarray(b.position, b.position + b.size), target, rules, partition, sections?.[i]);
    }
    if (rebuilt === null) return view();
    const whole = view();
    return concat(batches.map((b, i) => rebuilt[i] ?? whole.subarray(b.position, b.position + b.size)));
  }

  /** One batch in `target` codec (see recompress). `section`: its records section, decompressed and checked. */
  private rebuildBatch(batch: Uint8Array, target: number, rules: ProduceRules, partition: number, section: Uint8Array | undefined): Uint8Array {
    const c = this.core;
    let info;
    try {
      info = c.validateBatch(batch, { strict: true });
    } catch (e) {
      throw coreFailure(e, 'record batch');
    }
    if (section === undefined) {
      // Not checked yet: an uncompressed batch (its records walked here, since the append will see a
      // compressed one), or a batch up-converted from a legacy set (already the core's output).
      try {
        section = decompress(info.compression, batch.subarray(V2_HEADER)).slice();
      } catch (e) {
        throw new PartitionError(ErrorCode.CORRUPT_MESSAGE, `cannot decompress record batch: ${(e as Error).message}`);
      }
      this.checkRecords(section, info, rules.requireKey ? rules : null, partition, 'records');
    }
    let records: Uint8Array;
    try {
      records = compress(target, section, rules.levels);
    } catch (e) {
      throw new PartitionError(ErrorCode.UNKNOWN_SERVER_ERROR, `cannot recompress record batch for compression.type: ${(e as Error).message}`);
    }
    try {
      return rewrapBatch(c, info, records, target, false);
    } catch (e) {
      throw coreFailure(e, 'recompressed record batch');
    }
  }

  /** Magic 0/1 message set (Produce v0–2) → v2 batches, by the core. Compressed wrappers are decompressed here. */
  private legacySetToV2(set: Uint8Array): Uint8Array {
    const c = this.core;
    let info;
    try {
      info = c.validateLegacy(set);
    } catch (e) {
      throw coreFailure(e, 'message set');
    }
    try {
      if (info.compressedCount === 0) return c.legacyToV2(this.outsideLinear(set));
      if (info.compressedCount !== info.count)
        throw new PartitionError(ErrorCode.INVALID_RECORD, 'message set mixes compressed wrappers and plain messages');
      // Every message is a wrapper: its value is a compressed inner message set. Copy the values out first
      // (they alias the core's memory, which the conversions below overwrite or grow).
      const wrappers = c.legacyMessages(set).map((m) => ({ codec: m.compression, value: m.value?.slice() ?? null }));
      const parts: Uint8Array[] = [];
      for (const w of wrappers) {
        if (w.value === null) throw new PartitionError(ErrorCode.CORRUPT_MESSAGE, 'compressed wrapper without a value');
        const inner = decompress(w.codec, w.value);
        if (inner.length > LEGACY_COMPRESSED_LIMIT) throw new PartitionError(ErrorCode.MESSAGE_TOO_LARGE, 'decompressed message set too large');
        const innerInfo = c.validateLegacy(inner);
        if (innerInfo.compressedCount !== 0) throw new PartitionError(ErrorCode.INVALID_RECORD, 'nested compressed wrappers');
        parts.push(c.legacyToV2(inner));
      }
      return parts.length === 1 ? parts[0]! : concat(parts);
    } catch (e) {
      throw coreFailure(e, 'message set');
    }
  }

  /**
   * A legacy set that lies in linear memory, copied out: the core's legacyToV2 reserves its output before
   * converting and, when it must retry with a larger output, re-reads its input through the view it was
   * given — a view that reservation may have detached. Old clients only (Produce v0–2).
   */
  private outsideLinear(set: Uint8Array): Uint8Array {
    return set.buffer === this.core.exports.memory.buffer ? set.slice() : set;
  }

  /** A compressed v2 batch → the same batch uncompressed (same offsets, timestamps and producer fields). */
  private expandBatch(batch: Uint8Array): Uint8Array {
    const c = this.core;
    const info = c.validateBatch(batch, { skipCrc: true });
    const section = decompress(info.compression, batch.subarray(V2_HEADER)).slice();
    return rewrapBatch(c, info, section, 0, info.isControl);
  }
}

/**
 * A batch's header fields around a new records section (`compression` its codec): offsets, timestamps, leader
 * epoch, producer id/epoch/base sequence and the transactional bit as they were; a new CRC from the core.
 */
function rewrapBatch(c: RivuletCore, info: ReturnType<RivuletCore['validateBatch']>, records: Uint8Array, compression: number, control: boolean): Uint8Array {
  return c.encodeBatchRaw({
    records,
    recordCount: info.recordCount,
    compression,
    baseOffset: info.baseOffset,
    baseTimestamp: info.baseTimestamp,
    maxTimestamp: info.maxTimestamp,
    lastOffsetDelta: info.lastOffsetDelta,
    partitionLeaderEpoch: info.partitionLeaderEpoch,
    timestampType: info.timestampType,
    transactional: info.isTransactional,
    control,
    producerId: info.producerId,
    producerEpoch: info.producerEpoch,
    baseSequence: info.baseSequence,
  });
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
