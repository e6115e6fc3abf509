// Shared by the admin handlers (CreateTopics, DeleteTopics, CreatePartitions, *Configs, DescribeLogDirs).
import { ErrorCode } from '../../../protocol/errors.js';
import { AdminError } from '../../topics/topic-registry.js';
import type { RequestContext } from '../context.js';

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
 * IncrementalAlterConfigs: BROKER configs are read at start-up only, so an empty change succeeds and any
 * other is INVALID_CONFIG; other resource types are INVALID_REQUEST.
 */
export function alterNonTopicResource(
  res: { resourceType: number; resourceName: string; configs: readonly { name: string; value: string | null; configOperation?: number }[] },
  ctx: RequestContext<'nodeId' | 'dynamicSsl' | 'log'>,
  o: { incremental: boolean; validateOnly: boolean },
): { errorCode: number; errorMessage: string | null } {
  if (res.resourceType === ResourceType.BROKER) {
    const err = checkBrokerResource(res.resourceName, ctx);
    if (err) return err;
    const dynamicSsl = ctx.broker.dynamicSsl;
    // An empty AlterConfigs takes every dynamic value back; an empty incremental change changes nothing.
    if (res.configs.length === 0 && (o.incremental || dynamicSsl === undefined || res.resourceName === '')) return { errorCode: ErrorCode.NONE, errorMessage: null };
    if (dynamicSsl !== undefined) {
      try {
        // IncrementalAlterConfigs: SET (0) sets, DELETE (1) goes back to the static value; APPEND and
        // SUBTRACT are for list configs, which none of the dynamic ones is. AlterConfigs replaces the set.
        const bad = o.incremental ? res.configs.find((c) => c.configOperation !== 0 && c.configOperation !== 1) : undefined;
        if (bad) throw new AdminError(ErrorCode.INVALID_CONFIG, `Config value append/subtract is not allowed for config key: ${bad.name}`);
        const changes = res.configs.map((c) => ({ name: c.name, value: o.incremental && c.configOperation === 1 ? null : c.value }));
        dynamicSsl.alter(res.resourceName, changes, { replace: !o.incremental, validateOnly: o.validateOnly });
        return { errorCode: ErrorCode.NONE, errorMessage: null };
      } catch (e) {
        return errorOf(e, ctx);
      }
    }
    return {
      errorCode: ErrorCode.INVALID_CONFIG,
      errorMessage: `Cannot update these configs dynamically: ${res.configs.map((c) => c.name).join(', ')} (Rivulet reads broker configs at start-up only)`,
    };
  }
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type: ${res.resourceType}` };
}
