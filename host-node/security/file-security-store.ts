// The security metadata of a single broker: one JSON file in the first log directory
// (`security-metadata.json`), holding the entries of Kafka's ZooKeeper layout (security-records.ts):
//   {"version":1,"entries":{"/kafka-acl/Topic/orders":{"version":1,"acls":[…]},"/config/users/alice":{…}}}
// Credentials are stored as Kafka stores them (salt, stored and server keys, iterations), never a password.
// Every change is written atomically — a temporary file, fsync, rename over the old one, fsync of the
// directory — so a crash leaves the old file or the new one, never a mix. A file that does not parse stops
// the broker at start-up (it is never taken as empty: that would drop every ACL and credential).
import { closeSync, existsSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AclBinding } from './acl.js';
import { InMemorySecurityStore, type QuotaChange, type ScramChange, type SecurityImage } from './security-store.js';
import { imageFromEntries, securityEntries } from './security-records.js';

export const SECURITY_METADATA_FILE = 'security-metadata.json';
const FORMAT_VERSION = 1;

/** The security metadata file cannot be read: the broker does not start. */
export class SecurityMetadataFileError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`The security metadata file ${path} is unreadable (${reason}). It holds the ACLs, SCRAM credentials and client quotas: restore it from a backup, or remove it to start with none.`);
  }
}

export class FileSecurityStore extends InMemorySecurityStore {
  /** Changes are written one at a time, each from the image the previous one left. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    initial: SecurityImage,
  ) {
    super(initial);
  }

  /** Loads `<logDir>/security-metadata.json` (none yet: empty). Throws SecurityMetadataFileError for a file that does not parse. */
  static open(logDir: string): FileSecurityStore {
    const path = join(logDir, SECURITY_METADATA_FILE);
    return new FileSecurityStore(path, existsSync(path) ? loadFile(path) : imageFromEntries([], () => {}));
  }

  override updateAcls(add: readonly AclBinding[], remove: readonly AclBinding[]): Promise<void> {
    return this.serialized(() => super.updateAcls(add, remove));
  }

  override alterScram(changes: readonly ScramChange[]): Promise<void> {
    return this.serialized(() => super.alterScram(changes));
  }

  override alterQuotas(changes: readonly QuotaChange[]): Promise<void> {
    return this.serialized(() => super.alterQuotas(changes));
  }

  override async close(): Promise<void> {
    await this.queue.catch(() => {});
    await super.close();
  }

  protected override async commit(next: SecurityImage): Promise<void> {
    await writeAtomically(this.path, encodeFile(next));
    this.publish(next);
  }

  private serialized(change: () => Promise<void>): Promise<void> {
    const run = this.queue.then(change, change);
    this.queue = run.catch(() => {});
    return run;
  }
}

export function encodeFile(image: SecurityImage): string {
  const entries: Record<string, unknown> = {};
  for (const [path, value] of securityEntries(image)) entries[path] = JSON.parse(value);
  return `${JSON.stringify({ version: FORMAT_VERSION, entries }, null, 1)}\n`;
}

function loadFile(path: string): SecurityImage {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new SecurityMetadataFileError(path, (e as Error).message);
  }
  const file = json as { version?: unknown; entries?: unknown };
  if (typeof file !== 'object' || file === null || typeof file.entries !== 'object' || file.entries === null)
    throw new SecurityMetadataFileError(path, 'no "entries" object');
  if (file.version !== FORMAT_VERSION) throw new SecurityMetadataFileError(path, `unknown version ${JSON.stringify(file.version)}`);
  return imageFromEntries(
    Object.entries(file.entries as Record<string, unknown>).map(([k, v]) => [k, JSON.stringify(v)] as const),
    (e) => {
      throw new SecurityMetadataFileError(path, e.message);
    },
  );
}

/** Replaces `path` with `content`: temp file + fsync, rename, then fsync of the directory (the rename durable). */
export async function writeAtomically(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  syncDir(dirname(path));
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
