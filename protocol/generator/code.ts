// A tiny line builder: deterministic two-space indentation, no trailing whitespace.

export class Code {
  private readonly lines: string[] = [];
  private depth = 0;

  line(text = ''): this {
    this.lines.push(text === '' ? '' : '  '.repeat(this.depth) + text);
    return this;
  }
  /** Opens a block: `head {` … `}`. */
  block(head: string, body: () => void, tail = '}'): this {
    this.line(head === '' ? '{' : `${head} {`);
    this.depth++;
    body();
    this.depth--;
    this.line(tail);
    return this;
  }
  indent(body: () => void): this {
    this.depth++;
    body();
    this.depth--;
    return this;
  }
  /** Appends another builder's lines at this builder's current depth. */
  append(other: Code): this {
    for (const l of other.lines) this.lines.push(l === '' ? '' : '  '.repeat(this.depth) + l);
    return this;
  }
  doc(lines: string[]): this {
    const clean = lines.map((l) => l.replace(/\*\//g, '*\\/').trimEnd());
    while (clean.length && clean[clean.length - 1] === '') clean.pop();
    if (clean.length === 0) return this;
    if (clean.length === 1) return this.line(`/** ${clean[0]} */`);
    this.line('/**');
    for (const l of clean) this.line(l === '' ? ' *' : ` * ${l}`);
    return this.line(' */');
  }
  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}
