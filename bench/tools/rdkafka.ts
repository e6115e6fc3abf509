// Our C librdkafka load generator (bench/tools/rdkafka-perf.c): where its binary lives and how it is built.
// Shared by bench/broker.ts and bench/profile.ts.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const RDKAFKA_SRC = join(root, 'bench/tools/rdkafka-perf.c');
export const RDKAFKA_BIN = join(root, 'build/bench/rdkafka-perf');

/** Runs a command to completion; rejects with the tail of its output on a non-zero exit or after timeoutMs. */
function run(cmd: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: root, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) resolve();
      else reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} … failed: ${(stderr || stdout || err.message).trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

/**
 * Builds bench/tools/rdkafka-perf.c against Debian's librdkafka (gcc -O2 -lrdkafka) into build/bench/ when
 * missing or older than its source. Without the headers it installs librdkafka-dev when running as root
 * (apt, under the shared apt lock), else returns why it cannot.
 */
export async function buildRdkafkaPerf(): Promise<string | null> {
  if (existsSync(RDKAFKA_BIN) && statSync(RDKAFKA_BIN).mtimeMs >= statSync(RDKAFKA_SRC).mtimeMs) return null;
  if (!existsSync('/usr/bin/gcc')) return 'gcc missing: apt-get install gcc librdkafka-dev';
  if (!existsSync('/usr/include/librdkafka/rdkafka.h')) {
    if (process.getuid?.() !== 0) return 'librdkafka headers missing: apt-get install librdkafka-dev';
    console.log('  installing librdkafka-dev (apt-get)…');
    try {
      await run('flock', ['/tmp/rivulet-apt.lock', 'apt-get', 'install', '-y', 'librdkafka-dev'], 300_000);
    } catch (e) {
      return `apt-get install librdkafka-dev failed: ${(e as Error).message}`;
    }
  }
  mkdirSync(join(root, 'build/bench'), { recursive: true });
  try {
    await run('/usr/bin/gcc', ['-O2', '-Wall', '-o', RDKAFKA_BIN, RDKAFKA_SRC, '-lrdkafka'], 120_000);
  } catch (e) {
    return `cannot build rdkafka-perf: ${(e as Error).message}`;
  }
  return null;
}

/**
 * Runs rdkafka-perf and parses the JSON object it prints last. `children` (optional) tracks the process so
 * a bench can kill what is left when it exits.
 */
export function runRdkafkaPerf<T>(mode: 'produce' | 'consume', args: string[], o: { cwd: string; timeoutMs: number; children?: Set<ChildProcess> }): Promise<T> {
  return new Promise((resolve, reject) => {
    const c = spawn(RDKAFKA_BIN, [mode, ...args], { cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    o.children?.add(c);
    let out = '';
    let err = '';
    c.stdout!.on('data', (d) => (out += d));
    c.stderr!.on('data', (d) => (err += d));
    const t = setTimeout(() => c.kill('SIGKILL'), o.timeoutMs);
    c.on('error', reject);
    c.on('close', (code, sig) => {
      clearTimeout(t);
      o.children?.delete(c);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop()!) as T);
      else reject(new Error(`rdkafka-perf ${mode} exited ${code ?? sig}: ${(err || out).trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}
