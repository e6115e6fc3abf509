// Shared bits of the client CLI tools (topics, produce, consume): streams (swappable in tests), key=value
// property lists, and error text in the style of Kafka's tools.
import { KafkaClientError, KafkaProtocolError } from '../../client/errors.js';
import { Admin } from '../client/admin.js';
import type { ClientSecurityOptions } from '../client/security.js';
import { commandConfigSecurity } from './command-config.js';

export interface ToolIO {
  stdin: NodeJS.ReadableStream;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export const processIO = (): ToolIO => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });

export class UsageError extends Error {}

/** Parses repeated `key=value` options (--property, --config, …) into a map. */
export function parseProps(list: readonly string[] | undefined, option: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of list ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`Invalid ${option} '${s}': expected key=value`);
    out.set(s.slice(0, eq).trim(), s.slice(eq + 1));
  }
  return out;
}

/** A non-negative (or ≥ min) integer option, or a UsageError naming it. */
export function intOption(v: string | undefined, name: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`Invalid value '${v}' for --${name}: expected an integer ≥ ${min}`);
  return n;
}

export function boolProp(v: string | undefined, fallback: boolean): boolean {
  return v === undefined ? fallback : v.trim().toLowerCase() === 'true';
}

/** Turns escapes people pass on command lines (\t, \n) into the characters. */
export function unescape(s: string): string {
  return s.replace(/\\t/g, '\t').replace(/\\n/g, '\n').replace(/\\r/g, '\r');
}

/** The message shown for an error: the broker's text when it sent one, else Kafka's description. */
export function describeError(e: unknown): string {
  if (e instanceof KafkaProtocolError) return e.brokerMessage ?? e.message;
  if (e instanceof KafkaClientError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

/** A problem with a tool's input the user must fix (printed as the tool's error, exit code 1). */
export class ToolError extends Error {}

/** The options every admin tool takes: where the brokers are, how to connect to them, how long a request may take. */
export interface AdminToolOptions {
  readonly 'bootstrap-server'?: string;
  readonly 'command-config'?: string;
  readonly 'command-timeout'?: string;
}

/** The help line of --command-config, the same in every tool. */
export const COMMAND_CONFIG_USAGE = '  --command-config <file>    Client properties (security.protocol, ssl.*, sasl.*) for the connections to the brokers.\n';

/**
 * The client security of a tool's `--command-config` file (undefined without one). Throws a ToolError
 * naming what is wrong with the file. Tools that make their own clients pass the result as `security`
 * (ClusterOptions / Admin / Producer / Consumer); runWithAdmin does it for the admin tools.
 */
export function toolSecurity(values: { readonly 'command-config'?: string }): ClientSecurityOptions | undefined {
  try {
    return commandConfigSecurity(values['command-config']);
  } catch (e) {
    throw new ToolError((e as Error).message);
  }
}

/**
 * Runs a tool's action with an Admin client for its --bootstrap-server and --command-timeout (default
 * 30 s), closed afterwards. A UsageError prints the usage; any other failure `<errorPrefix><message>`
 * (ToolError's message alone, a broker's text when it sent one); both exit with 1.
 */
export async function runWithAdmin(
  values: AdminToolOptions,
  clientId: string,
  o: { usage: string; io: ToolIO; errorPrefix: string },
  action: (admin: Admin) => Promise<number>,
): Promise<number> {
  const timeout = intOption(values['command-timeout'], 'command-timeout', 1) ?? 30_000;
  let admin: Admin | undefined;
  try {
    const security = toolSecurity(values);
    admin = new Admin({ bootstrapServers: values['bootstrap-server']!, clientId, requestTimeoutMs: timeout, retries: 2, security }, { timeoutMs: timeout });
    return await action(admin);
  } catch (e) {
    if (e instanceof UsageError) {
      o.io.stderr.write(`${e.message}\n${o.usage}`);
      return 1;
    }
    o.io.stderr.write(`${o.errorPrefix}${e instanceof ToolError ? e.message : describeError(e)}\n`);
    return 1;
  } finally {
    await admin?.close();
  }
}

/** Runs a parseArgs call, turning its errors into UsageError. */
export function parseOrUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * Runs a tool's command-line parser: the parsed line, or the exit code after printing the usage
 * (0 when 'help' was asked for; 1 with the message of a UsageError, other errors are rethrown).
 */
export function commandLine<T>(parse: () => T | 'help', usage: string, io: ToolIO): T | number {
  let parsed: T | 'help';
  try {
    parsed = parse();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`${e.message}\n${usage}`);
    return 1;
  }
  if (parsed === 'help') {
    io.stdout.write(usage);
    return 0;
  }
  return parsed;
}
