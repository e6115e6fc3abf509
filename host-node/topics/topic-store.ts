// Durable topic metadata: one JSON file per topic in `<log dir>/rivulet-topics/<topic>.json` (the first log
// dir that has one, else the first of log.dirs),
// written atomically (`tmp-<random>` file, fsync, rename, fsync dir). The directory name cannot be mistaken for a
// partition directory (`<topic>-<n>`), so the storage layer ignores it.
//
//   { "version": 1, "name": "orders", "topicId": "<22-char base64url>", "partitions": 3,
//     "replicationFactor": 1, "configs": { "retention.ms": "3600000" }, "createdMs": 1764090000000 }
//
// A topic being deleted is first rewritten with "deleting": true, then its partition directories are
// renamed away, then the file is removed; a start-up that finds "deleting" finishes the deletion, so a
// crash halfway never brings a deleted topic back.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fsyncDir, writeFully, type StorageFs } from '../../storage/fs.js';
import { realFs } from '../storage/node-fs.js';
import { invalidTopicNameReason } from './names.js';

const TOPIC_STORE_DIR = 'rivulet-topics';
const TOPIC_ID_RE = /^[A-Za-z0-9_-]{22}$/;

export interface StoredTopic {
  version: 1;
  name: string;
  topicId: string;
  partitions: number;
  replicationFactor: number;
  /** Topic-level overrides as strings (Kafka's form). */
  configs: Record<string, string>;
  createdMs: number;
  deleting?: boolean;
}

export class TopicStore {
  readonly dir: string;

  constructor(
    logDir: string,
    private readonly fs: StorageFs = realFs,
  ) {
    this.dir = join(logDir, TOPIC_STORE_DIR);
  }

  /**
   * The log dir that holds the records: the first one that already has a `rivulet-topics/` directory (so
   * adding or reordering log.dirs does not lose them), else the first of log.dirs.
   */
  static chooseLogDir(logDirs: readonly string[], fs: StorageFs = realFs): string {
    return logDirs.find((d) => fs.isDirectory(join(d, TOPIC_STORE_DIR))) ?? logDirs[0]!;
  }

  private path(name: string): string {
    return join(this.dir, `${name}.json`);
  }

  /** Every stored topic; malformed files are reported to `onBad` and skipped. */
  loadAll(onBad: (file: string, why: string) => void): StoredTopic[] {
    this.fs.mkdirSync(this.dir);
    const out: StoredTopic[] = [];
    for (const f of this.fs.readdirSync(this.dir)) {
      const full = join(this.dir, f);
      if (f.startsWith('tmp-')) {
        try {
          this.fs.unlinkSync(full);
        } catch {
          /* leftover of an interrupted write; harmless */
        }
        continue;
      }
      if (!f.endsWith('.json')) continue;
      try {
        const t = JSON.parse(new TextDecoder().decode(this.fs.readFileSync(full))) as StoredTopic;
        const why = check(t, f.slice(0, -'.json'.length));
        if (why) onBad(full, why);
        else out.push(t);
      } catch (e) {
        onBad(full, (e as Error).message);
      }
    }
    return out;
  }

  write(t: StoredTopic): void {
    this.fs.mkdirSync(this.dir);
    // Atomic: a temp file (a short name: `<249-char topic>.json.tmp` would pass NAME_MAX), fsync, rename, fsync dir.
    const tmp = join(this.dir, `tmp-${randomBytes(8).toString('hex')}`);
    const fd = this.fs.openSync(tmp, 'w');
    try {
      writeFully(this.fs, fd, Buffer.from(JSON.stringify(t, null, 2) + '\n', 'utf8'), 0);
      this.fs.fsyncSync(fd);
    } finally {
      this.fs.closeSync(fd);
    }
    this.fs.renameSync(tmp, this.path(t.name));
    fsyncDir(this.fs, this.dir);
  }

  remove(name: string): void {
    const p = this.path(name);
    if (!this.fs.existsSync(p)) return;
    this.fs.unlinkSync(p);
    fsyncDir(this.fs, this.dir);
  }
}

function check(t: StoredTopic, fileName: string): string | undefined {
  if (typeof t !== 'object' || t === null) return 'not an object';
  if (t.version !== 1) return `unknown version ${String(t.version)}`;
  if (t.name !== fileName) return `name ${JSON.stringify(t.name)} does not match the file name`;
  const bad = invalidTopicNameReason(t.name);
  if (bad) return bad;
  if (typeof t.topicId !== 'string' || !TOPIC_ID_RE.test(t.topicId)) return `bad topicId ${JSON.stringify(t.topicId)}`;
  if (!Number.isInteger(t.partitions) || t.partitions < 1) return `bad partitions ${String(t.partitions)}`;
  if (typeof t.configs !== 'object' || t.configs === null || Object.values(t.configs).some((v) => typeof v !== 'string')) return 'bad configs';
  if (!Number.isInteger(t.replicationFactor)) t.replicationFactor = 1;
  if (typeof t.createdMs !== 'number') t.createdMs = 0;
  return undefined;
}
