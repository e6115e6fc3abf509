// Size functions: the exact number of bytes the Writer will emit for a value.
import type { RawTaggedField } from './reader.js';
import { utf8Length } from './utf8.js';

export function sizeUvarint(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}
export function sizeString(s: string): number {
  return 2 + utf8Length(s);
}
export function sizeNullableString(s: string | null): number {
  return s === null ? 2 : 2 + utf8Length(s);
}
export function sizeCompactString(s: string): number {
  const n = utf8Length(s);
  return sizeUvarint(n + 1) + n;
}
export function sizeCompactNullableString(s: string | null): number {
  return s === null ? 1 : sizeCompactString(s);
}
export function sizeBytes(b: Uint8Array): number {
  return 4 + b.length;
}
export function sizeNullableBytes(b: Uint8Array | null): number {
  return b === null ? 4 : 4 + b.length;
}
export function sizeCompactBytes(b: Uint8Array): number {
  return sizeUvarint(b.length + 1) + b.length;
}
export function sizeCompactNullableBytes(b: Uint8Array | null): number {
  return b === null ? 1 : sizeCompactBytes(b);
}
/** Bytes taken by raw tagged fields (without the section's count). */
export function sizeRawTaggedFields(fields: readonly RawTaggedField[] | undefined): number {
  if (fields === undefined) return 0;
  let s = 0;
  for (const f of fields) s += sizeUvarint(f.tag) + sizeUvarint(f.data.length) + f.data.length;
  return s;
}
/** A whole tagged-field section holding only raw fields. */
export function sizeTaggedFields(fields: readonly RawTaggedField[] | undefined): number {
  return fields === undefined ? 1 : sizeUvarint(fields.length) + sizeRawTaggedFields(fields);
}
