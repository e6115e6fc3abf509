// The broker process for bench/compaction.ts (its own process, with its cleaner thread, so the bench's
// producer does not share its event loop). Args: <data dir> <json of config sets>. Prints {"port":N} once
// listening, then answers one JSON line per command line on stdin:
//   create <topic> <partitions> <json of topic configs>   creates a topic
//   fill <topic> <partitions> <MiB per partition> <seed>  appends a dirty keyed log (bench/_compaction-log.ts) to each partition
//   clean                                                 starts a cleaner pass now (later ones follow as each cleaning ends)
//   state <topic> <partitions>                            the cleaner's counters and how many of the partitions are being cleaned
//   cpu                                                   process.cpuUsage()
//   eld                                                   the main thread's event-loop delay since the last `eld` (ms), and the swaps' times (ms), then resets them
// Closes cleanly when stdin ends.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { newCore } from '../bindings/node-loader.js';
import { startBroker } from '../host-node/broker.js';
import { BrokerConfig } from '../host-node/config/index.js';
import { silentLogger } from '../host-node/util/log.js';
import { Log } from '../storage/log.js';
import { writeDirtyLog } from './_compaction-log.js';

const [dataDir, setsJson] = process.argv.slice(2) as [string, string];
const config = BrokerConfig.load({ sets: { 'node.id': '1', ...JSON.parse(setsJson) }, flags: { host: '127.0.0.1', port: 0, dataDir } });
const broker = await startBroker({ config, log: silentLogger });
const logs = broker.context.logManager;
const cleaner = logs.cleaner;
if (cleaner === null) throw new Error('the bench broker runs without a log cleaner (log.cleaner.enable, log.cleaner.threads)');
const encoder = newCore();
// The swaps of cleaned segments (main thread, the commit's directory fsync included), timed: the bench reports them with the event-loop delay.
let swapMs: number[] = [];
const replaceSegments = Log.prototype.replaceSegments;
Log.prototype.replaceSegments = function (this: Log, ...args: Parameters<Log['replaceSegments']>) {
  const t = performance.now();
  try {
    return replaceSegments.apply(this, args);
  } finally {
    swapMs.push(performance.now() - t);
  }
};
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
process.stdout.write(JSON.stringify({ port: broker.port }) + '\n');

function handle(line: string): unknown {
  const [cmd, ...a] = line.trim().split(' ');
  switch (cmd) {
    case 'create': {
      const configs = Object.entries(JSON.parse(a[2] ?? '{}') as Record<string, string>).map(([name, value]) => ({ name, value }));
      broker.context.topicRegistry.createTopic({ name: a[0]!, numPartitions: Number(a[1]), replicationFactor: 1, configs });
      return { ok: true };
    }
    case 'fill': {
      const t0 = performance.now();
      let bytes = 0;
      for (let p = 0; p < Number(a[1]); p++) {
        const log = logs.getLog(a[0]!, p);
        if (!log) throw new Error(`no log ${a[0]}-${p}`);
        writeDirtyLog(encoder, { bytes: Number(a[2]) * 1024 * 1024, compression: 'none', seed: Number(a[3]) + p }, (batch) => {
          log.append(batch);
          bytes += batch.byteLength;
        });
      }
      return { ok: true, bytes, ms: performance.now() - t0 };
    }
    case 'clean':
      void cleaner!.cleanNow();
      return { ok: true };
    case 'state': {
      let cleaning = 0;
      for (let p = 0; p < Number(a[1]); p++) if (cleaner!.isCleaning(a[0]!, p)) cleaning++;
      return { counters: cleaner!.counters, cleaning };
    }
    case 'cpu':
      return process.cpuUsage();
    case 'eld': {
      const r = { p99Ms: loopDelay.percentile(99) / 1e6, maxMs: loopDelay.max / 1e6, swapMs };
      loopDelay.reset();
      swapMs = [];
      return r;
    }
    default:
      throw new Error(`unknown command ${line}`);
  }
}

createInterface({ input: process.stdin }).on('line', (l) => {
  let reply: unknown;
  try {
    reply = handle(l);
  } catch (e) {
    reply = { error: (e as Error).message };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
process.stdin.on('end', async () => {
  await broker.close();
  process.exit(0);
});
