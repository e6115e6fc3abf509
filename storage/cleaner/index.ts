// The log cleaner's public surface (compaction).
export type { CleanJob, CleanJobResult, CleanJobSegment, CleanedGroup, CleanerRunner } from './clean-job.js';
export { CLEANER_OFFSET_CHECKPOINT, CleanerCheckpoint } from './cleaner-checkpoint.js';
export { cleanableOf, firstDirtyOffsetOf, firstUncleanableOffsetOf, pickFilthiest, type Cleanable, type CleanableInput, type SegmentStats } from './cleanable.js';
export { CLEANED_SUFFIX, GROUP_END_SUFFIX, SWAP_SUFFIX, cleanedFilePath, discardCleanedFiles, encodeGroupEnd, readGroupEnd } from './cleaned-files.js';
export { LogCleanerManager, type CleanerConfig, type CleanerCounters, type CleaningOutcome, type LogCleanerManagerOptions } from './log-cleaner-manager.js';
