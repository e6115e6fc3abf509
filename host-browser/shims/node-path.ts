// Browser stand-in for `node:path` in the bundle (scripts/build-browser.mjs aliases it): host-node/storage
// joins a partition directory and a file name, which in OPFS are plain '/'-separated names.
export function join(...parts: string[]): string {
  return parts.filter((p) => p.length > 0).join('/').replace(/\/{2,}/g, '/');
}
export default { join };
