// Codec functions for one message: per struct a reader, a writer and a size function (all versions
// folded into one function, gated on `v`), plus the default/isDefault helpers of structs used as fields,
// and the exported decode/encode/size entry points that check the version.
// The output has no unused locals, parameters or functions: a function takes `v` only when its body reads
// it, and a default/isDefault helper is emitted only when emitted code calls it.
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
function taggedFields(s: StructModel): FieldModel[] {
  return s.fields.filter((f) => f.tag !== undefined).sort((a, b) => a.tag! - b.tag!);
}
function fixedSize(t: FieldType): number | undefined {
  return t.kind === 'primitive' ? FIXED[t.name] : undefined;
}

/** The three functions emitted per struct: `readX(r, v)`, `writeX(w, v, m)`, `measureX(v, m)`. */
type CodecKind = 'read' | 'write' | 'measure';
type HelperKind = 'default' | 'isDefault';
/** A rendered codec function: its body, and the parameters (name, type) that body reads. */
interface CodecFunction {
  body: Code;
  params: [string, string][];
}

function allParams(kind: CodecKind, s: StructModel): [string, string][] {
  const message: [string, string] = ['m', `${s.typeName}Input`];
  if (kind === 'read') return [['r', 'Reader'], ['v', 'number']];
  if (kind === 'write') return [['w', 'Writer'], ['v', 'number'], message];
  return [['v', 'number'], message];
}

export class CodecEmitter {
  /** Codec functions by `<kind> <struct type>`, each rendered once, before any call to it is emitted. */
  private readonly functions = new Map<string, CodecFunction>();
  /** default/isDefault helpers by function name, recorded when emitted code calls them; rendered last. */
  private readonly helpers = new Map<string, { kind: HelperKind; s: StructModel; code?: Code }>();

  constructor(
    /** Where the emit methods write: the module, or a fresh builder while one function is rendered. */
    private code: Code,
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

  /** Runs `emit` into a fresh builder and returns that builder. */
  private render(emit: () => void): Code {
    const outer = this.code;
    this.code = new Code();
    try {
      emit();
      return this.code;
    } finally {
      this.code = outer;
    }
  }

  /**
   * `s`'s `kind` function. It declares only the parameters its body reads (a struct whose layout is the
   * same in every version does not take `v`). A word match suffices: the emitted code has no other
   * names `r`, `w`, `v` or `m`, and the compiler's unused and undefined-name checks on the output would
   * catch a mismatch.
   */
  private codecFunction(kind: CodecKind, s: StructModel): CodecFunction {
    const key = `${kind} ${s.typeName}`;
    let fn = this.functions.get(key);
    if (fn === undefined) {
      const body = this.render(() => (kind === 'read' ? this.readBody(s) : kind === 'write' ? this.writeBody(s) : this.measureBody(s)));
      const text = body.toString();
      fn = { body, params: allParams(kind, s).filter(([name]) => new RegExp(`\\b${name}\\b`).test(text)) };
      this.functions.set(key, fn);
    }
    return fn;
  }

  /** A call of `s`'s `kind` function with the arguments it takes: `version` for `v`, `message` for `m`. */
  private call(kind: CodecKind, s: StructModel, version: string, message = ''): string {
    const args: Record<string, string> = { r: 'r', w: 'w', v: version, m: message };
    return `${kind}${s.typeName}(${this.codecFunction(kind, s).params.map(([name]) => args[name]).join(', ')})`;
  }

  /** The name of `s`'s `kind` helper, recorded as used. */
  private helper(kind: HelperKind, s: StructModel): string {
    const name = `${kind}${s.typeName}`;
    if (!this.helpers.has(name)) this.helpers.set(name, { kind, s });
    return name;
  }

  private defaultExpr(f: FieldModel): string {
    const t = f.type;
    if (t.kind === 'struct' && f.default.kind === 'empty') return `${this.helper('default', t.struct)}()`;
    return valueOf(f.default, t);
  }

  private isDefaultExpr(f: FieldModel, x: string): string {
    const d = f.default;
    const nullable = !isEmpty(f.nullableVersions);
    if (d.kind !== 'empty') return d.kind === 'null' ? `${x} === null` : `${x} === ${valueOf(d, f.type)}`;
    const t = f.type;
    if (t.kind === 'struct') {
      const isDefault = `${this.helper('isDefault', t.struct)}(${x})`;
      return nullable ? `(${x} !== null && ${isDefault})` : isDefault;
    }
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
      const read = this.call('read', t.struct, 'v');
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
          const elem = e.kind === 'struct' ? this.call('read', e.struct, 'v') : e.kind === 'primitive' ? this.readPrimitive(e.name, fc, 'false') : '';
          if (elem === '') throw new Error(`${where}: nested arrays are not supported`);
          c.line(`for (let i = 0; i < n; i++) a.push(${elem});`);
          c.line(`${target} = a;`);
        });
        c.line('}');
      });
    }
  }

  private readBody(s: StructModel): void {
    const c = this.code;
    const sf = this.structFlex();
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
    const flexible = !isEmpty(this.m.flexibleVersions);
    if (flexible) {
      c.line('let unknown: RawTaggedField[] | undefined;');
      if (sf === 'true') this.readTaggedFields(s);
      else c.block('if (flex)', () => this.readTaggedFields(s));
    }
    c.block('return', () => {
      for (const f of s.fields) c.line(`${f.prop}: f_${f.prop},`);
      if (flexible) c.line('_unknownTaggedFields: unknown,');
    }, '};');
  }

  /** The tagged-field section: known tags into their `f_` locals, the rest kept in `unknown`. */
  private readTaggedFields(s: StructModel): void {
    const c = this.code;
    const tagged = taggedFields(s);
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
      const write = `${this.call('write', t.struct, 'v', x)};`;
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
        c.indent(() => c.line(`${this.call('write', t.struct, 'v', `${x}!`)};`));
        c.line('}');
      }
    } else {
      const e = t.element;
      const len = (n: string): string => pick(fc, `w.compactArrayLength(${n})`, `w.arrayLength(${n})`);
      const body = (): void => {
        c.line(`${len(`${x}.length`)};`);
        const el = `${x}[i]!`;
        if (e.kind === 'struct') c.line(`for (let i = 0; i < ${x}.length; i++) ${this.call('write', e.struct, 'v', el)};`);
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
      const measure = this.call('measure', t.struct, 'v', x);
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
        if (e.kind === 'struct') c.line(`for (let i = 0; i < ${x}.length; i++) ${acc} += ${this.call('measure', e.struct, 'v', `${x}[i]!`)};`);
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

  private writeBody(s: StructModel): void {
    const c = this.code;
    const sf = this.structFlex();
    if (sf !== 'true' && sf !== 'false') c.line(`const flex = ${sf};`);
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
      const write = (): void => {
        c.line(this.valueLocal(f));
        this.writeValue(f, 'x', this.flexOf(f, false), where);
      };
      if (vc === 'true') c.block('', write);
      else {
        c.block(`if (${vc})`, write, f.ignorable ? '}' : '} else {');
        if (!f.ignorable) {
          c.indent(reject);
          c.line('}');
        }
      }
    }
    if (!isEmpty(this.m.flexibleVersions)) {
      if (sf === 'true') this.writeTaggedFields(s);
      else c.block('if (flex)', () => this.writeTaggedFields(s));
    }
  }

  /** The tagged-field section: count, then known and unknown tags merged in tag order. */
  private writeTaggedFields(s: StructModel): void {
    const c = this.code;
    const tagged = this.startTaggedFields(s, 'w.taggedFields(m._unknownTaggedFields);');
    if (tagged.length === 0) return;
    for (const f of tagged) {
      c.line(this.taggedLocal(f));
      c.line(`const h${f.tag} = ${this.hasTagged(f)};`);
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
  }

  /**
   * Opens an encoder's tagged-field section: with no known tags in `s`, emits `whenNone` and returns no
   * fields; else declares `unknown` and `count` (the unknown fields) and returns the known ones in tag order.
   */
  private startTaggedFields(s: StructModel, whenNone: string): FieldModel[] {
    const tagged = taggedFields(s);
    if (tagged.length === 0) this.code.line(whenNone);
    else {
      this.code.line('const unknown = m._unknownTaggedFields;');
      this.code.line('let count = unknown === undefined ? 0 : unknown.length;');
    }
    return tagged;
  }

  /** Tagged field `f`'s value (or its default) in local `t<tag>`. */
  private taggedLocal(f: FieldModel): string {
    return `const t${f.tag} = m.${f.prop} === undefined ? ${this.defaultExpr(f)} : m.${f.prop};`;
  }

  /** Whether tagged field `f`, held in local `t<tag>`, goes on the wire: in its versions and not its default. */
  private hasTagged(f: FieldModel): string {
    const vc = condition(f.versions, this.scope);
    return `${vc === 'true' ? '' : `${vc} && `}!(${this.isDefaultExpr(f, `t${f.tag}`)})`;
  }

  private measureBody(s: StructModel): void {
    const c = this.code;
    const sf = this.structFlex();
    if (sf !== 'true' && sf !== 'false') c.line(`const flex = ${sf};`);
    c.line('let s = 0;');
    // A fixed-size field's value is not read; consecutive ones under one condition add up to one constant.
    let fixedRun: { vc: string; size: number } | undefined;
    const flushFixed = (): void => {
      if (fixedRun !== undefined) c.line(fixedRun.vc === 'true' ? `s += ${fixedRun.size};` : `if (${fixedRun.vc}) s += ${fixedRun.size};`);
      fixedRun = undefined;
    };
    for (const f of s.fields) {
      if (f.tag !== undefined) continue;
      const vc = condition(f.versions, this.scope);
      const fixed = fixedSize(f.type);
      if (fixed !== undefined) {
        if (fixedRun?.vc === vc) fixedRun.size += fixed;
        else {
          flushFixed();
          fixedRun = { vc, size: fixed };
        }
        continue;
      }
      flushFixed();
      const body = (): void => {
        c.line(this.valueLocal(f));
        this.sizeValue(f, 'x', this.flexOf(f, false), 's');
      };
      if (vc === 'true') c.block('', body);
      else c.block(`if (${vc})`, body);
    }
    flushFixed();
    if (!isEmpty(this.m.flexibleVersions)) {
      if (sf === 'true') this.measureTaggedFields(s);
      else c.block('if (flex)', () => this.measureTaggedFields(s));
    }
    c.line('return s;');
  }

  private measureTaggedFields(s: StructModel): void {
    const c = this.code;
    const tagged = this.startTaggedFields(s, 's += sizeTaggedFields(m._unknownTaggedFields);');
    if (tagged.length === 0) return;
    c.line('s += sizeRawTaggedFields(unknown);');
    for (const f of tagged) {
      c.line(this.taggedLocal(f));
      c.block(`if (${this.hasTagged(f)})`, () => {
        c.line('count++;');
        c.line('let size = 0;');
        this.sizeValue(f, `t${f.tag}`, 'true', 'size');
        c.line(`s += ${sizeUvarintConst(f.tag!)} + sizeUvarint(size) + size;`);
      });
    }
    c.line('s += sizeUvarint(count);');
  }

  private defaultFunction(s: StructModel): void {
    const c = this.code;
    c.block(`function default${s.typeName}(): ${s.typeName}`, () => {
      c.block('return', () => {
        for (const f of s.fields) c.line(`${f.prop}: ${this.defaultExpr(f)},`);
        if (!isEmpty(this.m.flexibleVersions)) c.line('_unknownTaggedFields: undefined,');
      }, '};');
    });
    c.line();
  }

  private isDefaultFunction(s: StructModel): void {
    const c = this.code;
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

  private emitFunction(kind: CodecKind, s: StructModel): void {
    const { body, params } = this.codecFunction(kind, s);
    const result = kind === 'read' ? s.typeName : kind === 'write' ? 'void' : 'number';
    this.code.block(`function ${kind}${s.typeName}(${params.map(([name, type]) => `${name}: ${type}`).join(', ')}): ${result}`, () => this.code.append(body));
    this.code.line();
  }

  private emitEntryPoints(): void {
    const c = this.code;
    const m = this.m;
    const t = m.root;
    const min = m.validVersions.min;
    const max = m.validVersions.max;
    const check = `if (!Number.isInteger(version) || version < ${min} || version > ${max}) throw new UnsupportedVersionError(\`${m.name} has no version \${version} (valid ${min}-${max})\`);`;
    c.doc([`Decodes ${m.name} (versions ${min}-${max}) from \`r\`, advancing it. Byte strings are views into the input.`]);
    c.block(`export function decode${cap(m.name)}(r: Reader, version: number): ${t.typeName}`, () => {
      c.line(check);
      c.line(`return ${this.call('read', t, 'version')};`);
    });
    c.line();
    c.doc([`Encodes ${m.name} at \`version\` into \`w\` (which must have room for size${cap(m.name)}() bytes).`]);
    c.block(`export function encode${cap(m.name)}(w: Writer, version: number, message: ${t.typeName}Input): void`, () => {
      c.line(check);
      c.line(`${this.call('write', t, 'version', 'message')};`);
    });
    c.line();
    c.doc([`Exact encoded size of ${m.name} at \`version\`, in bytes.`]);
    c.block(`export function size${cap(m.name)}(version: number, message: ${t.typeName}Input): number`, () => {
      c.line(check);
      c.line(`return ${this.call('measure', t, 'version', 'message')};`);
    });
    c.line();
  }

  emitAll(): void {
    const kinds: CodecKind[] = ['read', 'write', 'measure'];
    // Render every codec body first: that records which helpers they call.
    for (const s of this.m.structs) for (const k of kinds) this.codecFunction(k, s);
    // A Map's iteration also visits entries added while it runs: the helpers that helpers call.
    for (const h of this.helpers.values()) {
      h.code ??= this.render(() => (h.kind === 'default' ? this.defaultFunction(h.s) : this.isDefaultFunction(h.s)));
    }
    for (const s of this.m.structs) {
      for (const k of kinds) this.emitFunction(k, s);
      for (const h of ['default', 'isDefault'] as const) {
        const code = this.helpers.get(`${h}${s.typeName}`)?.code;
        if (code !== undefined) this.code.append(code);
      }
    }
    this.emitEntryPoints();
  }
}

function sizeUvarintConst(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** A default as a literal; the default struct comes from CodecEmitter.defaultExpr, which records its helper. */
function valueOf(d: DefaultValue, t: FieldType): string {
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
      if (t.kind === 'struct') throw new Error(`default ${t.struct.typeName} is not a literal`);
      if (t.name === 'uuid') return 'ZERO_UUID';
      return 'new Uint8Array(0)';
  }
}
