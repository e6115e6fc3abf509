// Shared by the admin handlers (CreateTopics, DeleteTopics, CreatePartitions, *Configs, DescribeLogDirs).
import { ErrorCode } from '../../../protocol/errors.js';
import { AdminError } from '../../topics/topic-registry.js';
import type { RequestContext } from '../context.js';
import { BROKER_CONFIG_DEFS } from '../../config/broker-config.js';
import { isDynamicBrokerConfigKey } from '../../config/dynamic-defs.js';
import { dynamicSslKey } from '../dynamic-ssl.js';

/** Kafka's ConfigResource.Type. */
export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16 } as const;

/** An error (AdminError or anything else) as the code + message a response carries. */
export function errorOf(e: unknown, ctx: RequestContext<'log'>): { errorCode: number; errorMessage: string | null } {
  if (e instanceof AdminError) return { errorCode: e.code, errorMessage: e.message };
  ctx.broker.log.error(`api ${ctx.apiKey} v${ctx.apiVersion}: unexpected error: ${(e as Error)?.stack ?? String(e)}`);
  return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: (e as Error)?.message ?? String(e) };
}

/** Keys that occur more than once. */
export function duplicates<T>(items: readonly T[], key: (t: T) => string): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const it of items) {
    const k = key(it);
    if (seen.has(k)) dup.add(k);
    seen.add(k);
  }
  return dup;
}

/** A config resource of AlterConfigs or IncrementalAlterConfigs, as far as the shared checks read it. */
interface ConfigResource {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly configs: readonly { readonly name: string }[];
}

/** The resources named more than once in an AlterConfigs/IncrementalAlterConfigs request (see requestError). */
export function duplicateResources(resources: readonly ConfigResource[]): Set<string> {
  return duplicates(resources, resourceKey);
}

/**
 * What both config-altering APIs answer before looking at a resource's values: INVALID_REQUEST for a resource
 * named twice or a key given twice (Kafka's wording); undefined when neither.
 */
export function requestError(res: ConfigResource, duplicated: Set<string>): { errorCode: number; errorMessage: string } | undefined {
  if (duplicated.has(resourceKey(res))) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate resource in the request.' };
  const dupKeys = duplicates(res.configs, (c) => c.name);
  if (dupKeys.size) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Error due to duplicate config keys: ${[...dupKeys].join(', ')}` };
  return undefined;
}

function resourceKey(r: ConfigResource): string {
  return `${r.resourceType}:${r.resourceName}`;
}

/**
 * A BROKER resource name must be this node's id, or '' (the cluster-wide default). Returns an error
 * for anything else (Kafka's wording), or null when it is ours.
 */
export function checkBrokerResource(name: string, ctx: RequestContext<'nodeId'>): { errorCode: number; errorMessage: string } | null {
  if (name === '' || name === String(ctx.broker.nodeId)) return null;
  if (!/^[+-]?\d+$/.test(name)) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Broker id must be an integer, but it is: ${name}` };
  return {
    errorCode: ErrorCode.INVALID_REQUEST,
    errorMessage: `Unexpected broker id, expected ${ctx.broker.nodeId} or empty string, but received ${name}`,
  };
}

/**
 * The result of altering a resource that is not a topic, the same for AlterConfigs and
 * IncrementalAlterConfigs. BROKER resources: the dynamic configs of the log cleaner and the log defaults
 * (server/dynamic-broker-config.ts) and the TLS listeners' stores (server/dynamic-ssl.ts); any other key is
 * INVALID_CONFIG ("Cannot update these configs dynamically"). Both parts are validated before either is
 * applied. Other resource types are INVALID_REQUEST.
 */
export async function alterNonTopicResource(
  res: { resourceType: number; resourceName: string; configs: readonly { name: string; value: string | null; configOperation?: number }[] },
  ctx: RequestContext<'nodeId' | 'dynamicSsl' | 'dynamicConfig' | 'log'>,
  o: { incremental: boolean; validateOnly: boolean },
): Promise<{ errorCode: number; errorMessage: string | null }> {
  if (res.resourceType !== ResourceType.BROKER) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type: ${res.resourceType}` };
  const err = checkBrokerResource(res.resourceName, ctx);
  if (err) return err;
  const { dynamicSsl, dynamicConfig } = ctx.broker;
  // An empty incremental change changes nothing; an empty AlterConfigs takes every dynamic value of the resource back.
  if (res.configs.length === 0 && o.incremental) return { errorCode: ErrorCode.NONE, errorMessage: null };
  try {
    // IncrementalAlterConfigs: SET (0) sets, DELETE (1) goes back to the next source; APPEND and SUBTRACT are
    // for list configs (log.cleanup.policy among the dynamic ones), starting from the value in force.
    const changes = res.configs.map((c) => ({ name: c.name, value: o.incremental ? incrementalValue(c, ctx) : c.value }));
    const ssl = changes.filter((c) => dynamicSslKey(c.name) !== null);
    const others = changes.filter((c) => dynamicSslKey(c.name) === null);
    if (dynamicConfig === undefined && others.length > 0)
      throw new AdminError(ErrorCode.INVALID_CONFIG, `Cannot update these configs dynamically: ${others.map((c) => c.name).join(', ')} (Rivulet reads broker configs at start-up only)`);
    if (dynamicSsl === undefined && ssl.length > 0)
      throw new AdminError(ErrorCode.INVALID_CONFIG, `Cannot update these configs dynamically: ${ssl.map((c) => c.name).join(', ')} (no TLS listener)`);
    const replace = !o.incremental;
    // The TLS part is checked first (nothing applied), then the rest is checked and applied, then the TLS part.
    const sslToo = dynamicSsl !== undefined && (ssl.length > 0 || (replace && res.resourceName !== ''));
    if (sslToo) dynamicSsl.alter(res.resourceName, ssl, { replace, validateOnly: true });
    if (dynamicConfig !== undefined && (others.length > 0 || replace)) await dynamicConfig.alter(res.resourceName, others, { replace, validateOnly: o.validateOnly });
    if (sslToo && !o.validateOnly) dynamicSsl.alter(res.resourceName, ssl, { replace, validateOnly: false });
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (e) {
    return errorOf(e, ctx);
  }
}

/** One IncrementalAlterConfigs entry of a BROKER resource as the value to set (null: delete). */
function incrementalValue(c: { name: string; value: string | null; configOperation?: number }, ctx: RequestContext<'dynamicConfig'>): string | null {
  switch (c.configOperation) {
    case 0:
      if (c.value === null) throw new AdminError(ErrorCode.INVALID_CONFIG, `Null value not supported for : ${c.name}`);
      return c.value;
    case 1:
      return null;
    default: {
      const op = c.configOperation === 2 ? 'append' : 'subtract';
      if (!isDynamicBrokerConfigKey(c.name) || BROKER_CONFIG_DEFS[c.name].type !== 'list' || ctx.broker.dynamicConfig === undefined)
        throw new AdminError(ErrorCode.INVALID_CONFIG, `Config value ${op} is not allowed for config key: ${c.name}`);
      const current = ctx.broker.dynamicConfig.listValue(c.name);
      const items = (c.value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
      const next = c.configOperation === 2 ? [...current, ...items.filter((i) => !current.includes(i))] : current.filter((i) => !items.includes(i));
      return next.join(',');
    }
  }
}
