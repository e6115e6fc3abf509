// A broker holds one WebAssembly core instance: storage, the group coordinator's __consumer_offsets records
// and the data path's record checks all run in the one startBroker creates. The embeddable bundle
// (dist/broker/index.js) runs in a child process that counts every instantiation; kcat produces a gzip
// batch (checked by the data path) and joins a consumer group (records written by the coordinator).
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(join(tmpdir(), 'rivulet-one-core-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHILD = `
let instances = 0;
const Instance = WebAssembly.Instance;
WebAssembly.Instance = function (...a) { instances++; return new Instance(...a); };
const instantiate = WebAssembly.instantiate;
WebAssembly.instantiate = (...a) => { instances++; return instantiate(...a); };
const { startBroker } = await import(process.argv[2]);
const b = await startBroker({ host: '127.0.0.1', port: 0, dataDir: process.argv[3], sets: [['metrics.port', '-1'], ['ws.port', '-1'], ['group.initial.rebalance.delay.ms', '0']] });
console.log('port ' + b.port);
process.once('SIGTERM', async () => {
  await b.close();
  process.stdout.write('instances ' + instances + '\\n', () => process.exit(0));
});
`;

function kcat(args: string[], input?: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const p = execFile('kcat', args, { timeout: 30_000 }, (err, _out, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }));
    if (input !== undefined) p.stdin!.end(input);
  });
}

it('one WebAssembly instance serves storage, the data path and the group coordinator', async () => {
  const script = join(dir, 'count-cores.mjs');
  writeFileSync(script, CHILD);
  const child = spawn(process.execPath, [script, join(root, 'dist/broker/index.js'), join(dir, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    for (let i = 0; i < 300 && !/port (\d+)/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    const port = /port (\d+)/.exec(out)?.[1];
    expect(port, out).toBeDefined();
    const bs = `127.0.0.1:${port}`;
    const lines = Array.from({ length: 200 }, (_, i) => `k${i}:value-${i}`).join('\n') + '\n';
    const produced = await kcat(['-P', '-b', bs, '-t', 'one-core', '-K:', '-z', 'gzip'], lines);
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await kcat(['-G', 'one-core-group', '-b', bs, '-o', 'beginning', '-e', '-X', 'enable.auto.commit=true', '-X', 'auto.commit.interval.ms=100', 'one-core']);
    expect(consumed.code, consumed.stderr).toBe(0);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(out).toMatch(/instances 1\n/);
});
