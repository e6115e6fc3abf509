// The raw exports of the WebAssembly core, as the bindings call them.

/** The raw exports of rivulet-core.wasm (addresses are numbers, 64-bit values are bigints). */
export interface CoreExports {
  readonly memory: WebAssembly.Memory;
  crc32c(p: number, n: number): number;
  crc32cContinue(crc: number, p: number, n: number): number;
  crc32(p: number, n: number): number;
  crc32Continue(crc: number, p: number, n: number): number;
  lastErrorPos(): number;
  arenaAlloc(size: number, align: number): number;
  arenaBase(): number;
  arenaMark(): number;
  arenaReset(mark: number): void;
  memoryBytes(): number;
  varintDecode(p: number, end: number): number;
  varlongDecode(p: number, end: number): bigint;
  uvarintDecode(p: number, end: number): number;
  varintPos(): number;
  varintError(): number;
  varintEncode(p: number, v: number): number;
  varlongEncode(p: number, v: bigint): number;
  uvarintEncode(p: number, v: number): number;
  batchValidate(p: number, avail: number, flags: number, info: number): number;
  batchPeek(p: number, avail: number, info: number): number;
  batchRecordsBegin(p: number, size: number, cursor: number): number;
  recordsBegin(p: number, len: number, count: number, cursor: number): number;
  recordNext(cursor: number): number;
  headersDecode(p: number, end: number, count: number, out: number): number;
  batchSetBaseOffset(p: number, size: number, offset: bigint): number;
  batchSetLeaderEpoch(p: number, size: number, epoch: number): number;
  batchSetLogAppendTime(p: number, size: number, time: bigint): number;
  batchSetMaxTimestamp(p: number, size: number, time: bigint): number;
  batchUpdateCrc(p: number, size: number): number;
  recordsSize(descs: number, count: number): number;
  batchSize(descs: number, count: number): number;
  encodeRecords(descs: number, count: number, out: number, cap: number): number;
  encodeBatch(params: number, descs: number, count: number, out: number, cap: number): number;
  encodeBatchRaw(params: number, records: number, len: number, out: number, cap: number): number;
  appendRecords(p: number, len: number, nextOffset: bigint, logAppendTime: bigint, leaderEpoch: number, flags: number, result: number, segment: number): number;
  segmentInit(segment: number, offsetIndexState: number, timeIndexState: number, interval: number, position: number): number;
  segmentIndexBatches(p: number, len: number, segment: number): number;
  legacyValidate(p: number, len: number, allowPartial: number, info: number): number;
  legacyBegin(p: number, len: number, cursor: number): number;
  legacyNext(cursor: number): number;
  legacyToV2(p: number, len: number, out: number, cap: number, info: number): number;
  v2ToLegacy(p: number, len: number, toMagic: number, verifyCrc: number, out: number, cap: number, info: number): number;
  offsetIndexInit(state: number, region: number, capacity: number, baseOffset: bigint, sizeBytes: number): number;
  offsetIndexAppend(state: number, offset: bigint, position: number): number;
  offsetIndexLookup(state: number, target: bigint, out: number): number;
  offsetIndexTruncateTo(state: number, offset: bigint): number;
  timeIndexInit(state: number, region: number, capacity: number, baseOffset: bigint, sizeBytes: number): number;
  timeIndexMaybeAppend(state: number, timestamp: bigint, offset: bigint): number;
  timeIndexLookup(state: number, target: bigint, out: number): number;
  timeIndexTruncateTo(state: number, offset: bigint): number;
  scanForOffset(p: number, len: number, target: bigint): number;
  scanForTimestamp(p: number, len: number, target: bigint): number;
  readonly [name: string]: unknown;
}
