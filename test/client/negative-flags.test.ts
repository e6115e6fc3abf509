// Negative numbers as option values, as Kafka's tools and our README write them (`--throughput -1`,
// `--acks -1`, `--request-required-acks -1`, `--ws-port -1`): the shared argv step glues them to options
// that take a value, and the tools accept them and behave.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinNegativeValues } from '../../host-node/cli/argv.js';
import { run as consume } from '../../host-node/cli/consume.js';
import { run as perf } from '../../host-node/cli/perf.js';
import { run as produce } from '../../host-node/cli/produce.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { tool } from '../helpers/cli-tool.js';

const OPTIONS = {
  throughput: { type: 'string' },
  'to-offset': { type: 'string', short: 'o' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

describe('joinNegativeValues', () => {
  it('glues a negative number to the option that takes it, long or short', () => {
    expect(joinNegativeValues(['--throughput', '-1', '--json'], OPTIONS)).toEqual(['--throughput=-1', '--json']);
    expect(joinNegativeValues(['-o', '-2'], OPTIONS)).toEqual(['--to-offset=-2']);
    expect(joinNegativeValues(['--throughput', '-0.5'], OPTIONS)).toEqual(['--throughput=-0.5']);
  });

  it('leaves everything else as it is', () => {
    // A boolean option takes no value: what follows stays an argument of its own.
    expect(joinNegativeValues(['--json', '-1'], OPTIONS)).toEqual(['--json', '-1']);
    // Not a number: an option (or a mistake parseArgs reports).
    expect(joinNegativeValues(['--throughput', '-h'], OPTIONS)).toEqual(['--throughput', '-h']);
    expect(joinNegativeValues(['--throughput=-1', '--unknown', '-1'], OPTIONS)).toEqual(['--throughput=-1', '--unknown', '-1']);
    expect(joinNegativeValues(['--throughput'], OPTIONS)).toEqual(['--throughput']);
    // After `--` nothing is an option.
    expect(joinNegativeValues(['--', '--throughput', '-1'], OPTIONS)).toEqual(['--', '--throughput', '-1']);
  });
});

let broker: TestBroker;
let bs: string;
beforeAll(async () => {
  broker = await startTestBroker();
  bs = `127.0.0.1:${broker.port}`;
});
afterAll(async () => {
  await broker.close();
});

describe('the tools take negative values', () => {
  it('perf produce --throughput -1 --acks 1 (the README line) and --acks -1', async () => {
    let r = await tool(perf, ['produce', '--bootstrap-server', bs, '--topic', 'neg-perf', '--num-records', '200', '--record-size', '100', '--throughput', '-1', '--acks', '1', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ records: 200, failed: 0, acks: 1 });
    r = await tool(perf, ['produce', '--bootstrap-server', bs, '--topic', 'neg-perf', '--num-records', '100', '--throughput', '-1', '--acks', '-1', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ records: 100, failed: 0, acks: -1 });
  });

  it('perf produce still rejects a negative throughput other than -1, naming the value', async () => {
    const r = await tool(perf, ['produce', '--bootstrap-server', bs, '--topic', 'neg-perf', '--num-records', '1', '--throughput', '-5']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Invalid value '-5' for --throughput/);
  });

  it('produce --request-required-acks -1 sends with acks=all; the records come back', async () => {
    const r = await tool(produce, ['--bootstrap-server', bs, '--topic', 'neg-produce', '--request-required-acks', '-1'], 'a\nb\n');
    expect(r).toEqual({ code: 0, out: '', err: '' });
    const c = await tool(consume, ['--bootstrap-server', bs, '--topic', 'neg-produce', '--from-beginning', '--max-messages', '2', '--timeout-ms', '5000']);
    expect(c.out).toBe('a\nb\n');
  });
});
