// Kafka's offset checkpoint files (recovery-point-offset-checkpoint, log-start-offset-checkpoint):
//   line 1: version (0)   line 2: entry count   then one `topic partition offset` line per entry.
// Written atomically: temp file, fsync, rename, fsync the directory.
import { realFs, writeFileAtomic, type StorageFs } from './fs.js';

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
    private readonly fs: StorageFs = realFs,
  ) {}

  write(entries: Iterable<CheckpointEntry>): void {
    const lines: string[] = [];
    for (const e of entries) {
      if (/\s/.test(e.topic) || e.topic.length === 0) throw new Error(`checkpoint: bad topic name ${JSON.stringify(e.topic)}`);
      if (!Number.isSafeInteger(e.offset) || !Number.isInteger(e.partition) || e.partition < 0) throw new Error(`checkpoint: bad entry ${e.topic} ${e.partition} ${e.offset}`);
      lines.push(`${e.topic} ${e.partition} ${e.offset}`);
    }
    const text = `${VERSION}\n${lines.length}\n${lines.length ? lines.join('\n') + '\n' : ''}`;
    writeFileAtomic(this.fs, this.path, Buffer.from(text, 'utf8'));
  }

  /** Entries in the file; an absent file reads as empty. A malformed file throws. */
  read(): CheckpointEntry[] {
    if (!this.fs.existsSync(this.path)) return [];
    const text = this.fs.readFileSync(this.path).toString('utf8');
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
