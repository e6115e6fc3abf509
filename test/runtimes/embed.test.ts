// Rivulet embedded in Node, Deno and Bun (Deno and Bun from npm devDependencies): each runtime runs its
// example (examples/embed-*.{mjs,ts}), which imports `rivulet/broker` and `rivulet` from this package and
// starts an in-process broker; its WebSocket listener answers ApiVersions, kcat produces and consumes
// through it (plain, compressed, and with a consumer group), the broker stops on SIGTERM with exit code 0
// and, restarted on the same directory, serves the same records. A consumer project (package.json + node_modules/rivulet → this repository, as
// `npm i` of a local path makes it) checks what each runtime resolves the two entries to.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name: string) => join(root, 'node_modules/.bin', name);
const work = mkdtempSync(join(tmpdir(), 'rivulet-embed-test-'));
const children = new Set<ChildProcess>();

// The narrowest permissions docs/embedding.md lists: loopback network, files, the environment variables
// Rivulet reads, FFI plus the variables napi-rs's loader reads for the native snappy / lz4 decoders, and
// the two `ws` reads for the WebSocket listener.
const DENO_ENV = ['RIVULET_CORE_WASM', 'RIVULET_LOG_LEVEL', 'NAPI_RS_NATIVE_LIBRARY_PATH', 'NAPI_RS_FORCE_WASI', 'NAPI_RS_WASI_FLAVOR', 'NAPI_RS_ENFORCE_VERSION_CHECK', 'WS_NO_BUFFER_UTIL', 'WS_NO_UTF_8_VALIDATE'];
const DENO_RUN = ['run', '--no-prompt', '--allow-net=127.0.0.1', '--allow-read', '--allow-write', `--allow-env=${DENO_ENV.join(',')}`, '--allow-ffi'];

interface Runtime {
  name: 'node' | 'deno' | 'bun';
  cmd: string;
  /** Arguments before the script. */
  pre: string[];
  example: string;
}
const runtimes: Runtime[] = [
  { name: 'node', cmd: process.execPath, pre: [], example: 'examples/embed-node.mjs' },
  { name: 'deno', cmd: bin('deno'), pre: DENO_RUN, example: 'examples/embed-deno.ts' },
  { name: 'bun', cmd: bin('bun'), pre: [], example: 'examples/embed-bun.ts' },
];
const env = { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', RIVULET_LOG_LEVEL: 'warn' };

function newestSource(dir: string): number {
  let t = 0;
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newestSource(p) : n.endsWith('.ts') ? s.mtimeMs : 0);
  }
  return t;
}

function run(cmd: string, args: string[], opts: { cwd?: string; timeout?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: opts.cwd ?? root, env, timeout: opts.timeout ?? 30_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  // `npm test` builds first; when run alone, build what is missing and refresh a stale broker bundle.
  const needed = ['dist/core/rivulet-core.wasm', 'dist/bindings/web.js', 'dist/bindings/node.js', 'dist/bindings/core-wasm-embedded.js'];
  if (needed.some((f) => !existsSync(join(root, f)))) {
    const r = await run(process.execPath, ['scripts/build.mjs'], { timeout: 170_000 });
    if (r.code !== 0) throw new Error(`build failed: ${r.stderr}`);
  }
  const bundle = join(root, 'dist/broker/index.js');
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < Math.max(newestSource(join(root, 'host-node')), newestSource(join(root, 'bindings')))) {
    const r = await run(process.execPath, ['scripts/build-embed.mjs', '--bundle-only'], { timeout: 60_000 });
    if (r.code !== 0) throw new Error(`build-embed failed: ${r.stderr}`);
  }
}, 180_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
}

/** Starts a runtime's example on an ephemeral port (dataDir '' = its own temporary one); resolves once it prints the bound address. */
function startExample(rt: Runtime, dataDir: string, extra: string[] = []): Promise<Running> {
  const dirArgs = dataDir ? ['--data-dir', dataDir] : []; // none: the example makes a temporary one
  const child = spawn(rt.cmd, [...rt.pre, rt.example, '--port', '0', '--host', '127.0.0.1', ...dirArgs, ...extra], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${rt.name}: no address printed in 30 s\nstdout:\n${out}\nstderr:\n${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /rivulet broker listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), stdout: () => out, stderr: () => err });
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${rt.name}: exited (${code ?? signal}) before listening\nstdout:\n${out}\nstderr:\n${err}`));
    });
  });
}

/** SIGTERM, then the exit code (the example closes the broker and exits 0). */
function stop(r: Running): Promise<number | string> {
  return new Promise((resolve, reject) => {
    if (r.child.exitCode !== null) return resolve(r.child.exitCode);
    const timer = setTimeout(() => reject(new Error(`did not exit within 15 s of SIGTERM\nstdout:\n${r.stdout()}\nstderr:\n${r.stderr()}`)), 15_000);
    r.child.once('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(r.child);
      resolve(code ?? String(signal));
    });
    r.child.kill('SIGTERM');
  });
}

const lines = (s: string) => s.split('\n').filter((l) => l !== '');

function recordsFile(name: string, n: number): { path: string; records: string[] } {
  const records = Array.from({ length: n }, (_, i) => `${name}-${String(i).padStart(4, '0')} ${'x'.repeat(i % 97)}`);
  const path = join(work, `${name}.txt`);
  writeFileSync(path, records.join('\n') + '\n');
  return { path, records };
}

async function produce(port: number, topic: string, file: string, codec = 'none'): Promise<void> {
  const r = await run('kcat', ['-P', '-b', `127.0.0.1:${port}`, '-t', topic, '-z', codec, '-X', 'acks=all', '-l', file]);
  expect(r.stderr, `kcat -P ${topic} (${codec})`).toBe('');
  expect(r.code).toBe(0);
}

async function consume(port: number, topic: string): Promise<string[]> {
  const r = await run('kcat', ['-C', '-b', `127.0.0.1:${port}`, '-t', topic, '-o', 'beginning', '-e', '-q']);
  expect(r.code, r.stderr).toBe(0);
  return lines(r.stdout);
}

async function consumeGroup(port: number, group: string, topic: string): Promise<string[]> {
  const r = await run('kcat', ['-b', `127.0.0.1:${port}`, '-G', group, '-X', 'auto.offset.reset=earliest', '-e', '-q', topic]);
  expect(r.code, r.stderr).toBe(0);
  return lines(r.stdout);
}

// ApiVersions v0 written and read by hand (it is tiny): importing the generated codecs would cost this
// file seconds of transform, and the broker under test is the runtime's, not vitest's.
const API_VERSIONS = 18;
const [PRODUCE, FETCH, METADATA] = [0, 1, 3];

function apiVersionsV0Request(correlationId: number, clientId: string): Buffer {
  const id = Buffer.from(clientId);
  const b = Buffer.alloc(4 + 2 + 2 + 4 + 2 + id.length);
  b.writeInt32BE(b.length - 4, 0);
  b.writeInt16BE(API_VERSIONS, 4);
  b.writeInt16BE(0, 6);
  b.writeInt32BE(correlationId, 8);
  b.writeInt16BE(id.length, 12);
  id.copy(b, 14);
  return b;
}

/** One ApiVersions request over the broker's WebSocket listener (one Kafka frame per binary message). */
function apiVersionsOverWebSocket(url: string): Promise<{ correlationId: number; errorCode: number; apiKeys: number[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no ApiVersions response from ${url}`));
    }, 10_000);
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    ws.on('open', () => ws.send(apiVersionsV0Request(7, 'embed-test'), { binary: true }));
    ws.on('message', (d: Buffer) => {
      clearTimeout(timer);
      ws.close();
      // size, correlation id, error code, [api key, min version, max version]
      const count = d.readInt32BE(10);
      const apiKeys = Array.from({ length: count }, (_, i) => d.readInt16BE(14 + i * 6));
      if (d.readInt32BE(0) !== d.length - 4 || 14 + count * 6 !== d.length) reject(new Error(`malformed ApiVersions response (${d.length} bytes)`));
      else resolve({ correlationId: d.readInt32BE(4), errorCode: d.readInt16BE(8), apiKeys });
    });
  });
}

describe.each(runtimes)('embedded broker under $name', (rt) => {
  it('serves kcat: 1,000 records produced and consumed back in order, compressed batches, a consumer group, clean stop and restart', async () => {
    const dataDir = join(work, `data-${rt.name}`);
    mkdirSync(dataDir);
    // No initial rebalance delay: the group round trip below takes a join, not 3 s. The WebSocket
    // listener on an ephemeral port too (its module is loaded only when asked for).
    const b = await startExample(rt, dataDir, ['--set', 'group.initial.rebalance.delay.ms=0', '--set', 'ws.port=0']);
    expect(b.stdout()).toContain('core: crc32c("123456789") = e3069283');
    const wsUrl = /Kafka over WebSocket at (ws:\/\/127\.0\.0\.1:\d+\/)/.exec(b.stdout())?.[1];
    expect(wsUrl, b.stdout()).toBeDefined();
    const versions = await apiVersionsOverWebSocket(wsUrl!);
    expect(versions.correlationId).toBe(7);
    expect(versions.errorCode).toBe(0);
    expect(versions.apiKeys).toEqual(expect.arrayContaining([PRODUCE, FETCH, METADATA]));

    const { path, records } = recordsFile(`t1-${rt.name}`, 1000);
    await produce(b.port, 't1', path);
    expect(await consume(b.port, 't1')).toEqual(records);

    // Compressed batches go through the broker's decoders: node:zlib as each runtime implements it,
    // snappy and lz4 as native addons loaded on first use (under Deno that is what --allow-ffi is for),
    // zstd in JS. test/broker-data covers them under Node.
    for (const codec of rt.name === 'node' ? [] : ['gzip', 'snappy', 'lz4', 'zstd']) {
      const c = recordsFile(`${codec}-${rt.name}`, 200);
      await produce(b.port, `t-${codec}`, c.path, codec);
      expect(await consume(b.port, `t-${codec}`), codec).toEqual(c.records);
    }

    // A consumer group reads everything once and commits: the same group then finds nothing new.
    expect(await consumeGroup(b.port, 'g1', 't1')).toEqual(records);
    expect(await consumeGroup(b.port, 'g1', 't1')).toEqual([]);

    expect(await stop(b), b.stderr()).toBe(0);
    expect(b.stdout()).toContain('SIGTERM: stopping');
    expect(b.stdout()).toContain('stopped');
    expect(b.stderr()).not.toMatch(/ERROR|Uncaught|panic/);

    // Restarted on the same directory: the records are still there.
    const again = await startExample(rt, dataDir);
    expect(await consume(again.port, 't1')).toEqual(records);
    expect(await stop(again), again.stderr()).toBe(0);
  }, 60_000);

  it('stops cleanly on a SIGTERM sent as soon as the address is printed, removing its temporary directory', async () => {
    const b = await startExample(rt, '');
    const dir = /data in (.+)\)$/m.exec(b.stdout())?.[1];
    expect(dir && existsSync(dir), b.stdout()).toBe(true);
    expect(await stop(b), b.stderr()).toBe(0);
    expect(b.stdout()).toContain('stopped');
    expect(existsSync(dir!)).toBe(false);
  }, 30_000);

  it('takes a negative --port: the value reaches the broker, whose check names it (exit 2)', async () => {
    const r = await run(rt.cmd, [...rt.pre, rt.example, '--port', '-1', '--host', '127.0.0.1']);
    expect(r.stderr).not.toMatch(/ambiguous/);
    expect(r.stderr).toContain(`embed-${rt.name}: Invalid value -1 for --port: must be 0..65535`);
    expect(r.code).toBe(2);
  }, 30_000);

  it('started before a build, says so: not built yet, run npm run build (exit 2)', async () => {
    // A checkout without dist/: the package's manifest and the example, nothing built.
    const checkout = join(work, `unbuilt-${rt.name}`);
    mkdirSync(join(checkout, 'examples'), { recursive: true });
    writeFileSync(join(checkout, 'package.json'), readFileSync(join(root, 'package.json')));
    writeFileSync(join(checkout, rt.example), readFileSync(join(root, rt.example)));
    const r = await run(rt.cmd, [...rt.pre, rt.example, '--port', '0'], { cwd: checkout });
    expect(r.stderr).toMatch(new RegExp(`^embed-${rt.name}: not built yet: run \`npm run build\` in the checkout first \\(`));
    expect(r.code).toBe(2);
  }, 30_000);

  it('resolves rivulet and rivulet/broker from an installed package; the core answers', async () => {
    // What `npm i /path/to/rivulet` leaves: a project whose node_modules/rivulet links to the package.
    const project = join(work, `project-${rt.name}`);
    mkdirSync(join(project, 'node_modules'), { recursive: true });
    symlinkSync(root, join(project, 'node_modules/rivulet'), 'dir');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `embed-${rt.name}`, private: true, type: 'module', dependencies: { rivulet: `file:${root}` } }));
    writeFileSync(
      join(project, 'probe.mjs'),
      [
        "import { crc32c } from 'rivulet';",
        "import { startBroker } from 'rivulet/broker';",
        'const args = globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2);',
        "const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir: args[0] });",
        'const port = broker.port;',
        'await broker.close();',
        "const crc = crc32c(new TextEncoder().encode('123456789')).toString(16);",
        "console.log('RESULT ' + JSON.stringify({ core: import.meta.resolve('rivulet'), broker: import.meta.resolve('rivulet/broker'), crc, port }));",
      ].join('\n'),
    );
    const dataDir = join(work, `probe-${rt.name}`);
    const r = await run(rt.cmd, [...rt.pre, 'probe.mjs', dataDir], { cwd: project });
    const line = lines(r.stdout).find((l) => l.startsWith('RESULT '));
    expect(line, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBeDefined();
    const got = JSON.parse(line!.slice(7)) as { core: string; broker: string; crc: string; port: number };
    // Node gets the entry that reads the .wasm from disk; Deno and Bun the one with the .wasm embedded.
    expect(got.core).toMatch(rt.name === 'node' ? /\/dist\/bindings\/node\.js$/ : /\/dist\/bindings\/web\.js$/);
    expect(got.broker).toMatch(/\/dist\/broker\/index\.js$/);
    expect(got.crc).toBe('e3069283');
    expect(got.port).toBeGreaterThan(0);
    expect(r.code).toBe(0);
  }, 30_000);
});
