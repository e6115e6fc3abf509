// Producer id allocation for InitProducerId (idempotent producers). Ids are handed out from blocks of
// BLOCK_SIZE, like Kafka's ProducerIdManager: before the first id of a block is used, the end of the block
// is written (and fsynced) to <first log dir>/producer-id-block, so a restarted broker starts after every
// id it may have given out and never hands one out twice.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { BrokerConfig } from '../config/index.js';

const BLOCK_SIZE = 1000n;
const FILE = 'producer-id-block';

/** Where InitProducerId takes fresh producer ids: this broker's file on a single broker, etcd's blocks in a cluster. */
export interface ProducerIdSource {
  generate(): bigint | Promise<bigint>;
}

class ProducerIdManager implements ProducerIdSource {
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

/** A single broker's ids: blocks recorded in its first log directory (the file is read on first use). */
export function localProducerIds(config: Pick<BrokerConfig, 'logDirs'>): ProducerIdSource {
  let m: ProducerIdManager | undefined;
  return { generate: () => (m ??= new ProducerIdManager(config.logDirs[0]!)).generate() };
}
