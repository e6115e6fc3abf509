// Node.js entry: loads the core synchronously from disk, so `import('rivulet')` resolves with a
// ready instance. Works both from the TypeScript sources (bindings/node.ts, e.g. under vitest/tsx) and
// from the build (dist/bindings/node.js).

import { makeFacade } from './facade.js';
import { newCore } from './node-loader.js';

export { loadWasmBytes, newCore, wasmCandidates } from './node-loader.js';

const facade = makeFacade(newCore());

export const {
  core, crc32c, crc32, validateBatch, checkBatch, decodeBatches, decodeRecords, encodeBatch, encodeRecords, encodeBatchRaw,
  setBaseOffset, setLogAppendTime, setMaxTimestamp, append, appendAt, validateLegacy, legacyMessages, legacyToV2,
  v2ToLegacy, offsetIndex, timeIndex, segmentIndexer, scanForOffset, scanForTimestamp, alloc,
} = facade;

export * from './core.js';
export * from './errors.js';
export * as layout from './layout.js';
