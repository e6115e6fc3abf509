// Child process for the kill -9 test: appends forever with flush.messages=1 and prints each offset once
// it is durable ("acked <lastOffset> <tag>").
import { LogManager } from '../../../storage/log-manager.js';
import { newCore } from '../../../bindings/node.js';
import { WasmStorageCore } from '../../../storage/wasm-storage-core.js';
import { realFs } from '../../../host-node/storage/node-fs.js';

const dir = process.argv[2]!;
const enc = newCore();
const m = new LogManager({ config: { 'log.dirs': [dir], 'log.flush.interval.messages': 1, 'log.segment.bytes': 64 * 1024, 'log.index.interval.bytes': 512 }, core: new WasmStorageCore(newCore()), fs: realFs, scheduler: true });
const log = m.getOrCreateLog('crash', 0);
let i = 0;
async function loop(): Promise<void> {
  for (;;) {
    const pending: Promise<void>[] = [];
    for (let k = 0; k < 8; k++, i++) {
      const tag = `r${i}`;
      const info = log.append(enc.encodeBatch({ records: [{ value: tag, timestamp: Date.now() }, { value: tag + 'b', timestamp: Date.now() }] }));
      pending.push(log.waitDurable(info.lastOffset).then(() => void process.stdout.write(`acked ${info.firstOffset} ${tag}\n`)));
    }
    await Promise.all(pending);
  }
}
void loop();
