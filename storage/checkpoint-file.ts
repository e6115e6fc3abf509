// Kafka's offset checkpoint files (recovery-point-offset-checkpoint, log-start-offset-checkpoint):
//   line 1: version (0)   line 2: entry count   then one `topic partition offset` line per entry.
// Written atomically: temp file, fsync, rename, fsync the directory.
import { writeFileAtomic, writeFileAtomicInBackground, type StorageFs } from './fs.js';

export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
const VERSION = 0;
const MAX_ENTRIES = 1_000_000;

/** Key of a topic-partition in checkpoint maps: `topic partition` is not ambiguous (topics have no spaces). */
export type TpKey = string;
export function tpKey(topic: string, partition: number): TpKey {
  return `${topic}-${partition}`;
}

export interface CheckpointEntry {
  topic: string;
  partition: number;
  offset: number;
}

export class CheckpointFile {
  constructor(
    readonly path: string,
    private readonly fs: StorageFs,
  ) {}

  write(entries: Iterable<CheckpointEntry>): void {
    writeFileAtomic(this.fs, this.path, CheckpointFile.encode(entries));
  }

  private inFlight: Promise<void> | null = null;
  private queued: Uint8Array | null = null;

  /**
   * write() with the fsyncs on the thread pool (the periodic checkpoints of a serving broker). One write
   * per file at a time; entries given while one runs are written after it, and only the newest of those.
   * The promise settles once the entries given are durable (or their write failed).
   */
  writeInBackground(entries: Iterable<CheckpointEntry>): Promise<void> {
    this.queued = CheckpointFile.encode(entries);
    if (this.inFlight === null) {
      const p = this.drain();
      this.inFlight = p;
      void p.then(
        () => (this.inFlight = null),
        () => (this.inFlight = null),
      );
    }
    return this.inFlight;
  }

  private async drain(): Promise<void> {
    for (let i = 0; this.queued !== null; i++) {
      if (i >= 1000) throw new Error(`checkpoint ${this.path}: writes never caught up`);
      const data = this.queued;
      this.queued = null;
      await writeFileAtomicInBackground(this.fs, this.path, data);
    }
  }

  private static encode(entries: Iterable<CheckpointEntry>): Uint8Array {
    const lines: string[] = [];
    for (const e of entries) {
      if (/\s/.test(e.topic) || e.topic.length === 0) throw new Error(`checkpoint: bad topic name ${JSON.stringify(e.topic)}`);
      if (!Number.isSafeInteger(e.offset) || !Number.isInteger(e.partition) || e.partition < 0) throw new Error(`checkpoint: bad entry ${e.topic} ${e.partition} ${e.offset}`);
      lines.push(`${e.topic} ${e.partition} ${e.offset}`);
    }
    const text = `${VERSION}\n${lines.length}\n${lines.length ? lines.join('\n') + '\n' : ''}`;
    return new TextEncoder().encode(text);
  }

  /** Entries in the file; an absent file reads as empty. A malformed file throws. */
  read(): CheckpointEntry[] {
    if (!this.fs.existsSync(this.path)) return [];
    const text = new TextDecoder().decode(this.fs.readFileSync(this.path));
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const bad = (why: string): never => {
      throw new Error(`Malformed checkpoint file ${this.path}: ${why}`);
    };
    if (lines.length < 2) bad('missing header');
    if (lines[0]!.trim() !== String(VERSION)) bad(`unrecognised version ${lines[0]}`);
    const count = Number(lines[1]!.trim());
    if (!Number.isInteger(count) || count < 0 || count > MAX_ENTRIES) bad(`bad entry count ${lines[1]}`);
    if (lines.length - 2 !== count) bad(`expected ${count} entries, found ${lines.length - 2}`);
    const out: CheckpointEntry[] = [];
    for (let i = 2; i < lines.length; i++) {
      const parts = lines[i]!.trim().split(/\s+/);
      if (parts.length !== 3) bad(`line ${i + 1}: ${lines[i]}`);
      const partition = Number(parts[1]);
      const offset = Number(parts[2]);
      if (!Number.isInteger(partition) || partition < 0 || !Number.isSafeInteger(offset)) bad(`line ${i + 1}: ${lines[i]}`);
      out.push({ topic: parts[0]!, partition, offset });
    }
    return out;
  }

  readMap(): Map<TpKey, number> {
    return new Map(this.read().map((e) => [tpKey(e.topic, e.partition), e.offset]));
  }
}
