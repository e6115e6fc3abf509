// The log cleaner's public surface: the job message, the core port, and the cleaning of one log.
export type { CleanJob, CleanJobSegment, CleanJobResult, CleanedGroup, CleanerRunner } from './clean-job.js';
export type { BatchCodecs, CleanerCore, CleanOutput, CleanParams, CleanStats, MapPutResult } from './cleaner-core.js';
export { cleanLog, type CleanerEnv } from './cleaner.js';
export { CleanedSegmentWriter, cleanedSegmentPaths, removeCleanedSegment, CLEANED_SUFFIX, GROUP_END_SUFFIX, type CleanedSegmentOptions } from './cleaned-segment.js';
export { groupSegmentsBySize } from './segment-groups.js';
export { Throttler, THROTTLE_WINDOW_MS, type ThrottlerClock } from './throttler.js';
