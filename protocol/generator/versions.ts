// Version ranges as written in the schemas: "3", "0-4", "9+", "none".

export interface VersionRange {
  /** Inclusive lower bound. */
  readonly min: number;
  /** Inclusive upper bound; Infinity for "N+". An empty range has min > max. */
  readonly max: number;
}

export const NONE: VersionRange = { min: 1, max: 0 };

export function parseVersions(s: unknown, what: string): VersionRange {
  if (typeof s !== 'string') throw new Error(`${what}: version range must be a string, got ${JSON.stringify(s)}`);
  const t = s.trim();
  if (t === 'none') return NONE;
  let m = /^(\d+)\+$/.exec(t);
  if (m) return { min: Number(m[1]), max: Infinity };
  m = /^(\d+)-(\d+)$/.exec(t);
  if (m) {
    const r = { min: Number(m[1]), max: Number(m[2]) };
    if (r.min > r.max) throw new Error(`${what}: empty range ${s}`);
    return r;
  }
  m = /^(\d+)$/.exec(t);
  if (m) return { min: Number(m[1]), max: Number(m[1]) };
  throw new Error(`${what}: cannot parse version range ${JSON.stringify(s)}`);
}

export function isEmpty(r: VersionRange): boolean {
  return r.min > r.max;
}
export function contains(r: VersionRange, v: number): boolean {
  return v >= r.min && v <= r.max;
}
export function intersect(a: VersionRange, b: VersionRange): VersionRange {
  const r = { min: Math.max(a.min, b.min), max: Math.min(a.max, b.max) };
  return isEmpty(r) ? NONE : r;
}
/** a ⊆ b */
export function isSubset(a: VersionRange, b: VersionRange): boolean {
  return isEmpty(a) || (a.min >= b.min && a.max <= b.max);
}
export function formatRange(r: VersionRange): string {
  if (isEmpty(r)) return 'none';
  if (r.max === Infinity) return `${r.min}+`;
  return r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`;
}

/**
 * A TypeScript condition on the variable `v` testing membership in `r`, simplified knowing that
 * `v` is always within `scope`. Returns 'true' / 'false' when the answer does not depend on `v`.
 */
export function condition(r: VersionRange, scope: VersionRange, v = 'v'): string {
  const x = intersect(r, scope);
  if (isEmpty(x)) return 'false';
  const lo = x.min > scope.min;
  const hi = x.max < scope.max;
  if (lo && hi) return x.min === x.max ? `${v} === ${x.min}` : `${v} >= ${x.min} && ${v} <= ${x.max}`;
  if (lo) return `${v} >= ${x.min}`;
  if (hi) return `${v} <= ${x.max}`;
  return 'true';
}
