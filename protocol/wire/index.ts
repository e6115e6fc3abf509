export { Reader, type RawTaggedField } from './reader.js';
export { Writer } from './writer.js';
export * from './sizes.js';
export { ProtocolDecodeError, ProtocolEncodeError, UnsupportedVersionError } from './errors.js';
export { ZERO_UUID, uuidFromBytes, uuidToBytes } from './uuid.js';
export { BufferPool } from './pool.js';
