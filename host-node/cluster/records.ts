// JSON codecs of the metadata values (Kafka's ZooKeeper-era JSON shapes). Every decoder validates what it
// reads: a malformed value is a MetadataRecordError naming the key, never a crash or a half-read record.

export class MetadataRecordError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`malformed metadata value at ${key}: ${reason}`);
    this.name = 'MetadataRecordError';
  }
}

export interface BrokerEndpoint {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export interface BrokerRegistration {
  readonly brokerId: number;
  readonly endpoints: readonly BrokerEndpoint[];
  readonly rack: string | null;
}

/** replicas per partition (index = partition id), plus the replicas a reassignment adds/removes. */
export interface TopicAssignment {
  readonly topicId: string;
  readonly partitions: readonly (readonly number[])[];
  readonly adding: ReadonlyMap<number, readonly number[]>;
  readonly removing: ReadonlyMap<number, readonly number[]>;
}

export interface PartitionState {
  /** -1 when no replica can lead (offline). */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly controllerEpoch: number;
  readonly leaderRecoveryState: number;
}

export type ElectionType = 'preferred' | 'unclean';

// ---- helpers ----------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function parseJson(key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new MetadataRecordError(key, 'not JSON');
  }
}
function object(key: string, v: unknown, what = 'the value'): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MetadataRecordError(key, `${what} is not an object`);
  return v as Obj;
}
function int(key: string, o: Obj, field: string, min = -1): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new MetadataRecordError(key, `${field} is not an integer >= ${min}`);
  return v;
}
function brokerIds(key: string, v: unknown, field: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => Number.isSafeInteger(x) && (x as number) >= 0)) throw new MetadataRecordError(key, `${field} is not a list of broker ids`);
  if (new Set(v).size !== v.length) throw new MetadataRecordError(key, `${field} repeats a broker id`);
  return v as number[];
}
function string(key: string, o: Obj, field: string): string {
  const v = o[field];
  if (typeof v !== 'string') throw new MetadataRecordError(key, `${field} is not a string`);
  return v;
}
function partitionMap(key: string, v: unknown, field: string): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const [p, r] of Object.entries(object(key, v ?? {}, field))) {
    if (!/^(0|[1-9]\d{0,9})$/.test(p)) throw new MetadataRecordError(key, `${field} has a partition id ${p}`);
    m.set(Number(p), brokerIds(key, r, `${field}.${p}`));
  }
  return m;
}
const mapToObject = (m: ReadonlyMap<number, readonly number[]>): Record<string, readonly number[]> => Object.fromEntries([...m].map(([p, r]) => [String(p), r]));

// ---- /cluster/id --------------------------------------------------------------------------------------------

export const encodeClusterId = (id: string): string => JSON.stringify({ version: '1', id });
export function decodeClusterId(key: string, text: string): string {
  return string(key, object(key, parseJson(key, text)), 'id');
}

// ---- /brokers/ids/<id> --------------------------------------------------------------------------------------

export function encodeBrokerRegistration(reg: BrokerRegistration, nowMs: number): string {
  const first = reg.endpoints[0];
  return JSON.stringify({
    version: 5,
    host: first?.host ?? null,
    port: first?.port ?? -1,
    endpoints: reg.endpoints.map((e) => `${e.name}://${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`),
    listener_security_protocol_map: Object.fromEntries(reg.endpoints.map((e) => [e.name, 'PLAINTEXT'])),
    rack: reg.rack,
    timestamp: String(nowMs),
  });
}

const ENDPOINT_RE = /^([A-Za-z0-9_]+):\/\/(\[[^\]]+\]|[^:/]*):(\d{1,5})$/;

export function decodeBrokerRegistration(key: string, brokerId: number, text: string): BrokerRegistration {
  const o = object(key, parseJson(key, text));
  const eps = o.endpoints;
  if (!Array.isArray(eps) || eps.length === 0) throw new MetadataRecordError(key, 'endpoints is not a non-empty list');
  const endpoints = eps.map((e) => {
    const m = typeof e === 'string' ? ENDPOINT_RE.exec(e) : null;
    if (!m || Number(m[3]) > 65535) throw new MetadataRecordError(key, `endpoint ${String(e)} is not NAME://host:port`);
    return { name: m[1]!, host: m[2]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[3]) };
  });
  if (o.rack !== null && o.rack !== undefined && typeof o.rack !== 'string') throw new MetadataRecordError(key, 'rack is not a string or null');
  return { brokerId, endpoints, rack: (o.rack as string | null | undefined) ?? null };
}

// ---- /controller, /controller_epoch ----------------------------------------------------------------------

export const encodeController = (brokerId: number, nowMs: number): string =>
  JSON.stringify({ version: 2, brokerid: brokerId, timestamp: String(nowMs), kraftControllerEpoch: -1 });
export function decodeController(key: string, text: string): number {
  return int(key, object(key, parseJson(key, text)), 'brokerid', 0);
}
/** The controller epoch is the decimal number as text, as ZooKeeper kept it. */
export const encodeControllerEpoch = (epoch: number): string => String(epoch);
export function decodeControllerEpoch(key: string, text: string): number {
  if (!/^(0|[1-9]\d{0,14})$/.test(text)) throw new MetadataRecordError(key, 'the controller epoch is not a number');
  return Number(text);
}

// ---- /brokers/topics/<t> -------------------------------------------------------------------------------------

export function encodeTopic(t: TopicAssignment): string {
  return JSON.stringify({
    version: 3,
    topic_id: t.topicId,
    partitions: Object.fromEntries(t.partitions.map((r, p) => [String(p), r])),
    adding_replicas: mapToObject(t.adding),
    removing_replicas: mapToObject(t.removing),
  });
}
export function decodeTopic(key: string, text: string): TopicAssignment {
  const o = object(key, parseJson(key, text));
  const topicId = string(key, o, 'topic_id');
  if (!/^[A-Za-z0-9_-]{22}$/.test(topicId)) throw new MetadataRecordError(key, 'topic_id is not a base64url uuid');
  const byId = partitionMap(key, o.partitions, 'partitions');
  const partitions: number[][] = [];
  for (let p = 0; p < byId.size; p++) {
    const r = byId.get(p);
    if (r === undefined || r.length === 0) throw new MetadataRecordError(key, `partitions lacks partition ${p} or its replicas`);
    partitions.push(r);
  }
  return { topicId, partitions, adding: partitionMap(key, o.adding_replicas, 'adding_replicas'), removing: partitionMap(key, o.removing_replicas, 'removing_replicas') };
}

// ---- /brokers/topics/<t>/partitions/<p>/state ----------------------------------------------------------------

export function encodePartitionState(s: PartitionState): string {
  return JSON.stringify({
    controller_epoch: s.controllerEpoch,
    leader: s.leader,
    version: 1,
    leader_epoch: s.leaderEpoch,
    isr: s.isr,
    leader_recovery_state: s.leaderRecoveryState,
  });
}
export function decodePartitionState(key: string, text: string): PartitionState {
  const o = object(key, parseJson(key, text));
  return {
    leader: int(key, o, 'leader', -1),
    leaderEpoch: int(key, o, 'leader_epoch', 0),
    isr: brokerIds(key, o.isr, 'isr'),
    controllerEpoch: int(key, o, 'controller_epoch', 0),
    leaderRecoveryState: o.leader_recovery_state === undefined ? 0 : int(key, o, 'leader_recovery_state', 0),
  };
}

// ---- /config/topics/<t> ----------------------------------------------------------------------------------------

export const encodeTopicConfig = (config: Readonly<Record<string, string>>): string => JSON.stringify({ version: 1, config });
export function decodeTopicConfig(key: string, text: string): Record<string, string> {
  const c = object(key, object(key, parseJson(key, text)).config ?? {}, 'config');
  for (const [k, v] of Object.entries(c)) if (typeof v !== 'string') throw new MetadataRecordError(key, `config ${k} is not a string`);
  return c as Record<string, string>;
}

// ---- /latest_producer_id_block ----------------------------------------------------------------------------------

export interface ProducerIdBlock {
  readonly brokerId: number;
  /** First and last id of the block (inclusive), as Kafka writes them. */
  readonly start: bigint;
  readonly end: bigint;
}
export const encodeProducerIdBlock = (b: ProducerIdBlock): string =>
  JSON.stringify({ version: 1, broker: b.brokerId, block_start: b.start.toString(), block_end: b.end.toString() });
export function decodeProducerIdBlock(key: string, text: string): ProducerIdBlock {
  const o = object(key, parseJson(key, text));
  const id = (field: string): bigint => {
    const v = o[field];
    if (typeof v !== 'string' || !/^\d{1,19}$/.test(v)) throw new MetadataRecordError(key, `${field} is not a non-negative integer string`);
    return BigInt(v);
  };
  const start = id('block_start');
  const end = id('block_end');
  if (end < start) throw new MetadataRecordError(key, 'block_end is before block_start');
  return { brokerId: int(key, o, 'broker', 0), start, end };
}

// ---- /admin/* ---------------------------------------------------------------------------------------------------

/** A target replica list, or null to cancel the partition's reassignment in progress. */
export const encodeReassignRequest = (target: readonly number[] | null): string => JSON.stringify({ target });
export function decodeReassignRequest(key: string, text: string): number[] | null {
  const raw = object(key, parseJson(key, text)).target;
  if (raw === null) return null;
  const ids = brokerIds(key, raw, 'target');
  if (ids.length === 0) throw new MetadataRecordError(key, 'target is empty');
  return ids;
}
export const encodeElectRequest = (type: ElectionType): string => JSON.stringify({ type });
export function decodeElectRequest(key: string, text: string): ElectionType {
  const t = object(key, parseJson(key, text)).type;
  if (t !== 'preferred' && t !== 'unclean') throw new MetadataRecordError(key, 'type is neither preferred nor unclean');
  return t;
}
export const encodeShutdownRequest = (brokerEpoch: number): string => JSON.stringify({ broker_epoch: brokerEpoch });
export function decodeShutdownRequest(key: string, text: string): number {
  return int(key, object(key, parseJson(key, text)), 'broker_epoch', 0);
}
