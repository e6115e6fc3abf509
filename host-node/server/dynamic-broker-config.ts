// Dynamic broker configs (KIP-226) of the log cleaner and the log defaults (config/dynamic-defs.ts lists
// the keys): IncrementalAlterConfigs / AlterConfigs of a BROKER resource, for this broker (its node id) or
// the cluster-wide default (''). Precedence: dynamic per-broker > dynamic default > static > default.
//
// A change is validated whole (each value by its key's definition, log.cleaner.threads within half and
// double of the running count, as Kafka's LogCleaner.validateReconfiguration) before anything is stored;
// then persisted (DynamicConfigStore: a file beside the topic records on one broker, etcd's
// /config/brokers/<id> and /config/brokers/<default> in a cluster), then applied: the BrokerConfig's dynamic
// layer, then the topic defaults, every log's config and the cleaner (TopicRegistry.brokerConfigChanged).
// Values are kept as Kafka keeps them, strings by key.
import { ErrorCode } from '../../protocol/errors.js';
import type { BrokerConfig, BrokerConfigKey } from '../config/broker-config.js';
import { isDynamicBrokerConfigKey, parseDynamicValue, type DynamicBrokerConfigKey } from '../config/dynamic-defs.js';
import { AdminError } from '../topics/topic-registry.js';
import type { BrokerConfigChange } from './dynamic-ssl.js';

/** Kafka's ConfigEntityName.DEFAULT: the entity name of the cluster-wide default. */
export const DEFAULT_ENTITY = '<default>';

/** The stored dynamic configs that concern this broker: its own and the cluster-wide default. */
export interface StoredDynamicConfigs {
  readonly broker: Readonly<Record<string, string>>;
  readonly default: Readonly<Record<string, string>>;
}

/** Where the dynamic configs live. */
export interface DynamicConfigStore {
  /** What is stored now (read at start-up, before the logs open). */
  load(): StoredDynamicConfigs;
  /** Replaces the stored configs of one entity; resolves once durable. */
  write(entity: 'broker' | 'default', configs: Readonly<Record<string, string>>): Promise<void>;
}

export interface DynamicBrokerConfigOptions {
  readonly config: BrokerConfig;
  readonly store: DynamicConfigStore;
  /** Called after the BrokerConfig took new values (TopicRegistry.brokerConfigChanged). */
  readonly onChange: () => void;
  readonly onError?: (message: string) => void;
}

export class DynamicBrokerConfigs {
  private current: StoredDynamicConfigs = { broker: {}, default: {} };
  /** Alterations one after the other: each reads what the one before it stored. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: DynamicBrokerConfigOptions) {}

  /** Reads the store and puts its values in force (at start-up: before the logs open, no reconfiguration). */
  load(): void {
    this.install(this.o.store.load(), false);
  }

  /** A list config's value in force (IncrementalAlterConfigs' APPEND and SUBTRACT start from it). */
  listValue(key: BrokerConfigKey): string[] {
    const v = this.o.config.get(key);
    return Array.isArray(v) ? (v as string[]) : [];
  }

  /** The dynamic configs in force, as strings (DescribeConfigs). */
  get stored(): StoredDynamicConfigs {
    return this.current;
  }

  /**
   * The store changed under this broker (another broker altered the default, in a cluster): the new values
   * go in force. Values this broker's definitions refuse are skipped (logged), as Kafka does.
   */
  storeChanged(next: StoredDynamicConfigs): void {
    if (sameConfigs(next.broker, this.current.broker) && sameConfigs(next.default, this.current.default)) return;
    this.install(next, true);
  }

  /**
   * Applies a change of one resource ('' = the default, else this broker's id, checked by the caller):
   * `replace` (AlterConfigs) makes `changes` the whole set, else (IncrementalAlterConfigs) each change sets a
   * key or (null) deletes it. Every key must be dynamic. Throws AdminError (INVALID_CONFIG) and stores nothing
   * when a key or a value is refused.
   */
  alter(resourceName: string, changes: readonly BrokerConfigChange[], o: { replace: boolean; validateOnly: boolean }): Promise<void> {
    const run = this.chain.then(() => this.alterNow(resourceName, changes, o));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async alterNow(resourceName: string, changes: readonly BrokerConfigChange[], o: { replace: boolean; validateOnly: boolean }): Promise<void> {
    const entity = resourceName === '' ? 'default' : 'broker';
    this.check(changes);
    const next: Record<string, string> = o.replace ? {} : { ...this.current[entity] };
    for (const c of changes) {
      if (c.value === null) delete next[c.name];
      else next[c.name] = c.value.trim();
    }
    const proposed: StoredDynamicConfigs = { ...this.current, [entity]: next };
    this.checkCleanerThreads(proposed);
    if (o.validateOnly) return;
    try {
      await this.o.store.write(entity, next);
    } catch (e) {
      if (e instanceof AdminError) throw e;
      throw new AdminError(ErrorCode.UNKNOWN_SERVER_ERROR, `Persisting the dynamic broker configs failed: ${(e as Error).message}`);
    }
    // In a cluster the store's watch may have put it in force already (storeChanged then does nothing).
    this.storeChanged({ ...this.current, [entity]: next });
  }

  /** Every key dynamic, every value acceptable to its definition. */
  private check(changes: readonly BrokerConfigChange[]): void {
    const refused = changes.filter((c) => !isDynamicBrokerConfigKey(c.name)).map((c) => c.name);
    if (refused.length > 0)
      throw new AdminError(
        ErrorCode.INVALID_CONFIG,
        `Cannot update these configs dynamically: ${refused.join(', ')} (of the broker configs, the log cleaner's, the log defaults and the key stores and trust stores of TLS listeners can be)`,
      );
    for (const c of changes) {
      if (c.value === null) continue;
      try {
        parseDynamicValue(c.name as DynamicBrokerConfigKey, c.value);
      } catch (e) {
        throw new AdminError(ErrorCode.INVALID_CONFIG, (e as Error).message);
      }
    }
  }

  /** Kafka's LogCleaner.validateReconfiguration: at least 1, at least half and at most double the count in force. */
  private checkCleanerThreads(proposed: StoredDynamicConfigs): void {
    const now = this.o.config.get('log.cleaner.threads');
    const raw = proposed.broker['log.cleaner.threads'] ?? proposed.default['log.cleaner.threads'];
    const next = raw === undefined ? this.o.config.staticValue('log.cleaner.threads') : (parseDynamicValue('log.cleaner.threads', raw) as number);
    if (next === now) return;
    const fail = (why: string) => {
      throw new AdminError(ErrorCode.INVALID_CONFIG, why);
    };
    if (next < 1) fail('Log cleaner threads should be at least 1');
    if (next < Math.floor(now / 2)) fail(`Log cleaner threads cannot be reduced to less than half the current value ${now}`);
    if (next > now * 2) fail(`Log cleaner threads cannot be increased to more than double the current value ${now}`);
  }

  /** Puts `s` in force: the BrokerConfig's dynamic layer, then (`reconfigure`) the logs and the cleaner. */
  private install(s: StoredDynamicConfigs, reconfigure: boolean): void {
    this.current = { broker: { ...s.broker }, default: { ...s.default } };
    this.o.config.setDynamic(this.parsed(s.broker), this.parsed(s.default));
    if (reconfigure) this.o.onChange();
  }

  private parsed(configs: Readonly<Record<string, string>>): Map<BrokerConfigKey, unknown> {
    const out = new Map<BrokerConfigKey, unknown>();
    for (const [k, raw] of Object.entries(configs)) {
      if (!isDynamicBrokerConfigKey(k)) {
        this.o.onError?.(`ignoring stored dynamic broker config ${k}: not a dynamic config of this broker`);
        continue;
      }
      try {
        out.set(k, parseDynamicValue(k, raw));
      } catch (e) {
        this.o.onError?.(`ignoring stored dynamic broker config ${k}: ${(e as Error).message}`);
      }
    }
    return out;
  }
}

function sameConfigs(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}
