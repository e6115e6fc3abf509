// The storage port over the WASM core for Node: the platform-neutral adapter (wasm-storage-core.ts) with a
// core instance loaded from disk by default.
import { newCore } from '../../bindings/node.js';
import type { RivuletCore } from '../../bindings/core.js';
import { PortableWasmStorageCore } from './wasm-storage-core.js';

export class WasmStorageCore extends PortableWasmStorageCore {
  constructor(core: RivuletCore = newCore(), initialStageBytes = 1 << 20) {
    super(core, initialStageBytes);
  }
}
