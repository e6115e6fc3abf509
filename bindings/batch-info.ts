// The header fields of a v2 record batch, as batchValidate / batchPeek leave them in linear memory.

import { ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_TIMESTAMP_TYPE, ATTR_TRANSACTIONAL, BatchInfo as BI } from './layout.js';

/** Header fields of a v2 record batch. */
export interface BatchInfo {
  baseOffset: bigint;
  batchLength: number;
  /** Whole batch in bytes (batchLength + 12). */
  size: number;
  partitionLeaderEpoch: number;
  magic: number;
  attributes: number;
  compression: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  isTransactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  recordCount: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  /** Max over the records (equals maxTimestamp for compressed or empty batches). */
  recordsMaxTimestamp: bigint;
  /** Min over the records (equals baseTimestamp for compressed or empty batches). */
  recordsMinTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  crc: number;
}

/** Reads the BatchInfo block at address i. */
export function readBatchInfo(dv: DataView, i: number): BatchInfo {
  const attributes = dv.getInt32(i + BI.ATTRIBUTES, true);
  return {
    baseOffset: dv.getBigInt64(i + BI.BASE_OFFSET, true),
    batchLength: dv.getInt32(i + BI.BATCH_LENGTH, true),
    size: dv.getInt32(i + BI.SIZE, true),
    partitionLeaderEpoch: dv.getInt32(i + BI.LEADER_EPOCH, true),
    magic: dv.getInt32(i + BI.MAGIC, true),
    attributes,
    compression: attributes & ATTR_COMPRESSION_MASK,
    timestampType: attributes & ATTR_TIMESTAMP_TYPE ? 'LogAppendTime' : 'CreateTime',
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
    lastOffsetDelta: dv.getInt32(i + BI.LAST_OFFSET_DELTA, true),
    recordCount: dv.getInt32(i + BI.RECORD_COUNT, true),
    baseTimestamp: dv.getBigInt64(i + BI.BASE_TIMESTAMP, true),
    maxTimestamp: dv.getBigInt64(i + BI.MAX_TIMESTAMP, true),
    recordsMaxTimestamp: dv.getBigInt64(i + BI.RECORDS_MAX_TIMESTAMP, true),
    recordsMinTimestamp: dv.getBigInt64(i + BI.RECORDS_MIN_TIMESTAMP, true),
    producerId: dv.getBigInt64(i + BI.PRODUCER_ID, true),
    producerEpoch: dv.getInt32(i + BI.PRODUCER_EPOCH, true),
    baseSequence: dv.getInt32(i + BI.BASE_SEQUENCE, true),
    crc: dv.getUint32(i + BI.CRC, true),
  };
}

/** The timestamp every record of the batch carries when it uses LogAppendTime, else null. */
export function logAppendTimeOf(info: Pick<BatchInfo, 'timestampType' | 'maxTimestamp'>): bigint | null {
  return info.timestampType === 'LogAppendTime' ? info.maxTimestamp : null;
}
