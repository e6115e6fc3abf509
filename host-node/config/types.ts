// Config value types, parsing and validators, modelled on Kafka's ConfigDef (same type names, same
// "Invalid value X for configuration K: reason" messages), so a server.properties written for Kafka
// reads the same here.

export type ConfigType = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'password';

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
  static invalid(key: string, value: unknown, reason: string): ConfigError {
    return new ConfigError(key, `Invalid value ${String(value)} for configuration ${key}: ${reason}`);
  }
}

/** A validator returns a reason when the (already parsed) value is not acceptable. */
export type Validator<T> = (value: T, key: string) => string | undefined;

export type Importance = 'high' | 'medium' | 'low';

export interface ConfigDef<T> {
  readonly type: ConfigType;
  /** `undefined` means required (no default). */
  readonly default: T | undefined;
  readonly nullable: boolean;
  readonly validate?: Validator<T>;
  readonly importance: Importance;
  readonly doc: string;
}

export type ValueOf<D> = D extends ConfigDef<infer T> ? T : never;

interface Opts<T> {
  default?: T;
  validate?: Validator<T>;
  importance?: Importance;
  doc: string;
}
function make<T>(type: ConfigType, nullable: boolean, o: Opts<T>): ConfigDef<T> {
  return { type, nullable, default: o.default, validate: o.validate, importance: o.importance ?? 'medium', doc: o.doc };
}
export const int = (o: Opts<number>) => make<number>('int', false, o);
export const short = (o: Opts<number>) => make<number>('short', false, o);
export const long = (o: Opts<number>) => make<number>('long', false, o);
export const double = (o: Opts<number>) => make<number>('double', false, o);
export const bool = (o: Opts<boolean>) => make<boolean>('boolean', false, o);
export const str = (o: Opts<string>) => make<string>('string', false, o);
export const nullableStr = (o: Opts<string | null>) => make<string | null>('string', true, { default: null, ...o });
export const list = (o: Opts<string[]>) => make<string[]>('list', false, o);
export const nullableList = (o: Opts<string[] | null>) => make<string[] | null>('list', true, { default: null, ...o });
export const nullableInt = (o: Opts<number | null>) => make<number | null>('int', true, { default: null, ...o });
export const nullableLong = (o: Opts<number | null>) => make<number | null>('long', true, { default: null, ...o });
export const password = (o: Opts<string | null>) => make<string | null>('password', true, { default: null, ...o });

const INT_RE = /^[+-]?\d+$/;

/**
 * Runs the definition's validator on a parsed value (null passes a nullable key); throws ConfigError with
 * Kafka's "Invalid value X for configuration K: reason", X shown as `shown`.
 */
export function checkValue(key: string, def: ConfigDef<unknown>, v: unknown, shown: unknown): void {
  if (!def.validate || (v === null && def.nullable)) return;
  const reason = def.validate(v as never, key);
  if (reason !== undefined) throw ConfigError.invalid(key, shown, reason);
}

/** Parses a string (from a file, env var or --set) into the typed value, or throws ConfigError naming the key. */
export function parseValue(key: string, def: ConfigDef<unknown>, raw: string): unknown {
  const s = raw.trim();
  if (def.nullable && (s === '' || s === 'null') && def.type !== 'list') return null;
  switch (def.type) {
    case 'boolean':
      if (/^true$/i.test(s)) return true;
      if (/^false$/i.test(s)) return false;
      throw ConfigError.invalid(key, raw, 'Expected value to be either true or false');
    case 'string':
    case 'password':
      return s;
    case 'int':
    case 'short':
    case 'long': {
      if (!INT_RE.test(s)) throw ConfigError.invalid(key, raw, `Not a number of type ${def.type.toUpperCase()}`);
      let n = Number(s);
      if (def.type === 'long' && !Number.isSafeInteger(n)) {
        // Kafka's Long.MAX_VALUE (9223372036854775807, "forever") and anything else beyond 2^53 that is
        // still an int64 is clamped to ±Number.MAX_SAFE_INTEGER, which Rivulet uses for Long.MAX.
        const b = BigInt(s);
        if (b <= 9223372036854775807n && b >= -9223372036854775808n) n = b > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
      }
      const [lo, hi] =
        def.type === 'short' ? [-32768, 32767] : def.type === 'int' ? [-2147483648, 2147483647] : [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
      if (n < lo || n > hi) throw ConfigError.invalid(key, raw, `Not a number of type ${def.type.toUpperCase()}`);
      return n;
    }
    case 'double': {
      const n = Number(s);
      if (s === '' || !Number.isFinite(n)) throw ConfigError.invalid(key, raw, 'Not a number of type DOUBLE');
      return n;
    }
    case 'list':
      if (def.nullable && s === 'null') return null;
      return s === '' ? [] : s.split(/\s*,\s*/).filter((x) => x !== '');
  }
}

/** Checks a value given programmatically (already typed) against the def's type. */
export function checkTyped(key: string, def: ConfigDef<unknown>, v: unknown): unknown {
  if (v === null && def.nullable) return null;
  if (typeof v === 'string') return parseValue(key, def, v);
  switch (def.type) {
    case 'boolean':
      if (typeof v === 'boolean') return v;
      break;
    case 'int':
    case 'short':
    case 'long':
    case 'double':
      if (typeof v === 'number') return parseValue(key, def, String(v));
      break;
    case 'list':
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
      break;
    default:
      break;
  }
  throw ConfigError.invalid(key, v, `Expected a value of type ${def.type.toUpperCase()}`);
}

// ---- validators -------------------------------------------------------------------------------------------

export const atLeast =
  (min: number): Validator<number> =>
  (v) =>
    v < min ? `Value must be at least ${min}` : undefined;

export const between =
  (min: number, max: number): Validator<number> =>
  (v) =>
    v < min || v > max ? `Value must be no less than ${min} and no more than ${max}` : undefined;

export const oneOf =
  <T extends string>(...allowed: T[]): Validator<string> =>
  (v) =>
    allowed.includes(v as T) ? undefined : `String must be one of: ${allowed.join(', ')}`;

/** Every element of a list is one of `allowed`. */
export const eachOneOf =
  (...allowed: string[]): Validator<string[]> =>
  (v) => {
    const bad = v.find((x) => !allowed.includes(x));
    return bad === undefined ? undefined : `String must be one of: ${allowed.join(', ')}`;
  };

/** Validator that skips null. */
export const orNull =
  <T>(f: Validator<T>): Validator<T | null> =>
  (v, k) =>
    v === null ? undefined : f(v, k);

export const all =
  <T>(...vs: Validator<T>[]): Validator<T> =>
  (v, k) => {
    for (const f of vs) {
      const r = f(v, k);
      if (r !== undefined) return r;
    }
    return undefined;
  };
