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

function parseDefault(raw: unknown, type: FieldType, nullable: boolean, where: string): DefaultValue {
  if (raw === undefined) {
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
  checkKeys(top, TOP_KEYS, file);
  const name = asString(top.name, `${file}: name`);
  const kind = asString(top.type, `${file}: type`);
  if (!KINDS.has(kind)) throw new Error(`${file}: unknown message type ${kind}`);
  let apiKey: number | undefined;
  if (kind === 'request' || kind === 'response') {
    if (typeof top.apiKey !== 'number' || !Number.isInteger(top.apiKey)) throw new Error(`${file}: missing apiKey`);
    apiKey = top.apiKey;
  } else if (top.apiKey !== undefined && kind !== 'data') throw new Error(`${file}: apiKey on a ${kind}`);
  else if (typeof top.apiKey === 'number') apiKey = top.apiKey;
  const validVersions = parseVersions(top.validVersions, `${file}: validVersions`);
  const flexibleVersions = top.flexibleVersions === undefined ? NONE : parseVersions(top.flexibleVersions, `${file}: flexibleVersions`);
  const deprecatedVersions = top.deprecatedVersions === undefined ? NONE : parseVersions(top.deprecatedVersions, `${file}: deprecatedVersions`);
  if (!isSubset(deprecatedVersions, validVersions)) throw new Error(`${file}: deprecatedVersions outside validVersions`);
  const listeners: string[] = [];
  if (top.listeners !== undefined) {
    if (!Array.isArray(top.listeners)) throw new Error(`${file}: listeners must be an array`);
    for (const l of top.listeners) {
      if (!LISTENERS.has(l as string)) throw new Error(`${file}: unknown listener ${JSON.stringify(l)}`);
      listeners.push(l as string);
    }
  }
  const latestVersionUnstable = asBool(top.latestVersionUnstable, `${file}: latestVersionUnstable`);
  if (!Array.isArray(top.fields)) throw new Error(`${file}: fields must be an array`);

  const structs: StructModel[] = [];
  const byName = new Map<string, StructModel>();
  const pendingRefs: { name: string; set: (s: StructModel) => void; where: string }[] = [];
  const declare = (s: StructModel, where: string): void => {
    if (byName.has(s.name)) throw new Error(`${where}: struct ${s.name} declared twice`);
    byName.set(s.name, s);
    structs.push(s);
  };

  const parseFields = (list: unknown, where: string, structVersions: VersionRange): FieldModel[] => {
    if (!Array.isArray(list)) throw new Error(`${where}: fields must be an array`);
    const out: FieldModel[] = [];
    const props = new Set<string>();
    const tags = new Set<number>();
    for (const raw of list) {
      if (raw === null || typeof raw !== 'object') throw new Error(`${where}: field is not an object`);
      const f = raw as Json;
      const fname = asString(f.name, `${where}: field name`);
      const fw = `${where}.${fname}`;
      checkKeys(f, FIELD_KEYS, fw);
      const typeText = asString(f.type, `${fw}: type`);
      const versions = intersect(parseVersions(f.versions, `${fw}: versions`), validVersions);
      if (isEmpty(versions)) throw new Error(`${fw}: field is in no valid version`);
      const field: FieldModel = {
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
        comments: comments.get(f) ?? [],
        mapKey: asBool(f.mapKey, `${fw}: mapKey`),
        entityType: f.entityType === undefined ? undefined : asString(f.entityType, `${fw}: entityType`),
        zeroCopy: asBool(f.zeroCopy, `${fw}: zeroCopy`),
      };
      if (field.entityType !== undefined && !ENTITY_TYPES.has(field.entityType)) throw new Error(`${fw}: unknown entityType ${field.entityType}`);
      if (props.has(field.prop)) throw new Error(`${fw}: duplicate field`);
      props.add(field.prop);
      void structVersions;

      // Type.
      const isArray = typeText.startsWith('[]');
      const base = isArray ? typeText.slice(2) : typeText;
      let elem: FieldType;
      if ((PRIMITIVES as readonly string[]).includes(base)) {
        if (f.fields !== undefined) throw new Error(`${fw}: primitive type with fields`);
        if (isArray && (base === 'records' || base === 'bytes')) throw new Error(`${fw}: arrays of ${base} are not supported`);
        elem = { kind: 'primitive', name: base as PrimitiveName };
      } else {
        if (!/^[A-Z][A-Za-z0-9]*$/.test(base)) throw new Error(`${fw}: unknown type ${typeText}`);
        const st: { kind: 'struct'; struct: StructModel } = { kind: 'struct', struct: undefined as unknown as StructModel };
        if (f.fields !== undefined) {
          const s: StructModel = { name: base, typeName: name + base, fields: [], comments: [] };
          declare(s, fw);
          s.fields = parseFields(f.fields, `${where}.${base}`, versions);
          st.struct = s;
        } else {
          pendingRefs.push({ name: base, set: (s) => (st.struct = s), where: fw });
        }
        elem = st;
      }
      field.type = isArray ? { kind: 'array', element: elem } : elem;

      // Nullability.
      const nullableOk = isArray || elem.kind === 'struct' || (elem.kind === 'primitive' && ['string', 'bytes', 'records', 'uuid'].includes(elem.name));
      if (!isEmpty(field.nullableVersions) && !nullableOk) throw new Error(`${fw}: nullableVersions on type ${typeText}`);
      if (field.type.kind === 'primitive' && field.type.name === 'uuid' && !isEmpty(field.nullableVersions)) throw new Error(`${fw}: nullable uuid is not supported`);

      // Tagged fields.
      if ((f.tag === undefined) !== (f.taggedVersions === undefined)) throw new Error(`${fw}: tag and taggedVersions go together`);
      if (f.tag !== undefined) {
        // Kafka accepts the tag as a number or a decimal string ("0").
        const tag = typeof f.tag === 'string' && /^\d+$/.test(f.tag) ? Number(f.tag) : f.tag;
        if (typeof tag !== 'number' || !Number.isInteger(tag) || tag < 0) throw new Error(`${fw}: bad tag ${JSON.stringify(f.tag)}`);
        field.tag = tag;
        if (tags.has(tag)) throw new Error(`${fw}: duplicate tag ${tag}`);
        tags.add(tag);
        const tv = intersect(field.taggedVersions, validVersions);
        if (!isSubset(tv, flexibleVersions)) throw new Error(`${fw}: taggedVersions outside flexibleVersions`);
        if (tv.min !== versions.min || tv.max !== versions.max) throw new Error(`${fw}: fields tagged in only part of their versions are not supported`);
        field.taggedVersions = tv;
      }

      // Flexible override (only meaningful for strings/bytes).
      if (field.flexibleVersions !== undefined) {
        if (!(field.type.kind === 'primitive' && (field.type.name === 'string' || field.type.name === 'bytes'))) throw new Error(`${fw}: flexibleVersions override only supported on string/bytes`);
        if (field.tag !== undefined) throw new Error(`${fw}: flexibleVersions override on a tagged field`);
      }
      if (field.zeroCopy && !(field.type.kind === 'primitive' && field.type.name === 'bytes')) throw new Error(`${fw}: zeroCopy on a non-bytes field`);
      if (field.mapKey && field.type.kind !== 'primitive') throw new Error(`${fw}: mapKey on a non-primitive`);

      field.default = parseDefault(f.default, field.type, !isEmpty(field.nullableVersions), fw);
      out.push(field);
    }
    return out;
  };

  const root: StructModel = { name, typeName: name, fields: [], comments: comments.get(top) ?? [] };
  structs.push(root);
  root.fields = parseFields(top.fields, file, validVersions);

  if (top.commonStructs !== undefined) {
    if (!Array.isArray(top.commonStructs)) throw new Error(`${file}: commonStructs must be an array`);
    for (const raw of top.commonStructs) {
      const cs = raw as Json;
      const csName = asString(cs.name, `${file}: commonStructs name`);
      checkKeys(cs, COMMON_STRUCT_KEYS, `${file}: commonStructs.${csName}`);
      const csVersions = intersect(parseVersions(cs.versions, `${file}: commonStructs.${csName}.versions`), validVersions);
      const s: StructModel = { name: csName, typeName: name + csName, fields: [], comments: comments.get(cs) ?? [] };
      declare(s, `${file}: commonStructs.${csName}`);
      s.fields = parseFields(cs.fields, `${file}: ${csName}`, csVersions);
    }
  }
  for (const ref of pendingRefs) {
    const s = byName.get(ref.name);
    if (!s) throw new Error(`${ref.where}: unknown struct type ${ref.name}`);
    ref.set(s);
  }
  return {
    file,
    kind: kind as MessageKind,
    name,
    apiKey,
    validVersions,
    flexibleVersions: intersect(flexibleVersions, validVersions),
    deprecatedVersions,
    latestVersionUnstable,
    listeners,
    root,
    structs,
    comments: comments.get(top) ?? [],
  };
}
