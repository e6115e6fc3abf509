// Security benchmark: what TLS, SASL and ACLs cost the broker, in one run.
//   1. Produce throughput, 1 KiB records, acks=1, Kafka's default batching (batch.size 16384, linger.ms 5),
//      librdkafka (bench/tools/rdkafka-perf.c) to ONE broker process with PLAINTEXT, SSL and SASL_SSL
//      (SCRAM-SHA-256) listeners; and PLAINTEXT to a second broker, identical but with the ACL authorizer on
//      (ACLs allowing the producer). Runs alternate between the cases; medians reported, with the broker's
//      CPU per record.
//   2. Authentications per second on SASL_PLAINTEXT: N concurrent raw clients each looping connect →
//      ApiVersions → SaslHandshake → SaslAuthenticate (×2 for SCRAM, ×1 for PLAIN) → close. SCRAM credentials
//      have 4096 iterations. The client salts the password once and reuses it (as a client may per password),
//      so the run measures the broker's share; the broker's CPU per authentication is reported as well, and
//      one SCRAM case where the client salts on every login (what a fresh client process pays).
//   3. No Kafka peer here (no Java): Node's own TLS ceiling in the same run, a `tls` sink in another process
//      fed 16 KiB writes (a full default batch), against a plain TCP sink the same way.
// Usage: npm run bench -- security [--quick] [--save]
// Writes security-<date>.json into the results folder (bench/results/local/, or bench/results/ with --save).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { buildRdkafkaPerf, runRdkafkaPerf } from './tools/rdkafka.js';
import { buildIfStale } from './tools/build.js';
import { cpuMs, stopChild as stop } from './tools/proc.js';
import { writeAll } from './tools/socket.js';
import { resultsDir } from './tools/suites.mjs';
import { freePort, waitForPort } from '../test/helpers/ports.js';
import { KafkaTestClient } from '../test/helpers/broker.js';
import { CertDir } from '../test/security/support/certs.js';
import { Admin } from '../host-node/client/index.js';
import type { ClientSecurityOptions } from '../host-node/client/security.js';
import { ApiKey } from '../protocol/generated/api.js';
import { AclOperation, AclPermissionType, PatternType, ResourceType } from '../host-node/security/acl.js';
import { hash, hmac, saltedPassword } from '../host-node/security/scram.js';
import type { ScramMechanism } from '../host-node/security/security-store.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
const MB = 1024 * 1024;
const RECORD = 1024;
/** Records per produce run (~1-2 s each at this machine's rates). */
const RK_COUNT = quick ? 150_000 : 300_000;
/** Rounds of the four produce cases (alternating); the median of each is reported. */
const TRIALS = quick ? 3 : 5;
/** Kafka's producer defaults (4.0: linger.ms 5). */
const KAFKA_BATCH = ['-B', '16384', '-l', '5'];
/** Concurrent authenticating clients and seconds per authentication case. */
const AUTH_CLIENTS = 8;
const AUTH_SECONDS = quick ? 2 : 4;
const SCRAM_ITERATIONS = 4096;
const TLS_SINK_BYTES = (quick ? 256 : 512) * MB;
const USER = 'bench';
const PASSWORD = 'bench-secret';
const ADMIN_JAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_${USER}="${PASSWORD}";`;

const started = performance.now();
const tmpRoot = mkdtempSync(join(tmpdir(), 'rivulet-bench-security-'));
const children = new Set<ChildProcess>();
const certs = new CertDir();

interface Row {
  group: string;
  name: string;
  recordsPerSec?: number;
  mbPerSec?: number;
  authsPerSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Broker CPU (user + system) per record or per authentication, µs. */
  brokerCpuUs?: number;
  note?: string;
}
const rows: Row[] = [];
const f = (n: number | undefined, d = 0): string => (n === undefined ? '' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const add = (r: Row): void => {
  rows.push(r);
  const rate =
    r.authsPerSec !== undefined ? `${f(r.authsPerSec).padStart(9)} auth/s` : `${r.recordsPerSec === undefined ? ''.padStart(15) : `${f(r.recordsPerSec).padStart(9)} rec/s`} ${f(r.mbPerSec, 1).padStart(7)} MB/s`;
  console.log(
    `  ${(r.group + ' / ' + r.name).padEnd(58)} ${rate}` +
      (r.p50Ms !== undefined ? `  p50 ${f(r.p50Ms, 2)} p99 ${f(r.p99Ms, 2)} ms` : '') +
      (r.brokerCpuUs !== undefined ? `  broker ${f(r.brokerCpuUs, 2)} µs/${r.authsPerSec !== undefined ? 'auth' : 'rec'}` : '') +
      (r.note ? `  (${r.note})` : ''),
  );
};

function cleanup(): void {
  for (const c of children) if (c.exitCode === null && c.pid) c.kill('SIGKILL');
  rmSync(tmpRoot, { recursive: true, force: true });
  certs.remove();
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

/** The run with the median value of `key` (of an even count, the lower middle one). */
function medianBy<T>(runs: T[], key: (r: T) => number): T {
  const sorted = [...runs].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

// ---------------------------------------------------------------- brokers
type Listener = 'PLAINTEXT' | 'SSL' | 'SASL_SSL' | 'SASL_PLAINTEXT';
const LISTENERS: Listener[] = ['PLAINTEXT', 'SSL', 'SASL_SSL', 'SASL_PLAINTEXT'];
interface Broker {
  name: string;
  proc: ChildProcess;
  dir: string;
  ports: Record<Listener, number>;
  /** How its admin connects (PLAIN admin, a super user, on SASL_PLAINTEXT). */
  admin: ClientSecurityOptions;
}

/** A broker child process with the four listeners; `extra` config keys on top (the authorizer). */
async function startBroker(name: string, extra: Record<string, string> = {}): Promise<Broker> {
  const ports = {} as Record<Listener, number>;
  for (const l of LISTENERS) ports[l] = await freePort();
  const dir = join(tmpRoot, name);
  mkdirSync(dir);
  const sets: Record<string, string> = {
    listeners: LISTENERS.map((l) => `${l}://127.0.0.1:${ports[l]}`).join(','),
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': ADMIN_JAAS,
    'listener.name.sasl_ssl.plain.sasl.jaas.config': ADMIN_JAAS,
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': certs.path('server.pem'),
    'log.dirs': dir,
    ...extra,
  };
  const proc = spawn(process.execPath, [join(root, 'bin/rivulet.js'), 'broker', '--log-level', 'warn', ...Object.entries(sets).flatMap(([k, v]) => ['--set', `${k}=${v}`])], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(proc);
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  proc.on('exit', () => children.delete(proc));
  try {
    for (const l of LISTENERS) await waitForPort(ports[l], 30_000);
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`broker ${name}: ${(e as Error).message}: ${err.trim().split('\n').slice(-3).join(' | ')}`);
  }
  const admin: ClientSecurityOptions = { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'PLAIN', username: 'admin', password: 'admin-secret' } };
  return { name, proc, dir, ports, admin };
}

async function withAdmin<T>(b: Broker, f: (a: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin({ bootstrapServers: `127.0.0.1:${b.ports.SASL_PLAINTEXT}`, security: b.admin });
  try {
    return await f(admin);
  } finally {
    await admin.close();
  }
}

/**
 * Deletes every topic (their files too) so that each produce run writes into recycled page cache, as
 * bench/broker.ts does: without it, later runs pay for fresh memory and the order of the cases would show.
 */
async function dropTopics(b: Broker): Promise<void> {
  await withAdmin(b, async (a) => {
    const topics = await a.listTopics();
    if (topics.length > 0) await a.deleteTopics(topics);
  });
  const deadline = Date.now() + 60_000;
  while (readdirSync(b.dir).some((d) => d.endsWith('-delete')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

// ---------------------------------------------------------------- 1. produce over each protocol
interface PerfJson {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  brokerCpuUsPerRecord?: number;
}

interface ProduceCase {
  key: string;
  label: string;
  broker: () => Broker;
  listener: Listener;
}

function clientArgs(listener: Listener): string[] {
  const x = (kv: string): string[] => ['-X', kv];
  if (listener === 'PLAINTEXT') return [];
  const tls = [...x('ssl.ca.location=' + certs.path('ca.crt'))];
  if (listener === 'SSL') return [...x('security.protocol=ssl'), ...tls];
  return [...x('security.protocol=sasl_ssl'), ...tls, ...x('sasl.mechanisms=SCRAM-SHA-256'), ...x(`sasl.username=${USER}`), ...x(`sasl.password=${PASSWORD}`)];
}

async function produce(c: ProduceCase, topic: string): Promise<PerfJson> {
  const b = c.broker();
  const args = ['-b', `127.0.0.1:${b.ports[c.listener]}`, '-t', topic, '-a', '1', '-n', String(RK_COUNT), '-s', String(RECORD), '-p', '0', ...KAFKA_BATCH, ...clientArgs(c.listener)];
  const c0 = cpuMs(b.proc.pid);
  const r = await runRdkafkaPerf<PerfJson>('produce', args, { cwd: tmpRoot, timeoutMs: 120_000, children });
  const c1 = cpuMs(b.proc.pid);
  return c0 !== null && c1 !== null ? { ...r, brokerCpuUsPerRecord: Number((((c1 - c0) * 1000) / r.records).toFixed(3)) } : r;
}

// ---------------------------------------------------------------- 2. authentications per second
/** SCRAM's client side (RFC 5802) with the salted password given (computed once per password), or salted on each login. */
class ScramLogin {
  private clientFirstBare = '';
  private expected: Buffer | null = null;
  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly cache: Map<string, Buffer> | null,
  ) {}

  first(): Buffer {
    this.clientFirstBare = `n=${USER},r=${randomBytes(18).toString('base64url')}`;
    return Buffer.from(`n,,${this.clientFirstBare}`);
  }

  final(serverFirst: Buffer): Buffer {
    const msg = serverFirst.toString();
    const a = new Map(msg.split(',').map((p) => [p[0]!, p.slice(2)] as const));
    const salt = a.get('s')!;
    const iterations = Number(a.get('i'));
    const key = `${salt}/${iterations}`;
    let salted = this.cache?.get(key);
    if (salted === undefined) {
      salted = saltedPassword(this.mechanism, PASSWORD, Buffer.from(salt, 'base64'), iterations);
      this.cache?.set(key, salted);
    }
    const withoutProof = `c=biws,r=${a.get('r')}`;
    const authMessage = `${this.clientFirstBare},${msg},${withoutProof}`;
    const clientKey = hmac(this.mechanism, salted, 'Client Key');
    const signature = hmac(this.mechanism, hash(this.mechanism, clientKey), authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    this.expected = hmac(this.mechanism, hmac(this.mechanism, salted, 'Server Key'), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  check(serverFinal: Buffer): void {
    const v = serverFinal.toString();
    if (v !== `v=${this.expected!.toString('base64')}`) throw new Error(`SCRAM server signature did not verify: ${v}`);
  }
}

/** 'NONE': connect → ApiVersions → close on the PLAINTEXT listener, the connection's own cost without SASL. */
type AuthMechanism = 'NONE' | 'PLAIN' | ScramMechanism;

/** One login: connect → ApiVersions v3 → SaslHandshake v1 → SaslAuthenticate v2 (×2 for SCRAM) → close. */
async function login(port: number, mechanism: AuthMechanism, cache: Map<string, Buffer> | null): Promise<void> {
  const c = await KafkaTestClient.connect(port);
  try {
    const av = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'rivulet-bench', clientSoftwareVersion: '1' });
    if (av.errorCode !== 0) throw new Error(`ApiVersions error ${av.errorCode}`);
    if (mechanism === 'NONE') return;
    const hs = await c.request(ApiKey.SaslHandshake, 1, { mechanism });
    if (hs.errorCode !== 0) throw new Error(`SaslHandshake error ${hs.errorCode}`);
    if (mechanism === 'PLAIN') {
      const r = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`\0${USER}\0${PASSWORD}`) });
      if (r.errorCode !== 0) throw new Error(`PLAIN: ${r.errorMessage}`);
      return;
    }
    const scram = new ScramLogin(mechanism, cache);
    const first = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: scram.first() });
    if (first.errorCode !== 0) throw new Error(`${mechanism} first: ${first.errorMessage}`);
    const last = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: scram.final(Buffer.from(first.authBytes)) });
    if (last.errorCode !== 0) throw new Error(`${mechanism} final: ${last.errorMessage}`);
    scram.check(Buffer.from(last.authBytes));
  } finally {
    c.close();
    await c.raw.closedPromise;
  }
}

interface AuthResult {
  auths: number;
  authsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  brokerCpuUsPerAuth: number | null;
  /** This (bench) process's CPU per authentication, µs: the client side. */
  clientCpuUsPerAuth: number;
}

async function authLoop(b: Broker, mechanism: AuthMechanism, cacheSalted: boolean, seconds: number): Promise<AuthResult> {
  const port = mechanism === 'NONE' ? b.ports.PLAINTEXT : b.ports.SASL_PLAINTEXT;
  const cache = cacheSalted ? new Map<string, Buffer>() : null;
  if (cache) await login(port, mechanism, cache); // salts once, outside the clock
  const lat: number[] = [];
  const c0 = cpuMs(b.proc.pid);
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: AUTH_CLIENTS }, async () => {
      while (performance.now() < end) {
        const s = performance.now();
        await login(port, mechanism, cache);
        lat.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const u = process.cpuUsage(u0);
  const c1 = cpuMs(b.proc.pid);
  lat.sort((x, y) => x - y);
  const pct = (p: number): number => Number(lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!.toFixed(3));
  return {
    auths: lat.length,
    authsPerSec: lat.length / secs,
    p50Ms: pct(50),
    p99Ms: pct(99),
    brokerCpuUsPerAuth: c0 !== null && c1 !== null ? Number((((c1 - c0) * 1000) / lat.length).toFixed(1)) : null,
    clientCpuUsPerAuth: Number(((u.user + u.system) / lat.length).toFixed(1)),
  };
}

// ---------------------------------------------------------------- 3. Node's TLS ceiling
/** MB/s of 16 KiB writes into a sink in another process, over TCP or TLS (Node's defaults: TLS 1.3, AES-GCM). */
async function nodeSink(useTls: boolean): Promise<{ mbPerSec: number; sinkCpuUsPerMiB: number | null }> {
  const port = await freePort();
  const total = TLS_SINK_BYTES;
  const srv = useTls
    ? `const fs=require('fs');const s=require('tls').createServer({key:fs.readFileSync(${JSON.stringify(certs.path('server.key'))}),cert:fs.readFileSync(${JSON.stringify(certs.path('server.crt'))})},c=>{let n=0;c.on('data',d=>{n+=d.length;if(n>=${total})c.end('k')})});`
    : `const s=require('net').createServer(c=>{let n=0;c.on('data',d=>{n+=d.length;if(n>=${total})c.end('k')})});`;
  const child = spawn(process.execPath, ['-e', `${srv}s.listen(${port},'127.0.0.1',()=>console.log('ready'));setTimeout(()=>process.exit(1),120000).unref();`], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  try {
    await new Promise((r) => child.stdout!.once('data', r));
    const sock = useTls ? tlsConnect({ host: '127.0.0.1', port, ca: certs.read('ca.crt') }) : netConnect(port, '127.0.0.1');
    await new Promise((r) => sock.once(useTls ? 'secureConnect' : 'connect', r));
    const done = new Promise((r) => sock.once('data', r));
    const c0 = cpuMs(child.pid);
    const t0 = performance.now();
    await writeAll(sock, total, 16 * 1024);
    await done;
    const secs = (performance.now() - t0) / 1000;
    const c1 = cpuMs(child.pid);
    sock.destroy();
    return { mbPerSec: total / MB / secs, sinkCpuUsPerMiB: c0 !== null && c1 !== null ? Number((((c1 - c0) * 1000) / (total / MB)).toFixed(1)) : null };
  } finally {
    child.kill();
    children.delete(child);
  }
}

/** The protocol and cipher the broker's SSL listener picks with an OpenSSL client (`openssl s_client`). */
function negotiated(port: number): Promise<string> {
  return new Promise((resolve) => {
    const c = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', certs.path('ca.crt'), '-brief'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    c.stdout!.on('data', (d) => (out += d));
    c.stderr!.on('data', (d) => (out += d));
    const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
    c.on('close', () => {
      clearTimeout(t);
      const v = /Protocol version: (\S+)/.exec(out)?.[1];
      const cipher = /Ciphersuite: (\S+)/.exec(out)?.[1];
      resolve(v ? `${v} ${cipher ?? ''}`.trim() : 'unknown');
    });
    c.stdin!.end();
  });
}

// ---------------------------------------------------------------- run
async function main(): Promise<void> {
  console.log(`security bench${quick ? ' (quick)' : ''}: node ${process.version}; load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  buildIfStale();
  const why = await buildRdkafkaPerf();
  if (why !== null) throw new Error(why);
  await certs.ca('ca');
  await certs.leaf('ca', 'server', '/CN=localhost');
  const load: number[][] = [loadavg()];

  const plain = await startBroker('no-authorizer');
  const authz = await startBroker('authorizer', {
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:admin',
  });
  const res: Record<string, unknown> = {};
  const ratios: Record<string, number | null> = {};
  const q = (a: number | undefined | null, b: number | undefined | null): number | null => (a && b ? Number((a / b).toFixed(3)) : null);
  try {
    // SCRAM credentials (4096 iterations) for the producer and the logins, salted by our Admin client.
    for (const b of [plain, authz]) {
      // One alteration per request: Kafka refuses two for the same user in one (DUPLICATE_RESOURCE).
      const outcomes = await withAdmin(b, async (a) => [
        ...(await a.alterUserScramCredentials([{ user: USER, mechanism: 'SCRAM-SHA-256', password: PASSWORD, iterations: SCRAM_ITERATIONS }])),
        ...(await a.alterUserScramCredentials([{ user: USER, mechanism: 'SCRAM-SHA-512', password: PASSWORD, iterations: SCRAM_ITERATIONS }])),
      ]);
      for (const o of outcomes) if (o.errorCode !== 0) throw new Error(`SCRAM credential for ${o.user} on ${b.name}: ${o.errorCode} ${o.errorMessage}`);
    }
    // The authorizer broker: the anonymous PLAINTEXT producer may write and describe the bench's topics
    // (prefixed ACLs) and create them; nothing else is allowed.
    const allow = (resourceType: ResourceType, name: string, patternType: PatternType, operation: AclOperation) => ({
      pattern: { resourceType, name, patternType },
      entry: { principal: 'User:ANONYMOUS', host: '*', operation, permissionType: AclPermissionType.ALLOW },
    });
    await withAdmin(authz, (a) =>
      a.createAcls([
        allow(ResourceType.TOPIC, 'sec-', PatternType.PREFIXED, AclOperation.WRITE),
        allow(ResourceType.TOPIC, 'sec-', PatternType.PREFIXED, AclOperation.DESCRIBE),
        allow(ResourceType.TOPIC, 'sec-', PatternType.PREFIXED, AclOperation.CREATE),
      ]),
    );

    res.tlsNegotiated = await negotiated(plain.ports.SSL);
    console.log(`TLS negotiated on the SSL listener with an OpenSSL client (librdkafka's library): ${res.tlsNegotiated}`);
    console.log(`\n1. produce ${RECORD} B acks=1, librdkafka, batch.size 16384, linger.ms 5, 1 partition; ${RK_COUNT.toLocaleString('en-US')} records a run, median of ${TRIALS} alternating runs`);
    const cases: ProduceCase[] = [
      { key: 'plaintext', label: 'PLAINTEXT', broker: () => plain, listener: 'PLAINTEXT' },
      { key: 'ssl', label: 'SSL', broker: () => plain, listener: 'SSL' },
      { key: 'sasl_ssl', label: 'SASL_SSL SCRAM-SHA-256', broker: () => plain, listener: 'SASL_SSL' },
      { key: 'plaintext-authorizer', label: 'PLAINTEXT, authorizer on (ACLs allow)', broker: () => authz, listener: 'PLAINTEXT' },
    ];
    const runs: Record<string, PerfJson[]> = Object.fromEntries(cases.map((c) => [c.key, []]));
    for (let t = 0; t < TRIALS; t++) {
      // Rotate the order each round so that no case always runs right after another.
      for (let i = 0; i < cases.length; i++) {
        const c = cases[(i + t) % cases.length]!;
        await dropTopics(c.broker());
        runs[c.key]!.push(await produce(c, `sec-${c.key}-${t}`));
      }
    }
    const produced: Record<string, PerfJson> = {};
    for (const c of cases) {
      // Throughput and broker CPU per record are medians each on their own (a run's CPU swings apart from its rate here).
      const m = { ...medianBy(runs[c.key]!, (r) => r.recordsPerSec), brokerCpuUsPerRecord: medianBy(runs[c.key]!, (r) => r.brokerCpuUsPerRecord ?? 0).brokerCpuUsPerRecord };
      produced[c.key] = m;
      add({ group: 'produce', name: c.label, recordsPerSec: m.recordsPerSec, mbPerSec: m.mbPerSec, brokerCpuUs: m.brokerCpuUsPerRecord, note: `runs ${runs[c.key]!.map((r) => Math.round(r.recordsPerSec / 1000)).join(', ')}k rec/s` });
    }
    res.produce = { medians: produced, runs };
    load.push(loadavg());

    console.log(`\n2. authentications on SASL_PLAINTEXT, ${AUTH_CLIENTS} concurrent clients, ${AUTH_SECONDS} s each; SCRAM credentials ${SCRAM_ITERATIONS} iterations`);
    const auth: Record<string, AuthResult> = {};
    const authCases: Array<[string, AuthMechanism, boolean, string]> = [
      ['connection-only', 'NONE', true, 'no SASL: connect, ApiVersions, close (PLAINTEXT)'],
      ['plain', 'PLAIN', true, 'PLAIN'],
      ['scram-sha-256', 'SCRAM-SHA-256', true, 'SCRAM-SHA-256, client salted password cached'],
      ['scram-sha-512', 'SCRAM-SHA-512', true, 'SCRAM-SHA-512, client salted password cached'],
      ['scram-sha-256-uncached', 'SCRAM-SHA-256', false, 'SCRAM-SHA-256, client salts every login'],
      ['scram-sha-512-uncached', 'SCRAM-SHA-512', false, 'SCRAM-SHA-512, client salts every login'],
    ];
    // Warm-up (JIT, the broker's SASL code paths) so that the first measured case is not the cold one.
    for (const [, mech] of authCases) await authLoop(plain, mech, true, 0.3);
    for (const [key, mech, cached, label] of authCases) {
      const r = await authLoop(plain, mech, cached, AUTH_SECONDS);
      auth[key] = r;
      add({ group: 'auth', name: label, authsPerSec: r.authsPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms, brokerCpuUs: r.brokerCpuUsPerAuth ?? undefined, note: `${r.auths} logins; client ${f(r.clientCpuUsPerAuth)} µs CPU/login` });
    }
    res.auth = auth;
    load.push(loadavg());

    console.log(`\n3. Node's own TLS ceiling: 16 KiB writes into a sink process, ${TLS_SINK_BYTES / MB} MiB (TCP and TLS alternating, median of 3)`);
    const tcpRuns: Array<{ mbPerSec: number; sinkCpuUsPerMiB: number | null }> = [];
    const tlsRuns: typeof tcpRuns = [];
    for (let t = 0; t < 3; t++) {
      tcpRuns.push(await nodeSink(false));
      tlsRuns.push(await nodeSink(true));
    }
    const tcp = { ...medianBy(tcpRuns, (r) => r.mbPerSec), sinkCpuUsPerMiB: medianBy(tcpRuns, (r) => r.sinkCpuUsPerMiB ?? 0).sinkCpuUsPerMiB };
    const tls = { ...medianBy(tlsRuns, (r) => r.mbPerSec), sinkCpuUsPerMiB: medianBy(tlsRuns, (r) => r.sinkCpuUsPerMiB ?? 0).sinkCpuUsPerMiB };
    add({ group: 'node', name: 'TCP sink, 16 KiB writes', mbPerSec: tcp.mbPerSec, note: `sink ${f(tcp.sinkCpuUsPerMiB ?? undefined)} µs CPU/MiB` });
    add({ group: 'node', name: 'TLS sink, 16 KiB writes', mbPerSec: tls.mbPerSec, note: `sink ${f(tls.sinkCpuUsPerMiB ?? undefined)} µs CPU/MiB` });
    res.node = { tcp, tls, tcpRuns, tlsRuns };
    load.push(loadavg());

    const p = produced;
    ratios['SSL / PLAINTEXT (records/s)'] = q(p.ssl!.recordsPerSec, p.plaintext!.recordsPerSec);
    ratios['SASL_SSL / PLAINTEXT (records/s)'] = q(p.sasl_ssl!.recordsPerSec, p.plaintext!.recordsPerSec);
    ratios['authorizer on / off, PLAINTEXT (records/s)'] = q(p['plaintext-authorizer']!.recordsPerSec, p.plaintext!.recordsPerSec);
    ratios['broker CPU/record: SSL / PLAINTEXT'] = q(p.ssl!.brokerCpuUsPerRecord, p.plaintext!.brokerCpuUsPerRecord);
    ratios['broker CPU/record: SASL_SSL / PLAINTEXT'] = q(p.sasl_ssl!.brokerCpuUsPerRecord, p.plaintext!.brokerCpuUsPerRecord);
    ratios['broker CPU/record: authorizer on / off'] = q(p['plaintext-authorizer']!.brokerCpuUsPerRecord, p.plaintext!.brokerCpuUsPerRecord);
    ratios['Node TLS sink / TCP sink (MB/s): the runtime\'s own TLS ratio'] = q(tls.mbPerSec, tcp.mbPerSec);
    ratios['Rivulet SSL MB/s / Node TLS sink MB/s'] = q(p.ssl!.mbPerSec, tls.mbPerSec);
    ratios['(SSL/PLAINTEXT) / (Node TLS/TCP)'] = q(ratios['SSL / PLAINTEXT (records/s)'], ratios['Node TLS sink / TCP sink (MB/s): the runtime\'s own TLS ratio']);
    const floor = auth['connection-only']!.brokerCpuUsPerAuth;
    const saslShare: Record<string, number | null> = {};
    for (const k of ['plain', 'scram-sha-256', 'scram-sha-512']) {
      const cpu = auth[k]!.brokerCpuUsPerAuth;
      saslShare[k] = cpu !== null && floor !== null ? Number((cpu - floor).toFixed(1)) : null;
    }
    res.authBrokerCpuUsOverConnection = saslShare;
    // What one broker core could serve if the clients were elsewhere: 1 s of CPU over the broker's CPU per login.
    res.authBrokerBoundPerCore = Object.fromEntries(Object.entries(auth).map(([k, r]) => [k, r.brokerCpuUsPerAuth ? Math.round(1e6 / r.brokerCpuUsPerAuth) : null]));
    console.log(`\nbroker CPU per login above a bare connection (µs): ${Object.entries(saslShare).map(([k, v]) => `${k} ${v ?? 'n/a'}`).join(', ')}`);
    console.log(`broker-bound logins/s per core (1e6 / broker µs per login): ${Object.entries(res.authBrokerBoundPerCore as Record<string, number | null>).map(([k, v]) => `${k} ${v ?? 'n/a'}`).join(', ')}`);
    ratios['SCRAM-SHA-256 / PLAIN (auths/s, cached)'] = q(auth['scram-sha-256']!.authsPerSec, auth.plain!.authsPerSec);
    ratios['SCRAM-SHA-512 / PLAIN (auths/s, cached)'] = q(auth['scram-sha-512']!.authsPerSec, auth.plain!.authsPerSec);
    // TLS's extra CPU per MiB received: the broker (SSL minus PLAINTEXT, per record × records per MiB) against
    // Node's own (the TLS sink minus the TCP sink): how much more than the runtime's decryption the broker pays.
    const perMiB = MB / RECORD;
    const brokerTlsExtra = p.ssl!.brokerCpuUsPerRecord !== undefined && p.plaintext!.brokerCpuUsPerRecord !== undefined ? (p.ssl!.brokerCpuUsPerRecord - p.plaintext!.brokerCpuUsPerRecord) * perMiB : null;
    const nodeTlsExtra = tls.sinkCpuUsPerMiB !== null && tcp.sinkCpuUsPerMiB !== null ? tls.sinkCpuUsPerMiB - tcp.sinkCpuUsPerMiB : null;
    res.tlsExtraCpuUsPerMiB = { broker: brokerTlsExtra === null ? null : Math.round(brokerTlsExtra), nodeSink: nodeTlsExtra === null ? null : Math.round(nodeTlsExtra) };
    ratios['TLS extra CPU per MiB: Rivulet broker / Node sink'] = q(brokerTlsExtra, nodeTlsExtra);
    const authzCost = p['plaintext-authorizer']!.brokerCpuUsPerRecord! - p.plaintext!.brokerCpuUsPerRecord!;
    res.authorizerCpuUsPerRecordDelta = Number(authzCost.toFixed(3));
  } finally {
    await stop(plain.proc);
    await stop(authz.proc);
  }

  console.log('\nratios:');
  for (const [k, v] of Object.entries(ratios)) console.log(`  ${k.padEnd(64)} ${v === null ? 'n/a' : `${v}×`}`);
  // The security work's aim: TLS and SASL_SSL keep at least 0.7× of PLAINTEXT's produce rate (a report, not an exit code).
  const target = (name: string, key: string) => ({ target: name, value: ratios[key] ?? null, goal: '≥ 0.7×', met: ratios[key] == null ? null : ratios[key]! >= 0.7 });
  const targets = [target('SSL / PLAINTEXT produce 1 KiB (records/s)', 'SSL / PLAINTEXT (records/s)'), target('SASL_SSL / PLAINTEXT produce 1 KiB (records/s)', 'SASL_SSL / PLAINTEXT (records/s)')];
  console.log('\ntargets (this run):');
  for (const x of targets) console.log(`  ${x.target.padEnd(64)} ${x.value ?? 'n/a'} (goal ${x.goal}) ${x.met === null ? '' : x.met ? 'met' : 'NOT met'}`);
  console.log(`load average (1/5/15 min) at start, after produce, after auth, after TLS sink: ${load.map((l) => l.map((x) => x.toFixed(2)).join('/')).join('; ')}`);

  const date = new Date().toISOString();
  const stamp = date.slice(0, 19).replace(/:/g, '-');
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `security-${stamp}${quick ? '-quick' : ''}.json`);
  const config = { recordSize: RECORD, records: RK_COUNT, trials: TRIALS, producer: 'librdkafka (bench/tools/rdkafka-perf.c), acks=1, batch.size=16384, linger.ms=5, 1 partition', authClients: AUTH_CLIENTS, authSeconds: AUTH_SECONDS, scramIterations: SCRAM_ITERATIONS, tlsSinkBytes: TLS_SINK_BYTES };
  writeFileSync(file, JSON.stringify({ date, node: process.version, quick, config, loadAverage: load, rows, ratios, targets, results: res }, null, 2) + '\n');
  console.log(`\nwritten ${file.slice(root.length)} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

const overall = setTimeout(() => {
  console.error('security bench: gave up after 600 s');
  process.exit(1);
}, 600_000);
overall.unref();
main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`security bench failed: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
