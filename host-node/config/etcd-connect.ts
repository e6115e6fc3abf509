// `etcd.connect`: host:port[,host:port...][/chroot], the shape of Kafka's zookeeper.connect. The chroot
// (after the last host) is the key prefix every metadata key lives under, so several clusters can share
// one etcd. Hosts are plain names, IPv4 addresses or [IPv6] addresses; the port is required.

export interface EtcdConnect {
  /** `http://host:port` for each host, in the given order (an etcd3 client's `hosts`). */
  readonly hosts: string[];
  /** '' (no chroot) or '/a/b' (no trailing slash). */
  readonly root: string;
}

const HOST_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$/;
const CHROOT_SEGMENT_RE = /^[A-Za-z0-9._-]+$/;
const MAX_HOSTS = 64;

/** The parsed value, or the reason it is malformed (a sentence naming the bad part). */
export function parseEtcdConnect(value: string): EtcdConnect | string {
  const s = value.trim();
  if (s === '') return 'Expected host:port[,host:port...][/chroot]';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) return 'Expected host:port[,host:port...][/chroot] without a URL scheme';
  const slash = s.indexOf('/');
  const hostPart = slash < 0 ? s : s.slice(0, slash);
  const root = slash < 0 ? '' : parseChroot(s.slice(slash));
  if (root === undefined) return `Invalid chroot ${s.slice(slash)}: expected /name[/name...] of letters, digits, '.', '_' or '-'`;
  const items = hostPart.split(',');
  if (items.length > MAX_HOSTS) return `At most ${MAX_HOSTS} hosts are allowed`;
  const hosts: string[] = [];
  for (const item of items) {
    const h = parseHostPort(item.trim());
    if (typeof h !== 'string') return h.error;
    hosts.push(`http://${h}`);
  }
  return { hosts, root };
}

/** `/a/b` → '/a/b', `/` → '' (the root itself), anything malformed → undefined. */
function parseChroot(c: string): string | undefined {
  if (c === '/') return '';
  const segments = c.slice(1).split('/');
  return segments.every((x) => CHROOT_SEGMENT_RE.test(x) && x !== '.' && x !== '..') ? c : undefined;
}

function parseHostPort(item: string): string | { error: string } {
  const colon = item.lastIndexOf(':');
  if (item === '') return { error: 'Empty host in the host list' };
  if (colon <= 0 || item.endsWith(']')) return { error: `Host ${item}: expected host:port` };
  const host = item.slice(0, colon);
  const port = item.slice(colon + 1);
  if (!HOST_RE.test(host)) return { error: `Host ${item}: invalid host name ${host}` };
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return { error: `Host ${item}: port must be 1-65535` };
  return `${host}:${Number(port)}`;
}

/** Like parseEtcdConnect, throwing an Error that names the value when it is malformed. */
export function etcdConnectOrThrow(value: string): EtcdConnect {
  const r = parseEtcdConnect(value);
  if (typeof r === 'string') throw new Error(`Invalid etcd.connect ${value}: ${r}`);
  return r;
}
