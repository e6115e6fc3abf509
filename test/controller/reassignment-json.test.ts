// kafka-reassign-partitions.sh's JSON files: parsing with the tool's checks and messages, formatting as
// it prints, and --generate's current + proposed output.
import { describe, expect, it } from 'vitest';
import { AssignmentError } from '../../host-node/controller/assignment-error.js';
import {
  formatReassignmentJson,
  formatTopicsToMoveJson,
  generateAssignment,
  parseBrokerList,
  parseReassignmentJson,
  parseTopicsToMoveJson,
  ReassignmentCommandError,
} from '../../host-node/controller/reassignment-json.js';

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ReassignmentCommandError || e instanceof AssignmentError) return e.message;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('topics to move', () => {
  it('round-trips', () => {
    const text = formatTopicsToMoveJson(['foo', 'bar']);
    expect(text).toBe('{"topics":[{"topic":"foo"},{"topic":"bar"}],"version":1}');
    expect(parseTopicsToMoveJson(text)).toEqual(['foo', 'bar']);
  });
  it.each([
    ['{', 'The input string is not a valid JSON'],
    ['{"topics":[{"topic":"a"}],"version":2}', 'Not supported version field value 2'],
    ['{"topics":[{"topic":"a"},{"topic":"a"}],"version":1}', 'List of topics to reassign contains duplicate entries: a'],
    ['{"topics":[{"name":"a"}],"version":1}', 'Expected a string for "topic" in {"name":"a"}'],
  ])('refuses %s', (text, message) => {
    expect(refusal(() => parseTopicsToMoveJson(text))).toBe(message);
  });
});

describe('partition assignment', () => {
  it('parses, defaulting log_dirs to any, and formats sorted by topic and partition', () => {
    const parts = parseReassignmentJson('{"version":1,"partitions":[{"topic":"b","partition":1,"replicas":[3,1]},{"topic":"a","partition":2,"replicas":[1],"log_dirs":["/d"]},{"topic":"b","partition":0,"replicas":[2]}]}');
    expect(parts[0]).toEqual({ topic: 'b', partition: 1, replicas: [3, 1], logDirs: ['any', 'any'] });
    expect(formatReassignmentJson(parts)).toBe(
      '{"version":1,"partitions":[{"topic":"a","partition":2,"replicas":[1],"log_dirs":["/d"]},{"topic":"b","partition":0,"replicas":[2],"log_dirs":["any"]},{"topic":"b","partition":1,"replicas":[3,1],"log_dirs":["any","any"]}]}',
    );
  });
  it.each([
    ['{"version":1,"partitions":[]}', 'Partition reassignment list cannot be empty.'],
    ['{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[]}]}', 'Partition replica list cannot be empty.'],
    ['{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[1]},{"topic":"a","partition":0,"replicas":[2]}]}', 'Partition reassignment contains duplicate topic partitions: a-0'],
    ['{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[1,1,2,2]}]}', 'Partition replica lists may not contain duplicate entries: a-0 contains multiple entries for 1,2'],
    ['{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[1,2],"log_dirs":["any"]}]}', 'Size of replicas list List(1, 2) is different from size of log dirs list List(any) for partition a-0'],
    ['{"version":1,"partitions":[{"topic":"a","partition":"0","replicas":[1]}]}', 'Expected an integer for "partition" in {"topic":"a","partition":"0","replicas":[1]}'],
  ])('refuses %s', (text, message) => {
    expect(refusal(() => parseReassignmentJson(text))).toBe(message);
  });
});

describe('broker list', () => {
  it('parses and refuses duplicates or junk', () => {
    expect(parseBrokerList('1, 2,3')).toEqual([1, 2, 3]);
    expect(refusal(() => parseBrokerList('1,2,1'))).toBe('Broker list contains duplicate entries: 1');
    expect(refusal(() => parseBrokerList('1,x'))).toBe('Invalid broker list: 1,x');
  });
});

describe('--generate', () => {
  const current = new Map([
    ['foo', [[1, 2], [2, 3], [3, 1]]],
    ['bar', [[1]]],
  ]);
  const racks = new Map<number, string | null>([
    [1, null],
    [2, null],
    [3, null],
    [4, null],
  ]);

  it('prints the current assignment and a proposal over the given brokers with the same replication factor', () => {
    const g = generateAssignment(current, [2, 4], racks, { random: () => 0 });
    expect(g.proposed).toEqual([
      { topic: 'foo', partition: 0, replicas: [2, 4], logDirs: ['any', 'any'] },
      { topic: 'foo', partition: 1, replicas: [4, 2], logDirs: ['any', 'any'] },
      { topic: 'foo', partition: 2, replicas: [2, 4], logDirs: ['any', 'any'] },
      { topic: 'bar', partition: 0, replicas: [2], logDirs: ['any'] },
    ]);
    expect(g.text).toBe(
      'Current partition replica assignment\n' +
        '{"version":1,"partitions":[{"topic":"bar","partition":0,"replicas":[1],"log_dirs":["any"]},{"topic":"foo","partition":0,"replicas":[1,2],"log_dirs":["any","any"]},{"topic":"foo","partition":1,"replicas":[2,3],"log_dirs":["any","any"]},{"topic":"foo","partition":2,"replicas":[3,1],"log_dirs":["any","any"]}]}\n\n' +
        'Proposed partition reassignment configuration\n' +
        '{"version":1,"partitions":[{"topic":"bar","partition":0,"replicas":[2],"log_dirs":["any"]},{"topic":"foo","partition":0,"replicas":[2,4],"log_dirs":["any","any"]},{"topic":"foo","partition":1,"replicas":[4,2],"log_dirs":["any","any"]},{"topic":"foo","partition":2,"replicas":[2,4],"log_dirs":["any","any"]}]}\n',
    );
    expect(parseReassignmentJson(g.text.split('\n')[4]!)).toEqual(g.proposed.slice().sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition));
  });

  it('refuses too few brokers for a topic, and a mix of racks unless rack awareness is off', () => {
    expect(refusal(() => generateAssignment(current, [4], racks))).toBe('Replication factor: 2 larger than available brokers: 1.');
    const mixed = new Map<number, string | null>([
      [1, 'a'],
      [2, null],
    ]);
    expect(refusal(() => generateAssignment(new Map([['bar', [[1]]]]), [1, 2], mixed))).toBe(
      'Not all brokers have rack information. Add --disable-rack-aware in command line to make replica assignment without rack information.',
    );
    expect(generateAssignment(new Map([['bar', [[1]]]]), [1, 2], mixed, { rackAware: false, random: () => 0 }).proposed[0]!.replicas).toEqual([1]);
  });
});
