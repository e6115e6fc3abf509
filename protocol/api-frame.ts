// Frames by the API's descriptor (e.g. `ProduceApi` from generated/produce.ts). The broker's dispatcher and the
// browser sync use this module rather than frame.ts so that only generated/api.ts and the codecs of the APIs
// they use are loaded (frame.ts looks APIs up by key in generated/index.ts, which loads all 88 codecs).
import { type ApiDescriptor, headerVersions } from './generated/api.js';
import { encodeRequestHeader, sizeRequestHeader } from './generated/request-header.js';
import { type ResponseHeader, decodeResponseHeader, encodeResponseHeader, sizeResponseHeader } from './generated/response-header.js';
import { Reader } from './wire/reader.js';
import { UnsupportedVersionError } from './wire/errors.js';
import type { BufferPool } from './wire/pool.js';
import { Writer } from './wire/writer.js';

export interface EncodeOptions {
  /** Prepend Kafka's int32 frame size (default true). */
  sizePrefix?: boolean;
  /** Take the output buffer from this pool (release it after the socket has written it). */
  pool?: BufferPool;
}

/**
 * Encodes a response (header + body) into one new buffer, by default with the 4-byte size prefix:
 * sizes are computed first, then everything is written into a single allocation.
 */
export function encodeResponseFrameFor<ResIn>(api: ApiDescriptor<unknown, unknown, unknown, ResIn>, apiVersion: number, correlationId: number, body: ResIn, options?: EncodeOptions): Uint8Array {
  const hv = headerVersions(api.apiKey, apiVersion);
  if (hv === undefined) throw new UnsupportedVersionError(`unsupported api key ${api.apiKey} version ${apiVersion}`);
  const header: ResponseHeader = { correlationId };
  const prefix = options?.sizePrefix === false ? 0 : 4;
  const size = sizeResponseHeader(hv.response, header) + api.sizeResponse(apiVersion, body);
  const w = new Writer(options?.pool ? options.pool.acquire(prefix + size) : prefix + size);
  if (prefix) w.int32(size);
  encodeResponseHeader(w, hv.response, header);
  api.encodeResponse(w, apiVersion, body);
  if (w.pos !== w.buf.length) throw new Error(`response size mismatch: wrote ${w.pos} of ${w.buf.length}`);
  return w.buf;
}

/** Encodes a request (header + body) into one new buffer, by default with the 4-byte size prefix. */
export function encodeRequestFrameFor<ReqIn>(api: ApiDescriptor<unknown, unknown, ReqIn, unknown>, apiVersion: number, correlationId: number, clientId: string | null, body: ReqIn, options?: EncodeOptions): Uint8Array {
  const hv = headerVersions(api.apiKey, apiVersion);
  if (hv === undefined) throw new UnsupportedVersionError(`unsupported api key ${api.apiKey} version ${apiVersion}`);
  const header = { requestApiKey: api.apiKey, requestApiVersion: apiVersion, correlationId, clientId };
  const prefix = options?.sizePrefix === false ? 0 : 4;
  const size = sizeRequestHeader(hv.request, header) + api.sizeRequest(apiVersion, body);
  const w = new Writer(options?.pool ? options.pool.acquire(prefix + size) : prefix + size);
  if (prefix) w.int32(size);
  encodeRequestHeader(w, hv.request, header);
  api.encodeRequest(w, apiVersion, body);
  if (w.pos !== w.buf.length) throw new Error(`request size mismatch: wrote ${w.pos} of ${w.buf.length}`);
  return w.buf;
}

/** Decodes a response frame (without size prefix) for a request sent with `api`/`apiVersion`. */
export function decodeResponseFrameFor<Res>(api: ApiDescriptor<unknown, Res, unknown, unknown>, apiVersion: number, frame: Uint8Array): { correlationId: number; body: Res } {
  const hv = headerVersions(api.apiKey, apiVersion);
  if (hv === undefined) throw new UnsupportedVersionError(`unsupported api key ${api.apiKey} version ${apiVersion}`);
  const r = new Reader(frame);
  const header = decodeResponseHeader(r, hv.response);
  return { correlationId: header.correlationId, body: api.decodeResponse(r, apiVersion) };
}
