// An in-process Rivulet broker under Node.js, plus the core API from the same package.
//
//   node examples/embed-node.mjs [--port 9092] [--host 127.0.0.1] [--data-dir DIR] [--set key=value …]
//
// --port 0 binds an ephemeral port. Without --data-dir the log lives in a fresh temporary directory that
// is removed on exit. --set (repeatable) takes any broker config key, as `rivulet broker --set` does.
// Prints the bound address; stops cleanly (listeners, then a flushed log) on SIGINT / SIGTERM.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

function fail(message) {
  console.error(`embed-node: ${message}`);
  process.exit(2);
}

/** parseArgs reads `--port -1` as two options: a negative number stays with the option before it. */
function joinNegativeValues(argv) {
  const out = [];
  for (const arg of argv) {
    const prev = out.at(-1);
    if (prev !== undefined && /^-\d/.test(arg) && /^--(port|host|data-dir|set)$/.test(prev)) out[out.length - 1] = `${prev}=${arg}`;
    else out.push(arg);
  }
  return out;
}

/** The package's two entries. They are built files (dist/): in a fresh checkout, say to build first. */
async function importRivulet() {
  try {
    return await Promise.all([import('rivulet'), import('rivulet/broker')]);
  } catch (e) {
    if (isModuleNotFound(e)) fail(`not built yet: run \`npm run build\` in the checkout first (${e.message.split('\n')[0]})`);
    throw e;
  }
}

function isModuleNotFound(e) {
  const { code, message } = e ?? {};
  return code === 'ERR_MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(String(message));
}

const [{ crc32c }, { startBroker }] = await importRivulet();

let values;
try {
  ({ values } = parseArgs({
    args: joinNegativeValues(process.argv.slice(2)),
    options: {
      port: { type: 'string', default: '9092' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
    },
  }));
} catch (e) {
  fail(e.message);
}
const sets = values.set.map((kv) => {
  const eq = kv.indexOf('=');
  if (eq <= 0) fail(`--set wants key=value, got "${kv}"`);
  return [kv.slice(0, eq), kv.slice(eq + 1)];
});

console.log(`core: crc32c("123456789") = ${crc32c(new TextEncoder().encode('123456789')).toString(16)}`);

const dataDir = values['data-dir'] ?? mkdtempSync(join(tmpdir(), 'rivulet-embed-'));
const removeDataDir = () => values['data-dir'] === undefined && rmSync(dataDir, { recursive: true, force: true });
let broker;
try {
  broker = await startBroker({ host: values.host, port: Number(values.port), dataDir, sets });
} catch (e) {
  removeDataDir();
  fail(e.message);
}

// Handlers first, then the address: whoever reads the address may signal at once.
let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping`);
  await broker.close();
  removeDataDir();
  console.log('stopped');
}
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));

if (broker.ws) console.log(`Kafka over WebSocket at ${broker.ws.url}`); // with --set ws.port=N
console.log(`rivulet broker listening on ${broker.host}:${broker.port} (node ${process.versions.node}, data in ${dataDir})`);
