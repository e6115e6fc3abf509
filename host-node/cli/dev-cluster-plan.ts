// What `rivulet dev-cluster` starts, worked out before anything runs: the etcd command line, each broker's
// `rivulet broker` command line, and every port the cluster will listen on (checked free beforehand).
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import type { ChildSpec } from './dev-cluster-child.js';

export interface DevClusterOptions {
  brokers: number;
  basePort: number;
  etcdPort: number;
  /** The cluster's directory: etcd's data, each broker's log.dirs, etcd's log. */
  dir: string;
  minInsyncReplicas: number;
  /** First Prometheus port (broker i gets base + i - 1), or null when off. */
  metricsBasePort: number | null;
  /** First Kafka-over-WebSocket port (broker i gets base + i - 1), or null when off. */
  wsBasePort: number | null;
  /** `--set key=value` passed to every broker, after the cluster's own settings (so they win). */
  sets: readonly string[];
}

/** A port the cluster will listen on, and what for (named in the ports-in-use error). */
export interface PlannedPort {
  readonly port: number;
  readonly purpose: string;
}

export const ETCD_PACKAGE_HINT = "install Debian's etcd-server package (apt-get install etcd-server) or put an etcd 3.4+ binary on PATH";

/** The first executable `name` on `pathVar` (PATH's format), or null. */
export function findOnPath(name: string, pathVar: string | undefined): string | null {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export const etcdPeerPort = (o: DevClusterOptions): number => o.etcdPort + 1;
export const brokerPort = (o: DevClusterOptions, id: number): number => o.basePort + id - 1;
export const brokerDir = (o: DevClusterOptions, id: number): string => resolve(o.dir, `broker-${id}`);
export const etcdConnect = (o: DevClusterOptions): string => `127.0.0.1:${o.etcdPort}`;

/** `127.0.0.1:9092,127.0.0.1:9093,…`: every broker's listener. */
export function bootstrapServers(o: DevClusterOptions): string {
  return brokerIds(o)
    .map((id) => `127.0.0.1:${brokerPort(o, id)}`)
    .join(',');
}

export function brokerIds(o: DevClusterOptions): number[] {
  return Array.from({ length: o.brokers }, (_, i) => i + 1);
}

/** Every port etcd and the brokers will bind on 127.0.0.1. */
export function plannedPorts(o: DevClusterOptions): PlannedPort[] {
  const ports: PlannedPort[] = [
    { port: o.etcdPort, purpose: "etcd's client port (--etcd-port)" },
    { port: etcdPeerPort(o), purpose: "etcd's peer port (--etcd-port + 1)" },
  ];
  for (const id of brokerIds(o)) {
    ports.push({ port: brokerPort(o, id), purpose: `broker ${id}'s Kafka listener (--base-port + ${id - 1})` });
    if (o.metricsBasePort !== null) ports.push({ port: o.metricsBasePort + id - 1, purpose: `broker ${id}'s metrics port` });
    if (o.wsBasePort !== null) ports.push({ port: o.wsBasePort + id - 1, purpose: `broker ${id}'s WebSocket port` });
  }
  return ports;
}

/** etcd, one member on 127.0.0.1, its data under the cluster dir (kept across runs, like the brokers' logs). */
export function etcdSpec(o: DevClusterOptions, etcdBin: string): ChildSpec {
  const client = `http://127.0.0.1:${o.etcdPort}`;
  const peer = `http://127.0.0.1:${etcdPeerPort(o)}`;
  const args = [
    '--name=dev-cluster',
    `--data-dir=${resolve(o.dir, 'etcd')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=dev-cluster=${peer}`,
    '--initial-cluster-state=new',
    '--logger=zap',
  ];
  return { name: 'etcd', command: etcdBin, args };
}

/** Broker `id` as a `rivulet broker` child of the same node and CLI entry as this process. */
export function brokerSpec(o: DevClusterOptions, id: number, cliEntry: string): ChildSpec {
  const rf = String(Math.min(3, o.brokers));
  const args = [cliEntry, 'broker', '--host', '127.0.0.1', '--port', String(brokerPort(o, id)), '--data-dir', brokerDir(o, id)];
  args.push('--metrics-port', o.metricsBasePort === null ? '-1' : String(o.metricsBasePort + id - 1));
  args.push('--ws-port', o.wsBasePort === null ? '-1' : String(o.wsBasePort + id - 1));
  const sets = [
    `node.id=${id}`,
    `etcd.connect=${etcdConnect(o)}`,
    `default.replication.factor=${rf}`,
    `offsets.topic.replication.factor=${rf}`,
    `min.insync.replicas=${o.minInsyncReplicas}`,
    ...o.sets,
  ];
  for (const s of sets) args.push('--set', s);
  return { name: `broker-${id}`, command: process.execPath, args };
}
