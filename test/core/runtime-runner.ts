// Runs every case of cases.ts on a fresh core instance in whatever runtime executes this file
// (bundled by runtimes.test.ts and run with Deno and Bun). Usage: runner <core.wasm> [web.js]
// Prints one line: RESULT <json>.
import { createCoreFromModule } from '../../bindings/core.js';
import { cases } from './cases.js';

interface RuntimeGlobals {
  Deno?: { args: string[]; readFile(p: string): Promise<Uint8Array>; version: { deno: string } };
  Bun?: { argv: string[]; file(p: string): { arrayBuffer(): Promise<ArrayBuffer> }; version: string };
  process?: { argv: string[]; versions: Record<string, string> };
}
const g = globalThis as unknown as RuntimeGlobals;

const args = g.Deno ? g.Deno.args : (g.Bun?.argv ?? g.process?.argv ?? []).slice(2);
const runtime = g.Deno ? `deno ${g.Deno.version.deno}` : g.Bun ? `bun ${g.Bun.version}` : `node ${g.process?.versions.node}`;
const wasmPath = args[0]!;
const webEntry = args[1];
const fuzzIterations = Number(args[2] ?? 100_000);

async function readBytes(p: string): Promise<Uint8Array> {
  if (g.Deno) return g.Deno.readFile(p);
  if (g.Bun) return new Uint8Array(await g.Bun.file(p).arrayBuffer());
  const fs = await import('node:fs/promises');
  return fs.readFile(p);
}

const module = new WebAssembly.Module((await readBytes(wasmPath)) as unknown as BufferSource);
const failed: { name: string; error: string }[] = [];
let passed = 0;
const t0 = Date.now();
for (const c of cases) {
  try {
    await c.run(createCoreFromModule(module), { fuzzIterations });
    passed++;
  } catch (e) {
    failed.push({ name: c.name, error: String((e as Error)?.stack ?? e) });
  }
}
// The package entry for this runtime (dist/bindings/web.js) loads and answers.
let entry = 'skipped';
if (webEntry) {
  try {
    const m = (await import(webEntry)) as { crc32c(b: Uint8Array): number };
    const v = m.crc32c(new TextEncoder().encode('123456789')).toString(16);
    entry = v === 'e3069283' ? 'ok' : `wrong crc ${v}`;
  } catch (e) {
    entry = `failed: ${String(e)}`;
  }
}
console.log('RESULT ' + JSON.stringify({ runtime, total: cases.length, passed, failed, entry, ms: Date.now() - t0 }));
