// Kafka listener strings: `NAME://host:port` comma-separated; the host may be empty (all interfaces),
// a name, an IPv4 address or a bracketed IPv6 address.

export interface Endpoint {
  /** Listener name, upper-cased (PLAINTEXT unless listener.security.protocol.map says otherwise). */
  readonly name: string;
  /** Host as written ('' = all interfaces). */
  readonly host: string;
  readonly port: number;
}

const LISTENER_RE = /^([A-Za-z0-9_-]+):\/\/(\[[0-9A-Fa-f:.]+\]|[^:/\s\]]*):(-?\d+)$/;

/** Parses one listener or returns the reason it is malformed. */
function parseEndpoint(s: string): Endpoint | string {
  const m = LISTENER_RE.exec(s.trim());
  if (!m) return `Unable to parse ${s} to a broker endpoint (expected NAME://host:port)`;
  let host = m[2]!;
  if (host.startsWith('[')) host = host.slice(1, -1);
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return `Invalid port in ${s}`;
  return { name: m[1]!.toUpperCase(), host, port };
}

export function formatEndpoint(e: Endpoint): string {
  const host = e.host.includes(':') ? `[${e.host}]` : e.host;
  return `${e.name}://${host}:${e.port}`;
}

/** Parses a listener list; returns the endpoints or a reason (duplicate names are rejected, like Kafka). */
export function parseEndpoints(list: readonly string[]): Endpoint[] | string {
  const out: Endpoint[] = [];
  const names = new Set<string>();
  for (const s of list) {
    const e = parseEndpoint(s);
    if (typeof e === 'string') return e;
    if (names.has(e.name)) return `Each listener must have a different name, ${e.name} is used more than once`;
    names.add(e.name);
    out.push(e);
  }
  return out;
}
