// `rivulet groups` — Kafka's kafka-consumer-groups.sh: --list, --describe (offsets, --members, --state),
// --reset-offsets (dry run by default, --execute refused while the group is active), --delete,
// --delete-offsets. Output layout and messages follow Kafka's ConsumerGroupCommand; exit code 0 on
// success, 1 on errors.
import { parseArgs } from 'node:util';
import { joinNegativeValues } from './argv.js';
import { Admin } from '../client/admin.js';
import { KafkaProtocolError } from '../../client/errors.js';
import type { Connection } from '../client/connection.js';
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode, errorByCode } from '../../protocol/errors.js';
import { Reader } from '../../protocol/wire/reader.js';
import { decodeConsumerProtocolAssignment } from '../../protocol/generated/consumer-protocol-assignment.js';
import { intOption, parseOrUsage, processIO, runWithAdmin, ToolError, UsageError, type ToolIO } from './client-tool.js';

const USAGE = `Usage: rivulet groups --bootstrap-server <host:port> <action> [options]

Actions (exactly one):
  --list                      List all consumer groups (with --state: and their states).
  --describe                  Describe --group(s) or --all-groups: offsets and lag (default), --members
                              (with --verbose: their partitions) or --state.
  --reset-offsets             Reset the offsets of --group (or --all-groups) for --topic(s) or --all-topics
                              to one of the specs below. A dry run unless --execute; the group must be inactive.
  --delete                    Delete --group(s) (or --all-groups); they must be empty.
  --delete-offsets            Delete the offsets of --group for --topic(s).

Options:
  --bootstrap-server <h:p>    Broker(s) to connect to (comma-separated). Required.
  --command-config <file>     Client properties (security.protocol, ssl.*, sasl.*) for the broker connections.
  --group <id>                A consumer group (repeatable).
  --all-groups                Every group.
  --topic <t[:p,p]>           A topic, optionally some partitions (repeatable).
  --all-topics                Every topic the group has offsets for (reset).
  --members / --state / --offsets / --verbose   What --describe shows.
  --to-earliest | --to-latest | --to-current | --to-offset <n> | --shift-by <n> |
  --to-datetime <YYYY-MM-DDTHH:mm:SS.sss> | --by-duration <PnDTnHnMnS>        Reset specs.
  --dry-run | --execute       Reset: show or do it.
  --command-timeout <ms>      Request timeout (default 30000).
  -h, --help                  This help.
`;

const OPTIONS = {
  'bootstrap-server': { type: 'string' },
  'command-config': { type: 'string' },
  list: { type: 'boolean' },
  describe: { type: 'boolean' },
  'reset-offsets': { type: 'boolean' },
  delete: { type: 'boolean' },
  'delete-offsets': { type: 'boolean' },
  group: { type: 'string', multiple: true },
  'all-groups': { type: 'boolean' },
  topic: { type: 'string', multiple: true },
  'all-topics': { type: 'boolean' },
  members: { type: 'boolean' },
  state: { type: 'boolean' },
  offsets: { type: 'boolean' },
  verbose: { type: 'boolean' },
  'to-earliest': { type: 'boolean' },
  'to-latest': { type: 'boolean' },
  'to-current': { type: 'boolean' },
  'to-offset': { type: 'string' },
  'shift-by': { type: 'string' },
  'to-datetime': { type: 'string' },
  'by-duration': { type: 'string' },
  'dry-run': { type: 'boolean' },
  execute: { type: 'boolean' },
  'command-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const parse = (argv: string[]) => parseArgs({ args: joinNegativeValues(argv, OPTIONS), strict: true, allowPositionals: false, options: OPTIONS });
type Values = ReturnType<typeof parse>['values'];


const EARLIEST = -2n;
const LATEST = -1n;

/** Kafka's tools print tables with columns padded to their widest cell. */
function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 1))).join('').trimEnd()).join('\n') + '\n';
}

function check(code: number, what: string): void {
  if (code !== ErrorCode.NONE) throw new KafkaProtocolError(code, what);
}

interface Described {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: { memberId: string; clientId: string; host: string; partitions: { topic: string; partition: number }[] }[];
}

class GroupsClient {
  private readonly coordinators = new Map<string, Connection>();
  constructor(readonly admin: Admin) {}

  async coordinator(groupId: string): Promise<Connection> {
    const known = this.coordinators.get(groupId);
    if (known?.isOpen) return known;
    const c = await findCoordinator(this.admin, groupId);
    check(c.errorCode, `find the coordinator of group ${groupId}`);
    const conn = await this.admin.cluster.connectionTo(c.host, c.port);
    this.coordinators.set(groupId, conn);
    return conn;
  }

  async listGroups(): Promise<{ groupId: string; state: string; protocolType: string }[]> {
    const conn = await this.admin.cluster.anyConnection();
    const r = (await conn.send(ApiKey.ListGroups, { statesFilter: [], typesFilter: [] }))!;
    check(r.errorCode, 'list groups');
    return r.groups.map((g) => ({ groupId: g.groupId, state: g.groupState, protocolType: g.protocolType })).sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  async describe(groupId: string): Promise<Described> {
    const conn = await this.coordinator(groupId);
    const r = (await conn.send(ApiKey.DescribeGroups, { groups: [groupId], includeAuthorizedOperations: false }))!;
    const g = r.groups[0]!;
    check(g.errorCode, `describe group ${groupId}`);
    return {
      groupId,
      state: g.groupState,
      protocolType: g.protocolType,
      protocol: g.protocolData,
      members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost, partitions: g.protocolType === 'consumer' ? assignedPartitions(m.memberAssignment) : [] })),
    };
  }

  async committed(groupId: string, topics: { name: string; partitions: number[] }[] | null): Promise<Map<string, Map<number, bigint>>> {
    const conn = await this.coordinator(groupId);
    const ts = topics === null ? null : topics.map((t) => ({ name: t.name, partitionIndexes: t.partitions }));
    const r = (await conn.send(ApiKey.OffsetFetch, conn.version(ApiKey.OffsetFetch) >= 8 ? { groups: [{ groupId, memberId: null, memberEpoch: -1, topics: ts }] } : { groupId, topics: ts }))!;
    const out = new Map<string, Map<number, bigint>>();
    const groupTopics = r.groups.length > 0 ? (check(r.groups[0]!.errorCode, `fetch offsets of ${groupId}`), r.groups[0]!.topics) : (check(r.errorCode, `fetch offsets of ${groupId}`), r.topics);
    for (const t of groupTopics) {
      const m = new Map<number, bigint>();
      for (const p of t.partitions) if (p.committedOffset >= 0n) m.set(p.partitionIndex, p.committedOffset);
      if (m.size > 0) out.set(t.name, m);
    }
    return out;
  }

  async offsets(topic: string, spec: bigint, partitions?: number[]): Promise<Map<number, bigint>> {
    const r = await this.admin.listOffsets(topic, spec, partitions);
    return new Map(r.map((x) => [x.partition, x.offset]));
  }

  async commit(groupId: string, offsets: { topic: string; partition: number; offset: bigint }[]): Promise<void> {
    const conn = await this.coordinator(groupId);
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint }[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partitionIndex: o.partition, committedOffset: o.offset }]);
    const r = (await conn.send(ApiKey.OffsetCommit, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions: partitions.map((p) => ({ ...p, committedLeaderEpoch: -1, committedMetadata: '' })) })),
    }))!;
    for (const t of r.topics) for (const p of t.partitions) check(p.errorCode, `commit offsets of ${groupId} for ${t.name}-${p.partitionIndex}`);
  }
}

function assignedPartitions(bytes: Uint8Array): { topic: string; partition: number }[] {
  if (bytes.length < 2) return [];
  try {
    const r = new Reader(bytes);
    const v = r.int16();
    const a = decodeConsumerProtocolAssignment(r, Math.min(Math.max(v, 0), 3));
    return a.assignedPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
  } catch {
    return [];
  }
}

/** `t`, or `t:0,2` → topic + partitions (undefined = all). */
function parseTopicSpec(s: string): { topic: string; partitions?: number[] } {
  const i = s.lastIndexOf(':');
  if (i < 0) return { topic: s };
  const parts = s
    .slice(i + 1)
    .split(',')
    .map((x) => Number(x.trim()));
  if (parts.some((n) => !Number.isInteger(n) || n < 0)) throw new UsageError(`Invalid topic specification '${s}'`);
  return { topic: s.slice(0, i), partitions: parts };
}

/** ISO-8601 duration PnDTnHnMnS (what Kafka's --by-duration takes) → ms. */
export function parseDuration(s: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(s.trim());
  if (!m || s.trim().toUpperCase() === 'P' || s.trim().toUpperCase().endsWith('T')) throw new UsageError(`Invalid --by-duration '${s}': expected an ISO-8601 duration such as PT10M or P1DT2H`);
  const [d, h, mi, sec] = [m[1], m[2], m[3], m[4]].map((x) => Number(x ?? 0));
  return Math.round(((d! * 24 + h!) * 60 + mi!) * 60_000 + sec! * 1000);
}

export async function run(argv: string[], io: ToolIO = processIO()): Promise<number> {
  let values: Values;
  try {
    ({ values } = parseOrUsage(() => parse(argv)));
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    if (!values['bootstrap-server']) throw new UsageError('Missing required argument "[bootstrap-server]"');
    const actions = (['list', 'describe', 'reset-offsets', 'delete', 'delete-offsets'] as const).filter((a) => values[a]);
    if (actions.length !== 1) throw new UsageError('Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets');
    if ((values.describe || values['reset-offsets'] || values.delete) && !values.group && !values['all-groups'])
      throw new UsageError('Option [describe|reset-offsets|delete] takes one of these options: [all-groups], [group]');
    if (values['delete-offsets'] && (values.group?.length !== 1 || !values.topic)) throw new UsageError('Option [delete-offsets] takes the options: [group], [topic]');
    if (values['reset-offsets']) {
      const specs = (['to-earliest', 'to-latest', 'to-current', 'to-offset', 'shift-by', 'to-datetime', 'by-duration'] as const).filter((s) => values[s] !== undefined);
      if (specs.length !== 1) throw new UsageError('Option [reset-offsets] takes exactly one of: --to-earliest, --to-latest, --to-current, --to-offset, --shift-by, --to-datetime, --by-duration');
      if (!values.topic && !values['all-topics']) throw new UsageError('Option [reset-offsets] takes one of these options: [all-topics], [topic]');
      if (values['dry-run'] && values.execute) throw new UsageError('Option [reset-offsets] takes at most one of these options: [dry-run], [execute]');
    }
    intOption(values['command-timeout'], 'command-timeout', 1);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`${e.message}\n${USAGE}`);
    return 1;
  }

  return runWithAdmin(values, 'rivulet-groups', { usage: USAGE, io, errorPrefix: 'Error: ' }, async (admin) => {
    const client = new GroupsClient(admin);
    const groups = values['all-groups'] ? (await client.listGroups()).map((g) => g.groupId) : (values.group ?? []);
    if (values.list) return list(client, values, io);
    if (values.describe) return describe(client, groups, values, io);
    if (values.delete) return deleteGroups(client, groups, io);
    if (values['delete-offsets']) return deleteOffsets(client, groups[0]!, values.topic!, io);
    return resetOffsets(client, groups, values, io);
  });
}

async function list(client: GroupsClient, values: Values, io: ToolIO): Promise<number> {
  const groups = await client.listGroups();
  if (values.state) io.stdout.write(table([['GROUP', 'STATE'], ...groups.map((g) => [g.groupId, g.state])]));
  else for (const g of groups) io.stdout.write(`${g.groupId}\n`);
  return 0;
}

async function describe(client: GroupsClient, groups: string[], values: Values, io: ToolIO): Promise<number> {
  let failed = false;
  for (const groupId of groups) {
    const d = await client.describe(groupId);
    if (d.state === 'Dead') {
      io.stderr.write(`Error: Consumer group '${groupId}' does not exist.\n`);
      failed = true;
      continue;
    }
    io.stdout.write('\n');
    if (values.state) await describeState(client, d, io);
    else if (values.members) describeMembers(d, values.verbose === true, io);
    else await describeOffsets(client, d, io);
  }
  return failed ? 1 : 0;
}

/** --state: the group's coordinator, assignment strategy, state and member count. */
async function describeState(client: GroupsClient, d: Described, io: ToolIO): Promise<void> {
  const groupId = d.groupId;
  const conn = await client.coordinator(groupId);
  io.stdout.write(
    table([
      ['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'],
      [groupId, `${conn.address} (${await coordinatorId(client, groupId)})`, d.protocol, d.state, String(d.members.length)],
    ]),
  );
}

/** --members: one line per member, with its assigned partitions under --verbose. */
function describeMembers(d: Described, verbose: boolean, io: ToolIO): void {
  if (d.members.length === 0) io.stdout.write(`Consumer group '${d.groupId}' has no active members.\n`);
  const head = ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', ...(verbose ? ['ASSIGNMENT'] : [])];
  const rows = d.members.map((m) => {
    const byTopic = new Map<string, number[]>();
    for (const p of m.partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    const assignment = [...byTopic].map(([t, ps]) => `${t}(${ps.sort((a, b) => a - b).join(',')})`).join(',') || '-';
    return [d.groupId, m.memberId, m.host, m.clientId, String(m.partitions.length), ...(verbose ? [assignment] : [])];
  });
  if (rows.length > 0) io.stdout.write(table([head, ...rows]));
}

/** Offsets (the default view): committed offsets and assigned partitions, with log end offsets and lag. */
async function describeOffsets(client: GroupsClient, d: Described, io: ToolIO): Promise<void> {
  const groupId = d.groupId;
  const committed = await client.committed(groupId, null);
  const owner = new Map<string, Described['members'][number]>();
  for (const m of d.members) for (const p of m.partitions) owner.set(`${p.topic}\0${p.partition}`, m);
  const rows: string[][] = [];
  for (const [topic, parts] of [...partitionsByTopic(owner, committed)].sort((a, b) => a[0].localeCompare(b[0]))) {
    // The log end of every partition the topic has now: committed offsets may name partitions it no longer
    // has (deleted and created again with fewer), which show '-' without hiding the others' lag.
    let ends = new Map<number, bigint>();
    try {
      ends = await client.offsets(topic, LATEST);
    } catch {
      /* topic gone: no log end offset */
    }
    for (const p of parts.sort((a, b) => a - b)) {
      const cur = committed.get(topic)?.get(p);
      const end = ends.get(p);
      const m = owner.get(`${topic}\0${p}`);
      rows.push([groupId, topic, String(p), cur === undefined ? '-' : String(cur), end === undefined ? '-' : String(end), cur === undefined || end === undefined ? '-' : String(end - cur), m?.memberId ?? '-', m?.host ?? '-', m?.clientId ?? '-']);
    }
  }
  if (d.members.length === 0) io.stdout.write(`Consumer group '${groupId}' has no active members.\n\n`);
  io.stdout.write(table([['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], ...rows]));
}

/** The partitions with an owner or a committed offset, by topic (owner keys are `topic\0partition`). */
function partitionsByTopic(owner: Map<string, unknown>, committed: Map<string, Map<number, bigint>>): Map<string, number[]> {
  const keys = new Set<string>([...owner.keys()]);
  for (const [t, ps] of committed) for (const p of ps.keys()) keys.add(`${t}\0${p}`);
  const byTopic = new Map<string, number[]>();
  for (const k of keys) {
    const [t, p] = k.split('\0') as [string, string];
    byTopic.set(t, [...(byTopic.get(t) ?? []), Number(p)]);
  }
  return byTopic;
}

async function coordinatorId(client: GroupsClient, groupId: string): Promise<number> {
  return (await findCoordinator(client.admin, groupId)).nodeId;
}

/** FindCoordinator for a group at whatever version the broker speaks (v4+ batched keys). */
async function findCoordinator(admin: Admin, groupId: string): Promise<{ errorCode: number; nodeId: number; host: string; port: number }> {
  const any = await admin.cluster.anyConnection();
  if (any.version(ApiKey.FindCoordinator) >= 4) {
    const r = await any.send(ApiKey.FindCoordinator, { keyType: 0, coordinatorKeys: [groupId] });
    return r.coordinators[0] ?? { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1, host: '', port: -1 };
  }
  return any.send(ApiKey.FindCoordinator, { key: groupId, keyType: 0 });
}

async function deleteGroups(client: GroupsClient, groups: string[], io: ToolIO): Promise<number> {
  const failures: string[] = [];
  for (const groupId of groups) {
    const conn = await client.coordinator(groupId);
    const r = (await conn.send(ApiKey.DeleteGroups, { groupsNames: [groupId] }))!;
    const code = r.results[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (code !== ErrorCode.NONE) failures.push(`* Group '${groupId}' could not be deleted due to: ${errorName(code)}`);
  }
  const ok = groups.filter((g) => !failures.some((f) => f.includes(`'${g}'`)));
  if (failures.length > 0) {
    io.stderr.write(`Error: Deletion of some consumer groups failed:\n${failures.join('\n')}\n`);
    if (ok.length > 0) io.stdout.write(`These consumer groups were deleted successfully: ${ok.map((g) => `'${g}'`).join(', ')}\n`);
    return 1;
  }
  io.stdout.write(`Deletion of requested consumer groups (${groups.map((g) => `'${g}'`).join(', ')}) was successful.\n`);
  return 0;
}

function errorName(code: number): string {
  const e = errorByCode(code);
  return e ? `${e.name}: ${e.message}` : `error ${code}`;
}

async function deleteOffsets(client: GroupsClient, groupId: string, topicSpecs: string[], io: ToolIO): Promise<number> {
  const conn = await client.coordinator(groupId);
  const topics: { name: string; partitions: number[] }[] = [];
  for (const s of topicSpecs) {
    const spec = parseTopicSpec(s);
    const parts = spec.partitions ?? [...(await client.offsets(spec.topic, LATEST)).keys()];
    topics.push({ name: spec.topic, partitions: parts });
  }
  const r = (await conn.send(ApiKey.OffsetDelete, { groupId, topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((partitionIndex) => ({ partitionIndex })) })) }))!;
  if (r.errorCode !== ErrorCode.NONE) throw new ToolError(`Encounter some unknown error: ${errorName(r.errorCode)}`);
  const rows = r.topics.flatMap((t) => t.partitions.map((p) => [t.name, String(p.partitionIndex), p.errorCode === ErrorCode.NONE ? 'Successful' : `Error: ${errorByCode(p.errorCode)?.message ?? p.errorCode}`]));
  io.stdout.write('\n' + table([['TOPIC', 'PARTITION', 'STATUS'], ...rows]));
  return rows.some((row) => row[2] !== 'Successful') ? 1 : 0;
}

async function resetOffsets(client: GroupsClient, groups: string[], values: Values, io: ToolIO): Promise<number> {
  if (!values.execute && !values['dry-run'])
    io.stderr.write('WARN: No action will be performed as the --execute option is missing. In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.\n');
  for (const groupId of groups) {
    const d = await client.describe(groupId);
    if (d.state !== 'Empty' && d.state !== 'Dead')
      throw new ToolError(`Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${d.state}.`);
    const committed = await client.committed(groupId, null);
    // The partitions in scope.
    const scope: { topic: string; partitions: number[] }[] = [];
    if (values['all-topics']) for (const [t, ps] of committed) scope.push({ topic: t, partitions: [...ps.keys()].sort((a, b) => a - b) });
    for (const s of values.topic ?? []) {
      const spec = parseTopicSpec(s);
      scope.push({ topic: spec.topic, partitions: spec.partitions ?? [...(await client.offsets(spec.topic, LATEST)).keys()].sort((a, b) => a - b) });
    }
    const planned: { topic: string; partition: number; offset: bigint }[] = [];
    for (const { topic, partitions } of scope) {
      const earliest = await client.offsets(topic, EARLIEST, partitions);
      const latest = await client.offsets(topic, LATEST, partitions);
      const clamp = (p: number, o: bigint) => {
        const lo = earliest.get(p) ?? 0n;
        const hi = latest.get(p) ?? o;
        return o < lo ? lo : o > hi ? hi : o;
      };
      let byTime: Map<number, bigint> | null = null;
      if (values['to-datetime'] !== undefined || values['by-duration'] !== undefined) {
        const ts = values['to-datetime'] !== undefined ? Date.parse(values['to-datetime']) : Date.now() - parseDuration(values['by-duration']!);
        if (!Number.isFinite(ts)) throw new UsageError(`Invalid --to-datetime '${values['to-datetime']}'`);
        byTime = await client.offsets(topic, BigInt(ts), partitions);
      }
      for (const p of partitions) {
        const cur = committed.get(topic)?.get(p);
        let target: bigint;
        if (values['to-earliest']) target = earliest.get(p) ?? 0n;
        else if (values['to-latest']) target = latest.get(p) ?? 0n;
        else if (values['to-current']) target = cur ?? latest.get(p) ?? 0n;
        else if (values['to-offset'] !== undefined) target = clamp(p, BigInt(values['to-offset']));
        else if (values['shift-by'] !== undefined) target = clamp(p, (cur ?? latest.get(p) ?? 0n) + BigInt(values['shift-by']));
        else {
          const o = byTime!.get(p);
          target = o === undefined || o < 0n ? (latest.get(p) ?? 0n) : o;
        }
        planned.push({ topic, partition: p, offset: target });
      }
    }
    if (values.execute && planned.length > 0) await client.commit(groupId, planned);
    io.stdout.write('\n' + table([['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], ...planned.map((x) => [groupId, x.topic, String(x.partition), String(x.offset)])]));
  }
  return 0;
}
