// Parses Kafka's message JSON: JSON plus `//` line comments. Comments are kept: every comment block is
// attached to the object it precedes (or, inside an object, to that object), so the generator can turn
// the per-version notes into doc comments. Comments before the top-level object (the licence) are dropped.

interface ParsedJson {
  value: unknown;
  /** Comment lines (without `//`) attached to each parsed object. */
  comments: WeakMap<object, string[]>;
}

/** Offset of the newline ending the line that holds `from` (or the text's length). */
function lineEnd(text: string, from: number): number {
  let j = from;
  while (j < text.length && text[j] !== '\n') j++;
  return j;
}

/** Offset of the quote closing a string whose contents start at `from`, skipping escapes (or past the end). */
function closingQuote(text: string, from: number): number {
  let j = from;
  while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
  return j;
}

function stripComments(text: string): { json: string; byObjectIndex: Map<number, string[]> } {
  let out = '';
  const byObjectIndex = new Map<number, string[]>();
  const stack: number[] = [];
  let objectCount = 0;
  let pending: string[] = [];
  let i = 0;
  const flush = (index: number | undefined): void => {
    if (pending.length === 0) return;
    if (index !== undefined) {
      const list = byObjectIndex.get(index) ?? [];
      list.push(...pending);
      byObjectIndex.set(index, list);
    }
    pending = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '/' && text[i + 1] === '/') {
      const j = lineEnd(text, i + 2);
      pending.push(text.slice(i + 2, j).replace(/^ /, '').trimEnd());
      i = j;
      continue;
    }
    if (c === '/') throw new Error(`unexpected '/' at offset ${i}`);
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      out += c;
      i++;
      continue;
    }
    if (c === '{') {
      flush(stack.length === 0 ? undefined : objectCount);
      stack.push(objectCount++);
      out += c;
      i++;
      continue;
    }
    flush(stack[stack.length - 1]);
    if (c === '}') stack.pop();
    if (c === '"') {
      const j = closingQuote(text, i + 1);
      if (j >= text.length) throw new Error(`unterminated string at offset ${i}`);
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    out += c;
    i++;
  }
  return { json: out, byObjectIndex };
}

export function parseJsonWithComments(text: string): ParsedJson {
  const { json, byObjectIndex } = stripComments(text);
  const value: unknown = JSON.parse(json);
  const comments = new WeakMap<object, string[]>();
  // Objects appear in the text in pre-order with keys in text order; JSON.parse keeps that order.
  let index = 0;
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const e of v) visit(e);
    } else if (v !== null && typeof v === 'object') {
      const lines = byObjectIndex.get(index++);
      if (lines) comments.set(v, trimBlankEdges(lines));
      for (const k of Object.keys(v)) visit((v as Record<string, unknown>)[k]);
    }
  };
  visit(value);
  return { value, comments };
}

function trimBlankEdges(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && lines[a] === '') a++;
  while (b > a && lines[b - 1] === '') b--;
  return lines.slice(a, b);
}
