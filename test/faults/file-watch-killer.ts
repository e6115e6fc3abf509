// Kills a process with SIGKILL the moment a file whose name matches a pattern appears in a directory, for the
// crash tests that must hit a window of a few milliseconds (a cleaned segment's `.swap` files live across two
// directory fsyncs). A process of its own that does nothing but list the directory, so the test's event loop
// (its producer, its reads) delays nothing.
// node file-watch-killer.js --pid N --dir DIR --pattern REGEX --timeout-ms T
// Names present at the start do not count. Prints `ARMED` once it has listed them, then one JSON line { killed, elapsedMs, polls, seen } (seen: the
// listing that matched) and exits 0, also when the timeout passed or the process was gone first.
import { readdirSync } from 'node:fs';

const args = new Map<string, string>();
const argv = process.argv.slice(2);
for (let i = 0; i + 1 < argv.length; i += 2) args.set(argv[i]!, argv[i + 1]!);
const pid = Number(args.get('--pid'));
const dir = args.get('--dir');
const pattern = new RegExp(args.get('--pattern') ?? '$^');
const timeoutMs = Number(args.get('--timeout-ms') ?? 30_000);
if (!Number.isInteger(pid) || pid <= 0 || !dir || !(timeoutMs > 0)) throw new Error('usage: --pid N --dir DIR --pattern REGEX --timeout-ms T');

function alive(): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function list(): string[] {
  try {
    return readdirSync(dir!);
  } catch {
    return []; // the directory may not exist yet, or be mid-rename
  }
}

const before = new Set(list().filter((n) => pattern.test(n)));
process.stdout.write('ARMED\n');
const start = performance.now();
let polls = 0;
let result: { killed: boolean; elapsedMs: number; polls: number; seen: string[] } | null = null;
// Bounded by the timeout; each pass is one readdir, a process check every 1,024 passes.
while (result === null) {
  polls++;
  const names = list();
  if (names.some((n) => pattern.test(n) && !before.has(n))) {
    let killed = true;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      killed = false;
    }
    result = { killed, elapsedMs: performance.now() - start, polls, seen: names.sort() };
  } else if (performance.now() - start > timeoutMs || (polls % 1024 === 0 && !alive())) {
    result = { killed: false, elapsedMs: performance.now() - start, polls, seen: names.sort() };
  }
}
process.stdout.write(`${JSON.stringify(result)}\n`);
