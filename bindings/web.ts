// Browser / Deno / Bun entry. The .wasm bytes come from the module generated at build time
// (dist/bindings/core-wasm-embedded.js, base64) when present, else from the file next to the build
// (../core/rivulet-core.wasm relative to this module) fetched by URL. Uses top-level await.

import { createCore } from './core.js';
import { makeFacade } from './facade.js';

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Obtains the .wasm bytes: embedded module first, then by URL. */
export async function loadWasmBytes(url?: string | URL): Promise<Uint8Array> {
  if (!url) {
    try {
      const embedded = (await import('./core-wasm-embedded.js')) as { default: string };
      return fromBase64(embedded.default);
    } catch {
      // not built with the embedded module: fall through to fetching the file
    }
  }
  const candidates = url ? [new URL(url)] : [new URL('../core/rivulet-core.wasm', import.meta.url), new URL('../dist/core/rivulet-core.wasm', import.meta.url)];
  let last: unknown;
  for (const u of candidates) {
    try {
      const res = await fetch(u);
      if (res.ok) return new Uint8Array(await res.arrayBuffer());
      last = new Error(`${u}: HTTP ${res.status}`);
    } catch (e) {
      last = e;
    }
  }
  throw new Error(`rivulet: could not load rivulet-core.wasm: ${String(last)}`);
}

/** A new, independent core instance. */
export async function newCore(url?: string | URL) {
  return createCore(await loadWasmBytes(url));
}

const facade = makeFacade(await newCore());

export const {
  core, crc32c, crc32, validateBatch, checkBatch, decodeBatches, decodeRecords, encodeBatch, encodeRecords, encodeBatchRaw,
  setBaseOffset, setLogAppendTime, setMaxTimestamp, append, appendAt, validateLegacy, legacyMessages, legacyToV2,
  v2ToLegacy, offsetIndex, timeIndex, segmentIndexer, scanForOffset, scanForTimestamp, alloc,
} = facade;

export * from './core.js';
export * from './errors.js';
export * as layout from './layout.js';
