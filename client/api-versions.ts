// Version negotiation shared by every connection of ours (TCP in host-node/client, WebSocket in the browser
// sync): no I/O here, the caller passes how to send an ApiVersions request.
import { ApiKey } from '../protocol/generated/api.js';
import type { ApiVersionsResponse } from '../protocol/generated/api-versions.js';
import { KafkaProtocolError, KafkaUnsupportedVersionError } from './errors.js';

export type VersionRange = readonly [number, number];

const UNSUPPORTED_VERSION = 35;

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

/** The highest version inside the codec's range, our limits (if any) and the broker's range; undefined when none. */
export function highestCommonVersion(codec: VersionRange, limit: VersionRange | undefined, broker: VersionRange): number | undefined {
  const min = Math.max(codec[0], limit?.[0] ?? 0, broker[0]);
  const max = Math.min(codec[1], limit?.[1] ?? Infinity, broker[1]);
  return min <= max ? max : undefined;
}
