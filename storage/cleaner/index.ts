// The log cleaner's public surface: the job message, the core port, the cleaning of one log (a cleaner
// thread's work), the swap's files, the checkpoint and the manager that schedules cleanings.
export type { CleanJob, CleanJobResult, CleanJobSegment, CleanedGroup, CleanerRunner } from './clean-job.js';
export type { BatchCodecs, CleanerCore, CleanOutput, CleanParams, CleanStats, MapPutResult } from './cleaner-core.js';
export { cleanLog, type CleanerEnv } from './cleaner.js';
export { CleanedSegmentWriter, cleanedSegmentPaths, removeCleanedSegment, type CleanedSegmentOptions } from './cleaned-segment.js';
export { groupSegmentsBySize } from './segment-groups.js';
export { commitSwap, finishSwap, prepareSwap, preparedSegmentPaths } from './segment-swap.js';
export { Throttler, THROTTLE_WINDOW_MS, type ThrottlerClock } from './throttler.js';
export { CLEANER_OFFSET_CHECKPOINT, CleanerCheckpoint } from './cleaner-checkpoint.js';
export { cleanableOf, firstDirtyOffsetOf, firstUncleanableOffsetOf, pickFilthiest, type Cleanable, type CleanableInput, type SegmentStats } from './cleanable.js';
export { CLEANED_SUFFIX, GROUP_END_SUFFIX, SWAP_SUFFIX, cleanedFilePath, discardCleanedFiles, encodeGroupEnd, readGroupEnd } from './cleaned-files.js';
export { LogCleanerManager, offsetMapSlots, type CleanerConfig, type CleanerCounters, type CleaningOutcome, type LogCleanerManagerOptions } from './log-cleaner-manager.js';
