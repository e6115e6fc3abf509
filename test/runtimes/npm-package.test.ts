// The npm package as a user gets it: `npm pack` of this checkout, then in an empty directory outside it
// `npm install ./rivulet-*.tgz` (its dependencies come from the npm registry) and `npx rivulet broker`.
// The broker serves kcat and the package's own `rivulet produce` / `rivulet consume` (compressed batches
// too, so the native decoders load from the installed dependencies), stops cleanly, and a small .mjs
// imports the two entries, `rivulet` and `rivulet/broker`, by name. The tarball holds only what runs.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = realpathSync(mkdtempSync(join(tmpdir(), 'rivulet-npm-package-test-')));
const app = join(work, 'app');
const children = new Set<ChildProcess>();

// The outer `npm test` exports its own lifecycle and package variables (npm_config_local_prefix names
// this checkout, npm_package_* describe it); the inner npm runs as a user's would, keeping only the
// settings that say how to reach the registry.
const KEEP_NPM = /^npm_config_(registry|cache|userconfig|globalconfig|proxy|https_proxy|noproxy|strict_ssl|cafile|ca)$/i;
const env: NodeJS.ProcessEnv = {};
for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) || KEEP_NPM.test(k)) env[k] = v;
Object.assign(env, { NO_COLOR: '1', RIVULET_LOG_LEVEL: 'info' });
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { cwd?: string; timeout?: number; input?: string } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { cwd: opts.cwd ?? app, env, timeout: opts.timeout ?? 30_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; killed?: boolean }) | null;
      const code = !e ? 0 : e.killed ? -1 : typeof e.code === 'number' ? e.code : 1;
      resolve({ code, stdout, stderr: e?.killed ? `${stderr}\n(killed after ${opts.timeout ?? 30_000} ms)` : stderr });
    });
    child.stdin!.end(opts.input ?? '');
  });
}

const show = (what: string, r: Result) => `${what} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
const lines = (s: string) => s.split('\n').filter((l) => l !== '');

interface PackEntry {
  filename: string;
  files: { path: string }[];
}
let packed: PackEntry;

beforeAll(async () => {
  // `npm test` builds first; when run alone, build what the package needs if it is missing.
  const needed = ['dist/cli/rivulet.js', 'dist/broker/index.js', 'dist/bindings/node.js', 'dist/bindings/core-wasm-embedded.js', 'dist/core/rivulet-core.wasm', 'dist/browser/rivulet.js', 'dist/types/host-node/broker.d.ts'];
  if (needed.some((f) => !existsSync(join(root, f)))) {
    const b = await run(process.execPath, ['scripts/build.mjs'], { cwd: root, timeout: 170_000 });
    if (b.code !== 0) throw new Error(show('npm run build', b));
  }
  // --ignore-scripts: prepack would rebuild dist/ in place, under the feet of other test files using it.
  const p = await run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, timeout: 60_000 });
  if (p.code !== 0) throw new Error(show('npm pack', p));
  packed = (JSON.parse(p.stdout) as PackEntry[])[0]!;
}, 240_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) killGroup(c, 'SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** npx runs the command under a shell: the whole process group gets the signal, as Ctrl-C would send it. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    child.kill(signal);
  }
}

interface Running {
  child: ChildProcess;
  port: number;
  out: () => string;
}

/** `npx rivulet broker` in the app directory; resolves once the broker prints its bound address. */
function startBroker(dataDir: string, extra: string[] = []): Promise<Running> {
  const child = spawn(npx, ['rivulet', 'broker', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, ...extra], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no address printed in 30 s:\n${out}`)), 30_000);
    const check = () => {
      const m = /listening on PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({ child, port: Number(m[1]), out: () => out });
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
}

function stopBroker(b: Running): Promise<void> {
  return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`did not stop within 15 s of SIGTERM:\n${b.out()}`)), 15_000);
    // 'close', not 'exit': npm exits at once on the signal, the broker (holding the pipes) when it has stopped.
    b.child.once('close', () => {
      clearTimeout(timer);
      children.delete(b.child);
      resolve();
    });
    killGroup(b.child, 'SIGTERM');
  });
}

function recordsFile(name: string, n: number): { path: string; records: string[] } {
  const records = Array.from({ length: n }, (_, i) => `${name}-${String(i).padStart(4, '0')} ${'y'.repeat(i % 89)}`);
  const path = join(work, `${name}.txt`);
  writeFileSync(path, records.join('\n') + '\n');
  return { path, records };
}

describe('the npm package', () => {
  it('holds what bin, exports and the browser bundle need, and no tests, benches, sources, maps or docs beyond the README', () => {
    const files = packed.files.map((f) => f.path).sort();
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string>; exports: Record<string, string | Record<string, string>> };
    const targets = [...Object.values(pkg.bin), ...Object.values(pkg.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e)))].map((t) => t.replace(/^\.\//, ''));
    for (const t of targets) expect(files, t).toContain(t);
    for (const f of ['README.md', 'LICENSE', 'dist/core/rivulet-core.wasm', 'dist/bindings/core-wasm-embedded.js', 'dist/browser/rivulet.js', 'dist/browser/worker.js', 'host-browser/demo/index.html', 'config/server.properties']) {
      expect(files, f).toContain(f);
    }
    const stray = files.filter(
      (f) =>
        /^(test|bench|docs|scripts|examples|core|common|bindings|protocol|storage|client|host-node|build)\//.test(f) ||
        /^dist\/(bench|common|protocol|storage|client|host-node|host-browser)\//.test(f) ||
        /(^|\/)bench\/results\//.test(f) ||
        /\.test\.|\.map$|^\.|\/\./.test(f) ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')) ||
        (f.endsWith('.md') && f !== 'README.md'),
    );
    expect(stray).toEqual([]);
  });
});

describe('the npm package installed in an empty directory', () => {
  beforeAll(async () => {
    // The registry first, so an unreachable one is said plainly instead of timing out inside npm install.
    const ping = await run(npm, ['ping', '--fetch-timeout=20000', '--fetch-retries=0'], { cwd: work, timeout: 40_000 });
    if (ping.code !== 0) throw new Error(`the npm registry is unreachable, so the packed tarball's dependencies cannot be installed\n${show('npm ping', ping)}`);

    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'rivulet-user', private: true, type: 'module' }, null, 2));
    const args = ['install', '--no-audit', '--no-fund', '--fetch-timeout=60000', '--fetch-retries=1', join(work, packed.filename)];
    const i = await run(npm, args, { timeout: 240_000 });
    if (i.code !== 0) throw new Error(`installing the packed tarball failed (its dependencies come from the npm registry)\n${show('npm install', i)}`);
  }, 330_000);

  it('npx rivulet broker serves kcat and the package\'s own produce / consume, compressed batches too, and stops cleanly', async () => {
    const help = await run(npx, ['rivulet', '--help']);
    expect(help.stdout, show('npx rivulet --help', help)).toMatch(/^Usage: rivulet <command>/);

    const dataDir = join(work, 'data');
    // The sample configuration as shipped, with the flags (which win) for ports and directory.
    const b = await startBroker(dataDir, ['--config', 'node_modules/rivulet/config/server.properties', '--ws-port', '0']);
    const bootstrap = `127.0.0.1:${b.port}`;

    // kcat, plain and with each codec: the broker validates compressed batches with the installed decoders.
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      const { path, records } = recordsFile(`kcat-${codec}`, 300);
      const p = await run('kcat', ['-P', '-b', bootstrap, '-t', `t-${codec}`, '-z', codec, '-X', 'acks=all', '-l', path]);
      expect(p.stderr, show(`kcat -P -z ${codec}`, p)).toBe('');
      expect(p.code).toBe(0);
      const c = await run('kcat', ['-C', '-b', bootstrap, '-t', `t-${codec}`, '-o', 'beginning', '-e', '-q']);
      expect(lines(c.stdout), show(`kcat -C ${codec}`, c)).toEqual(records);
    }

    // The package's own tools, both ways.
    const { records } = recordsFile('cli', 500);
    const p = await run(npx, ['rivulet', 'produce', '--bootstrap-server', bootstrap, '--topic', 'cli'], { input: records.join('\n') + '\n' });
    expect(p.code, show('npx rivulet produce', p)).toBe(0);
    const c = await run(npx, ['rivulet', 'consume', '--bootstrap-server', bootstrap, '--topic', 'cli', '--from-beginning', '--max-messages', '500', '--timeout-ms', '10000']);
    expect(lines(c.stdout), show('npx rivulet consume', c)).toEqual(records);

    // The demo page comes from the package too (host-browser/demo/ and dist/browser/).
    const demo = /demo page: (http:\/\/127\.0\.0\.1:\d+\/demo\/)/.exec(b.out())?.[1];
    expect(demo, b.out()).toBeDefined();
    const page = await fetch(demo!);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);

    await stopBroker(b);
    expect(b.out()).toContain('broker stopped');
    expect(b.out()).not.toMatch(/ERROR|Uncaught/);
    expect(existsSync(join(dataDir, '.kafka_cleanshutdown'))).toBe(true);
  }, 120_000);

  it('imports rivulet and rivulet/broker by name from the installed package; the core answers', async () => {
    writeFileSync(
      join(app, 'probe.mjs'),
      [
        "import { crc32c } from 'rivulet';",
        "import { startBroker } from 'rivulet/broker';",
        "const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir: process.argv[2] });",
        'const port = broker.port;',
        'await broker.close();',
        "const crc = crc32c(new TextEncoder().encode('123456789')).toString(16);",
        "console.log('RESULT ' + JSON.stringify({ core: import.meta.resolve('rivulet'), broker: import.meta.resolve('rivulet/broker'), crc, port }));",
      ].join('\n'),
    );
    const r = await run(process.execPath, ['probe.mjs', join(work, 'probe-data')]);
    const line = lines(r.stdout).find((l) => l.startsWith('RESULT '));
    expect(line, show('node probe.mjs', r)).toBeDefined();
    const got = JSON.parse(line!.slice(7)) as { core: string; broker: string; crc: string; port: number };
    // A copy under the app's node_modules, not a link back to this checkout.
    expect(fileURLToPath(got.core)).toBe(join(app, 'node_modules/rivulet/dist/bindings/node.js'));
    expect(fileURLToPath(got.broker)).toBe(join(app, 'node_modules/rivulet/dist/broker/index.js'));
    expect(got.crc).toBe('e3069283');
    expect(got.port).toBeGreaterThan(0);
    expect(r.code).toBe(0);
  }, 30_000);
});
