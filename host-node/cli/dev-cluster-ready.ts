// The checks `rivulet dev-cluster` waits on: a port nobody listens on yet, etcd answering /health, and a
// broker answering ApiVersions (it then serves Kafka).
import { createServer } from 'node:net';
import { Connection } from '../client/connection.js';
import type { DevChild } from './dev-cluster-child.js';
import type { PlannedPort } from './dev-cluster-plan.js';

const POLL_MS = 100;

/** True when nothing can bind 127.0.0.1:port right now (someone listens there, or it is not allowed). */
function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(true));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(false)));
  });
}

/** The planned ports that are already taken. */
export async function takenPorts(ports: readonly PlannedPort[]): Promise<PlannedPort[]> {
  const taken: PlannedPort[] = [];
  for (const p of ports) if (await portTaken(p.port)) taken.push(p);
  return taken;
}

/** True when etcd at 127.0.0.1:port reports itself healthy. */
async function etcdHealthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
    return ((await res.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

/** True when 127.0.0.1:port completes the client's ApiVersions exchange. */
async function answersApiVersions(port: number): Promise<boolean> {
  try {
    const c = await Connection.connect({ host: '127.0.0.1', port, connectTimeoutMs: 1000, requestTimeoutMs: 2000, clientId: 'rivulet-dev-cluster' });
    c.close();
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` until it holds; throws when `child` exits first or after timeoutMs. */
async function waitFor(child: DevChild, what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (!child.running) throw new Error(`${child.name} exited before ${what}`);
    if (await check()) return;
    if (Date.now() > until) throw new Error(`${child.name} was still not ${what} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export const waitEtcdHealthy = (etcd: DevChild, port: number, timeoutMs: number): Promise<void> =>
  waitFor(etcd, `answering on 127.0.0.1:${port}`, timeoutMs, () => etcdHealthy(port));

export const waitServingKafka = (broker: DevChild, port: number, timeoutMs: number): Promise<void> =>
  waitFor(broker, `serving Kafka on 127.0.0.1:${port}`, timeoutMs, () => answersApiVersions(port));
