// Kafka's `sasl.jaas.config` values, as Kafka's JaasConfig reads them: one login module entry
// `<LoginModule class> <required|requisite|sufficient|optional> key=value ... ;` where a value is a word or
// a double-quoted string (backslash escapes the next character). Used by clients (the username and
// password of PlainLoginModule / ScramLoginModule) and by brokers (a listener's credentials for other
// brokers, and PLAIN's user_<name>="<password>" options).

export interface JaasLoginModule {
  readonly loginModule: string;
  readonly controlFlag: 'required' | 'requisite' | 'sufficient' | 'optional';
  readonly options: ReadonlyMap<string, string>;
}

export class JaasConfigError extends Error {
  override readonly name = 'JaasConfigError';
}

/** Bounds: one entry has a handful of options; a config value is a few KiB at most. */
const MAX_CHARS = 1 << 20;
const MAX_OPTIONS = 100_000;

type Token = { kind: 'word' | 'string'; text: string } | { kind: 'punct'; text: '=' | ';' };

function tokens(text: string): Token[] {
  if (text.length > MAX_CHARS) throw new JaasConfigError(`JAAS config longer than ${MAX_CHARS} characters`);
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) i++;
    else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new JaasConfigError('Unterminated comment in JAAS config');
      i = end + 2;
    } else if (ch === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === '=' || ch === ';') {
      out.push({ kind: 'punct', text: ch });
      i++;
    } else if (ch === '"' || ch === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new JaasConfigError('Unterminated quoted value in JAAS config');
        const c = text[i++]!;
        if (c === ch) break;
        if (c === '\\' && i < text.length) s += text[i++]!;
        else s += c;
      }
      out.push({ kind: 'string', text: s });
    } else {
      const m = /^[^\s=;"']+/.exec(text.slice(i))!;
      out.push({ kind: 'word', text: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

const FLAGS = ['required', 'requisite', 'sufficient', 'optional'] as const;

/** Every login module entry of `text`. Throws JaasConfigError on a malformed value. */
export function parseJaasConfig(text: string): JaasLoginModule[] {
  const t = tokens(text);
  const out: JaasLoginModule[] = [];
  let i = 0;
  while (i < t.length) {
    const module = t[i++]!;
    if (module.kind !== 'word') throw new JaasConfigError(`Invalid JAAS config: expected a login module class name, found '${module.text}'`);
    const flag = t[i++];
    if (flag?.kind !== 'word' || !(FLAGS as readonly string[]).includes(flag.text.toLowerCase()))
      throw new JaasConfigError(`Invalid JAAS config: expected a control flag (${FLAGS.join(', ')}) after ${module.text}`);
    const options = new Map<string, string>();
    for (;;) {
      const k = t[i++];
      if (k === undefined) throw new JaasConfigError('Invalid JAAS config: an entry must end with ;');
      if (k.kind === 'punct' && k.text === ';') break;
      if (k.kind !== 'word') throw new JaasConfigError(`Invalid JAAS config: expected an option name, found '${k.text}'`);
      if (t[i]?.kind !== 'punct' || t[i]!.text !== '=') throw new JaasConfigError(`Invalid JAAS config: expected = after option ${k.text}`);
      const v = t[i + 1];
      if (v === undefined || v.kind === 'punct') throw new JaasConfigError(`Invalid JAAS config: option ${k.text} has no value`);
      i += 2;
      if (options.size === MAX_OPTIONS) throw new JaasConfigError('Invalid JAAS config: too many options');
      options.set(k.text, v.text);
    }
    out.push({ loginModule: module.text, controlFlag: flag.text.toLowerCase() as JaasLoginModule['controlFlag'], options });
  }
  return out;
}

/** The one login module of a `sasl.jaas.config` value (Kafka requires exactly one). */
export function parseSingleJaasModule(text: string, key = 'sasl.jaas.config'): JaasLoginModule {
  const modules = parseJaasConfig(text);
  if (modules.length !== 1) throw new JaasConfigError(`JAAS config property ${key} contains ${modules.length} login modules, should be 1 module`);
  return modules[0]!;
}

/** Kafka's login modules for the mechanisms clients use here. */
export const PLAIN_LOGIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule';
export const SCRAM_LOGIN_MODULE = 'org.apache.kafka.common.security.scram.ScramLoginModule';

/** The username and password options of a client's JAAS login module. */
export function jaasCredentials(module: JaasLoginModule): { username: string; password: string } {
  const username = module.options.get('username');
  const password = module.options.get('password');
  if (username === undefined || password === undefined) throw new JaasConfigError(`JAAS login module ${module.loginModule} needs the username and password options`);
  return { username, password };
}
