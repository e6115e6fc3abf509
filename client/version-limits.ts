// The one table of versions our clients build requests for (the Node client and tools, the browser sync),
// where narrower than the codec's range; a caller whose request bodies cover less narrows it further.
import { ApiKey, type ApiDescriptor } from '../protocol/generated/api.js';

/** A version range [min, max]. */
export type VersionRange = readonly [number, number];

/**
 * Produce < 3 and Fetch < 4 carry old message sets (we only write and read v2 record batches); ListOffsets
 * v0 answers with offset arrays and Metadata v0 reads an empty topic list as "all topics"; OffsetFetch v0
 * (offsets kept in ZooKeeper), OffsetCommit v0-1 and CreateTopics v0-1 are deprecated. Every other API is
 * used at whatever its codec covers.
 */
export const CLIENT_VERSION_LIMITS: Partial<Record<ApiKey, VersionRange>> = {
  [ApiKey.Produce]: [3, 11],
  [ApiKey.Fetch]: [4, 17],
  [ApiKey.ListOffsets]: [1, 9],
  [ApiKey.Metadata]: [1, 12],
  [ApiKey.OffsetFetch]: [1, 9],
  [ApiKey.OffsetCommit]: [2, 9],
  [ApiKey.CreateTopics]: [2, 7],
};

/** Versions of `api` we speak: its codec's range within CLIENT_VERSION_LIMITS and `narrower`; undefined when none. */
export function clientVersions(api: ApiDescriptor, narrower?: VersionRange): VersionRange | undefined {
  const limit = CLIENT_VERSION_LIMITS[api.apiKey as ApiKey];
  const min = Math.max(api.validVersions[0], limit?.[0] ?? 0, narrower?.[0] ?? 0);
  const max = Math.min(api.validVersions[1], limit?.[1] ?? Infinity, narrower?.[1] ?? Infinity);
  return min <= max ? [min, max] : undefined;
}
