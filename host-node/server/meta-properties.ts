// meta.properties in each log directory, as Kafka (KRaft) writes it: version=1, cluster.id, node.id,
// directory.id. The cluster id is generated once, when the first directory is formatted, and kept.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/types.js';
import { parseProperties } from '../config/properties.js';

const META_PROPERTIES = 'meta.properties';

export interface MetaProperties {
  clusterId: string;
  nodeId: number;
  /** directory.id per log dir, in config order. */
  directoryIds: string[];
  /** Whether this start formatted a new directory. */
  formatted: boolean;
}

/** A random Kafka-style UUID: 16 bytes, base64url without padding (22 chars), never starting with '-'. */
export function randomKafkaUuid(): string {
  for (;;) {
    const b = randomBytes(16);
    const s = b.toString('base64url');
    if (!s.startsWith('-') && !b.every((x) => x === 0)) return s;
  }
}

function renderProperties(props: Record<string, string>): string {
  const lines = ['#', `#${new Date().toUTCString()}`];
  for (const [k, v] of Object.entries(props)) lines.push(`${k}=${v}`);
  return lines.join('\n') + '\n';
}

/** The cluster id the first formatted log directory holds, or null when none is formatted yet. */
export function storedClusterId(logDirs: readonly string[]): string | null {
  for (const dir of logDirs) {
    const p = join(dir, META_PROPERTIES);
    if (existsSync(p)) return parseProperties(readFileSync(p, 'utf8')).get('cluster.id') ?? null;
  }
  return null;
}

/**
 * Reads meta.properties from every log dir, checks they agree with each other and with the configuration,
 * and writes it into directories that have none (creating them). Throws ConfigError naming the key on a
 * mismatch (like Kafka refusing to start on a directory from another cluster or node).
 */
export function loadOrCreateMetaProperties(logDirs: readonly string[], nodeId: number, configuredClusterId: string | null): MetaProperties {
  let clusterId: string | null = null;
  const existing: (Map<string, string> | null)[] = [];
  for (const dir of logDirs) {
    const p = join(dir, META_PROPERTIES);
    if (!existsSync(p)) {
      existing.push(null);
      continue;
    }
    const props = parseProperties(readFileSync(p, 'utf8'));
    existing.push(props);
    const version = props.get('version');
    if (version !== '1' && version !== '0') throw new ConfigError('log.dirs', `${p}: unsupported meta.properties version ${version ?? '(none)'}`);
    const cid = props.get('cluster.id');
    if (!cid) throw new ConfigError('log.dirs', `${p}: no cluster.id`);
    const nid = props.get('node.id') ?? props.get('broker.id');
    if (nid !== undefined && Number(nid) !== nodeId)
      throw new ConfigError('node.id', `Stored node id ${nid} in ${p} doesn't match the configured node.id ${nodeId}`);
    if (clusterId !== null && cid !== clusterId)
      throw new ConfigError('log.dirs', `Log directories hold different cluster ids: ${clusterId} and ${cid} (${p})`);
    clusterId = cid;
  }
  if (clusterId !== null && configuredClusterId !== null && configuredClusterId !== clusterId)
    throw new ConfigError('cluster.id', `Configured cluster.id ${configuredClusterId} doesn't match ${clusterId} stored in meta.properties`);
  let formatted = false;
  clusterId ??= configuredClusterId ?? randomKafkaUuid();
  const directoryIds: string[] = [];
  logDirs.forEach((dir, i) => {
    const props = existing[i];
    if (props) {
      directoryIds.push(props.get('directory.id') ?? '');
      return;
    }
    mkdirSync(dir, { recursive: true });
    const directoryId = randomKafkaUuid();
    const p = join(dir, META_PROPERTIES);
    const tmp = `${p}.tmp`;
    writeFileSync(tmp, renderProperties({ 'cluster.id': clusterId!, 'directory.id': directoryId, 'node.id': String(nodeId), version: '1' }));
    renameSync(tmp, p);
    directoryIds.push(directoryId);
    formatted = true;
  });
  return { clusterId, nodeId, directoryIds, formatted };
}
