// Kafka's cleaner-offset-checkpoint: per log dir, each compacted partition's first dirty offset (where the
// next cleaning starts), in the format of the other offset checkpoints (checkpoint-file.ts). Kept in memory
// and written whole, with the fsyncs on the thread pool, after each cleaning and when a partition goes.
import { CheckpointFile, tpKey, type TpKey } from '../checkpoint-file.js';
import type { StorageFs } from '../fs.js';
import { joinPath } from '../path.js';

export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';

export class CleanerCheckpoint {
  private readonly file: CheckpointFile;
  private readonly offsets = new Map<TpKey, { topic: string; partition: number; offset: number }>();

  /** Reads `<logDir>/cleaner-offset-checkpoint` (absent = empty; a malformed file is treated as empty). */
  constructor(
    readonly logDir: string,
    fs: StorageFs,
  ) {
    this.file = new CheckpointFile(joinPath(logDir, CLEANER_OFFSET_CHECKPOINT), fs);
    let entries: ReturnType<CheckpointFile['read']> = [];
    try {
      entries = this.file.read();
    } catch {
      // Kafka logs and starts over too: every log is then cleaned from its start once, which is only work.
    }
    for (const e of entries) this.offsets.set(tpKey(e.topic, e.partition), e);
  }

  get(topic: string, partition: number): number | undefined {
    return this.offsets.get(tpKey(topic, partition))?.offset;
  }

  /** Records a first dirty offset; `write()` makes it durable. */
  set(topic: string, partition: number, offset: number): void {
    this.offsets.set(tpKey(topic, partition), { topic, partition, offset });
  }

  /** After a truncation to `offset`: an entry past it comes down to it (the records there are new). */
  truncate(topic: string, partition: number, offset: number): boolean {
    const e = this.offsets.get(tpKey(topic, partition));
    if (e === undefined || e.offset <= offset) return false;
    e.offset = offset;
    return true;
  }

  remove(topic: string, partition: number): boolean {
    return this.offsets.delete(tpKey(topic, partition));
  }

  /** Drops the entries of partitions `keep` rejects (logs no longer in this dir); returns how many went. */
  retain(keep: (topic: string, partition: number) => boolean): number {
    let n = 0;
    for (const [k, e] of this.offsets) {
      if (keep(e.topic, e.partition)) continue;
      this.offsets.delete(k);
      n++;
    }
    return n;
  }

  get size(): number {
    return this.offsets.size;
  }

  /** The whole file, fsyncs on the thread pool; one write at a time (the newest entries win). */
  write(): Promise<void> {
    return this.file.writeInBackground([...this.offsets.values()]);
  }

  /** The whole file, synchronously (shutdown). */
  writeSync(): void {
    this.file.write([...this.offsets.values()]);
  }
}
