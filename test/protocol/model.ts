// Test helpers: the schema model (loaded with the generator's own loader) and fast-check arbitraries
// derived from it, so generated values respect versions, nullability, tagged fields and defaults.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { defaultMessagesDir } from '../../protocol/generator/main.js';
import { type FieldModel, type FieldType, type MessageModel, type StructModel, loadMessage } from '../../protocol/generator/schema.js';
import { contains, isEmpty } from '../../protocol/generator/versions.js';
import { ZERO_UUID, uuidFromBytes } from '../../protocol/wire/uuid.js';

export const messagesDir = defaultMessagesDir();

let cache: Map<string, MessageModel> | undefined;
/** Every schema by message name. */
export function models(): Map<string, MessageModel> {
  if (!cache) {
    cache = new Map();
    for (const f of readdirSync(messagesDir).filter((x) => x.endsWith('.json')).sort()) {
      const m = loadMessage(f, readFileSync(join(messagesDir, f), 'utf8'));
      cache.set(m.name, m);
    }
  }
  return cache;
}

export function isFlexible(m: MessageModel, v: number): boolean {
  return contains(m.flexibleVersions, v);
}

/** The value a decoder produces for a field absent from version `v` (or a tagged field not sent). */
export function defaultValue(f: FieldModel, m: MessageModel, v: number): unknown {
  const d = f.default;
  switch (d.kind) {
    case 'number':
    case 'bigint':
    case 'bool':
    case 'string':
      return d.value;
    case 'null':
      return null;
    case 'empty': {
      const t = f.type;
      if (t.kind === 'array') return [];
      if (t.kind === 'struct') return defaultStruct(t.struct, m, v);
      if (t.name === 'uuid') return ZERO_UUID;
      return new Uint8Array(0);
    }
  }
}

export function defaultStruct(s: StructModel, m: MessageModel, v: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of s.fields) o[f.prop] = defaultValue(f, m, v);
  return o;
}

const INTS: Record<string, [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 4 }));
const uuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => uuidFromBytes(b, 0));

function typeArb(t: FieldType, m: MessageModel, v: number, depth: number): fc.Arbitrary<unknown> {
  switch (t.kind) {
    case 'primitive': {
      const r = INTS[t.name];
      if (r) return fc.integer({ min: r[0], max: r[1] });
      switch (t.name) {
        case 'bool':
          return fc.boolean();
        case 'int64':
          return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
        case 'float64':
          return fc.double();
        case 'string':
          return text;
        case 'bytes':
        case 'records':
          return fc.uint8Array({ maxLength: 24 });
        case 'uuid':
          return uuid;
      }
      throw new Error(`no arbitrary for ${t.name}`);
    }
    case 'array':
      return fc.array(typeArb(t.element, m, v, depth + 1), { maxLength: depth > 3 ? 1 : 3 });
    case 'struct':
      return structArb(t.struct, m, v, depth + 1);
  }
}

/** Unknown tagged fields (tags 200+, never used by Kafka 3.9), sorted by tag. */
const unknownTagged = fc
  .uniqueArray(fc.integer({ min: 200, max: 20000 }), { minLength: 1, maxLength: 2 })
  .chain((tags) => fc.tuple(...tags.sort((a, b) => a - b).map((tag) => fc.uint8Array({ maxLength: 6 }).map((data) => ({ tag, data })))));

export function structArb(s: StructModel, m: MessageModel, v: number, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of s.fields) {
    if (!contains(f.versions, v)) {
      shape[f.prop] = fc.constant(null).map(() => defaultValue(f, m, v));
      continue;
    }
    let a = typeArb(f.type, m, v, depth);
    if (!isEmpty(f.nullableVersions) && contains(f.nullableVersions, v)) a = fc.option(a, { nil: null, freq: 4 });
    // Defaults matter (tagged fields are omitted when default): produce them often.
    const d = fc.constant(null).map(() => defaultValue(f, m, v));
    shape[f.prop] = fc.oneof({ arbitrary: a, weight: 3 }, { arbitrary: d, weight: 1 });
  }
  let arb = fc.record(shape) as fc.Arbitrary<Record<string, unknown>>;
  if (isFlexible(m, v)) {
    arb = fc.tuple(arb, fc.option(unknownTagged, { nil: undefined, freq: 3 })).map(([o, u]) => (u === undefined ? o : { ...o, _unknownTaggedFields: u }));
  }
  return arb;
}

export function messageArb(m: MessageModel, v: number): fc.Arbitrary<Record<string, unknown>> {
  return structArb(m.root, m, v);
}

/** JSON-ish rendering for failure messages (bigint, Uint8Array). */
export function show(x: unknown): string {
  return JSON.stringify(x, (_k, val) => (typeof val === 'bigint' ? `${val}n` : val instanceof Uint8Array ? `bytes[${Array.from(val).join(',')}]` : val));
}
