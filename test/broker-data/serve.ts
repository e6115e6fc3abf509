// Manual helper: `npx tsx test/broker-data/serve.ts [port]` — an in-process broker (auto-created topics get 4 partitions).
import { startDataBroker } from './helpers.js';
const b = await startDataBroker({ port: Number(process.argv[2] ?? 0), sets: { 'num.partitions': '4' } });
console.log(`PORT ${b.port}`);
process.on('SIGTERM', () => void b.close().then(() => process.exit(0)));
