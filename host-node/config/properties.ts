// Java `.properties` parsing (the format of Kafka's server.properties): `key=value`, `key: value` or
// `key value`; `#` and `!` comment lines; a trailing backslash continues a logical line; backslash escapes
// (\t \n \r \f \uXXXX, and any other escaped char stands for itself). Later keys override earlier ones.

export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^[ \t\f]+/, '');
    if (line === '' || line[0] === '#' || line[0] === '!') continue;
    // Join continuation lines: an odd number of trailing backslashes continues the line.
    while (endsWithContinuation(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, '');
    }
    if (endsWithContinuation(line)) line = line.slice(0, -1);
    // Find the key/value separator: first unescaped '=', ':' or whitespace.
    let k = 0;
    while (k < line.length) {
      const c = line[k]!;
      if (c === '\\') { k += 2; continue; }
      if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
      k++;
    }
    const rawKey = line.slice(0, Math.min(k, line.length));
    let v = k;
    while (v < line.length && (line[v] === ' ' || line[v] === '\t' || line[v] === '\f')) v++;
    if (v < line.length && (line[v] === '=' || line[v] === ':')) v++;
    while (v < line.length && (line[v] === ' ' || line[v] === '\t' || line[v] === '\f')) v++;
    out.set(unescape(rawKey), unescape(line.slice(v)));
  }
  return out;
}

function endsWithContinuation(line: string): boolean {
  let n = 0;
  for (let j = line.length - 1; j >= 0 && line[j] === '\\'; j--) n++;
  return n % 2 === 1;
}

function unescape(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\' || i + 1 >= s.length) { out += c; continue; }
    const n = s[++i]!;
    switch (n) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        const hex = s.slice(i + 1, i + 5);
        if (/^[0-9a-fA-F]{4}$/.test(hex)) { out += String.fromCharCode(parseInt(hex, 16)); i += 4; }
        else out += 'u';
        break;
      }
      default: out += n;
    }
  }
  return out;
}
