// The published entry points: `import('rivulet')` under Node resolves dist/bindings/node.js through
// package.json "exports" and answers synchronously-loaded; dist/bindings/web.js (browser/Deno/Bun and
// default condition) loads the embedded wasm; the declared types exist.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function node(code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', code], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

beforeAll(async () => {
  if (!existsSync(join(root, 'dist/bindings/node.js')) || !existsSync(join(root, 'dist/bindings/core-wasm-embedded.js'))) {
    await new Promise<void>((resolve, reject) => {
      execFile(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, timeout: 120_000 }, (err, _o, stderr) => (err ? reject(new Error(`build failed: ${stderr}`)) : resolve()));
    });
  }
}, 150_000);

describe('package entry points', () => {
  it("import('rivulet') under Node gives crc32c = e3069283", async () => {
    const out = await node("import('rivulet').then(r => console.log(r.crc32c(new TextEncoder().encode('123456789')).toString(16)))");
    expect(out).toBe('e3069283');
  });

  it('the web entry (embedded wasm) works under Node too', async () => {
    const out = await node("const r = await import('./dist/bindings/web.js'); console.log(r.crc32(new TextEncoder().encode('123456789')).toString(16), typeof r.core.append)");
    expect(out).toBe('cbf43926 function');
  });

  it('the .wasm has no imports at all (not even env.abort) and exports its memory', () => {
    const mod = new WebAssembly.Module(readFileSync(join(root, 'dist/core/rivulet-core.wasm')));
    expect(WebAssembly.Module.imports(mod)).toEqual([]);
    expect(WebAssembly.Module.exports(mod).find((e) => e.name === 'memory')?.kind).toBe('memory');
  });

  it('types are emitted where package.json points', () => {
    expect(existsSync(join(root, 'dist/types/bindings/index.d.ts'))).toBe(true);
    expect(existsSync(join(root, 'dist/types/bindings/core.d.ts'))).toBe(true);
  });
});
