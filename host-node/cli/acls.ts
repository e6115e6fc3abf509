// `rivulet acls` — Kafka's kafka-acls.sh (AclCommand): --add, --remove (asks for confirmation unless
// --force) and --list of ACLs on topics, groups, the cluster, transactional ids, delegation tokens and
// users, with the --producer / --consumer shortcuts. Options, checks, messages and output lines follow
// Kafka's AclCommand (Kafka 4's tools version): `Adding ACLs for resource `ResourcePattern(...)`: ` then one
// `\t(principal=..., host=..., operation=..., permissionType=...)` line per ACL, and `Current ACLs for
// resource ...` blocks for --list. Exit code 0 on success, 1 on errors.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { joinNegativeValues } from './argv.js';
import { parseProperties } from '../config/properties.js';
import type { Admin } from '../client/admin.js';
import {
  AclOperation,
  AclPermissionType,
  CLUSTER_RESOURCE_NAME,
  PatternType,
  ResourceType,
  WILDCARD_HOST,
  type AccessControlEntry,
  type AclBinding,
  type AclBindingFilter,
} from '../security/acl.js';
import { parseOrUsage, processIO, runWithAdmin, ToolError, UsageError, type ToolIO } from './client-tool.js';

const NL = '\n';

/** Kafka's display names of the operations (SecurityUtils.operationName), as --operation takes and --help lists them. */
const OPERATION_NAMES: ReadonlyArray<readonly [string, AclOperation]> = [
  ['All', AclOperation.ALL],
  ['Read', AclOperation.READ],
  ['Write', AclOperation.WRITE],
  ['Create', AclOperation.CREATE],
  ['Delete', AclOperation.DELETE],
  ['Alter', AclOperation.ALTER],
  ['Describe', AclOperation.DESCRIBE],
  ['ClusterAction', AclOperation.CLUSTER_ACTION],
  ['DescribeConfigs', AclOperation.DESCRIBE_CONFIGS],
  ['AlterConfigs', AclOperation.ALTER_CONFIGS],
  ['IdempotentWrite', AclOperation.IDEMPOTENT_WRITE],
  ['CreateTokens', AclOperation.CREATE_TOKENS],
  ['DescribeTokens', AclOperation.DESCRIBE_TOKENS],
];

const USAGE = `Usage: rivulet acls --bootstrap-server <host:port> (--add | --remove | --list) [options]

This tool helps to manage acls on kafka (like kafka-acls.sh).

Actions (exactly one):
  --add                          Indicates you are trying to add ACLs.
  --remove                       Indicates you are trying to remove ACLs (asks for confirmation unless --force).
  --list                         List ACLs for the specified resource, use --topic <topic> or --group <group> or
                                 --cluster to specify a resource.

Options:
  --bootstrap-server <h:p>       A list of host/port pairs to connect to (host1:port1,host2:port2). Required.
  --command-config <file>        A property file containing configs to be passed to the admin client.
  --topic <topic>                Topic to which ACLs should be added or removed ('*' = all topics; repeatable).
  --group <group>                Consumer group to which ACLs should be added or removed ('*' = all; repeatable).
  --cluster                      Add/Remove cluster ACLs.
  --transactional-id <id>        TransactionalId to which ACLs should be added or removed ('*' = all; repeatable).
  --delegation-token <id>        Delegation token to which ACLs should be added or removed (repeatable).
  --user-principal <user>        A user principal as a resource (CreateTokens, DescribeTokens; repeatable).
  --resource-pattern-type <t>    literal (default) | prefixed to add; literal | prefixed | any | match to list
                                 or remove ('any' = any pattern type with the exact name, 'match' = every
                                 pattern that applies to the name — use with care with --remove).
  --operation <op>               Operation that is being allowed or denied (default All; repeatable):
${OPERATION_NAMES.map(([n]) => `                                   ${n}`).join(NL)}
  --allow-principal <p>          Principal in principalType:name format, e.g. User:alice; User:'*' is all users.
  --deny-principal <p>           Principal to deny (DENY RULES TAKE PRECEDENCE OVER ALLOW RULES).
  --allow-host <host>            Host from which --allow-principal has access (default '*').
  --deny-host <host>             Host from which --deny-principal is denied (default '*').
  --principal <p>                List the ACLs of this principal (with --list; repeatable).
  --producer                     ACLs for a producer: WRITE, DESCRIBE and CREATE on --topic (and with
                                 --transactional-id WRITE, DESCRIBE on it; with --idempotent IDEMPOTENT_WRITE
                                 on the cluster).
  --idempotent                   With --producer: allow idempotent produce (IDEMPOTENT_WRITE on the cluster).
  --consumer                     ACLs for a consumer: READ, DESCRIBE on --topic and READ on --group.
  --force                        Assume Yes to all queries and do not prompt.
  -h, --help                     This help.
`;

const OPTIONS = {
  'bootstrap-server': { type: 'string' },
  'command-config': { type: 'string' },
  add: { type: 'boolean' },
  remove: { type: 'boolean' },
  list: { type: 'boolean' },
  force: { type: 'boolean' },
  topic: { type: 'string', multiple: true },
  group: { type: 'string', multiple: true },
  cluster: { type: 'boolean' },
  'transactional-id': { type: 'string', multiple: true },
  'delegation-token': { type: 'string', multiple: true },
  'user-principal': { type: 'string', multiple: true },
  idempotent: { type: 'boolean' },
  'resource-pattern-type': { type: 'string' },
  operation: { type: 'string', multiple: true },
  'allow-principal': { type: 'string', multiple: true },
  'deny-principal': { type: 'string', multiple: true },
  'allow-host': { type: 'string', multiple: true },
  'deny-host': { type: 'string', multiple: true },
  principal: { type: 'string', multiple: true },
  producer: { type: 'boolean' },
  consumer: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const parse = (argv: string[]) => parseArgs({ args: joinNegativeValues(argv, OPTIONS), strict: true, allowPositionals: false, options: OPTIONS });
type Values = ReturnType<typeof parse>['values'];

// ---- Kafka's names and toString forms ----------------------------------------------------------

const nameOf = (table: Record<string, number>, code: number): string => Object.keys(table).find((k) => table[k] === code) ?? 'UNKNOWN';

/** A resource pattern, or a pattern filter (name null = any, pattern type ANY / MATCH). */
interface ResourceFilter {
  readonly resourceType: ResourceType;
  readonly name: string | null;
  readonly patternType: PatternType;
}

/** Kafka's ResourcePattern.toString (ResourcePatternFilter prints the same, with <any> for no name). */
export function formatResource(r: ResourceFilter): string {
  return `ResourcePattern(resourceType=${nameOf(ResourceType, r.resourceType)}, name=${r.name ?? '<any>'}, patternType=${nameOf(PatternType, r.patternType)})`;
}

/** Kafka's AccessControlEntry.toString. */
export function formatEntry(e: AccessControlEntry): string {
  return `(principal=${e.principal}, host=${e.host}, operation=${nameOf(AclOperation, e.operation)}, permissionType=${nameOf(AclPermissionType, e.permissionType)})`;
}

const resourceKey = (r: ResourceFilter) => `${r.resourceType}\u0000${r.patternType}\u0000${r.name ?? '\u0001'}`;
const entryKey = (e: AccessControlEntry) => `${e.principal}\u0000${e.host}\u0000${e.operation}\u0000${e.permissionType}`;

/** Resources → entries, in insertion order, entries kept once (Kafka's Map<ResourcePatternFilter, Set<AccessControlEntry>>). */
class ResourceAcls {
  readonly byResource = new Map<string, { resource: ResourceFilter; entries: Map<string, AccessControlEntry> }>();

  add(resource: ResourceFilter, entries: Iterable<AccessControlEntry>): void {
    const k = resourceKey(resource);
    let r = this.byResource.get(k);
    if (r === undefined) this.byResource.set(k, (r = { resource, entries: new Map() }));
    for (const e of entries) r.entries.set(entryKey(e), e);
  }

  /** Replaces a resource's entries (Kafka's Map.put). */
  set(resource: ResourceFilter, entries: Iterable<AccessControlEntry>): void {
    this.byResource.delete(resourceKey(resource));
    this.add(resource, entries);
  }

  *[Symbol.iterator](): IterableIterator<[ResourceFilter, AccessControlEntry[]]> {
    for (const { resource, entries } of this.byResource.values()) yield [resource, [...entries.values()]];
  }
}

// ---- Options into resources and ACLs (AclCommand's getResourceFilter, getAcl, ...) --------------

/** The operations each resource type supports (Kafka's AclEntry.supportedOperations), ALL besides. */
const SUPPORTED_OPERATIONS: ReadonlyMap<number, readonly AclOperation[]> = new Map<number, AclOperation[]>([
  [ResourceType.TOPIC, [AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.ALTER, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS]],
  [ResourceType.GROUP, [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS]],
  [
    ResourceType.CLUSTER,
    [AclOperation.CREATE, AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE, AclOperation.ALTER, AclOperation.DESCRIBE],
  ],
  [ResourceType.TRANSACTIONAL_ID, [AclOperation.DESCRIBE, AclOperation.WRITE]],
  [ResourceType.DELEGATION_TOKEN, [AclOperation.DESCRIBE]],
  [ResourceType.USER, [AclOperation.CREATE_TOKENS, AclOperation.DESCRIBE_TOKENS]],
]);

/** Kafka's SecurityUtils.operation: the display name or the enum name, in any case. */
function parseOperation(s: string): AclOperation {
  const norm = s.trim().toUpperCase().replace(/_/g, '');
  const op = OPERATION_NAMES.find(([n]) => n.toUpperCase() === norm);
  if (op === undefined) throw new ToolError(`Unknown operation: ${s.trim()}`);
  return op[1];
}

/** Kafka's SecurityUtils.parseKafkaPrincipal: "Type:name", as the entry stores it. */
function parsePrincipalOption(s: string): string {
  const t = s.trim();
  const i = t.indexOf(':');
  if (i <= 0) throw new ToolError(`expected a string in format principalType:principalName but got ${t}`);
  return t;
}

function parsePatternType(v: string | undefined): PatternType {
  if (v === undefined) return PatternType.LITERAL;
  const t = (PatternType as Record<string, PatternType>)[v.trim().toUpperCase()];
  if (t === undefined || t === PatternType.UNKNOWN) throw new UsageError(`Unknown resource-pattern-type: ${v}`);
  return t;
}

const CLUSTER_FILTER: ResourceFilter = { resourceType: ResourceType.CLUSTER, name: CLUSTER_RESOURCE_NAME, patternType: PatternType.LITERAL };

function resourceFilters(v: Values, patternType: PatternType, dieIfNone: boolean): ResourceFilter[] {
  const out: ResourceFilter[] = [];
  const seen = new Set<string>();
  const push = (r: ResourceFilter) => {
    if (!seen.has(resourceKey(r))) out.push(r);
    seen.add(resourceKey(r));
  };
  for (const t of v.topic ?? []) push({ resourceType: ResourceType.TOPIC, name: t.trim(), patternType });
  if (patternType === PatternType.LITERAL && (v.cluster || v.idempotent)) push(CLUSTER_FILTER);
  for (const g of v.group ?? []) push({ resourceType: ResourceType.GROUP, name: g.trim(), patternType });
  for (const id of v['transactional-id'] ?? []) push({ resourceType: ResourceType.TRANSACTIONAL_ID, name: id, patternType });
  for (const d of v['delegation-token'] ?? []) push({ resourceType: ResourceType.DELEGATION_TOKEN, name: d.trim(), patternType });
  for (const u of v['user-principal'] ?? []) push({ resourceType: ResourceType.USER, name: u.trim(), patternType });
  if (out.length === 0 && dieIfNone)
    throw new UsageError('You must provide at least one resource: --topic <topic> or --cluster or --group <group> or --delegation-token <Delegation Token ID>');
  return out;
}

/** The ACL entries the principal and host options give for `operations`: allows, then denies. */
function entriesFor(v: Values, operations: readonly AclOperation[]): AccessControlEntry[] {
  const principals = (o: readonly string[] | undefined) => [...new Set((o ?? []).map(parsePrincipalOption))];
  const hosts = (h: readonly string[] | undefined, p: readonly string[] | undefined) => (h !== undefined ? [...new Set(h.map((x) => x.trim()))] : p !== undefined ? [WILDCARD_HOST] : []);
  const out: AccessControlEntry[] = [];
  const make = (ps: string[], hs: string[], permissionType: AclPermissionType) => {
    for (const principal of ps) for (const operation of operations) for (const host of hs) out.push({ principal, host, operation, permissionType });
  };
  make(principals(v['allow-principal']), hosts(v['allow-host'], v['allow-principal']), AclPermissionType.ALLOW);
  make(principals(v['deny-principal']), hosts(v['deny-host'], v['deny-principal']), AclPermissionType.DENY);
  return out;
}

/** Kafka's getResourceFilterToAcls: the --producer / --consumer shortcuts, or the resources with --operation(s). */
function resourceFilterToAcls(v: Values, patternType: PatternType): ResourceAcls {
  const out = new ResourceAcls();
  if (!v.producer && !v.consumer) {
    const operations = [...new Set((v.operation ?? ['All']).map(parseOperation))];
    const entries = entriesFor(v, operations);
    for (const r of resourceFilters(v, patternType, true)) out.set(r, entries);
  }
  if (v.producer) {
    const filters = resourceFilters(v, patternType, true);
    for (const r of filters.filter((f) => f.resourceType === ResourceType.TOPIC)) out.set(r, entriesFor(v, [AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE]));
    for (const r of filters.filter((f) => f.resourceType === ResourceType.TRANSACTIONAL_ID)) out.set(r, entriesFor(v, [AclOperation.WRITE, AclOperation.DESCRIBE]));
    if (v.idempotent) out.set(CLUSTER_FILTER, entriesFor(v, [AclOperation.IDEMPOTENT_WRITE]));
  }
  if (v.consumer) {
    const filters = resourceFilters(v, patternType, true);
    for (const r of filters.filter((f) => f.resourceType === ResourceType.TOPIC)) out.add(r, entriesFor(v, [AclOperation.READ, AclOperation.DESCRIBE]));
    for (const r of filters.filter((f) => f.resourceType === ResourceType.GROUP)) out.add(r, entriesFor(v, [AclOperation.READ]));
  }
  for (const [r, entries] of out) {
    const valid = [...(SUPPORTED_OPERATIONS.get(r.resourceType) ?? []), AclOperation.ALL];
    if (entries.some((e) => !valid.includes(e.operation)))
      throw new UsageError(`ResourceType ${nameOf(ResourceType, r.resourceType)} only supports operations [${valid.map((o) => nameOf(AclOperation, o)).join(', ')}]`);
  }
  return out;
}

/** AclCommand.checkArgs: the combinations kafka-acls.sh refuses. */
function checkArgs(v: Values): void {
  if (!v['bootstrap-server']) throw new UsageError('One of --bootstrap-server or --bootstrap-controller must be specified');
  if ([v.add, v.remove, v.list].filter(Boolean).length !== 1) throw new UsageError('Command must include exactly one action: --list, --add, --remove. ');
  const invalidWith = (used: keyof Values, others: (keyof Values)[]) => {
    if (!v[used]) return;
    for (const o of others) if (v[o] !== undefined) throw new UsageError(`Option "[${used}]" can't be used with option "[${o}]"`);
  };
  invalidWith('list', ['producer', 'consumer', 'allow-host', 'allow-principal', 'deny-host', 'deny-principal']);
  invalidWith('producer', ['operation', 'deny-principal', 'deny-host']);
  invalidWith('consumer', ['operation', 'deny-principal', 'deny-host']);
  if (v.principal && !v.list) throw new UsageError('The --principal option is only available if --list is set');
  if (v.producer && !v.topic) throw new UsageError('With --producer you must specify a --topic');
  if (v.idempotent && !v.producer) throw new UsageError('The --idempotent option is only available if --producer is set');
  if (v.consumer && (!v.topic || !v.group || (!v.producer && (v.cluster || v['transactional-id']))))
    throw new UsageError('With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option should be specified.');
}

// ---- --command-config ------------------------------------------------------------------------------

/** What the admin client takes from --command-config: its client id and request timeout. */
interface ClientSettings {
  readonly clientId: string;
  readonly requestTimeoutMs: string | undefined;
}

/**
 * Reads the --command-config properties the tool itself uses (client.id, request.timeout.ms); the security
 * ones (security.protocol, ssl.*, sasl.*) are read by runWithAdmin for the admin client.
 */
function clientSettings(file: string | undefined): ClientSettings {
  if (file === undefined) return { clientId: 'rivulet-acls', requestTimeoutMs: undefined };
  let props: Map<string, string>;
  try {
    props = parseProperties(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ToolError(`Cannot read --command-config ${file}: ${(e as Error).message}`);
  }
  const requestTimeoutMs = props.get('request.timeout.ms')?.trim() ?? props.get('default.api.timeout.ms')?.trim();
  if (requestTimeoutMs !== undefined && !/^[1-9]\d*$/.test(requestTimeoutMs)) throw new ToolError(`Invalid request.timeout.ms in --command-config: ${requestTimeoutMs}`);
  return { clientId: props.get('client.id')?.trim() || 'rivulet-acls', requestTimeoutMs };
}

// ---- the actions -------------------------------------------------------------------------------------

const ANY_ENTRY = { principal: null, host: null, operation: AclOperation.ANY, permissionType: AclPermissionType.ANY } as const;

async function addAcls(admin: Admin, v: Values, patternType: PatternType, io: ToolIO): Promise<number> {
  if (patternType !== PatternType.LITERAL && patternType !== PatternType.PREFIXED)
    throw new UsageError(`A '--resource-pattern-type' value of '${nameOf(PatternType, patternType)}' is not valid when adding acls.`);
  const resourceToAcls = resourceFilterToAcls(v, patternType);
  if ([...resourceToAcls].some(([, entries]) => entries.length === 0)) throw new UsageError('You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.');
  for (const [resource, entries] of resourceToAcls) {
    io.stdout.write(`Adding ACLs for resource \`${formatResource(resource)}\`: ${NL} ${entries.map((e) => '\t' + formatEntry(e)).join(NL)}${NL}${NL}`);
    await admin.createAcls(entries.map((entry) => ({ pattern: { resourceType: resource.resourceType, name: resource.name!, patternType: resource.patternType }, entry })));
  }
  return 0;
}

async function removeAcls(admin: Admin, v: Values, patternType: PatternType, io: ToolIO, confirm: (msg: string) => Promise<boolean>): Promise<number> {
  for (const [filter, entries] of resourceFilterToAcls(v, patternType)) {
    const msg =
      entries.length === 0
        ? `Are you sure you want to delete all ACLs for resource filter \`${formatResource(filter)}\`? (y/n)`
        : `Are you sure you want to remove ACLs: ${NL} ${entries.map((e) => '\t' + formatEntry(e)).join(NL)}${NL} from resource filter \`${formatResource(filter)}\`? (y/n)`;
    if (!v.force) {
      io.stdout.write(msg + NL);
      if (!(await confirm(msg))) continue;
    }
    const filters: AclBindingFilter[] = (entries.length === 0 ? [ANY_ENTRY] : entries).map((e) => ({ ...filter, ...e }));
    await admin.deleteAcls(filters);
  }
  return 0;
}

async function listAcls(admin: Admin, v: Values, patternType: PatternType, io: ToolIO): Promise<number> {
  const filters = resourceFilters(v, patternType, false);
  const bindings: AclBinding[] =
    filters.length === 0
      ? await admin.describeAcls({ resourceType: ResourceType.ANY, name: null, patternType: PatternType.ANY, ...ANY_ENTRY })
      : (await Promise.all(filters.map((f) => admin.describeAcls({ ...f, ...ANY_ENTRY })))).flat();
  const all = new ResourceAcls();
  for (const b of bindings) all.add(b.pattern, [b.entry]);
  const print = (acls: ResourceAcls) => {
    for (const [resource, entries] of acls) io.stdout.write(`Current ACLs for resource \`${formatResource(resource)}\`:${NL}${entries.map((e) => '\t' + formatEntry(e)).join(NL)}${NL}${NL}`);
  };
  if (v.principal === undefined) {
    print(all);
    return 0;
  }
  for (const principal of [...new Set(v.principal.map(parsePrincipalOption))]) {
    io.stdout.write(`ACLs for principal \`${principal}\`${NL}`);
    const mine = new ResourceAcls();
    for (const [resource, entries] of all) {
      const own = entries.filter((e) => e.principal === principal);
      if (own.length > 0) mine.add(resource, own);
    }
    print(mine);
  }
  return 0;
}

/** Answers to confirmation prompts, one stdin line each ("y", any case, confirms; end of input declines). */
function confirmer(io: ToolIO): { confirm: () => Promise<boolean>; close: () => void } {
  let lines: AsyncIterator<string> | undefined;
  let rl: ReturnType<typeof createInterface> | undefined;
  return {
    async confirm() {
      if (lines === undefined) {
        rl = createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
        lines = rl[Symbol.asyncIterator]();
      }
      const next = await lines.next();
      return !next.done && next.value.trim().toLowerCase() === 'y';
    },
    close: () => rl?.close(),
  };
}

export async function run(argv: string[], io: ToolIO = processIO()): Promise<number> {
  let values: Values;
  let patternType: PatternType;
  try {
    ({ values } = parseOrUsage(() => parse(argv)));
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    checkArgs(values);
    patternType = parsePatternType(values['resource-pattern-type']);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`${e.message}\n${USAGE}`);
    return 1;
  }
  let settings: ClientSettings;
  try {
    settings = clientSettings(values['command-config']);
  } catch (e) {
    io.stderr.write(`Error while executing ACL command: ${(e as Error).message}\n`);
    return 1;
  }
  const prompt = confirmer(io);
  try {
    return await runWithAdmin(
      { 'bootstrap-server': values['bootstrap-server'], 'command-timeout': settings.requestTimeoutMs, 'command-config': values['command-config'] },
      settings.clientId,
      { usage: USAGE, io, errorPrefix: 'Error while executing ACL command: ' },
      async (admin) => {
        if (values.add) return addAcls(admin, values, patternType, io);
        if (values.remove) return removeAcls(admin, values, patternType, io, prompt.confirm);
        return listAcls(admin, values, patternType, io);
      },
    );
  } finally {
    prompt.close();
  }
}
