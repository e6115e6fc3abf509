// `rivulet configs` — Kafka's kafka-configs.sh over the admin APIs: SCRAM credentials of users
// (AlterUserScramCredentials / DescribeUserScramCredentials; passwords are salted here, never sent),
// client quotas of users, clients, users+clients and ips (AlterClientQuotas / DescribeClientQuotas), and
// the dynamic configs of topics and brokers (IncrementalAlterConfigs / DescribeConfigs). Output lines and
// exit codes follow Kafka's ConfigCommand.
import { parseArgs } from 'node:util';
import {
  ConfigResourceType,
  ConfigSource,
  DEFAULT_SCRAM_ITERATIONS,
  QuotaMatchType,
  type Admin,
  type ClientQuotaEntity,
  type ClientQuotaFilterComponent,
  type ConfigEntry,
  type UserScramCredentialAlteration,
} from '../client/admin.js';
import { ErrorCode, errorByCode } from '../../protocol/errors.js';
import { KafkaProtocolError } from '../../client/errors.js';
import { SCRAM_MECHANISMS, type ScramMechanism } from '../security/security-store.js';
import { commandLine, intOption, parseOrUsage, processIO, runWithAdmin, ToolError, UsageError, type ToolIO } from './client-tool.js';

const USAGE = `Usage: rivulet configs --bootstrap-server <host:port> (--describe | --alter) --entity-type <type> [options]

Adds, removes and lists the configs of users, clients, ips, topics and brokers (like kafka-configs.sh):
SCRAM credentials and quotas of users, quotas of clients and ips, dynamic configs of topics and brokers.

Options:
  --bootstrap-server <h:p>  Broker(s) to connect to (comma-separated). Required.
  --command-config <file>   Client properties (security.protocol, sasl.*, ssl.*) for the admin client.
  --describe                List the configs of the entity (or of every entity of the type).
  --alter                   Change the configs of the entity.
  --entity-type <type>      users, clients, ips, topics or brokers (users and clients together name a
                            user's quotas for one client id).
  --entity-name <name>      The entity (a user principal name, client id, ip, topic or broker id).
  --entity-default          The default entity of the type (default quotas, default broker configs).
  --add-config <configs>    'k1=v1,k2=[v1,v2,v2],k3=v3', e.g.
                            'SCRAM-SHA-256=[iterations=8192,password=alice-secret],producer_byte_rate=1024'.
  --delete-config <keys>    'k1,k2', e.g. 'SCRAM-SHA-512,consumer_byte_rate'.
  --all                     With --describe of topics or brokers: every config, not only the dynamic ones.
  --command-timeout <ms>    Request timeout (default 30000).
  -h, --help                This help.

Quota keys: producer_byte_rate, consumer_byte_rate, request_percentage, controller_mutation_rate
(users, clients), connection_creation_rate (ips). SCRAM keys: SCRAM-SHA-256, SCRAM-SHA-512 (users).
`;

const OPTIONS = {
  'bootstrap-server': { type: 'string' },
  'command-config': { type: 'string' },
  describe: { type: 'boolean' },
  alter: { type: 'boolean' },
  'entity-type': { type: 'string', multiple: true },
  'entity-name': { type: 'string', multiple: true },
  'entity-default': { type: 'boolean', multiple: true },
  'add-config': { type: 'string' },
  'delete-config': { type: 'string' },
  all: { type: 'boolean' },
  'command-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const ENTITY_TYPES = ['users', 'clients', 'ips', 'topics', 'brokers'] as const;
type EntityType = (typeof ENTITY_TYPES)[number];
/** The quota entity type of each config entity type. */
const QUOTA_TYPE: Partial<Record<EntityType, string>> = { users: 'user', clients: 'client-id', ips: 'ip' };
const SINGULAR: Record<EntityType, string> = { users: 'user', clients: 'client', ips: 'ip', topics: 'topic', brokers: 'broker' };

interface Command {
  readonly action: 'describe' | 'alter';
  /** Entity types and names in the order given; a name '' is the default entity, undefined = none given. */
  readonly entities: ReadonlyArray<{ readonly type: EntityType; readonly name: string | undefined }>;
  readonly add: ReadonlyMap<string, string>;
  readonly remove: readonly string[];
  readonly all: boolean;
  readonly values: ReturnType<typeof parse>['values'];
}

const parse = (argv: string[]) => parseArgs({ args: argv, strict: true, allowPositionals: false, options: OPTIONS });

export async function run(argv: string[], io: ToolIO = processIO()): Promise<number> {
  const cmd = commandLine(() => parseCommandLine(argv), USAGE, io);
  if (typeof cmd === 'number') return cmd;
  // --command-config (TLS and SASL client properties) is read by runWithAdmin for the admin client.
  return runWithAdmin(cmd.values, 'rivulet-configs', { usage: USAGE, io, errorPrefix: `Error while executing config command with args '${redactPasswords(argv.join(' '))}'\n` }, async (admin) => {
    return cmd.action === 'alter' ? alter(admin, cmd, io) : describe(admin, cmd, io);
  });
}

/** The command line as an error repeats it, without the passwords of SCRAM configs. */
function redactPasswords(line: string): string {
  return line.replace(/password=[^,\]]*/g, 'password=[hidden]');
}

/** Parses and checks the flags; 'help' when asked for. Throws UsageError. */
function parseCommandLine(argv: string[]): Command | 'help' {
  const { values } = parseOrUsage(() => parse(argv));
  if (values.help) return 'help';
  if (!values['bootstrap-server']) throw new UsageError('Missing required option(s) [bootstrap-server]');
  if (values.describe === values.alter) throw new UsageError('Command must include exactly one action: --describe, --alter');
  const types = values['entity-type'] ?? [];
  if (types.length === 0) throw new UsageError('--entity-type must be specified');
  for (const t of types) if (!(ENTITY_TYPES as readonly string[]).includes(t)) throw new UsageError(`Invalid entity type ${t}, the entity type must be one of ${ENTITY_TYPES.join(', ')}`);
  const names = entityNamesInOrder(argv);
  if (names.length > types.length) throw new UsageError('More --entity-name/--entity-default options than --entity-type options');
  const entities = types.map((t, i) => ({ type: t as EntityType, name: names[i] }));
  if (entities.length > 1) {
    const [a, b] = entities;
    if (entities.length > 2 || a!.type !== 'users' || b!.type !== 'clients') throw new UsageError('Only --entity-type users together with --entity-type clients (in this order) may be combined');
  }
  const add = values['add-config'] !== undefined ? parseConfigsToAdd(values['add-config']) : new Map<string, string>();
  const remove = values['delete-config'] !== undefined ? values['delete-config'].split(',').map((s) => s.trim()).filter((s) => s !== '') : [];
  if (values.alter) {
    if (add.size === 0 && remove.length === 0) throw new UsageError('At least one of --add-config or --delete-config must be specified with --alter');
    if (entities.some((e) => e.name === undefined)) throw new UsageError(`--entity-name or --entity-default must be specified with --alter of ${types.join(', ')}`);
    if (entities.some((e) => e.type === 'topics' && e.name === '')) throw new UsageError('--entity-default is not supported for topics');
  } else if (values['add-config'] !== undefined || values['delete-config'] !== undefined) throw new UsageError('--add-config and --delete-config are used with --alter only');
  intOption(values['command-timeout'], 'command-timeout', 1);
  return { action: values.alter ? 'alter' : 'describe', entities, add, remove, all: values.all === true, values };
}

/** --entity-name values and --entity-default ('') in the order they appear, as Kafka pairs them with the types. */
function entityNamesInOrder(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--entity-default') out.push('');
    else if (a === '--entity-name') out.push(argv[++i] ?? '');
    else if (a.startsWith('--entity-name=')) out.push(a.slice('--entity-name='.length));
  }
  return out;
}

/** Kafka's parseConfigsToBeAdded: split at commas outside [...], each `key=value`, brackets dropped from values. */
export function parseConfigsToAdd(text: string): Map<string, string> {
  const outsideBrackets = '(?=[^\\]]*(?:\\[|$))';
  const out = new Map<string, string>();
  for (const item of text.split(new RegExp(`,${outsideBrackets}`))) {
    const pair = item.split(new RegExp(`\\s*=\\s*${outsideBrackets}`));
    if (pair.length !== 2 || pair[0]!.trim() === '') throw new UsageError('Invalid entity config: all configs to be added must be in the format "key=val".');
    out.set(pair[0]!.trim(), pair[1]!.replace(/[[\]]/g, '').trim());
  }
  return out;
}

// ---- alter ----

async function alter(admin: Admin, cmd: Command, io: ToolIO): Promise<number> {
  const first = cmd.entities[0]!;
  if (first.type === 'topics' || first.type === 'brokers') {
    const type = first.type === 'topics' ? ConfigResourceType.TOPIC : ConfigResourceType.BROKER;
    const ops = [...[...cmd.add].map(([name, value]) => ({ name, op: 0, value })), ...cmd.remove.map((name) => ({ name, op: 1, value: null }))];
    await admin.incrementalAlterConfigs([{ type, name: first.name!, ops }]);
  } else {
    const isScram = (k: string) => (SCRAM_MECHANISMS as readonly string[]).includes(k);
    const scramKeys = [...cmd.add.keys(), ...cmd.remove].filter(isScram);
    if (scramKeys.length > 0 && (cmd.entities.length > 1 || first.type !== 'users' || first.name === ''))
      throw new ToolError(`SCRAM credentials (${scramKeys.join(', ')}) belong to a named user alone (--entity-type users --entity-name <user>)`);
    const quotaAdd = [...cmd.add].filter(([k]) => !isScram(k));
    const quotaRemove = cmd.remove.filter((k) => !isScram(k));
    if (quotaAdd.length > 0 || quotaRemove.length > 0) {
      const ops: Record<string, number | null> = {};
      for (const [k, v] of quotaAdd) {
        const n = Number(v);
        if (v === '' || !Number.isFinite(n)) throw new ToolError(`Cannot parse quota configuration value for ${k}: ${v}`);
        ops[k] = n;
      }
      for (const k of quotaRemove) ops[k] = null;
      await admin.alterClientQuotas([{ entity: quotaEntity(cmd), ops }]);
    }
    if (scramKeys.length > 0) await alterScram(admin, first.name!, cmd);
  }
  io.stdout.write(completedLine(cmd));
  return 0;
}

/** Kafka's line after an alter: it names the first entity type and name only. */
function completedLine(cmd: Command): string {
  const first = cmd.entities[0]!;
  if (first.name === '') return `Completed updating default config for ${first.type} in the cluster.\n`;
  return `Completed updating config for ${SINGULAR[first.type]} ${first.name}.\n`;
}

function quotaEntity(cmd: Command): ClientQuotaEntity {
  const entity: ClientQuotaEntity = {};
  for (const e of cmd.entities) entity[QUOTA_TYPE[e.type]!] = e.name === '' ? null : e.name!;
  return entity;
}

/**
 * The user's SCRAM changes, one request each: Kafka's controller refuses a request that alters one user
 * twice (DUPLICATE_RESOURCE), and `SCRAM-SHA-256=[…],SCRAM-SHA-512=[…]` is two changes.
 */
async function alterScram(admin: Admin, user: string, cmd: Command): Promise<void> {
  const changes: UserScramCredentialAlteration[] = [];
  for (const m of cmd.remove) if ((SCRAM_MECHANISMS as readonly string[]).includes(m)) changes.push({ user, mechanism: m as ScramMechanism, delete: true });
  for (const [m, value] of cmd.add) {
    if (!(SCRAM_MECHANISMS as readonly string[]).includes(m)) continue;
    const fields = new Map(value.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1)] as const));
    const password = fields.get('password');
    if (password === undefined || !value.includes('password=')) throw new ToolError(`You must supply 'password=...' when creating SCRAM credential for ${m}`);
    const iterationsText = fields.get('iterations');
    const iterations = iterationsText === undefined ? DEFAULT_SCRAM_ITERATIONS : Number(iterationsText);
    if (!Number.isInteger(iterations)) throw new ToolError(`Invalid iterations for ${m}: ${iterationsText}`);
    changes.push({ user, mechanism: m as ScramMechanism, password, iterations });
  }
  for (const c of changes) {
    const [outcome] = await admin.alterUserScramCredentials([c]);
    if (outcome && outcome.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(outcome.errorCode, `alter SCRAM credential ${c.mechanism} of user ${user}`, outcome.errorMessage);
  }
}

// ---- describe ----

async function describe(admin: Admin, cmd: Command, io: ToolIO): Promise<number> {
  const first = cmd.entities[0]!;
  if (first.type === 'topics' || first.type === 'brokers') return describeResources(admin, cmd, io);
  // Kafka's ClientQuotaFilter.containsOnly: exactly these entity types; a name matches it exactly, the
  // default entity its default, no name any named entity.
  const components: ClientQuotaFilterComponent[] = cmd.entities.map((e) => {
    const entityType = QUOTA_TYPE[e.type]!;
    if (e.name === undefined) return { entityType, matchType: QuotaMatchType.ANY };
    if (e.name === '') return { entityType, matchType: QuotaMatchType.DEFAULT };
    return { entityType, matchType: QuotaMatchType.EXACT, match: e.name };
  });
  for (const { entity, values } of await admin.describeClientQuotas(components, { strict: true })) {
    const entries = Object.entries(values);
    if (entries.length === 0) continue;
    io.stdout.write(`Quota configs for ${entityText(entity)} are ${entries.map(([k, v]) => `${k}=${javaDouble(v)}`).join(', ')}\n`);
  }
  // As Kafka: SCRAM credentials only for users (not user+client entities, nor the default user).
  if (first.type === 'users' && cmd.entities.length === 1 && first.name !== '') {
    const results = await admin.describeUserScramCredentials(first.name === undefined ? [] : [first.name]);
    for (const r of results) {
      if (r.errorCode === ErrorCode.RESOURCE_NOT_FOUND) continue;
      if (r.errorCode !== ErrorCode.NONE) {
        io.stdout.write(`Error retrieving SCRAM credential configs for user-principal '${r.user}': ${errorByCode(r.errorCode)?.name ?? r.errorCode}: ${r.errorMessage ?? ''}\n`);
        continue;
      }
      io.stdout.write(`SCRAM credential configs for user-principal '${r.user}' are ${r.credentials.map((c) => `${c.mechanism}=iterations=${c.iterations}`).join(', ')}\n`);
    }
  }
  return 0;
}

function entityText(entity: ClientQuotaEntity): string {
  const parts: string[] = [];
  for (const [type, label] of [
    ['user', 'user-principal'],
    ['client-id', 'client-id'],
    ['ip', 'ip'],
  ] as const) {
    if (!(type in entity)) continue;
    const name = entity[type];
    parts.push(name === null || name === undefined ? `the default ${label}` : `${label} '${name}'`);
  }
  return parts.join(', ');
}

/** A number as Java's Double.toString prints it (ConfigCommand prints quota values as doubles: 1024.0). */
export function javaDouble(v: number): string {
  const abs = Math.abs(v);
  if (abs !== 0 && (abs >= 1e7 || abs < 1e-3)) {
    const [mantissa, exp] = v.toExponential().split('e');
    return `${mantissa!.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exp)}`;
  }
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

const SOURCE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ConfigSource).map(([k, v]) => [v, k]));
const DYNAMIC_SOURCES: ReadonlySet<number> = new Set([ConfigSource.DYNAMIC_TOPIC_CONFIG, ConfigSource.DYNAMIC_BROKER_CONFIG, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG]);

async function describeResources(admin: Admin, cmd: Command, io: ToolIO): Promise<number> {
  const e = cmd.entities[0]!;
  const type = e.type === 'topics' ? ConfigResourceType.TOPIC : ConfigResourceType.BROKER;
  let names: string[];
  if (e.name !== undefined) names = [e.name];
  else if (e.type === 'topics') names = await admin.listTopics();
  else names = [...(await admin.describeCluster()).brokers.map((b) => String(b.nodeId)), ''];
  for (const name of names) {
    const [res] = await admin.describeConfigs([{ type, name }], { includeSynonyms: true });
    const label = name === '' ? `Default configs for ${e.type} in the cluster are:` : `${cmd.all ? 'All' : 'Dynamic'} configs for ${SINGULAR[e.type]} ${name} are:`;
    io.stdout.write(`${label}\n`);
    const shown = (res?.configs ?? []).filter((c: ConfigEntry) => cmd.all || DYNAMIC_SOURCES.has(c.source)).sort((a, b) => a.name.localeCompare(b.name));
    for (const c of shown) {
      const value = c.isSensitive ? null : c.value;
      // Kafka's ConfigCommand: every synonym, highest precedence first (a broker without synonyms: the entry's own source).
      const synonyms = c.synonyms.length > 0 ? c.synonyms : [{ name: c.name, value: c.value, source: c.source }];
      const listed = synonyms.map((s) => `${SOURCE_NAMES[s.source] ?? 'UNKNOWN'}:${s.name}=${c.isSensitive ? null : s.value}`).join(', ');
      io.stdout.write(`  ${c.name}=${value} sensitive=${c.isSensitive} synonyms={${listed}}\n`);
    }
  }
  return 0;
}
