// Producer id allocation for InitProducerId (idempotent producers). Ids are handed out from blocks of
// BLOCK_SIZE, like Kafka's ProducerIdManager: before the first id of a block is used, the end of the block
// is written (and fsynced) to <first log dir>/producer-id-block, so a restarted broker starts after every
// id it may have given out and never hands one out twice.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { BrokerContext } from './context.js';

const BLOCK_SIZE = 1000n;
const FILE = 'producer-id-block';

class ProducerIdManager {
  private next = 0n;
  private blockEnd = 0n;

  constructor(private readonly dir: string) {
    try {
      const m = /next\.producer\.id=(\d+)/.exec(readFileSync(join(dir, FILE), 'utf8'));
      if (m) this.next = this.blockEnd = BigInt(m[1]!);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  generate(): bigint {
    if (this.next >= this.blockEnd) {
      const end = this.next + BLOCK_SIZE;
      const path = join(this.dir, FILE);
      const fd = openSync(path + '.tmp', 'w');
      try {
        writeSync(fd, `# producer ids below this were (possibly) handed out\nnext.producer.id=${end}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(path + '.tmp', path);
      this.blockEnd = end;
    }
    return this.next++;
  }
}

const managers = new WeakMap<Pick<BrokerContext, 'config'>, ProducerIdManager>();

/** The id manager of a broker (one per broker context, created on first use). */
export function producerIds(broker: Pick<BrokerContext, 'config'>): ProducerIdManager {
  let m = managers.get(broker);
  if (m === undefined) managers.set(broker, (m = new ProducerIdManager(broker.config.logDirs[0]!)));
  return m;
}
