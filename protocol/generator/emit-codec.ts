// Codec functions for one message: per struct a reader, a writer and a size function (all versions
// folded into one function, gated on `v`), plus default/isDefault helpers for structs used as fields,
// and the exported decode/encode/size entry points that check the version.
import { Code } from './code.js';
import { fieldTsType, tsType } from './emit-types.js';
import type { DefaultValue, FieldModel, FieldType, MessageModel, PrimitiveName, StructModel } from './schema.js';
import { condition, isEmpty } from './versions.js';

const FIXED: Partial<Record<PrimitiveName, number>> = { bool: 1, int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, float64: 8, uuid: 16 };

/** `c ? a : b`, folded when `c` is constant. */
function pick(c: string, a: string, b: string): string {
  if (c === 'true') return a;
  if (c === 'false') return b;
  return `(${c} ? ${a} : ${b})`;
}
function not(c: string): string {
  if (c === 'true') return 'false';
  if (c === 'false') return 'true';
  return /^[\w.]+$/.test(c) ? `!${c}` : `!(${c})`;
}
function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export class CodecEmitter {
  constructor(
    private readonly code: Code,
    private readonly m: MessageModel,
  ) {}

  private get scope() {
    return this.m.validVersions;
  }

  /** Flexible condition of the message, as `flex` when it depends on the version. */
  private structFlex(): string {
    return condition(this.m.flexibleVersions, this.scope);
  }
  // Field-level conditions are only evaluated where `v` is already known to be in the field's
  // versions, so they are simplified against those versions.
  private flexOf(f: FieldModel, tagged: boolean): string {
    if (tagged) return 'true';
    if (f.flexibleVersions) return condition(f.flexibleVersions, f.versions);
    const c = condition(this.m.flexibleVersions, f.versions);
    return c === 'true' || c === 'false' ? c : 'flex';
  }
  private nullOf(f: FieldModel): string {
    return isEmpty(f.nullableVersions) ? 'false' : condition(f.nullableVersions, f.versions);
  }
  private where(s: StructModel, f: FieldModel): string {
    return s === this.m.root ? `${this.m.name}.${f.name}` : `${this.m.name}.${s.name}.${f.name}`;
  }

  defaultExpr(f: FieldModel): string {
    return valueOf(f.default, f.type);
  }

  isDefaultExpr(f: FieldModel, x: string): string {
    const d = f.default;
    const nullable = !isEmpty(f.nullableVersions);
    if (d.kind !== 'empty') return d.kind === 'null' ? `${x} === null` : `${x} === ${valueOf(d, f.type)}`;
    const t = f.type;
    if (t.kind === 'struct') return nullable ? `(${x} !== null && isDefault${t.struct.typeName}(${x}))` : `isDefault${t.struct.typeName}(${x})`;
    if (t.kind === 'primitive' && t.name === 'uuid') return `${x} === ZERO_UUID`;
    // bytes, records, arrays: empty
    return nullable ? `(${x} !== null && ${x}.length === 0)` : `${x}.length === 0`;
  }

  // ---- reading ----

  private readPrimitive(name: PrimitiveName, fc: string, nullable: string): string {
    switch (name) {
      case 'string':
        return pick(fc, pick(nullable, 'r.compactNullableString()', 'r.compactString()'), pick(nullable, 'r.nullableString()', 'r.string()'));
      case 'bytes':
      case 'records':
        return pick(fc, pick(nullable, 'r.compactNullableBytes()', 'r.compactBytes()'), pick(nullable, 'r.nullableBytes()', 'r.bytes()'));
      default:
        return `r.${name}()`;
    }
  }

  private readInto(target: string, f: FieldModel, fc: string, where: string): void {
    const c = this.code;
    const t = f.type;
    const nc = this.nullOf(f);
    if (t.kind === 'primitive') {
      c.line(`${target} = ${this.readPrimitive(t.name, fc, nc)};`);
    } else if (t.kind === 'struct') {
      const read = `read${t.struct.typeName}(r, v)`;
      if (nc === 'false') c.line(`${target} = ${read};`);
      else if (nc === 'true') c.line(`${target} = r.present() ? ${read} : null;`);
      else c.line(`${target} = ${not(nc)} || r.present() ? ${read} : null;`);
    } else {
      const e = t.element;
      c.block('', () => {
        c.line(`const n = ${pick(fc, 'r.compactArrayLength()', 'r.arrayLength()')};`);
        const elemType = tsType(e, false);
        c.block('if (n < 0)', () => {
          if (nc === 'false') c.line(`r.fail('null array in non-nullable ${where}');`);
          else {
            if (nc !== 'true') c.line(`if (${not(nc)}) r.fail('null array in non-nullable ${where}');`);
            c.line(`${target} = null;`);
          }
        }, '} else {');
        c.indent(() => {
          c.line(`const a: ${elemType}[] = [];`);
          const elem = e.kind === 'struct' ? `read${e.struct.typeName}(r, v)` : e.kind === 'primitive' ? this.readPrimitive(e.name, fc, 'false') : '';
          if (elem === '') throw new Error(`${where}: nested arrays are not supported`);
          c.line(`for (let i = 0; i < n; i++) a.push(${elem});`);
          c.line(`${target} = a;`);
        });
        c.line('}');
      });
    }
  }

  emitRead(s: StructModel): void {
    const c = this.code;
    const m = this.m;
    const sf = this.structFlex();
    const tagged = s.fields.filter((f) => f.tag !== undefined).sort((a, b) => a.tag! - b.tag!);
    c.block(`function read${s.typeName}(r: Reader, v: number): ${s.typeName}`, () => {
      if (sf !== 'true' && sf !== 'false') c.line(`const flex = ${sf};`);
      for (const f of s.fields) {
        const local = `f_${f.prop}`;
        const type = fieldTsType(f, false);
        const vc = condition(f.versions, this.scope);
        if (f.tag !== undefined || vc !== 'true') {
          c.line(`let ${local}: ${type} = ${this.defaultExpr(f)};`);
          if (f.tag === undefined) c.block(`if (${vc})`, () => this.readInto(local, f, this.flexOf(f, false), this.where(s, f)));
        } else if (f.type.kind === 'array') {
          c.line(`let ${local}: ${type};`);
          this.readInto(local, f, this.flexOf(f, false), this.where(s, f));
        } else {
          this.readInto(`const ${local}: ${type}`, f, this.flexOf(f, false), this.where(s, f));
        }
      }
      if (!isEmpty(m.flexibleVersions)) {
        c.line('let unknown: RawTaggedField[] | undefined;');
        const body = (): void => {
          if (tagged.length === 0) {
            c.line('unknown = r.unknownTaggedFields();');
            return;
          }
          c.line('const nt = r.uvarint();');
          c.block('for (let ti = 0; ti < nt; ti++)', () => {
            c.line('const tag = r.uvarint();');
            c.line('const size = r.uvarint();');
            c.line('const end = r.pos + size;');
            let first = true;
            for (const f of tagged) {
              const vc = condition(f.versions, this.scope);
              const cond = vc === 'true' ? `tag === ${f.tag}` : `tag === ${f.tag} && ${vc}`;
              c.line(`${first ? '' : '} else '}if (${cond}) {`);
              first = false;
              c.indent(() => this.readInto(`f_${f.prop}`, f, 'true', this.where(s, f)));
            }
            c.line('} else {');
            c.indent(() => {
              c.line('(unknown ??= []).push({ tag, data: r.raw(size) });');
              c.line('continue;');
            });
            c.line('}');
            c.line("if (r.pos !== end) r.fail(`tagged field ${tag} does not match its size ${size}`);");
          });
        };
        if (sf === 'true') body();
        else c.block('if (flex)', body);
      }
      c.block('return', () => {
        for (const f of s.fields) c.line(`${f.prop}: f_${f.prop},`);
        if (!isEmpty(m.flexibleVersions)) c.line('_unknownTaggedFields: unknown,');
      }, '};');
    });
    c.line();
  }

  // ---- writing ----

  private writePrimitive(name: PrimitiveName, x: string, fc: string, nullableCapable: boolean): void {
    const c = this.code;
    const call = (compact: string, classic: string): void => {
      if (fc === 'true') c.line(`w.${compact}(${x});`);
      else if (fc === 'false') c.line(`w.${classic}(${x});`);
      else c.line(`if (${fc}) w.${compact}(${x}); else w.${classic}(${x});`);
    };
    const n = nullableCapable ? 'Nullable' : '';
    switch (name) {
      case 'string':
        return call(`compact${n}String`, nullableCapable ? 'nullableString' : 'string');
      case 'bytes':
      case 'records':
        return call(`compact${n}Bytes`, nullableCapable ? 'nullableBytes' : 'bytes');
      default:
        c.line(`w.${name}(${x});`);
    }
  }

  private nullCheck(f: FieldModel, x: string, where: string): void {
    const nc = this.nullOf(f);
    if (isEmpty(f.nullableVersions) || nc === 'true') return;
    this.code.line(`if (${x} === null${nc === 'false' ? '' : ` && ${not(nc)}`}) throw new ProtocolEncodeError(\`null in non-nullable ${where} at version \${v}\`);`);
  }

  private writeValue(f: FieldModel, x: string, fc: string, where: string): void {
    const c = this.code;
    const t = f.type;
    const nullableCapable = !isEmpty(f.nullableVersions);
    const nc = this.nullOf(f);
    if (t.kind === 'primitive') {
      this.nullCheck(f, x, where);
      this.writePrimitive(t.name, x, fc, nullableCapable);
    } else if (t.kind === 'struct') {
      const write = `write${t.struct.typeName}(w, v, ${x});`;
      if (!nullableCapable) {
        c.line(write);
        return;
      }
      this.nullCheck(f, x, where);
      const marked = (): void => {
        c.block(`if (${x} === null)`, () => c.line('w.int8(-1);'), '} else {');
        c.indent(() => {
          c.line('w.int8(1);');
          c.line(write);
        });
        c.line('}');
      };
      if (nc === 'true') marked();
      else {
        c.block(`if (${nc})`, marked, '} else {');
        c.indent(() => c.line(`write${t.struct.typeName}(w, v, ${x}!);`));
        c.line('}');
      }
    } else {
      const e = t.element;
      const len = (n: string): string => pick(fc, `w.compactArrayLength(${n})`, `w.arrayLength(${n})`);
      const body = (): void => {
        c.line(`${len(`${x}.length`)};`);
        const el = `${x}[i]!`;
        if (e.kind === 'struct') c.line(`for (let i = 0; i < ${x}.length; i++) write${e.struct.typeName}(w, v, ${el});`);
        else if (e.kind === 'primitive') {
          c.block(`for (let i = 0; i < ${x}.length; i++)`, () => this.writePrimitive(e.name, el, fc, false));
        }
      };
      if (nullableCapable) {
        this.nullCheck(f, x, where);
        c.block(`if (${x} === null)`, () => c.line(`${len('-1')};`), '} else {');
        c.indent(body);
        c.line('}');
      } else body();
    }
  }

  private sizeValue(f: FieldModel, x: string, fc: string, acc: string): void {
    const c = this.code;
    const t = f.type;
    const nullableCapable = !isEmpty(f.nullableVersions);
    const nc = this.nullOf(f);
    const prim = (name: PrimitiveName, val: string, nullable: boolean): string => {
      const fixed = FIXED[name];
      if (fixed !== undefined) return String(fixed);
      const n = nullable ? 'Nullable' : '';
      const kind = name === 'string' ? 'String' : 'Bytes';
      return pick(fc, `sizeCompact${n}${kind}(${val})`, `size${n}${kind}(${val})`);
    };
    if (t.kind === 'primitive') {
      c.line(`${acc} += ${prim(t.name, x, nullableCapable)};`);
    } else if (t.kind === 'struct') {
      const measure = `measure${t.struct.typeName}(v, ${x})`;
      if (!nullableCapable) c.line(`${acc} += ${measure};`);
      else {
        if (nc === 'true') c.line(`${acc} += 1;`);
        else if (nc !== 'false') c.line(`if (${nc}) ${acc} += 1;`);
        c.line(`if (${x} !== null) ${acc} += ${measure};`);
      }
    } else {
      const e = t.element;
      const body = (): void => {
        c.line(`${acc} += ${pick(fc, `sizeUvarint(${x}.length + 1)`, '4')};`);
        if (e.kind === 'struct') c.line(`for (let i = 0; i < ${x}.length; i++) ${acc} += measure${e.struct.typeName}(v, ${x}[i]!);`);
        else if (e.kind === 'primitive') {
          const fixed = FIXED[e.name];
          if (fixed !== undefined) c.line(`${acc} += ${x}.length * ${fixed};`);
          else c.line(`for (let i = 0; i < ${x}.length; i++) ${acc} += ${prim(e.name, `${x}[i]!`, false)};`);
        }
      };
      if (nullableCapable) {
        c.block(`if (${x} === null)`, () => c.line(`${acc} += ${pick(fc, '1', '4')};`), '} else {');
        c.indent(body);
        c.line('}');
      } else body();
    }
  }

  private valueLocal(f: FieldModel): string {
    const d = this.defaultExpr(f);
    return `const x = m.${f.prop} === undefined ? ${d} : m.${f.prop};`;
  }

  emitWrite(s: StructModel): void {
    const c = this.code;
    const m = this.m;
    const sf = this.structFlex();
    const tagged = s.fields.filter((f) => f.tag !== undefined).sort((a, b) => a.tag! - b.tag!);
    const usesFlex = sf !== 'true' && sf !== 'false';
    c.block(`function write${s.typeName}(w: Writer, v: number, m: ${s.typeName}Input): void`, () => {
      if (usesFlex) c.line(`const flex = ${sf};`);
      for (const f of s.fields) {
        const vc = condition(f.versions, this.scope);
        const where = this.where(s, f);
        const reject = (): void => {
          if (f.ignorable) return;
          c.line(`if (m.${f.prop} !== undefined && !(${this.isDefaultExpr(f, `m.${f.prop}`)})) throw new UnsupportedVersionError(\`${where} cannot be written at version \${v}\`);`);
        };
        if (f.tag !== undefined) {
          if (vc !== 'true' && !f.ignorable) c.block(`if (${not(vc)})`, reject);
          continue;
        }
        if (vc === 'true') {
          c.block('', () => {
            c.line(this.valueLocal(f));
            this.writeValue(f, 'x', this.flexOf(f, false), where);
          });
        } else {
          c.block(`if (${vc})`, () => {
            c.line(this.valueLocal(f));
            this.writeValue(f, 'x', this.flexOf(f, false), where);
          }, f.ignorable ? '}' : '} else {');
          if (!f.ignorable) {
            c.indent(reject);
            c.line('}');
          }
        }
      }
      if (!isEmpty(m.flexibleVersions)) {
        const body = (): void => {
          if (tagged.length === 0) {
            c.line('w.taggedFields(m._unknownTaggedFields);');
            return;
          }
          c.line('const unknown = m._unknownTaggedFields;');
          c.line('let count = unknown === undefined ? 0 : unknown.length;');
          for (const f of tagged) {
            const vc = condition(f.versions, this.scope);
            c.line(`const t${f.tag} = m.${f.prop} === undefined ? ${this.defaultExpr(f)} : m.${f.prop};`);
            const has = `${vc === 'true' ? '' : `${vc} && `}!(${this.isDefaultExpr(f, `t${f.tag}`)})`;
            c.line(`const h${f.tag} = ${has};`);
            c.line(`if (h${f.tag}) count++;`);
          }
          c.line('w.uvarint(count);');
          c.line('let u = 0;');
          for (const f of tagged) {
            c.block(`if (h${f.tag})`, () => {
              c.line(`u = w.rawTaggedFields(unknown, u, ${f.tag});`);
              c.line(`w.uvarint(${f.tag});`);
              c.line('let size = 0;');
              this.sizeValue(f, `t${f.tag}`, 'true', 'size');
              c.line('w.uvarint(size);');
              this.writeValue(f, `t${f.tag}`, 'true', this.where(s, f));
            });
          }
          c.line('w.rawTaggedFields(unknown, u, Infinity);');
        };
        if (sf === 'true') body();
        else c.block('if (flex)', body);
      }
    });
    c.line();
  }

  emitMeasure(s: StructModel): void {
    const c = this.code;
    const m = this.m;
    const sf = this.structFlex();
    const tagged = s.fields.filter((f) => f.tag !== undefined).sort((a, b) => a.tag! - b.tag!);
    c.block(`function measure${s.typeName}(v: number, m: ${s.typeName}Input): number`, () => {
      if (sf !== 'true' && sf !== 'false') c.line(`const flex = ${sf};`);
      c.line('let s = 0;');
      for (const f of s.fields) {
        if (f.tag !== undefined) continue;
        const vc = condition(f.versions, this.scope);
        const body = (): void => {
          c.line(this.valueLocal(f));
          this.sizeValue(f, 'x', this.flexOf(f, false), 's');
        };
        if (vc === 'true') c.block('', body);
        else c.block(`if (${vc})`, body);
      }
      if (!isEmpty(m.flexibleVersions)) {
        const body = (): void => {
          if (tagged.length === 0) {
            c.line('s += sizeTaggedFields(m._unknownTaggedFields);');
            return;
          }
          c.line('const unknown = m._unknownTaggedFields;');
          c.line('let count = unknown === undefined ? 0 : unknown.length;');
          c.line('s += sizeRawTaggedFields(unknown);');
          for (const f of tagged) {
            const vc = condition(f.versions, this.scope);
            c.line(`const t${f.tag} = m.${f.prop} === undefined ? ${this.defaultExpr(f)} : m.${f.prop};`);
            const has = `${vc === 'true' ? '' : `${vc} && `}!(${this.isDefaultExpr(f, `t${f.tag}`)})`;
            c.block(`if (${has})`, () => {
              c.line('count++;');
              c.line('let size = 0;');
              this.sizeValue(f, `t${f.tag}`, 'true', 'size');
              c.line(`s += ${sizeUvarintConst(f.tag!)} + sizeUvarint(size) + size;`);
            });
          }
          c.line('s += sizeUvarint(count);');
        };
        if (sf === 'true') body();
        else c.block('if (flex)', body);
      }
      c.line('return s;');
    });
    c.line();
  }

  emitDefaults(s: StructModel): void {
    const c = this.code;
    c.block(`function default${s.typeName}(): ${s.typeName}`, () => {
      c.block('return', () => {
        for (const f of s.fields) c.line(`${f.prop}: ${this.defaultExpr(f)},`);
        if (!isEmpty(this.m.flexibleVersions)) c.line('_unknownTaggedFields: undefined,');
      }, '};');
    });
    c.line();
    c.block(`function isDefault${s.typeName}(m: ${s.typeName}Input): boolean`, () => {
      const parts = s.fields.map((f) => `(m.${f.prop} === undefined || ${this.isDefaultExpr(f, `m.${f.prop}`)})`);
      if (!isEmpty(this.m.flexibleVersions)) parts.push('(m._unknownTaggedFields === undefined || m._unknownTaggedFields.length === 0)');
      if (parts.length === 0) c.line('return true;');
      else {
        c.line('return (');
        c.indent(() => parts.forEach((p, i) => c.line(`${p}${i < parts.length - 1 ? ' &&' : ''}`)));
        c.line(');');
      }
    });
    c.line();
  }

  emitEntryPoints(): void {
    const c = this.code;
    const m = this.m;
    const t = m.root.typeName;
    const min = m.validVersions.min;
    const max = m.validVersions.max;
    const check = `if (!Number.isInteger(version) || version < ${min} || version > ${max}) throw new UnsupportedVersionError(\`${m.name} has no version \${version} (valid ${min}-${max})\`);`;
    c.doc([`Decodes ${m.name} (versions ${min}-${max}) from \`r\`, advancing it. Byte strings are views into the input.`]);
    c.block(`export function decode${cap(m.name)}(r: Reader, version: number): ${t}`, () => {
      c.line(check);
      c.line(`return read${t}(r, version);`);
    });
    c.line();
    c.doc([`Encodes ${m.name} at \`version\` into \`w\` (which must have room for size${cap(m.name)}() bytes).`]);
    c.block(`export function encode${cap(m.name)}(w: Writer, version: number, message: ${t}Input): void`, () => {
      c.line(check);
      c.line(`write${t}(w, version, message);`);
    });
    c.line();
    c.doc([`Exact encoded size of ${m.name} at \`version\`, in bytes.`]);
    c.block(`export function size${cap(m.name)}(version: number, message: ${t}Input): number`, () => {
      c.line(check);
      c.line(`return measure${t}(version, message);`);
    });
    c.line();
  }

  emitAll(): void {
    for (const s of this.m.structs) {
      this.emitRead(s);
      this.emitWrite(s);
      this.emitMeasure(s);
      if (s.usedAsField) this.emitDefaults(s);
    }
    this.emitEntryPoints();
  }
}

function sizeUvarintConst(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

export function valueOf(d: DefaultValue, t: FieldType): string {
  switch (d.kind) {
    case 'number':
      return Object.is(d.value, -0) ? '0' : String(d.value);
    case 'bigint':
      return `${d.value}n`;
    case 'bool':
      return String(d.value);
    case 'string':
      return JSON.stringify(d.value);
    case 'null':
      return 'null';
    case 'empty':
      if (t.kind === 'array') return '[]';
      if (t.kind === 'struct') return `default${t.struct.typeName}()`;
      if (t.name === 'uuid') return 'ZERO_UUID';
      return 'new Uint8Array(0)';
  }
}
