// Builds and runs test/real-clients/go/sarama-client (the sarama Go client, Debian's sarama 1.22 sources).
//
// Offline build in GOPATH mode against Debian's packages (scripts/install-test-deps.sh installs golang-go and
// golang-github-shopify-sarama-dev): GO111MODULE=off, GOPATH=/usr/share/gocode, GOPROXY=off, CGO_ENABLED=0
// (sarama then uses its pure-Go zstd fallback instead of compiling DataDog/zstd's C sources).
// The binary is cached in the temp dir by a hash of the source and `go version`, so it is built once per
// machine (~15 s cold), and the Go build cache is kept next to it.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SRC_DIR = fileURLToPath(new URL('./sarama-client/', import.meta.url));
const GOPATH = process.env.RIVULET_GOPATH ?? '/usr/share/gocode';
const SARAMA_DIR = join(GOPATH, 'src/github.com/Shopify/sarama');

function goEnv(cacheDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GO111MODULE: 'off',
    GOPATH,
    GOPROXY: 'off',
    GOFLAGS: '',
    CGO_ENABLED: '0',
    GOCACHE: join(cacheDir, 'gocache'),
    HOME: process.env.HOME ?? cacheDir,
  };
}

let built: Promise<string> | null = null;

/** Path of the built sarama-client binary (built on first use, then cached by source hash). */
export function saramaClient(): Promise<string> {
  return (built ??= build());
}

async function build(): Promise<string> {
  const goVersion = await run('go', ['version'])
    .then((r) => r.stdout.trim())
    .catch(() => {
      throw new Error('`go` not found: run `bash scripts/install-test-deps.sh` as root (Debian golang-go + golang-github-shopify-sarama-dev)');
    });
  if (!existsSync(SARAMA_DIR))
    throw new Error(`sarama sources not found at ${SARAMA_DIR}: run \`bash scripts/install-test-deps.sh\` as root (golang-github-shopify-sarama-dev)`);
  const src = readFileSync(join(SRC_DIR, 'main.go'));
  const hash = createHash('sha256').update(src).update(goVersion).update(GOPATH).digest('hex').slice(0, 16);
  const cacheDir = join(tmpdir(), 'rivulet-go');
  const bin = join(cacheDir, `sarama-client-${hash}`);
  if (existsSync(bin)) return bin;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  try {
    await run('go', ['build', '-o', tmp, 'main.go'], { cwd: SRC_DIR, env: goEnv(cacheDir), timeout: 300_000 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`building sarama-client failed: ${err.stderr || err.message}`);
  }
  renameSync(tmp, bin); // atomic: parallel test files never run a half-written binary
  return bin;
}

export type SaramaLine = Record<string, unknown>;

export interface SaramaResult {
  lines: SaramaLine[];
  stderr: string;
  code: number;
}

/** Runs the client; resolves with its JSON lines whatever the exit code (an error line has `error`). */
export async function runSarama(args: string[], timeoutMs = 60_000): Promise<SaramaResult> {
  const bin = await saramaClient();
  let stdout = '';
  let stderr = '';
  let code = 0;
  try {
    const r = await run(bin, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    stdout = r.stdout;
    stderr = r.stderr;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number | string; message: string };
    stdout = err.stdout ?? '';
    stderr = `${err.stderr ?? ''}${err.message}`;
    code = typeof err.code === 'number' ? err.code : 1;
  }
  const lines = stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as SaramaLine);
  return { lines, stderr, code };
}

/** Runs the client and throws unless it ended with a `done` line. Returns the lines before it, and the done line. */
export async function sarama(args: string[], timeoutMs?: number): Promise<{ records: SaramaLine[]; done: SaramaLine }> {
  const r = await runSarama(args, timeoutMs);
  const last = r.lines[r.lines.length - 1];
  if (r.code !== 0 || !last || last.done !== true)
    throw new Error(`sarama-client ${args.join(' ')} failed (exit ${r.code}): ${JSON.stringify(r.lines.slice(-3))} ${r.stderr.slice(-2000)}`);
  return { records: r.lines.slice(0, -1), done: last };
}
