// Manual helper: `npx tsx test/groups/serve.ts [port]` — a broker with a 6-partition topic `t6` and no
// initial rebalance delay, for trying consumer groups by hand (kcat -G, kafka-consumer-groups, …).
import { startDataBroker } from '../helpers/data-broker.js';
import { createLogger, parseLogLevel } from '../../host-node/util/log.js';

const b = await startDataBroker({
  port: Number(process.argv[2] ?? 0),
  sets: { 'group.initial.rebalance.delay.ms': '0' },
  log: createLogger('broker', parseLogLevel(process.env.RIVULET_LOG_LEVEL, 'info')),
});
if (!b.topics.topic('t6')) b.createTopic('t6', 6);
console.log(`PORT ${b.port}`);
process.on('SIGTERM', () => void b.dispose().then(() => process.exit(0)));
