// The one place a broker's etcd clients are made: etcd.connect's hosts, the per-call deadline, the fault
// handling, and TLS (etcd.ssl.*, Kafka's zookeeper.ssl.* for etcd) — https:// endpoints, etcd's CA and
// the client certificate given to gRPC as PEM. The metadata store and the security store both use it.
import { createRequire } from 'node:module';
import { noop } from 'cockatiel';
import { Etcd3, type IOptions } from 'etcd3';
import type { BrokerConfig } from '../config/index.js';
import { etcdConnectOrThrow, type EtcdConnect } from '../config/etcd-connect.js';
import { ConfigError } from '../config/types.js';
import { keyStoreFileAsPem, trustStoreFileAsPem } from '../network/ssl-factory.js';

/** TLS to etcd, read from the stores once at start-up. */
export interface EtcdTls {
  /** etcd's CA certificates (PEM). */
  readonly ca: string;
  /** The client certificate presented to etcd (PEM), when a key store is set. */
  readonly client: { readonly key: string; readonly certChain: string } | null;
  /** false: etcd's certificate chain is verified, its host name is not. */
  readonly endpointIdentification: boolean;
}

export interface EtcdClientOptions {
  /** Deadline of every unary etcd call (default 5000 ms). */
  readonly requestTimeoutMs?: number;
  /** TLS to etcd; absent or null: plaintext. */
  readonly tls?: EtcdTls | null;
}

/** etcd.ssl.* of `config` read into the stores' PEM text, or null without etcd.ssl.client.enable. Throws ConfigError. */
export function etcdTlsFromConfig(config: BrokerConfig): EtcdTls | null {
  if (!config.get('etcd.ssl.client.enable')) return null;
  const trustLocation = config.get('etcd.ssl.truststore.location');
  if (trustLocation === null) throw new ConfigError('etcd.ssl.truststore.location', 'etcd.ssl.client.enable=true needs etcd.ssl.truststore.location');
  const ca = trustStoreFileAsPem({
    location: trustLocation,
    type: config.get('etcd.ssl.truststore.type'),
    password: config.get('etcd.ssl.truststore.password'),
    locationKey: 'etcd.ssl.truststore.location',
    typeKey: 'etcd.ssl.truststore.type',
  });
  const keyLocation = config.get('etcd.ssl.keystore.location');
  const client =
    keyLocation === null
      ? null
      : keyStoreFileAsPem({
          location: keyLocation,
          type: config.get('etcd.ssl.keystore.type'),
          password: config.get('etcd.ssl.keystore.password'),
          locationKey: 'etcd.ssl.keystore.location',
          typeKey: 'etcd.ssl.keystore.type',
        });
  return { ca, client, endpointIdentification: config.get('etcd.ssl.endpoint.identification.enable') };
}

/** The etcd3 options for `connect`'s hosts: https:// and the credentials with TLS, http:// without. */
export function etcdClientOptions(connect: EtcdConnect, opts: EtcdClientOptions = {}): IOptions {
  const timeoutMs = opts.requestTimeoutMs ?? 5000;
  const tls = opts.tls ?? null;
  return {
    hosts: tls === null ? connect.hosts : connect.hosts.map((h) => h.replace(/^http:\/\//, 'https://')),
    ...(tls === null
      ? {}
      : {
          credentials: {
            rootCertificate: Buffer.from(tls.ca),
            ...(tls.client === null ? {} : { privateKey: Buffer.from(tls.client.key), certChain: Buffer.from(tls.client.certChain) }),
          },
        }),
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
    // No circuit breaker per host (etcd3's default opens for 5 s after 3 failures): after an etcd restart
    // it refused the keep-alives that would have kept every broker's session. Each call has its deadline;
    // the callers retry.
    faultHandling: { host: () => noop },
  };
}

/** A new etcd client for `connect` (etcd.connect's format, the chroot is the caller's) and its parsed value. */
export function createEtcdClient(connect: string, opts: EtcdClientOptions = {}): { client: Etcd3; connect: EtcdConnect } {
  const parsed = etcdConnectOrThrow(connect);
  const options = etcdClientOptions(parsed, opts);
  const client = opts.tls?.endpointIdentification === false ? withoutHostNameCheck(() => new Etcd3(options)) : new Etcd3(options);
  return { client, connect: parsed };
}

/** How a failed first call to etcd reads: the hosts and whether TLS was used, so a plaintext/TLS mismatch is plain. */
export function etcdUnreachableMessage(parsed: EtcdConnect, tls: EtcdTls | null, cause: Error): string {
  const hosts = etcdClientOptions(parsed, { tls }).hosts as string[];
  const how =
    tls === null
      ? 'plaintext (etcd.ssl.client.enable=false; an etcd serving TLS needs etcd.ssl.client.enable=true and etcd.ssl.truststore.location)'
      : `over TLS (etcd.ssl.client.enable=true${tls.client === null ? ', no client certificate: etcd.ssl.keystore.location not set' : ''}; check that etcd.ssl.truststore.location holds etcd's CA and that etcd trusts the etcd.ssl.keystore.location certificate)`;
  return `Cannot reach etcd at ${hosts.join(',')} (etcd.connect) ${how}: ${cause.message}`;
}

/**
 * etcd3 hands its credentials to grpc.credentials.createSsl without gRPC's verify options, so the host
 * name check cannot be turned off through its options. While the client is built (synchronously: etcd3
 * makes its channel credentials in the constructor), createSsl of the gRPC module etcd3 itself loads gets
 * a checkServerIdentity that accepts any name; the chain is still verified against the CA.
 */
function withoutHostNameCheck<T>(build: () => T): T {
  const require = createRequire(import.meta.url);
  const grpc = require(require.resolve('@grpc/grpc-js', { paths: [require.resolve('etcd3')] })) as {
    credentials: { createSsl: (...args: unknown[]) => unknown };
  };
  const original = grpc.credentials.createSsl;
  grpc.credentials.createSsl = (root: unknown, key: unknown, chain: unknown) => original(root, key, chain, { checkServerIdentity: () => undefined });
  try {
    return build();
  } finally {
    grpc.credentials.createSsl = original;
  }
}
