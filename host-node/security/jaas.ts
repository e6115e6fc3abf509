// A JAAS login configuration as Kafka's sasl.jaas.config holds it (org.apache.kafka.common.security.JaasConfig):
//
//   <LoginModule class> <required|requisite|sufficient|optional> [<name>=<value> ...];
//
// Values are "double-quoted" (with backslash escapes: \" \\ \n \t \r \b \f) or bare words. The parser is
// strict: anything else is an error naming the offending position, never a guess. Kafka allows exactly one
// login module in a sasl.jaas.config value, and so does `parseJaasConfig`.

export type JaasControlFlag = 'required' | 'requisite' | 'sufficient' | 'optional';

export interface JaasLoginModule {
  readonly loginModule: string;
  readonly controlFlag: JaasControlFlag;
  /** Options in the order written (a repeated name keeps its last value, as Java's map does). */
  readonly options: ReadonlyMap<string, string>;
}

export class JaasConfigError extends Error {
  override readonly name = 'JaasConfigError';
}

/** Kafka's login module classes for the mechanisms Rivulet serves. */
export const PLAIN_LOGIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule';
export const SCRAM_LOGIN_MODULE = 'org.apache.kafka.common.security.scram.ScramLoginModule';
export const OAUTHBEARER_LOGIN_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule';

/** Bound on the text parsed (a JAAS value with thousands of users is still far below it). */
const MAX_JAAS_CHARS = 1 << 20;
const CONTROL_FLAGS: readonly JaasControlFlag[] = ['required', 'requisite', 'sufficient', 'optional'];
const CLASS_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$/;
const WORD_CHAR = /[A-Za-z0-9_.$\-/:@+]/;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', "'": "'", n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };

/** Parses a sasl.jaas.config value holding exactly one login module. */
export function parseJaasConfig(text: string): JaasLoginModule {
  const modules = parseJaasModules(text);
  if (modules.length !== 1) throw new JaasConfigError(`JAAS config property contains ${modules.length} login modules, should be 1 module`);
  return modules[0]!;
}

/** Parses one or more `<class> <flag> options;` entries. */
export function parseJaasModules(text: string): JaasLoginModule[] {
  if (text.length > MAX_JAAS_CHARS) throw new JaasConfigError(`JAAS config is longer than ${MAX_JAAS_CHARS} characters`);
  const p = new Tokenizer(text);
  const modules: JaasLoginModule[] = [];
  for (p.skipSpace(); !p.atEnd(); p.skipSpace()) {
    const loginModule = p.word('a login module class name');
    if (!CLASS_NAME.test(loginModule)) throw p.error(`invalid login module class name "${loginModule}"`);
    p.skipSpace();
    const flag = p.word('a control flag').toLowerCase();
    if (!(CONTROL_FLAGS as readonly string[]).includes(flag)) throw p.error(`invalid control flag "${flag}" (one of ${CONTROL_FLAGS.join(', ')})`);
    const options = new Map<string, string>();
    for (;;) {
      p.skipSpace();
      if (p.atEnd()) throw p.error('expected ";" at the end of the login module');
      if (p.peek() === ';') {
        p.advance();
        break;
      }
      const name = p.word('an option name');
      p.skipSpace();
      p.expect('=');
      p.skipSpace();
      options.set(name, p.peek() === '"' ? p.quoted() : p.word('an option value'));
    }
    modules.push({ loginModule, controlFlag: flag as JaasControlFlag, options });
  }
  if (modules.length === 0) throw new JaasConfigError('JAAS config has no login module');
  return modules;
}

class Tokenizer {
  private i = 0;
  constructor(private readonly s: string) {}

  atEnd(): boolean {
    return this.i >= this.s.length;
  }

  peek(): string {
    return this.s[this.i]!;
  }

  advance(): void {
    this.i++;
  }

  skipSpace(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  error(what: string): JaasConfigError {
    return new JaasConfigError(`Invalid JAAS config at character ${this.i}: ${what}`);
  }

  expect(c: string): void {
    if (this.s[this.i] !== c) throw this.error(`expected "${c}"`);
    this.i++;
  }

  word(what: string): string {
    const start = this.i;
    while (this.i < this.s.length && WORD_CHAR.test(this.s[this.i]!)) this.i++;
    if (this.i === start) throw this.error(`expected ${what}`);
    return this.s.slice(start, this.i);
  }

  quoted(): string {
    this.expect('"');
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) throw this.error('unterminated quoted value');
      const c = this.s[this.i++]!;
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.i++];
      const r = e === undefined ? undefined : ESCAPES[e];
      if (r === undefined) throw this.error(`unknown escape "\\${e ?? ''}" in a quoted value`);
      out += r;
    }
  }
}

/** The username and password options a client's login module carries (PlainLoginModule, ScramLoginModule). */
export function jaasCredentials(module: JaasLoginModule): { username: string; password: string } {
  const username = module.options.get('username');
  const password = module.options.get('password');
  if (username === undefined || password === undefined) throw new JaasConfigError(`JAAS login module ${module.loginModule} needs the username and password options`);
  return { username, password };
}
