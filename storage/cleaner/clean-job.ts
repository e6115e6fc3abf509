// One cleaning of one log, as a message: what the broker's main thread hands to a cleaner thread
// (plain data, structured-cloneable) and what comes back. The cleaner thread reads the listed segments
// through its own file descriptors and writes the cleaned segments beside them as `.cleaned` files (their
// groupend and index files renamed `.swap` at the end, ready for the commit); the main thread then swaps them in (Log.replaceSegments), so the log's segment list is only ever changed by
// the thread that serves reads and appends.

/** A segment the cleaning reads: never the active one, and never one a reader may still be appending to. */
export interface CleanJobSegment {
  baseOffset: number;
  /** Bytes of whole batches in the .log (LogSegment.size when the job was made; later bytes are ignored). */
  size: number;
  /** Base offset of the segment after it in the log (where this one's offsets end at the latest). */
  nextBaseOffset: number;
  /** Entries in its offset and time indexes (for grouping under segment.index.bytes). */
  offsetIndexEntries: number;
  timeIndexEntries: number;
}

export interface CleanJob {
  /** Partition directory. */
  dir: string;
  topic: string;
  partition: number;
  /** Every segment from the log start up to the end of the dirty section, oldest first (all inactive). */
  segments: CleanJobSegment[];
  /** Where the dirty section starts (the cleaner-offset-checkpoint's offset, clamped to the log). */
  firstDirtyOffset: number;
  /** Where it ends: the first offset the cleaning may not touch (= a segment boundary in `segments`). */
  firstUncleanableOffset: number;
  nowMs: number;
  /** Topic config the cleaning follows. */
  segmentBytes: number;
  maxIndexBytes: number;
  indexIntervalBytes: number;
  deleteRetentionMs: number;
  maxMessageBytes: number;
  /** Last offsets of the last batch of each live idempotent producer (kept as empty batches if need be). */
  retainBatchLastOffsets: number[];
  /** Offset map: slots (24 bytes each) and load factor. */
  mapSlots: number;
  mapLoadFactor: number;
  /** log.cleaner.io.max.bytes.per.second for this thread (reads and writes together). */
  ioMaxBytesPerSecond: number;
  /** Bytes read per step from a segment (log.cleaner.io.buffer.size per thread, at least one batch). */
  readBufferBytes: number;
}

/** One group of adjacent old segments rewritten as one cleaned segment named after the first. */
export interface CleanedGroup {
  /** The cleaned segment's base offset = oldBaseOffsets[0]; files `<base>.log.cleaned`, `.index.swap`, `.timeindex.swap`, `.groupend.swap`. */
  baseOffset: number;
  /** The segments it replaces, oldest first. */
  oldBaseOffsets: number[];
  /** Where the group ends: the base offset of the segment after its last one. */
  endOffset: number;
  /** Bytes of the cleaned .log. */
  size: number;
  /**
   * What the cleaning knows of the segment it wrote, so that the swap opens it without reading its files
   * back (absent: read from the files, as recovery does).
   */
  state?: CleanedSegmentState;
}

/** A cleaned segment as LogSegment holds it once inactive, from its writer (cleaned-segment.ts). */
export interface CleanedSegmentState {
  /** Offset after its last batch (its base offset if it has none). */
  nextOffset: number;
  /** Largest batch max timestamp and the offset it belongs to (-1 and the base offset if no batch). */
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
  /** The first batch's max timestamp (Kafka's rolling-based timestamp), -1 if no batch. */
  firstBatchMaxTimestamp: number;
  /** Bytes from the batch of the last offset-index entry (or the start) to the end. */
  bytesSinceLastIndexEntry: number;
  /** The entries of its .index and .timeindex, byte for byte what the (trimmed) files hold. */
  offsetIndex: Uint8Array;
  timeIndex: Uint8Array;
}

export interface CleanJobResult {
  /** The new first dirty offset (for cleaner-offset-checkpoint): the end of what the offset map covered. */
  cleanedUpTo: number;
  groups: CleanedGroup[];
  stats: {
    bytesRead: number;
    bytesWritten: number;
    recordsRead: number;
    recordsKept: number;
    mapKeys: number;
    tombstonesDropped: number;
    /**
     * The latest delete horizon, past the job's nowMs, of a batch the cleaning wrote (-1: none): its tombstones
     * go in the first cleaning after it, which the manager runs even if nothing new is dirty by then.
     */
    pendingDeleteHorizonMs: number;
    elapsedMs: number;
  };
}

/** Runs cleanings somewhere (a worker thread in Node; inline in tests and in a browser's Worker). */
export interface CleanerRunner {
  /**
   * Resolves once the cleaned segments are written and durable: each group's `.log.cleaned`, its groupend and
   * index files renamed `.swap` (segment-swap.ts, prepareSwap), the directory fsynced. Rejects if the
   * cleaning failed; the files it wrote are removed by then.
   */
  run(job: CleanJob): Promise<CleanJobResult>;
  /** Stops the threads; running jobs reject. */
  close(): Promise<void>;
  /**
   * A new log.cleaner.threads (dynamic broker config): more threads start as jobs need them; a thread beyond
   * the new count stops once its running cleaning is done. Absent: the runner runs whatever it is given.
   */
  setThreads?(threads: number): void;
  /** A new throttle rate for the running cleanings (each thread's share of the dynamic log.cleaner.io.max.bytes.per.second). */
  setIoMaxBytesPerSecond?(bytesPerSecond: number): void;
}
