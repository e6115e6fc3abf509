// Paths as the storage engine uses them: '/'-separated on every host (Node on POSIX, the browser's OPFS
// port), joined without node:path.

/** Joins path parts with '/', dropping empty parts and doubled separators. */
export function joinPath(...parts: string[]): string {
  const joined = parts.filter((p) => p.length > 0).join('/');
  return joined.replace(/\/{2,}/g, '/');
}

/** The folder part of a path ('.' when there is none). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash > 0 ? path.slice(0, slash) : slash === 0 ? '/' : '.';
}
