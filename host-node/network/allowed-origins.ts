// ws.allowed.origins: which web page origins may open a WebSocket to the broker. Browsers send the page's
// origin in the Origin header of every WebSocket upgrade and, unlike for fetch, apply no same-origin rule
// to WebSockets, so the listener is what decides. Clients that are not browsers send no Origin and are not
// held to the list (they can send any header they like anyway).
//
// Entries (checked by ws-defs.ts): `*` (any origin), `null` (the opaque origin of sandboxed frames and
// file: pages), or scheme://host[:port] where `*` stands for any run of characters but `/`
// (https://*.example.com, http://localhost:*). Matching ignores case; an empty list allows every origin.

/** Tells whether an upgrade with this Origin header (undefined: none sent) may proceed. */
export type OriginCheck = (origin: string | undefined) => boolean;

export function originCheck(allowed: readonly string[]): OriginCheck {
  if (allowed.length === 0 || allowed.includes('*')) return () => true;
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const entry of allowed) {
    const e = entry.toLowerCase();
    if (!e.includes('*')) exact.add(e);
    else patterns.push(new RegExp(`^${e.split('*').map(escapeRegExp).join('[^/]*')}$`));
  }
  return (origin) => {
    if (origin === undefined) return true;
    // One origin per upgrade: repeated Origin headers arrive joined with ", " and match nothing.
    if (/[\s,]/.test(origin)) return false;
    const o = origin.toLowerCase();
    return exact.has(o) || patterns.some((p) => p.test(o));
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
