// `rivulet perf produce` / `perf consume` against an in-process broker, small counts: the summaries'
// record counts, the --json fields, and that the records landed (ListOffsets).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, OffsetSpec } from '../../host-node/client/index.js';
import { run } from '../../host-node/cli/perf.js';
import { main } from '../../host-node/cli/main.js';
import type { ToolIO } from '../../host-node/cli/client-tool.js';
import { startDataBroker, type DataBroker } from '../helpers/data-broker.js';

function captureIO(): ToolIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdin: process.stdin,
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    out: () => out,
    err: () => err,
  };
}

let b: DataBroker;
let admin: Admin;
beforeAll(async () => {
  b = await startDataBroker();
  admin = new Admin({ bootstrapServers: b.bootstrap, clientId: 'perf-test' });
});
afterAll(async () => {
  await admin?.cluster.close();
  await b?.dispose();
});

async function endOffsets(topic: string): Promise<bigint> {
  const offs = await admin.listOffsets(topic, OffsetSpec.LATEST);
  return offs.reduce((s, o) => s + o.offset, 0n);
}

describe('rivulet perf', () => {
  it('produce prints a Kafka-style summary and the records land; consume reads them back', async () => {
    const io = captureIO();
    const rc = await run(['produce', '--bootstrap-server', b.bootstrap, '--topic', 'perf-a', '--num-records', '3000', '--record-size', '100', '--acks', '1', '--partitions', '1', '--reporting-interval', '0'], io);
    expect(io.err()).toBe('');
    expect(rc).toBe(0);
    expect(io.out()).toMatch(/^3000 records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, [\d.]+ ms 50th, [\d.]+ ms 95th, [\d.]+ ms 99th, [\d.]+ ms 99\.9th\.\n$/);
    expect(await endOffsets('perf-a')).toBe(3000n);

    const cio = captureIO();
    expect(await run(['consume', '--bootstrap-server', b.bootstrap, '--topic', 'perf-a', '--num-records', '3000', '--timeout', '5000'], cio)).toBe(0);
    expect(cio.out()).toMatch(/^3000 records consumed, [\d.]+ records\/sec \([\d.]+ MB\/sec, 0\.29 MB in [\d.]+ s\), \d+ fetches, fetch latency /);
  });

  it('--json: several producers, acks=all, 4 partitions; consume --json', async () => {
    const io = captureIO();
    const rc = await run(
      ['produce', '--bootstrap-server', b.bootstrap, '--topic', 'perf-b', '--num-records', '5001', '--record-size', '1024', '--acks', 'all', '--producers', '3', '--partitions', '4', '--batch-size', '8192', '--linger-ms', '2', '--throughput', '50000', '--json'],
      io,
    );
    expect(rc).toBe(0);
    const r = JSON.parse(io.out());
    expect(r).toMatchObject({ mode: 'produce', topic: 'perf-b', records: 5001, failed: 0, recordSize: 1024, producers: 3, acks: -1, batchSize: 8192, lingerMs: 2, compression: 'none' });
    for (const k of ['elapsedMs', 'recordsPerSec', 'mbPerSec']) expect(r[k]).toBeGreaterThan(0);
    expect(r.latency.count).toBe(5001);
    for (const k of ['avgMs', 'maxMs', 'p50Ms', 'p95Ms', 'p99Ms', 'p999Ms']) expect(typeof r.latency[k]).toBe('number');
    expect(r.latency.p50Ms).toBeLessThanOrEqual(r.latency.p999Ms);
    expect(r.latency.p999Ms).toBeLessThanOrEqual(r.latency.maxMs + 0.01);
    const offs = await admin.listOffsets('perf-b', OffsetSpec.LATEST);
    expect(offs).toHaveLength(4);
    expect(await endOffsets('perf-b')).toBe(5001n);

    const cio = captureIO();
    expect(await run(['consume', '--bootstrap-server', b.bootstrap, '--topic', 'perf-b', '--num-records', '5001', '--json'], cio)).toBe(0);
    const c = JSON.parse(cio.out());
    expect(c).toMatchObject({ mode: 'consume', topic: 'perf-b', records: 5001, bytes: 5001 * 1024, timedOut: false });
    expect(c.fetches).toBeGreaterThan(0);
    expect(c.fetchLatency.count).toBeGreaterThan(0);
    expect(c.endToEndLatency.count).toBe(5001);
  });

  it('small batches to one partition: each acknowledged once, in order (one batch per partition per request)', async () => {
    const io = captureIO();
    expect(await run(['produce', '--bootstrap-server', b.bootstrap, '--topic', 'perf-d', '--num-records', '4000', '--record-size', '200', '--batch-size', '1024', '--partitions', '1', '--json'], io)).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ records: 4000, failed: 0 });
    expect(await endOffsets('perf-d')).toBe(4000n);
  });

  it('consume gives up after --timeout when fewer records exist (exit 1, timedOut)', async () => {
    await run(['produce', '--bootstrap-server', b.bootstrap, '--topic', 'perf-c', '--num-records', '10', '--partitions', '1', '--json'], captureIO());
    const cio = captureIO();
    expect(await run(['consume', '--bootstrap-server', b.bootstrap, '--topic', 'perf-c', '--num-records', '20', '--timeout', '300', '--fetch-max-wait-ms', '50', '--json'], cio)).toBe(1);
    expect(JSON.parse(cio.out())).toMatchObject({ records: 10, timedOut: true });
  });

  it('usage errors exit 1; the perf command is in the CLI table', async () => {
    const io = captureIO();
    expect(await run(['produce', '--topic', 'x', '--num-records', '1'], io)).toBe(1);
    expect(io.err()).toContain('bootstrap-server');
    const io2 = captureIO();
    expect(await run(['bogus'], io2)).toBe(1);
    const write = process.stdout.write;
    let out = '';
    process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
    try {
      expect(await main(['perf', '--help'])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(out).toContain('rivulet perf produce|consume');
  });
});
