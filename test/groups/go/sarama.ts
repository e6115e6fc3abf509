// Builds test/groups/go/sarama-group (a sarama consumer group; Debian's sarama 1.22 sources) offline in GOPATH
// mode, cached in the temp dir by a hash of the source and `go version` — the same recipe as
// test/real-clients/go/sarama.ts.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SRC_DIR = fileURLToPath(new URL('./sarama-group/', import.meta.url));
const GOPATH = process.env.RIVULET_GOPATH ?? '/usr/share/gocode';

let built: Promise<string> | null = null;

/** Path of the built sarama-group binary; rejects when go or the sarama sources are missing. */
export function saramaGroup(): Promise<string> {
  return (built ??= build());
}

async function build(): Promise<string> {
  const goVersion = (await run('go', ['version'])).stdout.trim();
  if (!existsSync(join(GOPATH, 'src/github.com/Shopify/sarama'))) throw new Error(`sarama sources not found under ${GOPATH}`);
  const src = readFileSync(join(SRC_DIR, 'main.go'));
  const hash = createHash('sha256').update(src).update(goVersion).update(GOPATH).digest('hex').slice(0, 16);
  const cacheDir = join(tmpdir(), 'rivulet-go');
  const bin = join(cacheDir, `sarama-group-${hash}`);
  if (existsSync(bin)) return bin;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  await run('go', ['build', '-o', tmp, 'main.go'], {
    cwd: SRC_DIR,
    timeout: 300_000,
    env: { ...process.env, GO111MODULE: 'off', GOPATH, GOPROXY: 'off', GOFLAGS: '', CGO_ENABLED: '0', GOCACHE: join(cacheDir, 'gocache'), HOME: process.env.HOME ?? cacheDir },
  });
  renameSync(tmp, bin);
  return bin;
}
