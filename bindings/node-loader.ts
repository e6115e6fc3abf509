// Loads the core under Node: the .wasm read synchronously from disk, one new instance per call. The broker
// uses this directly, so that it holds exactly the core instance it creates; node.ts adds the package's
// module-level API on a default instance of its own.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createCoreSync } from './core.js';

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
