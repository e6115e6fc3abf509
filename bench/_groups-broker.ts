// The broker process for bench/groups.ts (its own process, so the bench clients do not share its event
// loop). Args: <data dir> <json of config sets> <topic> <partitions>. Prints {"port":N} once listening;
// answers "cpu" lines with its CPU time; closes cleanly when stdin ends. Run with `node --cpu-prof` to profile the broker side.
import { createInterface } from 'node:readline';
import { startBroker } from '../host-node/broker.js';
import { BrokerConfig } from '../host-node/config/index.js';
import { silentLogger } from '../host-node/util/log.js';

const [dataDir, setsJson, topic, partitions] = process.argv.slice(2) as [string, string, string, string];
const config = BrokerConfig.load({ sets: { 'node.id': '1', ...JSON.parse(setsJson) }, flags: { host: '127.0.0.1', port: 0, dataDir } });
const broker = await startBroker({ config, log: silentLogger });
broker.context.topicRegistry.createTopic({ name: topic, numPartitions: Number(partitions), replicationFactor: 1 });
process.stdout.write(JSON.stringify({ port: broker.port }) + '\n');
// A line "cpu" on stdin → one line {"user":µs,"system":µs} (process.cpuUsage) on stdout.
createInterface({ input: process.stdin }).on('line', (l) => {
  if (l.trim() === 'cpu') process.stdout.write(JSON.stringify(process.cpuUsage()) + '\n');
});
process.stdin.on('end', async () => {
  await broker.close();
  process.exit(0);
});
