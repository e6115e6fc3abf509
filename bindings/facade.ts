// The module-level API (`import { crc32c } from 'rivulet'`): functions bound to one default core
// instance. node.ts and web.ts build it from the instance they load.

import type { RivuletCore } from './core.js';

export function makeFacade(core: RivuletCore) {
  return {
    /** The default core instance behind the module-level functions. */
    core,
    crc32c: core.crc32c.bind(core),
    crc32: core.crc32.bind(core),
    validateBatch: core.validateBatch.bind(core),
    checkBatch: core.checkBatch.bind(core),
    decodeBatches: core.decodeBatches.bind(core),
    decodeRecords: core.decodeRecords.bind(core),
    encodeBatch: core.encodeBatch.bind(core),
    encodeRecords: core.encodeRecords.bind(core),
    encodeBatchRaw: core.encodeBatchRaw.bind(core),
    setBaseOffset: core.setBaseOffset.bind(core),
    setLogAppendTime: core.setLogAppendTime.bind(core),
    setMaxTimestamp: core.setMaxTimestamp.bind(core),
    append: core.append.bind(core),
    appendAt: core.appendAt.bind(core),
    validateLegacy: core.validateLegacy.bind(core),
    legacyMessages: core.legacyMessages.bind(core),
    legacyToV2: core.legacyToV2.bind(core),
    v2ToLegacy: core.v2ToLegacy.bind(core),
    offsetIndex: core.offsetIndex.bind(core),
    timeIndex: core.timeIndex.bind(core),
    segmentIndexer: core.segmentIndexer.bind(core),
    scanForOffset: core.scanForOffset.bind(core),
    scanForTimestamp: core.scanForTimestamp.bind(core),
    alloc: core.alloc.bind(core),
  };
}
