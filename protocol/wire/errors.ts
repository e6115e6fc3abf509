/** Thrown when bytes on the wire cannot be decoded (truncated, malformed, out of range). */
export class ProtocolDecodeError extends Error {
  override readonly name = 'ProtocolDecodeError';
  /** Byte offset in the frame where decoding failed. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
    this.offset = offset;
  }
}

/**
 * Thrown when a message cannot be expressed in the requested version: the API/version is not
 * supported, or a non-ignorable field holds a non-default value the version cannot carry.
 * Maps to Kafka error UNSUPPORTED_VERSION (35).
 */
export class UnsupportedVersionError extends Error {
  override readonly name = 'UnsupportedVersionError';
}

/** Thrown when a value handed to an encoder cannot be written (null in a non-nullable version, out of range). */
export class ProtocolEncodeError extends Error {
  override readonly name = 'ProtocolEncodeError';
}
