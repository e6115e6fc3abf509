// UTF-8 helpers shared by Reader and Writer: an ASCII fast path for the short strings that make up
// almost all protocol text (topic names, client ids), TextEncoder/TextDecoder for the rest.

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Number of bytes `s` occupies in UTF-8 (lone surrogates count as U+FFFD, like TextEncoder). */
export function utf8Length(s: string): number {
  const n = s.length;
  let len = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) len += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      len += 2; // 4 bytes for the pair, which counted 2
      i++;
    } else len += 2;
  }
  return len;
}

/** Writes `s` at `pos` (exactly `byteLen` bytes, as computed by utf8Length). */
export function writeUtf8(buf: Uint8Array, pos: number, s: string, byteLen: number): void {
  if (byteLen === s.length) {
    for (let i = 0; i < byteLen; i++) buf[pos + i] = s.charCodeAt(i);
    return;
  }
  encoder.encodeInto(s, buf.subarray(pos, pos + byteLen));
}

/** Decodes `len` bytes at `pos`; throws TypeError on invalid UTF-8 (the Reader maps it). */
export function readUtf8(buf: Uint8Array, pos: number, len: number): string {
  if (len <= 64) {
    let ascii = true;
    for (let i = 0; i < len; i++) {
      if (buf[pos + i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      let s = '';
      for (let i = 0; i < len; i++) s += String.fromCharCode(buf[pos + i]!);
      return s;
    }
  }
  return decoder.decode(buf.subarray(pos, pos + len));
}
