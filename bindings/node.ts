// Node.js entry: loads the core synchronously from disk, so `import('rivulet')` resolves with a
// ready instance. Works both from the TypeScript sources (bindings/node.ts, e.g. under vitest/tsx) and
// from the build (dist/bindings/node.js).

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createCoreSync } from './core.js';
import { makeFacade } from './facade.js';

const WASM = 'rivulet-core.wasm';

/** Where rivulet-core.wasm is looked for, in order. RIVULET_CORE_WASM overrides. */
export function wasmCandidates(): string[] {
  const list: string[] = [];
  const env = typeof process !== 'undefined' ? process.env.RIVULET_CORE_WASM : undefined;
  if (env) list.push(env);
  // dist/bindings/node.js → dist/core/; bindings/node.ts → dist/core/ or build/core/.
  for (const rel of [`../core/${WASM}`, `../dist/core/${WASM}`, `../build/core/${WASM}`]) {
    list.push(fileURLToPath(new URL(rel, import.meta.url)));
  }
  return list;
}

/** Reads the .wasm bytes (synchronously). */
export function loadWasmBytes(): Uint8Array {
  for (const p of wasmCandidates()) {
    if (existsSync(p)) return readFileSync(p);
  }
  throw new Error(`rivulet: ${WASM} not found (looked in ${wasmCandidates().join(', ')}); run \`npm run build:core\``);
}

/** A new, independent core instance (its own linear memory). */
export function newCore() {
  return createCoreSync(loadWasmBytes());
}

const facade = makeFacade(newCore());

export const {
  core, crc32c, crc32, validateBatch, checkBatch, decodeBatches, decodeRecords, encodeBatch, encodeRecords, encodeBatchRaw,
  setBaseOffset, setLogAppendTime, setMaxTimestamp, append, appendAt, validateLegacy, legacyMessages, legacyToV2,
  v2ToLegacy, offsetIndex, timeIndex, segmentIndexer, scanForOffset, scanForTimestamp, alloc,
} = facade;

export * from './core.js';
export * from './errors.js';
export * as layout from './layout.js';
