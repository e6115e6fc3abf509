// Broker keys Kafka 3.9 still accepts as the defaults of deprecated or tiered-storage topic configs
// (message.format.version, message.downconversion.enable, the timestamp bounds, preallocate, the local
// retention of tiered storage). Accepted, typed and described with Kafka's defaults; none of them changes
// what Rivulet does (each doc says so). Spread into BROKER_CONFIG_DEFS.
import { atLeast, bool, long, str, type Validator } from './types.js';

const LONG_MAX = Number.MAX_SAFE_INTEGER;

/** A Kafka release or metadata version as message.format.version takes it: 0.10.2, 2.8, 3.0-IV1, … */
export const messageFormatVersionValidator: Validator<string> = (v) =>
  /^\d+\.\d+(\.\d+)?(-IV\d+)?$/.test(v) ? undefined : 'Version must look like 0.10.2, 2.8 or 3.0-IV1';

export const MESSAGE_FORMAT_CONFIG_DEFS = {
  'log.message.format.version': str({
    default: '3.0-IV1',
    validate: messageFormatVersionValidator,
    importance: 'medium',
    doc: 'Deprecated by Kafka (ignored from inter-broker protocol 3.0): the message format of appended batches. No effect in Rivulet, which stores magic 2.',
  }),
  'log.message.downconversion.enable': bool({
    default: true,
    importance: 'low',
    doc: 'Whether Fetch v0-3 may get down-converted records. Accepted and stored; no effect in Rivulet, which always down-converts for old consumers.',
  }),
  'log.message.timestamp.difference.max.ms': long({
    default: LONG_MAX,
    validate: atLeast(0),
    importance: 'medium',
    doc: 'Deprecated by Kafka (for the before/after bounds): how far a CreateTime timestamp may be from the broker\'s clock. No effect in Rivulet.',
  }),
  'log.message.timestamp.before.max.ms': long({ default: LONG_MAX, validate: atLeast(0), importance: 'medium', doc: 'How far before the broker\'s clock a CreateTime timestamp may be. Accepted and stored; no effect in Rivulet.' }),
  'log.message.timestamp.after.max.ms': long({ default: LONG_MAX, validate: atLeast(0), importance: 'medium', doc: 'How far after the broker\'s clock a CreateTime timestamp may be. Accepted and stored; no effect in Rivulet.' }),
  'log.preallocate': bool({ default: false, importance: 'medium', doc: 'Whether new segment files are preallocated. Accepted and stored; no effect in Rivulet (segment files grow as written).' }),
  'log.local.retention.ms': long({ default: -2, validate: atLeast(-2), importance: 'medium', doc: 'Tiered storage: how long local segments are kept (-2: retention.ms). No effect in Rivulet, which has no tiered storage.' }),
  'log.local.retention.bytes': long({ default: -2, validate: atLeast(-2), importance: 'medium', doc: 'Tiered storage: the local size of a partition before old segments go (-2: retention.bytes). No effect in Rivulet, which has no tiered storage.' }),
};
