// Frames: a request/response with its header, as one buffer. A "frame" here is what follows Kafka's
// 4-byte size prefix (header + body); the encoders can also emit the prefix so a whole response is
// one allocation ready for socket.write().
// These look an API up by key in the full registry (generated/index.ts), which loads every codec: clients
// and tools use them. api-frame.ts does the same by descriptor (e.g. `ProduceApi`): the broker and the browser
// sync use it, and so load only generated/api.ts and the codecs of the APIs they need.
import { type ApiKey, type RequestInputTypes, type RequestTypes, type ResponseInputTypes, type ResponseTypes, apiByKey } from './generated/index.js';
import { headerVersions } from './generated/api.js';
import { type EncodeOptions, decodeResponseFrameFor, encodeRequestFrameFor, encodeResponseFrameFor } from './api-frame.js';
import { type RequestHeader, decodeRequestHeader } from './generated/request-header.js';
import { UnsupportedVersionError } from './wire/errors.js';
import { Reader } from './wire/reader.js';

export interface RequestHeaderInfo {
  header: RequestHeader;
  /** 0, 1 or 2. */
  headerVersion: number;
  /**
   * False when the api key is unknown or the version outside its valid range; the header was then
   * read as v1 (api key, version, correlation id, client id — the layout every version starts with)
   * so the caller can still answer with UNSUPPORTED_VERSION, and the body must not be decoded.
   */
  supported: boolean;
}

/**
 * Reads the request header from `r` (positioned at the start of a frame, after the size prefix).
 * Leaves `r` at the first byte of the body.
 */
export function readRequestHeader(r: Reader): RequestHeaderInfo {
  if (r.remaining() < 4) r.fail('request frame shorter than api key + version');
  const apiKey = r.view.getInt16(r.pos);
  const apiVersion = r.view.getInt16(r.pos + 2);
  const hv = headerVersions(apiKey, apiVersion);
  if (hv === undefined) return { header: decodeRequestHeader(r, 1), headerVersion: 1, supported: false };
  return { header: decodeRequestHeader(r, hv.request), headerVersion: hv.request, supported: true };
}

/** A decoded request; a union discriminated by `apiKey`, so `switch (req.apiKey)` narrows `body`. */
export type DecodedRequest = {
  [K in ApiKey]: { apiKey: K; apiVersion: number; header: RequestHeader; headerVersion: number; body: RequestTypes[K] };
}[ApiKey];

/**
 * Decodes header and body of one request frame (without the 4-byte size prefix).
 * Throws UnsupportedVersionError for an unknown api key/version (use readRequestHeader first to
 * answer those), ProtocolDecodeError for malformed bytes. Byte fields are views into `frame`.
 */
export function decodeRequestFrame(frame: Uint8Array): DecodedRequest {
  const r = new Reader(frame);
  const { header, headerVersion, supported } = readRequestHeader(r);
  if (!supported) throw new UnsupportedVersionError(`unsupported api key ${header.requestApiKey} version ${header.requestApiVersion}`);
  return decodeRequestBody(r, header, headerVersion);
}

/** Decodes the body that follows a header read with readRequestHeader. */
function decodeRequestBody(r: Reader, header: RequestHeader, headerVersion: number): DecodedRequest {
  const api = apiByKey(header.requestApiKey);
  if (api === undefined) throw new UnsupportedVersionError(`unknown api key ${header.requestApiKey}`);
  const body: unknown = api.decodeRequest(r, header.requestApiVersion);
  return { apiKey: header.requestApiKey, apiVersion: header.requestApiVersion, header, headerVersion, body } as DecodedRequest;
}


/**
 * Encodes a response (header + body) into one new buffer, by default with the 4-byte size prefix:
 * sizes are computed first, then everything is written into a single allocation.
 */
export function encodeResponseFrame<K extends ApiKey>(apiKey: K, apiVersion: number, correlationId: number, body: ResponseInputTypes[K], options?: EncodeOptions): Uint8Array {
  const api = apiByKey(apiKey);
  if (api === undefined) throw new UnsupportedVersionError(`unsupported api key ${apiKey} version ${apiVersion}`);
  return encodeResponseFrameFor(api, apiVersion, correlationId, body, options);
}

/** Encodes a request (header + body) into one new buffer, by default with the 4-byte size prefix. */
export function encodeRequestFrame<K extends ApiKey>(apiKey: K, apiVersion: number, correlationId: number, clientId: string | null, body: RequestInputTypes[K], options?: EncodeOptions): Uint8Array {
  const api = apiByKey(apiKey);
  if (api === undefined) throw new UnsupportedVersionError(`unsupported api key ${apiKey} version ${apiVersion}`);
  return encodeRequestFrameFor(api, apiVersion, correlationId, clientId, body, options);
}

/** Decodes a response frame (without size prefix) for a request sent with `apiKey`/`apiVersion`. */
export function decodeResponseFrame<K extends ApiKey>(apiKey: K, apiVersion: number, frame: Uint8Array): { correlationId: number; body: ResponseTypes[K] } {
  const api = apiByKey(apiKey);
  if (api === undefined) throw new UnsupportedVersionError(`unsupported api key ${apiKey} version ${apiVersion}`);
  return decodeResponseFrameFor(api, apiVersion, frame) as { correlationId: number; body: ResponseTypes[K] };
}
