// The argv step every command runs before node:util parseArgs. parseArgs reads a value that starts with
// '-' as an option, so `--throughput -1` is rejected as ambiguous; Kafka's tools take negative numbers
// there (`--acks -1`, `--ws-port -1` = off). A negative number after an option that takes a value is
// glued to it (`--throughput=-1`), per the command's own option table; everything else is left as it is.

/** An option table entry as parseArgs takes it: only the type and short alias matter here. */
interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
}

const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/** argv with `--opt -1` (and `-o -1`) written as `--opt=-1` for every option of the table that takes a value. */
export function joinNegativeValues(argv: readonly string[], options: Readonly<Record<string, OptionSpec>>): string[] {
  const takesValue = valueOptionSpellings(options);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    const long = takesValue.get(arg);
    if (long !== undefined && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`--${long}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** `--name` and `-s` of every option that takes a value, to its long name. */
function valueOptionSpellings(options: Readonly<Record<string, OptionSpec>>): Map<string, string> {
  const spellings = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type !== 'string') continue;
    spellings.set(`--${name}`, name);
    if (spec.short !== undefined) spellings.set(`-${spec.short}`, name);
  }
  return spellings;
}
