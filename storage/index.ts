// The storage layer's public surface.
export * from './config.js';
export * from './errors.js';
export type { StorageCore, BatchInfo, BatchHeader, AssignParams, AssignResult, ScanResult, LinearMemory } from './core-port.js';
export { LinearFrameArena, LinearFrameRegion, LinearSpans, type LinearFrameArenaOptions } from './linear-frame-arena.js';
export { ForwardingFs, type StorageFs } from './fs.js';
export { CheckpointFile, RECOVERY_POINT_CHECKPOINT, LOG_START_OFFSET_CHECKPOINT, type CheckpointEntry } from './checkpoint-file.js';
export { FileRange, LogSegment, offsetFileName } from './segment.js';
export {
  Log,
  EARLIEST_LOCAL_TIMESTAMP,
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
  type AppendInfo,
  type AppendOptions,
  type HighWatermarkMode,
  type FetchData,
  type Isolation,
  type OffsetAndTimestamp,
} from './log.js';
export { LogManager, CLEAN_SHUTDOWN_FILE, partitionDirName, parsePartitionDirName, type LogManagerOptions, type StartupReport } from './log-manager.js';
export { applyRetention, type RetentionResult } from './retention.js';
export { PARTITION_METADATA_FILE, readPartitionMetadata, writePartitionMetadata } from './partition-metadata.js';
export { WasmStorageCore } from './wasm-storage-core.js';
export {
  LeaderEpochFileCache,
  LEADER_EPOCH_CHECKPOINT,
  UNDEFINED_EPOCH,
  UNDEFINED_EPOCH_OFFSET,
  type EpochEntry,
  type EpochEndOffset,
} from './leader-epoch-cache.js';
export * from './cleaner/index.js';
