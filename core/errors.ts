// Typed error codes returned by every core entry point. 0 is success; errors are negative so that
// functions returning a size or a count can return either. The host maps these to Kafka error codes
// (bindings/errors.ts). Keep this list and bindings/layout.ts in step (a test checks them).

export const OK: i32 = 0;
/** The buffer ends before the structure it declares (header, batch, record or varint). */
export const E_TRUNCATED: i32 = -1;
/** batchLength / messageSize is negative or smaller than the fixed header. */
export const E_BAD_LENGTH: i32 = -2;
/** Magic byte is not the one this function handles (2 for batches, 0/1 for legacy messages). */
export const E_BAD_MAGIC: i32 = -3;
/** Stored CRC does not match the content. */
export const E_BAD_CRC: i32 = -4;
/** recordCount disagrees with lastOffsetDelta or with the records actually present. */
export const E_RECORD_COUNT: i32 = -5;
/** A record's length varint is negative, too small, or runs past the batch. */
export const E_RECORD_LENGTH: i32 = -6;
/** A varint has more than 5 bytes (int32) or more than 10 bytes (int64). */
export const E_VARINT_OVERFLOW: i32 = -7;
/** A record's fields do not end exactly at its declared length. */
export const E_RECORD_BODY: i32 = -8;
/** Key length < -1 or past the record. */
export const E_KEY_LENGTH: i32 = -9;
/** Value length < -1 or past the record. */
export const E_VALUE_LENGTH: i32 = -10;
/** Header count < 0, header key null/negative, header value length < -1, or past the record. */
export const E_HEADER: i32 = -11;
/** offsetDelta out of order / not matching its position. */
export const E_OFFSET_DELTA: i32 = -12;
/** A pointer/length argument lies outside linear memory (or inside the core's private area). */
export const E_OUT_OF_BOUNDS: i32 = -13;
/** The output region is too small; the required size is reported in the result area. */
export const E_OUTPUT_TOO_SMALL: i32 = -14;
/** The operation needs uncompressed records but the batch is compressed. */
export const E_COMPRESSED: i32 = -15;
/** Legacy wrapper (compressed) message: the host must decompress the inner message set. */
export const E_LEGACY_COMPRESSED: i32 = -16;
/** Index region has no room for the entries this call needs. */
export const E_INDEX_FULL: i32 = -17;
/** Index entry would not be increasing (offset or timestamp goes backwards). */
export const E_INDEX_ORDER: i32 = -18;
/** The records region holds no batch. */
export const E_EMPTY: i32 = -19;
/** More batches than the result area can describe. */
export const E_TOO_MANY_BATCHES: i32 = -20;
/** An argument is invalid (negative size, unknown magic to convert to, ...). */
export const E_INVALID_ARGUMENT: i32 = -21;
/** Compression codec id is not one Kafka defines (attributes & 7 > 4). */
export const E_BAD_COMPRESSION: i32 = -22;
/** Control batch where the caller forbids them (client produce). */
export const E_CONTROL_BATCH: i32 = -23;
/** An offset does not fit as a 32-bit offset relative to the segment/index base. */
export const E_OFFSET_OVERFLOW: i32 = -24;
/** Existing index bytes are not a valid index (size not a multiple of the entry, not increasing). */
export const E_INDEX_CORRUPT: i32 = -25;
/** A record without a key where the log requires keys (a compacted topic). */
export const E_KEY_REQUIRED: i32 = -26;

/** Absolute address of the byte where the last failure was detected (0 when none). */
export let errorPos: usize = 0;

// @ts-ignore: decorator
@inline
export function fail(code: i32, at: usize): i32 {
  errorPos = at;
  return code;
}

/** Exported so the host can read the failing position after any call. */
export function lastErrorPos(): usize {
  return errorPos;
}
