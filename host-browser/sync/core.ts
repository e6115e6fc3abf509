// The record-batch codec the sync code uses: the WASM core. In the Worker it is bindings/web.js (the
// core with its .wasm embedded, loaded on first use); tests under Node pass the one from bindings/node.js.
import type { RivuletCore } from '../../bindings/core.js';

export type BatchCodec = Pick<RivuletCore, 'encodeBatch' | 'decodeBatches' | 'decodeRecords'>;

let loaded: Promise<BatchCodec> | null = null;

/** The browser core (bindings/web.js), imported once. */
export function defaultCodec(): Promise<BatchCodec> {
  loaded ??= import('../../bindings/web.js').then((m) => m.core);
  return loaded;
}
