// An in-process Rivulet broker under Deno, plus the core API from the same package.
//
//   deno run -A examples/embed-deno.ts [--port 9092] [--host 127.0.0.1] [--data-dir DIR] [--set key=value …]
//
// Narrower than -A, enough for uncompressed, gzip and zstd batches:
//   deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-env=RIVULET_CORE_WASM,RIVULET_LOG_LEVEL …
// snappy / lz4 batches also need --allow-ffi (native decoders, loaded on first use) and the NAPI_RS_*
// variables their loader reads, the WebSocket listener (--set ws.port=N) WS_NO_BUFFER_UTIL and
// WS_NO_UTF_8_VALIDATE; docs/embedding.md lists every flag and why.
// Deno resolves `rivulet` and its npm dependencies from node_modules: run it inside this repository or a
// project with `rivulet` installed.
//
// --port 0 binds an ephemeral port. Without --data-dir the log lives in a fresh temporary directory that
// is removed on exit. --set (repeatable) takes any broker config key, as `rivulet broker --set` does.
// Prints the bound address; stops cleanly (listeners, then a flushed log) on SIGINT / SIGTERM.
import { parseArgs } from 'node:util';
import type { RunningBroker } from 'rivulet/broker';

function fail(message: string): never {
  console.error(`embed-deno: ${message}`);
  Deno.exit(2);
}

/** parseArgs reads `--port -1` as two options: a negative number stays with the option before it. */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
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
    if (isModuleNotFound(e)) fail(`not built yet: run \`npm run build\` in the checkout first (${(e as Error).message.split('\n')[0]})`);
    throw e;
  }
}

function isModuleNotFound(e: unknown): boolean {
  const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
  return code === 'ERR_MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(String(message));
}

const [{ crc32c }, { startBroker }] = await importRivulet();

let values: { port: string; host: string; 'data-dir'?: string; set: string[] };
try {
  ({ values } = parseArgs({
    args: joinNegativeValues(Deno.args),
    options: {
      port: { type: 'string', default: '9092' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
    },
  }));
} catch (e) {
  fail((e as Error).message);
}
const sets = values.set.map((kv): [string, string] => {
  const eq = kv.indexOf('=');
  if (eq <= 0) fail(`--set wants key=value, got "${kv}"`);
  return [kv.slice(0, eq), kv.slice(eq + 1)];
});

console.log(`core: crc32c("123456789") = ${crc32c(new TextEncoder().encode('123456789')).toString(16)}`);

const dataDir = values['data-dir'] ?? Deno.makeTempDirSync({ prefix: 'rivulet-embed-' });
const removeDataDir = () => values['data-dir'] === undefined && Deno.removeSync(dataDir, { recursive: true });
let broker: RunningBroker;
try {
  broker = await startBroker({ host: values.host, port: Number(values.port), dataDir, sets });
} catch (e) {
  removeDataDir();
  fail((e as Error).message);
}

// Handlers first, then the address: whoever reads the address may signal at once.
let stopping = false;
async function stop(signal: Deno.Signal) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping`);
  await broker.close();
  removeDataDir();
  console.log('stopped');
  Deno.exit(0); // the signal listeners would keep the process alive
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) Deno.addSignalListener(signal, () => void stop(signal));

if (broker.ws) console.log(`Kafka over WebSocket at ${broker.ws.url}`); // with --set ws.port=N
console.log(`rivulet broker listening on ${broker.host}:${broker.port} (deno ${Deno.version.deno}, data in ${dataDir})`);
