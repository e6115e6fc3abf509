// The schema model: Kafka message JSON → validated, resolved structures the emitters walk.
// Anything not understood (an unknown key, type, default or inconsistent version range) throws.
import { parseJsonWithComments } from './parse-json-with-comments.js';
import { NONE, type VersionRange, intersect, isEmpty, isSubset, parseVersions } from './versions.js';

const PRIMITIVES = ['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'uuid', 'records'] as const;
export type PrimitiveName = (typeof PRIMITIVES)[number];

export type FieldType =
  | { kind: 'primitive'; name: PrimitiveName }
  | { kind: 'array'; element: FieldType }
  | { kind: 'struct'; struct: StructModel };

/** A field's default, already typed. */
export type DefaultValue =
  | { kind: 'number'; value: number }
  | { kind: 'bigint'; value: bigint }
  | { kind: 'bool'; value: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'null' }
  | { kind: 'empty' }; // empty bytes / array, zero uuid, default struct

export interface FieldModel {
  name: string;
  /** camelCase property name. */
  prop: string;
  type: FieldType;
  versions: VersionRange;
  /** Versions in which the value may be null (already ∩ versions). */
  nullableVersions: VersionRange;
  taggedVersions: VersionRange;
  tag: number | undefined;
  ignorable: boolean;
  default: DefaultValue;
  /** Per-field override of the message's flexible versions (RequestHeader.ClientId: "none"). */
  flexibleVersions: VersionRange | undefined;
  about: string | undefined;
  comments: string[];
  mapKey: boolean;
  entityType: string | undefined;
  zeroCopy: boolean;
}

export interface StructModel {
  /** Name in the schema (e.g. "ApiVersion"). */
  name: string;
  /** TypeScript interface name (message name for the root, else message name + struct name). */
  typeName: string;
  fields: FieldModel[];
  comments: string[];
}

type MessageKind = 'request' | 'response' | 'header' | 'data';

export interface MessageModel {
  file: string;
  kind: MessageKind;
  name: string;
  apiKey: number | undefined;
  validVersions: VersionRange;
  flexibleVersions: VersionRange;
  deprecatedVersions: VersionRange;
  latestVersionUnstable: boolean;
  listeners: string[];
  root: StructModel;
  /** Every struct, root first, then in order of first appearance. */
  structs: StructModel[];
  comments: string[];
}

const TOP_KEYS = new Set(['apiKey', 'type', 'listeners', 'name', 'validVersions', 'flexibleVersions', 'fields', 'latestVersionUnstable', 'commonStructs', 'deprecatedVersions']);
const FIELD_KEYS = new Set(['name', 'type', 'versions', 'about', 'fields', 'mapKey', 'default', 'ignorable', 'nullableVersions', 'tag', 'taggedVersions', 'zeroCopy', 'flexibleVersions', 'entityType']);
const COMMON_STRUCT_KEYS = new Set(['name', 'versions', 'fields']);
const KINDS = new Set(['request', 'response', 'header', 'data']);
const LISTENERS = new Set(['broker', 'controller', 'zkBroker']);
const ENTITY_TYPES = new Set(['topicName', 'groupId', 'transactionalId', 'producerId', 'brokerId']);

function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

type Json = Record<string, unknown>;

function checkKeys(obj: Json, allowed: Set<string>, where: string): void {
  for (const k of Object.keys(obj)) if (!allowed.has(k)) throw new Error(`${where}: unknown attribute "${k}"`);
}

function asString(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new Error(`${where}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function asBool(v: unknown, where: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new Error(`${where}: expected a boolean, got ${JSON.stringify(v)}`);
  return v;
}

const INT_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

/** The default of a field that declares none: zero, false, empty, or null for nullable records. */
function implicitDefault(type: FieldType, nullable: boolean): DefaultValue {
  if (type.kind !== 'primitive') return { kind: 'empty' };
  switch (type.name) {
    case 'bool':
      return { kind: 'bool', value: false };
    case 'int64':
      return { kind: 'bigint', value: 0n };
    case 'string':
      return { kind: 'string', value: '' };
    case 'records':
      return nullable ? { kind: 'null' } : { kind: 'empty' };
    case 'bytes':
    case 'uuid':
      return { kind: 'empty' };
    default:
      return { kind: 'number', value: 0 };
  }
}

function parseDefault(raw: unknown, type: FieldType, nullable: boolean, where: string): DefaultValue {
  if (raw === undefined) return implicitDefault(type, nullable);
  const text = typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : undefined;
  if (text === undefined) throw new Error(`${where}: unsupported default ${JSON.stringify(raw)}`);
  if (text === 'null' && (type.kind !== 'primitive' || type.name === 'string' || type.name === 'bytes' || type.name === 'records')) {
    if (!nullable) throw new Error(`${where}: default null on a field that is never nullable`);
    return { kind: 'null' };
  }
  if (type.kind !== 'primitive') throw new Error(`${where}: only "null" is a valid default for arrays/structs, got ${JSON.stringify(raw)}`);
  const name = type.name;
  if (name === 'bool') {
    if (text !== 'true' && text !== 'false') throw new Error(`${where}: bad bool default ${text}`);
    return { kind: 'bool', value: text === 'true' };
  }
  if (name === 'string') return { kind: 'string', value: text };
  if (name === 'int64') {
    if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(text)) throw new Error(`${where}: bad int64 default ${text}`);
    const value = text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text);
    if (value !== BigInt.asIntN(64, value)) throw new Error(`${where}: int64 default out of range`);
    return { kind: 'bigint', value };
  }
  if (name === 'float64') {
    const value = Number(text);
    if (Number.isNaN(value) && text !== 'NaN') throw new Error(`${where}: bad float64 default ${text}`);
    return { kind: 'number', value };
  }
  const range = INT_RANGES[name];
  if (range) {
    if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(text)) throw new Error(`${where}: bad ${name} default ${text}`);
    const value = text.startsWith('-') ? -Number(text.slice(1)) : Number(text);
    if (!Number.isSafeInteger(value) || value < range[0] || value > range[1]) throw new Error(`${where}: ${name} default ${text} out of range`);
    return { kind: 'number', value };
  }
  throw new Error(`${where}: defaults are not supported for type ${name}`);
}

export function loadMessage(file: string, text: string): MessageModel {
  const { value, comments } = parseJsonWithComments(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${file}: not a JSON object`);
  const top = value as Json;
  const header = parseMessageHeader(file, top);
  const parser = new StructParser(file, header.name, header.validVersions, header.flexibleVersions, comments);
  const root = parser.parseRoot(top);
  parser.parseCommonStructs(top.commonStructs);
  parser.resolveStructReferences();
  return {
    file,
    kind: header.kind,
    name: header.name,
    apiKey: header.apiKey,
    validVersions: header.validVersions,
    flexibleVersions: intersect(header.flexibleVersions, header.validVersions),
    deprecatedVersions: header.deprecatedVersions,
    latestVersionUnstable: header.latestVersionUnstable,
    listeners: header.listeners,
    root,
    structs: parser.structs,
    comments: comments.get(top) ?? [],
  };
}

/** The message's top-level attributes, other than its fields and common structs. */
interface MessageHeader {
  name: string;
  kind: MessageKind;
  apiKey: number | undefined;
  validVersions: VersionRange;
  /** As written, not yet limited to the valid versions. */
  flexibleVersions: VersionRange;
  deprecatedVersions: VersionRange;
  listeners: string[];
  latestVersionUnstable: boolean;
}

function parseMessageHeader(file: string, top: Json): MessageHeader {
  checkKeys(top, TOP_KEYS, file);
  const name = asString(top.name, `${file}: name`);
  const kind = asString(top.type, `${file}: type`);
  if (!KINDS.has(kind)) throw new Error(`${file}: unknown message type ${kind}`);
  const apiKey = parseApiKey(file, top.apiKey, kind);
  const validVersions = parseVersions(top.validVersions, `${file}: validVersions`);
  const flexibleVersions = top.flexibleVersions === undefined ? NONE : parseVersions(top.flexibleVersions, `${file}: flexibleVersions`);
  const deprecatedVersions = top.deprecatedVersions === undefined ? NONE : parseVersions(top.deprecatedVersions, `${file}: deprecatedVersions`);
  if (!isSubset(deprecatedVersions, validVersions)) throw new Error(`${file}: deprecatedVersions outside validVersions`);
  const listeners = parseListeners(file, top.listeners);
  const latestVersionUnstable = asBool(top.latestVersionUnstable, `${file}: latestVersionUnstable`);
  if (!Array.isArray(top.fields)) throw new Error(`${file}: fields must be an array`);
  return { name, kind: kind as MessageKind, apiKey, validVersions, flexibleVersions, deprecatedVersions, listeners, latestVersionUnstable };
}

/** Requests and responses carry an API key; headers never do; data messages may. */
function parseApiKey(file: string, raw: unknown, kind: string): number | undefined {
  if (kind === 'request' || kind === 'response') {
    if (typeof raw !== 'number' || !Number.isInteger(raw)) throw new Error(`${file}: missing apiKey`);
    return raw;
  }
  if (raw !== undefined && kind !== 'data') throw new Error(`${file}: apiKey on a ${kind}`);
  return typeof raw === 'number' ? raw : undefined;
}

function parseListeners(file: string, raw: unknown): string[] {
  const listeners: string[] = [];
  if (raw === undefined) return listeners;
  if (!Array.isArray(raw)) throw new Error(`${file}: listeners must be an array`);
  for (const l of raw) {
    if (!LISTENERS.has(l as string)) throw new Error(`${file}: unknown listener ${JSON.stringify(l)}`);
    listeners.push(l as string);
  }
  return listeners;
}

/** A field's struct type named before its declaration; resolved once the whole message is read. */
interface StructReference {
  name: string;
  type: { kind: 'struct'; struct: StructModel };
  where: string;
}

const NULLABLE_PRIMITIVES = ['string', 'bytes', 'records', 'uuid'];

/** Reads one message's structs and fields, collecting every struct in order of first appearance. */
class StructParser {
  readonly structs: StructModel[] = [];
  private readonly byName = new Map<string, StructModel>();
  private readonly pendingRefs: StructReference[] = [];

  constructor(
    private readonly file: string,
    private readonly messageName: string,
    private readonly validVersions: VersionRange,
    private readonly flexibleVersions: VersionRange,
    private readonly comments: WeakMap<object, string[]>,
  ) {}

  parseRoot(top: Json): StructModel {
    const root: StructModel = { name: this.messageName, typeName: this.messageName, fields: [], comments: this.comments.get(top) ?? [] };
    this.structs.push(root);
    root.fields = this.parseFields(top.fields, this.file);
    return root;
  }

  parseCommonStructs(list: unknown): void {
    const file = this.file;
    if (list === undefined) return;
    if (!Array.isArray(list)) throw new Error(`${file}: commonStructs must be an array`);
    for (const raw of list) {
      const cs = raw as Json;
      const csName = asString(cs.name, `${file}: commonStructs name`);
      checkKeys(cs, COMMON_STRUCT_KEYS, `${file}: commonStructs.${csName}`);
      // Validated only: each field carries its own versions.
      parseVersions(cs.versions, `${file}: commonStructs.${csName}.versions`);
      const s: StructModel = { name: csName, typeName: this.messageName + csName, fields: [], comments: this.comments.get(cs) ?? [] };
      this.declare(s, `${file}: commonStructs.${csName}`);
      s.fields = this.parseFields(cs.fields, `${file}: ${csName}`);
    }
  }

  resolveStructReferences(): void {
    for (const ref of this.pendingRefs) {
      const s = this.byName.get(ref.name);
      if (!s) throw new Error(`${ref.where}: unknown struct type ${ref.name}`);
      ref.type.struct = s;
    }
  }

  private declare(s: StructModel, where: string): void {
    if (this.byName.has(s.name)) throw new Error(`${where}: struct ${s.name} declared twice`);
    this.byName.set(s.name, s);
    this.structs.push(s);
  }

  private parseFields(list: unknown, where: string): FieldModel[] {
    if (!Array.isArray(list)) throw new Error(`${where}: fields must be an array`);
    const out: FieldModel[] = [];
    const props = new Set<string>();
    const tags = new Set<number>();
    for (const raw of list) {
      if (raw === null || typeof raw !== 'object') throw new Error(`${where}: field is not an object`);
      out.push(this.parseField(raw as Json, where, props, tags));
    }
    return out;
  }

  /** One field: its attributes, then its type, nullability, tag and per-type options, then its default. */
  private parseField(f: Json, where: string, props: Set<string>, tags: Set<number>): FieldModel {
    const fname = asString(f.name, `${where}: field name`);
    const fw = `${where}.${fname}`;
    checkKeys(f, FIELD_KEYS, fw);
    const typeText = asString(f.type, `${fw}: type`);
    const field = this.fieldAttributes(f, fname, fw);
    if (field.entityType !== undefined && !ENTITY_TYPES.has(field.entityType)) throw new Error(`${fw}: unknown entityType ${field.entityType}`);
    if (props.has(field.prop)) throw new Error(`${fw}: duplicate field`);
    props.add(field.prop);
    field.type = this.parseFieldType(f, typeText, where, fw);
    checkNullability(field, typeText, fw);
    if ((f.tag === undefined) !== (f.taggedVersions === undefined)) throw new Error(`${fw}: tag and taggedVersions go together`);
    if (f.tag !== undefined) this.parseTag(field, f.tag, tags, fw);
    checkTypeOptions(field, fw);
    field.default = parseDefault(f.default, field.type, !isEmpty(field.nullableVersions), fw);
    return field;
  }

  /** The field's plain attributes; its type and default are filled in afterwards. */
  private fieldAttributes(f: Json, fname: string, fw: string): FieldModel {
    const versions = intersect(parseVersions(f.versions, `${fw}: versions`), this.validVersions);
    if (isEmpty(versions)) throw new Error(`${fw}: field is in no valid version`);
    return {
      name: fname,
      prop: camelCase(fname),
      type: { kind: 'primitive', name: 'bool' },
      versions,
      nullableVersions: f.nullableVersions === undefined ? NONE : intersect(parseVersions(f.nullableVersions, `${fw}: nullableVersions`), versions),
      taggedVersions: f.taggedVersions === undefined ? NONE : parseVersions(f.taggedVersions, `${fw}: taggedVersions`),
      tag: undefined,
      ignorable: asBool(f.ignorable, `${fw}: ignorable`),
      default: { kind: 'empty' },
      flexibleVersions: f.flexibleVersions === undefined ? undefined : parseVersions(f.flexibleVersions, `${fw}: flexibleVersions`),
      about: f.about === undefined ? undefined : asString(f.about, `${fw}: about`),
      comments: this.comments.get(f) ?? [],
      mapKey: asBool(f.mapKey, `${fw}: mapKey`),
      entityType: f.entityType === undefined ? undefined : asString(f.entityType, `${fw}: entityType`),
      zeroCopy: asBool(f.zeroCopy, `${fw}: zeroCopy`),
    };
  }

  /** A primitive, a struct (declared inline with its fields, or referenced by name), or an array of one. */
  private parseFieldType(f: Json, typeText: string, where: string, fw: string): FieldType {
    const isArray = typeText.startsWith('[]');
    const base = isArray ? typeText.slice(2) : typeText;
    let elem: FieldType;
    if ((PRIMITIVES as readonly string[]).includes(base)) {
      if (f.fields !== undefined) throw new Error(`${fw}: primitive type with fields`);
      if (isArray && (base === 'records' || base === 'bytes')) throw new Error(`${fw}: arrays of ${base} are not supported`);
      elem = { kind: 'primitive', name: base as PrimitiveName };
    } else {
      if (!/^[A-Z][A-Za-z0-9]*$/.test(base)) throw new Error(`${fw}: unknown type ${typeText}`);
      elem = this.parseStructType(f, base, where, fw);
    }
    return isArray ? { kind: 'array', element: elem } : elem;
  }

  private parseStructType(f: Json, base: string, where: string, fw: string): FieldType {
    const st: { kind: 'struct'; struct: StructModel } = { kind: 'struct', struct: undefined as unknown as StructModel };
    if (f.fields !== undefined) {
      const s: StructModel = { name: base, typeName: this.messageName + base, fields: [], comments: [] };
      this.declare(s, fw);
      s.fields = this.parseFields(f.fields, `${where}.${base}`);
      st.struct = s;
    } else {
      this.pendingRefs.push({ name: base, type: st, where: fw });
    }
    return st;
  }

  /** Kafka accepts the tag as a number or a decimal string ("0"); a tagged field is tagged in all its versions. */
  private parseTag(field: FieldModel, raw: unknown, tags: Set<number>, fw: string): void {
    const tag = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof tag !== 'number' || !Number.isInteger(tag) || tag < 0) throw new Error(`${fw}: bad tag ${JSON.stringify(raw)}`);
    field.tag = tag;
    if (tags.has(tag)) throw new Error(`${fw}: duplicate tag ${tag}`);
    tags.add(tag);
    const tv = intersect(field.taggedVersions, this.validVersions);
    if (!isSubset(tv, this.flexibleVersions)) throw new Error(`${fw}: taggedVersions outside flexibleVersions`);
    if (tv.min !== field.versions.min || tv.max !== field.versions.max) throw new Error(`${fw}: fields tagged in only part of their versions are not supported`);
    field.taggedVersions = tv;
  }
}

/** Only arrays, structs and string/bytes/records/uuid may be nullable, and uuid is not supported as such. */
function checkNullability(field: FieldModel, typeText: string, fw: string): void {
  const t = field.type;
  const elem = t.kind === 'array' ? t.element : t;
  const nullableOk = t.kind === 'array' || elem.kind === 'struct' || (elem.kind === 'primitive' && NULLABLE_PRIMITIVES.includes(elem.name));
  if (!isEmpty(field.nullableVersions) && !nullableOk) throw new Error(`${fw}: nullableVersions on type ${typeText}`);
  if (t.kind === 'primitive' && t.name === 'uuid' && !isEmpty(field.nullableVersions)) throw new Error(`${fw}: nullable uuid is not supported`);
}

/** Options that apply to some types only: the flexible override (string/bytes), zeroCopy (bytes), mapKey (primitives). */
function checkTypeOptions(field: FieldModel, fw: string): void {
  if (field.flexibleVersions !== undefined) {
    if (!(field.type.kind === 'primitive' && (field.type.name === 'string' || field.type.name === 'bytes'))) throw new Error(`${fw}: flexibleVersions override only supported on string/bytes`);
    if (field.tag !== undefined) throw new Error(`${fw}: flexibleVersions override on a tagged field`);
  }
  if (field.zeroCopy && !(field.type.kind === 'primitive' && field.type.name === 'bytes')) throw new Error(`${fw}: zeroCopy on a non-bytes field`);
  if (field.mapKey && field.type.kind !== 'primitive') throw new Error(`${fw}: mapKey on a non-primitive`);
}
