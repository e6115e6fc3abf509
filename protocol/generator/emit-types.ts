// TypeScript declarations for one message: the decoded shape (every field present) and the encoder
// input shape (every field optional; a missing field is written as its default).
import { Code } from './code.js';
import type { DefaultValue, FieldModel, FieldType, MessageModel, StructModel } from './schema.js';
import { formatRange, isEmpty } from './versions.js';

export function tsType(t: FieldType, input: boolean): string {
  switch (t.kind) {
    case 'primitive':
      switch (t.name) {
        case 'bool':
          return 'boolean';
        case 'int64':
          return 'bigint';
        case 'string':
        case 'uuid':
          return 'string';
        case 'bytes':
        case 'records':
          return 'Uint8Array';
        default:
          return 'number';
      }
    case 'array': {
      const e = tsType(t.element, input);
      return `${e}[]`;
    }
    case 'struct':
      return input ? `${t.struct.typeName}Input` : t.struct.typeName;
  }
}

export function fieldTsType(f: FieldModel, input: boolean): string {
  const base = tsType(f.type, input);
  return isEmpty(f.nullableVersions) ? base : `${base} | null`;
}

function describeDefault(d: DefaultValue): string {
  switch (d.kind) {
    case 'number':
    case 'bool':
      return String(d.value);
    case 'bigint':
      return `${d.value}n`;
    case 'string':
      return JSON.stringify(d.value);
    case 'null':
      return 'null';
    case 'empty':
      return 'empty';
  }
}

function fieldDoc(f: FieldModel, m: MessageModel): string[] {
  const doc: string[] = [];
  if (f.about) doc.push(f.about);
  if (f.comments.length) {
    if (doc.length) doc.push('');
    doc.push(...f.comments);
  }
  const facts = [`versions ${formatRange(f.versions)}`];
  if (!isEmpty(f.nullableVersions)) facts.push(`nullable ${formatRange(f.nullableVersions)}`);
  if (f.tag !== undefined) facts.push(`tagged ${formatRange(f.taggedVersions)} (tag ${f.tag})`);
  if (f.default.kind !== 'empty') facts.push(`default ${describeDefault(f.default)}`);
  if (f.ignorable) facts.push('ignorable');
  if (f.mapKey) facts.push('map key');
  if (f.entityType) facts.push(`entity ${f.entityType}`);
  if (f.flexibleVersions) facts.push(`flexible ${formatRange(f.flexibleVersions)}`);
  void m;
  if (doc.length) doc.push('');
  doc.push(`Wire: ${facts.join('; ')}.`);
  return doc;
}

export function emitTypes(code: Code, m: MessageModel, s: StructModel): void {
  const flexible = !isEmpty(m.flexibleVersions);
  const structDoc = (input: boolean): string[] => {
    const doc: string[] = [];
    if (s === m.root) {
      doc.push(`${m.name} (${m.kind}${m.apiKey !== undefined ? `, api key ${m.apiKey}` : ''}), versions ${formatRange(m.validVersions)}, flexible ${formatRange(m.flexibleVersions)}.`);
      if (m.comments.length) doc.push('', ...m.comments);
    } else {
      doc.push(`${s.name}, part of ${m.name}.`);
      if (s.comments.length) doc.push('', ...s.comments);
    }
    if (input) return [`Encoder input for {@link ${s.typeName}}: every field is optional and written as its default when missing.`];
    return doc;
  };
  for (const input of [false, true]) {
    code.doc(structDoc(input));
    code.block(`export interface ${s.typeName}${input ? 'Input' : ''}`, () => {
      for (const f of s.fields) {
        code.doc(input ? [`See {@link ${s.typeName}.${f.prop}}.`] : fieldDoc(f, m));
        code.line(`${f.prop}${input ? '?' : ''}: ${fieldTsType(f, input)};`);
      }
      if (flexible) {
        code.doc(['Tagged fields this codec does not know, kept raw (views) and re-emitted on encode.']);
        code.line('_unknownTaggedFields?: RawTaggedField[];');
      }
    });
    code.line();
  }
}
