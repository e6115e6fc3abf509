// Responses that carry large byte fields (Fetch records) without copying them into the encoded buffer.
//
// A handler returns `new SplicedResponse(body, external)` instead of `body`: every Uint8Array listed in
// `external` that the encoder meets as the content of a bytes/records field is not copied; the encoded
// response is cut there instead and the array is sent as its own chunk. The connection writes all chunks in
// order with one gathered (corked) write, so the socket sees exactly the bytes `encodeResponseFrame` would
// have produced:
//
//   [size prefix + header + body up to records #1] [records #1] [body up to records #2] [records #2] … [rest]
//
// The arrays must stay unchanged until the socket has written them (give each response its own buffers).
// Everything else — lengths, tagged fields, the size prefix — is computed by the generated codec as usual.
import { type ApiDescriptor, headerVersions } from '../../protocol/generated/api.js';
import { encodeResponseHeader, sizeResponseHeader } from '../../protocol/generated/response-header.js';
import { UnsupportedVersionError } from '../../protocol/wire/errors.js';
import { Writer } from '../../protocol/wire/writer.js';
import type { ChunkedFrame, ResponseFrame } from '../network/types.js';

export class SplicedResponse<T = unknown> {
  constructor(
    readonly body: T,
    /** Byte-field values of `body` to send as separate chunks (identity matters: the same array objects). */
    readonly external: readonly Uint8Array[],
    /** Called once the socket has sent the chunks (the arrays' buffer can then be reused), if ever. */
    readonly onWritten?: () => void,
  ) {}
}

/** A Writer that skips the bytes of marked arrays and remembers where they go. */
class SplicingWriter extends Writer {
  readonly cuts: { at: number; bytes: Uint8Array }[] = [];
  constructor(
    size: number,
    private readonly marked: ReadonlySet<Uint8Array>,
  ) {
    super(size);
  }
  override raw(b: Uint8Array): void {
    if (b.length > 0 && this.marked.has(b)) this.cuts.push({ at: this.pos, bytes: b });
    else super.raw(b);
  }
}

/** Encodes header + body (with the size prefix) as chunks, the marked arrays spliced in by reference. */
export function encodeSplicedResponseFrame<ResIn>(api: ApiDescriptor<unknown, unknown, unknown, ResIn>, apiVersion: number, correlationId: number, res: SplicedResponse<ResIn>): ResponseFrame {
  const hv = headerVersions(api.apiKey, apiVersion);
  if (hv === undefined) throw new UnsupportedVersionError(`unsupported api key ${api.apiKey} version ${apiVersion}`);
  const marked = new Set(res.external);
  let externalBytes = 0;
  for (const b of marked) externalBytes += b.length;
  const header = { correlationId };
  const size = sizeResponseHeader(hv.response, header) + api.sizeResponse(apiVersion, res.body);
  const w = new SplicingWriter(4 + size - externalBytes, marked);
  w.int32(size);
  encodeResponseHeader(w, hv.response, header);
  api.encodeResponse(w, apiVersion, res.body);
  let spliced = 0;
  for (const c of w.cuts) spliced += c.bytes.length;
  if (w.pos !== w.buf.length || spliced !== externalBytes)
    throw new Error(`spliced response size mismatch: wrote ${w.pos} of ${w.buf.length}, spliced ${spliced} of ${externalBytes}`);
  if (w.cuts.length === 0) return w.buf;
  const chunks: Uint8Array[] & ChunkedFrame = [];
  let from = 0;
  for (const c of w.cuts) {
    if (c.at > from) chunks.push(w.buf.subarray(from, c.at));
    chunks.push(c.bytes);
    from = c.at;
  }
  if (from < w.buf.length) chunks.push(w.buf.subarray(from));
  if (res.onWritten) chunks.onWritten = res.onWritten;
  return chunks;
}
