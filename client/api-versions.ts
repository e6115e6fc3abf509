// Version negotiation for client/connection.ts: no I/O here, the caller passes how to send an ApiVersions
// request.
import { ApiKey } from '../protocol/generated/api.js';
import type { ApiVersionsResponse } from '../protocol/generated/api-versions.js';
import { KafkaProtocolError, KafkaUnsupportedVersionError } from './errors.js';
import type { VersionRange } from './version-limits.js';

/** The error a broker answers an ApiVersions version it does not know with (in v0, with its own ranges). */
export const UNSUPPORTED_VERSION = 35;

/**
 * ApiVersions at our highest version; a broker that does not know it answers in v0 with
 * UNSUPPORTED_VERSION and its own range, and we retry at the highest version we share (at most 3 tries).
 * Resolves with the broker's range per api key.
 */
export async function negotiateApiVersions(
  send: (version: number) => Promise<ApiVersionsResponse>,
  ours: VersionRange,
  address: string,
): Promise<Map<number, VersionRange>> {
  let version = ours[1];
  for (let attempt = 0; attempt < 3; attempt++) {
    const res = await send(version);
    if (res.errorCode === UNSUPPORTED_VERSION) {
      const theirs = res.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions);
      const next = theirs ? Math.min(theirs.maxVersion, ours[1]) : 0;
      if (next >= version) throw new KafkaProtocolError(UNSUPPORTED_VERSION, `ApiVersions v${version} to ${address}`);
      version = next;
      continue;
    }
    if (res.errorCode !== 0) throw new KafkaProtocolError(res.errorCode, `ApiVersions v${version} to ${address}`);
    return new Map(res.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion] as const]));
  }
  throw new KafkaUnsupportedVersionError(`cannot agree on an ApiVersions version with ${address}`);
}

/** The highest version in both our range and the broker's; undefined when none. */
export function highestCommonVersion(ours: VersionRange, broker: VersionRange): number | undefined {
  const min = Math.max(ours[0], broker[0]);
  const max = Math.min(ours[1], broker[1]);
  return min <= max ? max : undefined;
}
