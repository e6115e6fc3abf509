// ssl.principal.mapping.rules: turns a client certificate's subject DN (RFC 2253, as Kafka prints it) into
// the principal's name, with Kafka's syntax: rules separated by commas (newlines and spaces around them
// are ignored), each `DEFAULT` (the DN as it is) or `RULE:pattern/replacement/[LU]` (a regular expression
// that must match the whole DN, a replacement with $1… back references, then lower- or upper-cased).
// The first rule that matches wins; when none matches, the DN itself is the name.

/** One rule: DEFAULT (null pattern) or a pattern, its replacement and the case conversion. */
interface Rule {
  readonly pattern: RegExp | null;
  readonly source: string;
  readonly replacement: string;
  readonly toLowerCase: boolean;
  readonly toUpperCase: boolean;
}

/** Bound on the rules of one config value (a handful in practice). */
const MAX_RULES = 256;

// Kafka's SslPrincipalMapper grammar: a rule (`\x` escapes any character, an unescaped `/` ends a part),
// and the splitter around it. The last alternative catches anything else, refused by the parser.
const RULE_PATTERN = String.raw`(DEFAULT)|RULE:((?:\\.|[^\\/])*)/((?:\\.|[^\\/])*)/([LU]?).*?|(.*?)`;
const RULE_SPLITTER = new RegExp(String.raw`\s*(` + RULE_PATTERN + String.raw`)\s*(?:,\s*|$)`, 'gy');
const RULE_PARSER = new RegExp('^(?:' + RULE_PATTERN + ')');

export class SslPrincipalMappingError extends Error {
  override readonly name = 'SslPrincipalMappingError';
}

/** The rule texts of a config value, as Kafka splits them (empty texts dropped). */
export function splitRules(value: string): string[] {
  const out: string[] = [];
  RULE_SPLITTER.lastIndex = 0;
  const text = value.trim();
  while (RULE_SPLITTER.lastIndex < text.length) {
    const at = RULE_SPLITTER.lastIndex;
    const m = RULE_SPLITTER.exec(text);
    if (m === null || RULE_SPLITTER.lastIndex === at) throw new SslPrincipalMappingError(`Invalid rule: ${text.slice(at)}`);
    const rule = m[1]!.trim();
    if (rule !== '') out.push(rule);
    if (out.length > MAX_RULES) throw new SslPrincipalMappingError(`At most ${MAX_RULES} rules are allowed`);
  }
  return out;
}

function parseRule(text: string): Rule | null {
  const m = RULE_PARSER.exec(text);
  if (m === null) throw new SslPrincipalMappingError(`Invalid rule: ${text}`);
  if (m[0].length !== text.length) throw new SslPrincipalMappingError(`Invalid rule: \`${text}\`, unmatched substring: \`${text.slice(m[0].length)}\``);
  if (m[1] !== undefined) return { pattern: null, source: 'DEFAULT', replacement: '', toLowerCase: false, toUpperCase: false };
  if (m[2] === undefined) return null; // an empty rule
  let pattern: RegExp;
  try {
    pattern = new RegExp(m[2], 'g');
  } catch (e) {
    throw new SslPrincipalMappingError(`Invalid rule: ${text} (${(e as Error).message})`);
  }
  return { pattern, source: m[2], replacement: m[3]!, toLowerCase: m[4] === 'L', toUpperCase: m[4] === 'U' };
}

/** The replacement as Java's Matcher.replaceAll reads it: `$n` a group, `\x` the character x. */
function replace(dn: string, rule: Rule): string {
  return dn.replace(rule.pattern!, (...args: unknown[]) => {
    const groups = args.slice(0, args.findIndex((a) => typeof a === 'number')) as Array<string | undefined>;
    return rule.replacement.replace(/\\(.)|\$(\d)/g, (_s, lit: string | undefined, g: string | undefined) => (lit !== undefined ? lit : (groups[Number(g)] ?? '')));
  });
}

/** Maps subject DNs to principal names; build once per listener from its ssl.principal.mapping.rules. */
export class SslPrincipalMapper {
  private constructor(private readonly rules: readonly Rule[]) {}

  /** Parses a config value; throws SslPrincipalMappingError when a rule is malformed. */
  static fromRules(value: string | null): SslPrincipalMapper {
    const rules: Rule[] = [];
    for (const text of splitRules(value ?? 'DEFAULT')) {
      const r = parseRule(text);
      if (r !== null) rules.push(r);
    }
    return new SslPrincipalMapper(rules);
  }

  /** The principal name for `dn`: the first matching rule's result, else the DN itself. */
  getName(dn: string): string {
    for (const r of this.rules) {
      if (r.pattern === null) return dn;
      const whole = new RegExp(`^(?:${r.source})$`);
      if (!whole.test(dn)) continue;
      const name = replace(dn, r);
      return r.toLowerCase ? name.toLowerCase() : r.toUpperCase ? name.toUpperCase() : name;
    }
    return dn;
  }

  /** The rules as written back (DEFAULT or RULE:pattern/replacement/[LU]), for logs. */
  toString(): string {
    return this.rules.map((r) => (r.pattern === null ? 'DEFAULT' : `RULE:${r.source}/${r.replacement}/${r.toLowerCase ? 'L' : r.toUpperCase ? 'U' : ''}`)).join(', ');
  }
}

/** Validator for the config: the reason `value` does not parse, or undefined. */
export function checkPrincipalMappingRules(value: string | null): string | undefined {
  try {
    SslPrincipalMapper.fromRules(value);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
