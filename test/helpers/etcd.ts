// A one-member etcd for tests: Debian's /usr/bin/etcd on two ephemeral 127.0.0.1 ports (client + peer) in
// a temp data dir, ready once /health answers. Never the default ports 2379/2380. stop() kills the process
// and removes the data dir; kill/pause/resume/restart are the faults tests inject. With `tls`, etcd
// serves https on its client port and requires a client certificate signed by the given CA.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export const ETCD_BIN = process.env.RIVULET_ETCD_BIN ?? '/usr/bin/etcd';

export interface EtcdHandle {
  /** `http://127.0.0.1:<port>` (`https://` with TLS) (an etcd3 client's host). */
  readonly endpoint: string;
  /** `127.0.0.1:<port>` (an `etcd.connect` value). */
  readonly connect: string;
  readonly clientPort: number;
  readonly dataDir: string;
  /** Kills etcd (SIGKILL) and removes the data dir (unless it was given). */
  stop(): Promise<void>;
  /** Sends a signal and, for a terminating one, waits until the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGSTOP / SIGCONT. */
  pause(): void;
  resume(): void;
  /** Kills etcd if it runs and starts it again on the same ports and data dir (its data survives). */
  restart(): Promise<void>;
}

export interface StartEtcdOptions {
  /** Data dir to use (kept at stop); default: a new temp dir, removed at stop. */
  dataDir?: string;
  /** How long to wait for /health (default 20 s). */
  readyTimeoutMs?: number;
  /** Serve TLS on the client port and require client certificates (--client-cert-auth); the peer port stays plaintext. */
  tls?: EtcdTlsFiles;
}

/** PEM files of etcd's TLS: its certificate and key, and the CA its clients' certificates must chain to. */
export interface EtcdTlsFiles {
  certFile: string;
  keyFile: string;
  /** --trusted-ca-file: the CA of client certificates (also the one that signed certFile in tests). */
  caFile: string;
  /** A client certificate and key (PEM files) the helper's /health check presents. */
  clientCertFile: string;
  clientKeyFile: string;
}

function missingBinaryMessage(): string {
  return `etcd was not found at ${ETCD_BIN}: install Debian's etcd-server package (apt-get install etcd-server) or set RIVULET_ETCD_BIN`;
}

function etcdArgs(name: string, dataDir: string, clientPort: number, peerPort: number, tls: EtcdTlsFiles | undefined): string[] {
  const client = `${tls ? 'https' : 'http'}://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    `--name=${name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=${name}=${peer}`,
    '--initial-cluster-state=new',
    // One member: short raft timings make start-up and leases quick (and allow 1 s lease TTLs).
    '--heartbeat-interval=20',
    '--election-timeout=200',
    '--logger=zap',
    '--log-level=error',
    ...(tls ? [`--cert-file=${tls.certFile}`, `--key-file=${tls.keyFile}`, `--trusted-ca-file=${tls.caFile}`, '--client-cert-auth'] : []),
  ];
}

/** GET /health over https with the client certificate; false on any failure. */
function healthyTls(endpoint: string, tls: EtcdTlsFiles): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpsRequest(
      `${endpoint}/health`,
      // The chain is verified; the host name is not (a test may give etcd a certificate for another name).
      { ca: readFileSync(tls.caFile), cert: readFileSync(tls.clientCertFile), key: readFileSync(tls.clientKeyFile), timeout: 1000, servername: '', checkServerIdentity: () => undefined },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          try {
            resolve((JSON.parse(body) as { health?: string }).health === 'true');
          } catch {
            resolve(false);
          }
        });
        res.on('error', () => resolve(false));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function healthy(endpoint: string, tls: EtcdTlsFiles | undefined): Promise<boolean> {
  if (tls) return healthyTls(endpoint, tls);
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

async function waitHealthy(endpoint: string, tls: EtcdTlsFiles | undefined, proc: ChildProcess, stderr: () => string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(`etcd exited (${proc.exitCode ?? proc.signalCode}) before serving on ${endpoint}:\n${stderr()}`);
    if (await healthy(endpoint, tls)) return;
    if (Date.now() > until) throw new Error(`etcd did not become healthy on ${endpoint} within ${timeoutMs} ms:\n${stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', () => resolve()));
}

/** Starts a one-member etcd; rejects with a message naming Debian's etcd-server when the binary is missing. */
export async function startEtcd(opts: StartEtcdOptions = {}): Promise<EtcdHandle> {
  if (!existsSync(ETCD_BIN)) throw new Error(missingBinaryMessage());
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'rivulet-etcd-'));
  const clientPort = await freePort();
  let peerPort = await freePort();
  while (peerPort === clientPort) peerPort = await freePort();
  const endpoint = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${clientPort}`;
  const timeoutMs = opts.readyTimeoutMs ?? 20_000;
  let proc: ChildProcess;
  let log = '';

  const launch = async (): Promise<void> => {
    log = '';
    proc = spawn(ETCD_BIN, etcdArgs('rivulet-test', join(dataDir, 'data'), clientPort, peerPort, opts.tls), { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr!.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-8000);
    });
    await waitHealthy(endpoint, opts.tls, proc, () => log, timeoutMs);
  };
  const running = (): boolean => proc.exitCode === null && proc.signalCode === null;
  const signal = (s: NodeJS.Signals): void => {
    if (running()) proc.kill(s);
  };
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (!running()) return;
    proc.kill(signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') await exited(proc);
  };

  try {
    await launch();
  } catch (e) {
    await kill();
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  return {
    endpoint,
    connect: `127.0.0.1:${clientPort}`,
    clientPort,
    dataDir,
    kill,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    restart: async () => {
      signal('SIGCONT');
      await kill();
      await launch();
    },
    stop: async () => {
      signal('SIGCONT');
      await kill();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
