// The README's "Using the broker" section as a new user follows it: every command of its `sh` blocks,
// read from the README (so the test follows its edits), runs with bash in the order written against one
// fresh broker, exits 0 and prints what the README promises. The commands run as written except for
// these rewrites, each needed to run in a test:
// - `127.0.0.1:9092` becomes the test broker's ephemeral address;
// - `rivulet …` and `npx rivulet …` become `node bin/rivulet.js …` (the checkout's built CLI);
// - the perf tools' 1,000,000 records become PERF_RECORDS, to keep the run short;
// - a tailing `kcat -C` (no -e, stopped with Ctrl-C by a user) gets -e, so it exits at the end of the topic;
// - a command starting a broker gets --port 0, a temporary --data-dir and listeners, log.dirs and the
//   WebSocket/metrics ports from the environment (0 = ephemeral), so it cannot collide with anything on
//   the machine; it must report where its data lives, listen, and exit 0 on SIGTERM.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const PERF_RECORDS = 10_000;
const LISTENING = /listening on PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/;

/** The commands of the `sh` blocks under "## Using the broker" (up to the next `## `), continuations joined. */
function sectionCommands(readme: string): string[] {
  const section = /^## Using the broker$([\s\S]*?)(?=^## )/m.exec(readme);
  if (section === null) throw new Error('README has no "## Using the broker" section');
  const commands: string[] = [];
  for (const block of section[1]!.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    const lines = block[1]!.replace(/\\\n\s*/g, '').split('\n');
    commands.push(...lines.map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')));
  }
  return commands;
}

/** The command without its trailing `# comment` (a `#` after the last quote), for matching. */
function withoutComment(command: string): string {
  return command.replace(/\s+#[^'"]*$/, '');
}

/** What the README promises a command prints on stdout, found by the command's text (comment left out). */
const expected: { command: RegExp; stdout: (port: number) => RegExp }[] = [
  { command: /^kcat -L /, stdout: (port) => new RegExp(`broker 1 at 127\\.0\\.0\\.1:${port} \\(controller\\)`) },
  { command: /^kcat -C .* -t greetings /, stdout: () => /^k1 hello @0$/m },
  { command: /topics .* --create --topic orders /, stdout: () => /^Created topic orders\.$/m },
  { command: /topics .* --list$/, stdout: () => /^greetings\n(?:.*\n)*orders$/m },
  { command: /topics .* --describe --topic orders$/, stdout: () => /PartitionCount: 3\s+ReplicationFactor: 1\s+Configs: retention\.ms=86400000/ },
  { command: /consume .* --topic orders .*--max-messages 2/, stdout: () => /(?=[\s\S]*^CreateTime:\d+\tPartition:\d+\tOffset:0\ta\t1$)(?=[\s\S]*^CreateTime:\d+\tPartition:\d+\tOffset:0\tb\t2$)/m },
  { command: /^kcat -G my-app /, stdout: () => /^(a 1\nb 2|b 2\na 1)$/m },
  { command: /groups .* --list$/, stdout: () => /^my-app$/m },
  { command: /groups .* --describe --group my-app$/, stdout: () => /^GROUP +TOPIC +PARTITION +CURRENT-OFFSET +LOG-END-OFFSET +LAG\b[\s\S]*^my-app +orders +\d+ +1 +1 +0 /m },
  { command: /groups .* --reset-offsets .* --execute$/, stdout: () => /^GROUP +TOPIC +PARTITION +NEW-OFFSET\n(?:my-app +orders +\d +0\n){6}/m },
  { command: /^rivulet perf produce /, stdout: () => new RegExp(`^${PERF_RECORDS} records sent`, 'm') },
  { command: /^rivulet perf consume /, stdout: () => new RegExp(`^${PERF_RECORDS} records consumed`, 'm') },
  { command: /^kcat -C .* -t demo /, stdout: () => /hello from kcat/ },
];

/** The README command as the test runs it (the rewrites in the header comment); broker commands apart. */
function forTest(command: string, port: number): string {
  let c = command
    .replaceAll('127.0.0.1:9092', `127.0.0.1:${port}`)
    .replace(/(^|\|\s*|&&\s*)(?:npx )?rivulet /g, '$1node bin/rivulet.js ')
    .replaceAll('--num-records 1000000', `--num-records ${PERF_RECORDS}`);
  if (/^kcat -C /.test(c) && !/ -e\b/.test(c)) c = c.replace(/^kcat -C /, 'kcat -C -e ');
  return c;
}

function isBroker(command: string): boolean {
  return /^(?:node bin\/|npx )?rivulet(?:\.js)? broker\b/.test(command);
}

/** Starts `command` (a broker) with bash and resolves with it and its stderr once it is listening. */
function startBroker(command: string, env: NodeJS.ProcessEnv): Promise<{ child: ReturnType<typeof spawn>; stderr: () => string; port: number }> {
  const child = spawn('bash', ['-c', `exec ${command}`], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no listening line from ${command}: ${stderr}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = LISTENING.exec(stderr);
      if (m) {
        clearTimeout(t);
        resolve({ child, stderr: () => stderr, port: Number(m[1]) });
      }
    });
    child.on('exit', (code) => reject(new Error(`${command} exited ${code}: ${stderr}`)));
  });
}

/** SIGTERM, then how the process ended: `exit 0` for a clean stop, else its code or signal. */
function stop(child: ReturnType<typeof spawn>): Promise<string> {
  const exited = new Promise<string>((r) => child.on('exit', (code, signal) => r(code === null ? `signal ${signal}` : `exit ${code}`)));
  child.kill('SIGTERM');
  return exited;
}

/** The newest mtime of a .ts file under dir: the built CLI is stale when older. */
function newest(dir: string): number {
  let t = 0;
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : n.endsWith('.ts') ? s.mtimeMs : 0);
  }
  return t;
}

const commands = sectionCommands(readFileSync(join(root, 'README.md'), 'utf8'));
const temp = mkdtempSync(join(tmpdir(), 'rivulet-readme-'));
let broker: Awaited<ReturnType<typeof startBroker>>;

beforeAll(async () => {
  const entry = join(root, 'dist/host-node/cli/main.js');
  if (!existsSync(entry) || statSync(entry).mtimeMs < newest(join(root, 'host-node'))) {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  }
  broker = await startBroker(`node bin/rivulet.js broker --port 0 --host 127.0.0.1 --data-dir ${join(temp, 'broker')} --ws-port -1 --metrics-port -1`, {});
}, 180_000);

afterAll(async () => {
  if (broker) expect(await stop(broker.child), broker.stderr()).toBe('exit 0');
  rmSync(temp, { recursive: true, force: true });
});

describe('README: Using the broker, top to bottom on a fresh broker', () => {
  it('has its command blocks, each command with what it should print found', () => {
    expect(commands.length).toBeGreaterThan(15);
    for (const e of expected) expect(commands.filter((c) => e.command.test(withoutComment(c))), String(e.command)).toHaveLength(1);
  });

  it.each(commands.map((c, i) => [i + 1, c] as const))('%i: %s', async (i, command) => {
    if (isBroker(command)) return runBrokerCommand(command, i);
    const { stdout } = await run('bash', ['-c', forTest(command, broker.port)], { cwd: root, timeout: 60_000 });
    const e = expected.find((x) => x.command.test(withoutComment(command)));
    if (e) expect(stdout).toMatch(e.stdout(broker.port));
  }, 90_000);
});

/** A broker-starting command of the Configuration block: it says where its data lives, listens, stops cleanly. */
async function runBrokerCommand(command: string, i: number): Promise<void> {
  const dataDir = join(temp, `command-${i}`);
  const c = forTest(command, broker.port)
    .replace(/--port \d+/, '--port 0')
    .replace(/--data-dir \S+/, `--data-dir ${dataDir}`)
    .replace(/--metrics-port \d+/, '--metrics-port 0');
  const env = { RIVULET_LISTENERS: 'PLAINTEXT://127.0.0.1:0', RIVULET_LOG_DIRS: dataDir, RIVULET_WS_PORT: '0', RIVULET_METRICS_PORT: '0' };
  const started = await startBroker(c, env);
  expect(started.stderr()).toContain(`data in ${dataDir} (log.dirs)`);
  expect(await stop(started.child), started.stderr()).toBe('exit 0');
}
