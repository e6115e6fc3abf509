// A small durable key/value store next to a partition's segments (recovery point, clean-close marker, and
// whatever the sync side keeps: cursors, producer id/epoch).
//
// Two slot files are written in turn, each `[length:u32][crc32c:u32][JSON {seq, data}]` and flushed; on
// open the valid slot with the highest sequence wins. A write torn by a killed tab therefore leaves the
// previous state readable instead of a corrupt file.

import { openSyncHandle } from './opfs-fs.js';

const META_FILES = ['rivulet-meta.0', 'rivulet-meta.1'] as const;

const enc = new TextEncoder();
const dec = new TextDecoder();

export class MetaStore {
  private seq = 0;
  private data: Record<string, string> = {};

  private constructor(
    private readonly slots: FileSystemSyncAccessHandle[],
    private readonly crc32c: (bytes: Uint8Array) => number,
  ) {}

  static async open(dir: FileSystemDirectoryHandle, crc32c: (bytes: Uint8Array) => number): Promise<MetaStore> {
    const slots: FileSystemSyncAccessHandle[] = [];
    try {
      for (const name of META_FILES) slots.push(await openSyncHandle(await dir.getFileHandle(name, { create: true })));
    } catch (e) {
      for (const s of slots) s.close();
      throw e;
    }
    const store = new MetaStore(slots, crc32c);
    for (const s of slots) {
      const got = store.readSlot(s);
      if (got && got.seq > store.seq) {
        store.seq = got.seq;
        store.data = got.data;
      }
    }
    return store;
  }

  private readSlot(h: FileSystemSyncAccessHandle): { seq: number; data: Record<string, string> } | null {
    const size = h.getSize();
    if (size < 8 || size > 16 << 20) return null;
    const bytes = new Uint8Array(size);
    if (h.read(bytes, { at: 0 }) !== size) return null;
    const dv = new DataView(bytes.buffer);
    const len = dv.getUint32(0);
    if (len !== size - 8) return null;
    const body = bytes.subarray(8);
    if (this.crc32c(body) !== dv.getUint32(4)) return null;
    try {
      const parsed = JSON.parse(dec.decode(body)) as { seq?: unknown; data?: unknown };
      if (typeof parsed.seq !== 'number' || typeof parsed.data !== 'object' || parsed.data === null) return null;
      return { seq: parsed.seq, data: parsed.data as Record<string, string> };
    } catch {
      return null;
    }
  }

  get(key: string): string | undefined {
    return Object.prototype.hasOwnProperty.call(this.data, key) ? this.data[key] : undefined;
  }

  /** Sets keys (undefined deletes) and writes the whole map durably to the older slot. */
  set(entries: Record<string, string | undefined>): void {
    const next = { ...this.data };
    for (const [k, v] of Object.entries(entries)) {
      if (v === undefined) delete next[k];
      else next[k] = String(v);
    }
    const seq = this.seq + 1;
    const body = enc.encode(JSON.stringify({ seq, data: next }));
    const out = new Uint8Array(8 + body.byteLength);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, body.byteLength);
    dv.setUint32(4, this.crc32c(body));
    out.set(body, 8);
    const slot = this.slots[seq % 2]!;
    slot.truncate(0);
    slot.write(out, { at: 0 });
    slot.flush();
    this.seq = seq;
    this.data = next;
  }

  close(): void {
    for (const s of this.slots) {
      try {
        s.close();
      } catch {
        /* already closed */
      }
    }
  }
}
