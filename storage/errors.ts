// Storage errors carry the Kafka error code a handler should return for the partition.

/** Kafka error codes the storage layer produces (see the protocol's error table). */
export const ErrorCode = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  /** Records a waiter waited for were truncated away (the replica lost leadership). */
  NOT_LEADER_OR_FOLLOWER: 6,
  MESSAGE_TOO_LARGE: 10,
  RECORD_LIST_TOO_LARGE: 18,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  KAFKA_STORAGE_ERROR: 56,
  INVALID_RECORD: 87,
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export class StorageError extends Error {
  constructor(
    readonly code: number,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

/** The errno code (`'ENOENT'`, `'EISDIR'`, …) an error from a StorageFs carries, if any. */
export function errnoCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** I/O errors that mean "the disk is full": the partition may come back once space is freed. */
export function isNoSpace(e: unknown): boolean {
  const c = errnoCode(e);
  return c === 'ENOSPC' || c === 'EDQUOT';
}

/** An error from the file layer (has an errno code), as opposed to a bug or a validation failure. */
export function isIoError(e: unknown): boolean {
  return errnoCode(e) !== undefined && !(e instanceof StorageError);
}

export { invariant, invariantViolation } from '../common/invariant.js';
