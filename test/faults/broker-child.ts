// A broker in its own process, for the crash tests (test/faults/crash.test.ts kills it with SIGKILL).
// Run with tsx: node --import tsx test/faults/broker-child.ts --data-dir DIR [--port N] [--set k=v]… [--topic name:partitions]…
// Prints `PORT <n>` on stdout once listening; topics that do not exist yet are created first.
// SIGTERM → clean shutdown (exit 0).
import { startBroker } from '../../host-node/broker.js';
import { BrokerConfig } from '../../host-node/config/index.js';
import { createLogger } from '../../host-node/util/log.js';

const args = process.argv.slice(2);
let dataDir: string | undefined;
let port = 0; // 0: an ephemeral port; a restart that clients must find again passes the old one
const sets: Record<string, string> = { 'node.id': '1' };
const topics: { name: string; partitions: number }[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  const v = args[++i];
  if (v === undefined) throw new Error(`${a} needs a value`);
  if (a === '--data-dir') dataDir = v;
  else if (a === '--port') port = Number(v);
  else if (a === '--set') {
    const eq = v.indexOf('=');
    sets[v.slice(0, eq)] = v.slice(eq + 1);
  } else if (a === '--topic') {
    const [name, n] = v.split(':');
    topics.push({ name: name!, partitions: Number(n ?? 1) });
  } else throw new Error(`unknown argument ${a}`);
}
if (!dataDir) throw new Error('--data-dir is required');

const log = createLogger('broker-child', process.env.RIVULET_TEST_LOG ? 'debug' : 'warn');
const config = BrokerConfig.load({ sets, flags: { host: '127.0.0.1', port, dataDir } });
const broker = await startBroker({ config, log });
for (const t of topics)
  if (!broker.context.topicRegistry.topic(t.name)) broker.context.topicRegistry.createTopic({ name: t.name, numPartitions: t.partitions, replicationFactor: 1 });
process.stdout.write(`PORT ${broker.port}\n`);

const stop = (): void => {
  broker.close().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`close failed: ${String(e)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
