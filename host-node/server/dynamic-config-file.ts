// The dynamic broker configs of a single broker: `dynamic-broker-configs.json` in the log dir that holds the
// topic records (TopicStore.chooseLogDir), by entity as Kafka names them in ZooKeeper's /config/brokers:
//
//   { "version": 1, "brokers": { "<default>": { "log.cleanup.policy": "compact" }, "1": { "log.cleaner.threads": "2" } } }
//
// Written atomically (temp file, fsync, rename, fsync dir); read at start-up before the logs open. A file
// that does not parse stops the broker (its configs would otherwise silently revert).
import { join } from 'node:path';
import { writeFileAtomic, type StorageFs } from '../../storage/fs.js';
import { ConfigError } from '../config/types.js';
import { realFs } from '../storage/node-fs.js';
import { TopicStore } from '../topics/topic-store.js';
import { DEFAULT_ENTITY, type DynamicConfigStore, type StoredDynamicConfigs } from './dynamic-broker-config.js';

export const DYNAMIC_CONFIG_FILE = 'dynamic-broker-configs.json';

interface FileContents {
  version: 1;
  brokers: Record<string, Record<string, string>>;
}

export class FileDynamicConfigStore implements DynamicConfigStore {
  readonly path: string;

  constructor(
    logDirs: readonly string[],
    private readonly nodeId: number,
    private readonly fs: StorageFs = realFs,
  ) {
    this.path = join(TopicStore.chooseLogDir(logDirs, fs), DYNAMIC_CONFIG_FILE);
  }

  load(): StoredDynamicConfigs {
    const f = this.read();
    return { broker: f.brokers[String(this.nodeId)] ?? {}, default: f.brokers[DEFAULT_ENTITY] ?? {} };
  }

  write(entity: 'broker' | 'default', configs: Readonly<Record<string, string>>): Promise<void> {
    const f = this.read();
    const name = entity === 'default' ? DEFAULT_ENTITY : String(this.nodeId);
    if (Object.keys(configs).length === 0) delete f.brokers[name];
    else f.brokers[name] = { ...configs };
    writeFileAtomic(this.fs, this.path, new TextEncoder().encode(JSON.stringify(f, null, 2) + '\n'));
    return Promise.resolve();
  }

  private read(): FileContents {
    if (!this.fs.existsSync(this.path)) return { version: 1, brokers: {} };
    let f: unknown;
    try {
      f = JSON.parse(new TextDecoder().decode(this.fs.readFileSync(this.path)));
    } catch (e) {
      throw new ConfigError('dynamic broker configs', `Cannot read ${this.path}: ${(e as Error).message}`);
    }
    const why = check(f);
    if (why) throw new ConfigError('dynamic broker configs', `Malformed ${this.path}: ${why}`);
    return f as FileContents;
  }
}

function check(f: unknown): string | undefined {
  if (typeof f !== 'object' || f === null) return 'not an object';
  const o = f as { version?: unknown; brokers?: unknown };
  if (o.version !== 1) return `unknown version ${String(o.version)}`;
  if (typeof o.brokers !== 'object' || o.brokers === null) return 'no "brokers" object';
  for (const [name, configs] of Object.entries(o.brokers)) {
    if (typeof configs !== 'object' || configs === null || Object.values(configs).some((v) => typeof v !== 'string')) return `bad configs of ${name}`;
  }
  return undefined;
}
