// Builds and runs test/security/go/sarama-sasl (sarama over SASL) offline, as test/real-clients/go/sarama.ts
// builds sarama-client: GOPATH mode over Debian's sources, the binary cached in the temp dir by source hash.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SRC_DIR = fileURLToPath(new URL('./sarama-sasl/', import.meta.url));
const GOPATH = process.env.RIVULET_GOPATH ?? '/usr/share/gocode';

let built: Promise<string> | null = null;

export function saramaSasl(): Promise<string> {
  return (built ??= build());
}

async function build(): Promise<string> {
  const goVersion = (await run('go', ['version'])).stdout.trim();
  const src = readFileSync(join(SRC_DIR, 'main.go'));
  const hash = createHash('sha256').update(src).update(goVersion).update(GOPATH).digest('hex').slice(0, 16);
  const cacheDir = join(tmpdir(), 'rivulet-go');
  const bin = join(cacheDir, `sarama-sasl-${hash}`);
  if (existsSync(bin)) return bin;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const env = { ...process.env, GO111MODULE: 'off', GOPATH, GOPROXY: 'off', GOFLAGS: '', CGO_ENABLED: '0', GOCACHE: join(cacheDir, 'gocache'), HOME: process.env.HOME ?? cacheDir };
  await run('go', ['build', '-o', tmp, 'main.go'], { cwd: SRC_DIR, env, timeout: 300_000 });
  renameSync(tmp, bin); // atomic: parallel test files never run a half-written binary
  return bin;
}

/** Runs sarama-sasl; resolves with its JSON result line (`values` or `error`). */
export async function runSaramaSasl(args: string[], timeoutMs = 60_000): Promise<{ values?: string[]; error?: string }> {
  const bin = await saramaSasl();
  let stdout: string;
  try {
    stdout = (await run(bin, args, { timeout: timeoutMs })).stdout;
  } catch (e) {
    stdout = (e as { stdout?: string }).stdout ?? '';
    if (stdout.trim() === '') return { error: (e as Error).message };
  }
  return JSON.parse(stdout.trim().split('\n').pop()!) as { values?: string[]; error?: string };
}
