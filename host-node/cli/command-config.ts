// `--command-config <file>` of the admin tools (as Kafka's): a .properties file of client settings, mostly
// security ones (security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.location, …).
import { readFileSync } from 'node:fs';
import { parseProperties } from '../config/properties.js';
import { UsageError } from './client-tool.js';

/** The properties of a --command-config file (empty when the option is absent). Throws UsageError when unreadable. */
export function readCommandConfig(path: string | undefined): Map<string, string> {
  if (path === undefined) return new Map();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`Cannot read --command-config ${path}: ${(e as Error).message}`);
  }
  return parseProperties(text);
}
