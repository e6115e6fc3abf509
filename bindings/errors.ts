// Error codes of the WebAssembly core (core/errors.ts) and their Kafka protocol equivalents.

export const ErrorCode = {
  OK: 0,
  TRUNCATED: -1,
  BAD_LENGTH: -2,
  BAD_MAGIC: -3,
  BAD_CRC: -4,
  RECORD_COUNT: -5,
  RECORD_LENGTH: -6,
  VARINT_OVERFLOW: -7,
  RECORD_BODY: -8,
  KEY_LENGTH: -9,
  VALUE_LENGTH: -10,
  HEADER: -11,
  OFFSET_DELTA: -12,
  OUT_OF_BOUNDS: -13,
  OUTPUT_TOO_SMALL: -14,
  COMPRESSED: -15,
  LEGACY_COMPRESSED: -16,
  INDEX_FULL: -17,
  INDEX_ORDER: -18,
  EMPTY: -19,
  TOO_MANY_BATCHES: -20,
  INVALID_ARGUMENT: -21,
  BAD_COMPRESSION: -22,
  CONTROL_BATCH: -23,
  OFFSET_OVERFLOW: -24,
  INDEX_CORRUPT: -25,
  KEY_REQUIRED: -26,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

const names = new Map<number, ErrorCodeName>(Object.entries(ErrorCode).map(([k, v]) => [v, k as ErrorCodeName]));

/** Name of a core error code ('UNKNOWN(-99)' for codes this binding does not know). */
export function errorName(code: number): string {
  return names.get(code) ?? `UNKNOWN(${code})`;
}

/** Kafka protocol error codes a broker answers with for core errors found in produced records. */
export const KafkaError = {
  NONE: 0,
  CORRUPT_MESSAGE: 2,
  MESSAGE_TOO_LARGE: 10,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  UNKNOWN_SERVER_ERROR: -1,
  INVALID_RECORD: 87,
} as const;

/** Maps a core error code (from validating/appending produced records) to a Kafka error code. */
export function kafkaErrorFor(code: number): number {
  switch (code) {
    case ErrorCode.OK:
      return KafkaError.NONE;
    case ErrorCode.TRUNCATED:
    case ErrorCode.BAD_LENGTH:
    case ErrorCode.BAD_CRC:
    case ErrorCode.RECORD_LENGTH:
    case ErrorCode.VARINT_OVERFLOW:
    case ErrorCode.RECORD_BODY:
    case ErrorCode.KEY_LENGTH:
    case ErrorCode.VALUE_LENGTH:
    case ErrorCode.HEADER:
    case ErrorCode.EMPTY:
      return KafkaError.CORRUPT_MESSAGE;
    case ErrorCode.RECORD_COUNT:
    case ErrorCode.OFFSET_DELTA:
    case ErrorCode.CONTROL_BATCH:
    case ErrorCode.BAD_COMPRESSION:
    case ErrorCode.KEY_REQUIRED:
      return KafkaError.INVALID_RECORD;
    case ErrorCode.BAD_MAGIC:
    case ErrorCode.LEGACY_COMPRESSED:
      return KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT;
    default:
      return KafkaError.UNKNOWN_SERVER_ERROR;
  }
}

/** Thrown by the convenience wrappers when the core rejects input. */
export class CoreError extends Error {
  readonly code: number;
  readonly codeName: string;
  /** Byte position of the failure relative to the input, when known. */
  readonly position: number | undefined;
  constructor(code: number, what: string, position?: number) {
    super(`${what}: ${errorName(code)} (${code})${position !== undefined ? ` at byte ${position}` : ''}`);
    this.name = 'CoreError';
    this.code = code;
    this.codeName = errorName(code);
    this.position = position;
  }
}
