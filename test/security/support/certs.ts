// Throwaway certificates made with openssl for the TLS tests: a CA, leaves it signed (SAN 127.0.0.1 and
// localhost, any subject), PEM key stores (key + chain in one file) and PKCS12 key and trust stores.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class CertDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'rivulet-certs-'));

  path(name: string): string {
    return join(this.dir, name);
  }

  read(name: string): string {
    return readFileSync(this.path(name), 'utf8');
  }

  async openssl(...args: string[]): Promise<void> {
    await run('openssl', args, { timeout: 30_000 });
  }

  /** `<ca>.key`, `<ca>.crt`. */
  async ca(ca: string): Promise<void> {
    await this.openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${ca}`, '-keyout', this.path(`${ca}.key`), '-out', this.path(`${ca}.crt`));
  }

  /** `<leaf>.key`, `<leaf>.crt` (signed by `ca`, subject `subj` e.g. /O=acme/CN=alice) and `<leaf>.pem` (key + chain). */
  async leaf(ca: string, leaf: string, subj = `/CN=${leaf}`): Promise<void> {
    writeFileSync(this.path('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    await this.openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', subj, '-keyout', this.path(`${leaf}.key`), '-out', this.path(`${leaf}.csr`));
    await this.openssl('x509', '-req', '-in', this.path(`${leaf}.csr`), '-CA', this.path(`${ca}.crt`), '-CAkey', this.path(`${ca}.key`), '-CAcreateserial', '-days', '2', '-extfile', this.path('san.ext'), '-out', this.path(`${leaf}.crt`));
    writeFileSync(this.path(`${leaf}.pem`), this.read(`${leaf}.key`) + this.read(`${leaf}.crt`));
  }

  /** A CA named `ca` and, for each of `leaves`, a key and a certificate it signed (see leaf()). */
  async caWithLeaves(ca: string, leaves: string[]): Promise<void> {
    await this.ca(ca);
    for (const leaf of leaves) await this.leaf(ca, leaf);
  }

  /** `<leaf>.p12`: the leaf's key and certificate with the CA, under `password`. */
  async pkcs12KeyStore(ca: string, leaf: string, password: string): Promise<string> {
    await this.openssl('pkcs12', '-export', '-in', this.path(`${leaf}.crt`), '-inkey', this.path(`${leaf}.key`), '-certfile', this.path(`${ca}.crt`), '-passout', `pass:${password}`, '-out', this.path(`${leaf}.p12`));
    return this.path(`${leaf}.p12`);
  }

  /** `<name>.p12`: a trust store of certificates only (what keytool -importcert makes), under `password`. */
  async pkcs12TrustStore(name: string, cas: string[], password: string): Promise<string> {
    writeFileSync(this.path(`${name}.bundle`), cas.map((c) => this.read(`${c}.crt`)).join(''));
    await this.openssl('pkcs12', '-export', '-nokeys', '-in', this.path(`${name}.bundle`), '-passout', `pass:${password}`, '-out', this.path(`${name}.p12`));
    return this.path(`${name}.p12`);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
