// The WebCrypto SCRAM client (client/scram.ts): RFC 7677's SCRAM-SHA-256 example exchange byte for byte, a
// SCRAM-SHA-512 exchange checked against the broker's SCRAM math (host-node/security/scram.ts), and the
// server messages it refuses (a nonce that does not extend ours, too few iterations, a wrong signature, e=).
import { describe, expect, it } from 'vitest';
import { ScramClient, ScramClientError, fromBase64, toBase64 } from '../../client/scram.js';
import { hash, hmac, saltedPassword } from '../../host-node/security/scram.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

describe('ScramClient (WebCrypto)', () => {
  it("reproduces RFC 7677's SCRAM-SHA-256 example", async () => {
    const c = new ScramClient('SCRAM-SHA-256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
    expect(dec.decode(c.first())).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = await c.final(enc.encode('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'));
    expect(dec.decode(final)).toBe('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    expect(() => c.verify(enc.encode('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).not.toThrow();
  });

  it('SCRAM-SHA-512: the proof is what the broker expects, and the server signature verifies', async () => {
    const salt = crypto.getRandomValues(new Uint8Array(32));
    const c = new ScramClient('SCRAM-SHA-512', 'a=b,c', 'pässword');
    const first = dec.decode(c.first());
    expect(first).toMatch(/^n,,n=a=3Db=2Cc,r=/);
    const serverFirst = `r=${first.split('r=')[1]}srv,s=${toBase64(salt)},i=4096`;
    const final = dec.decode(await c.final(enc.encode(serverFirst)));
    // The broker's side: ClientKey = proof XOR HMAC(StoredKey, AuthMessage), and H(ClientKey) = StoredKey.
    const salted = saltedPassword('SCRAM-SHA-512', 'pässword', salt, 4096);
    const storedKey = hash('SCRAM-SHA-512', hmac('SCRAM-SHA-512', salted, 'Client Key'));
    const withoutProof = final.slice(0, final.indexOf(',p='));
    const authMessage = `${first.slice(3)},${serverFirst},${withoutProof}`;
    const sig = hmac('SCRAM-SHA-512', storedKey, authMessage);
    const proof = fromBase64(final.slice(final.indexOf(',p=') + 3));
    const clientKey = proof.map((b, i) => b ^ sig[i]!);
    expect(Buffer.from(hash('SCRAM-SHA-512', clientKey))).toEqual(Buffer.from(storedKey));
    const serverSig = hmac('SCRAM-SHA-512', hmac('SCRAM-SHA-512', salted, 'Server Key'), authMessage);
    expect(() => c.verify(enc.encode(`v=${serverSig.toString('base64')}`))).not.toThrow();
    expect(() => c.verify(enc.encode('v=AAAA'))).toThrow(ScramClientError);
    expect(() => c.verify(enc.encode('v=AAAA'))).toThrow('Invalid server signature in SCRAM server final message');
    expect(() => c.verify(enc.encode('v=not base64!'))).toThrow(ScramClientError);
  });

  it('refuses a server nonce that does not extend ours, too few or too many iterations, and e=', async () => {
    const make = () => {
      const c = new ScramClient('SCRAM-SHA-256', 'u', 'p', 'abc');
      c.first();
      return c;
    };
    await expect(make().final(enc.encode('r=xyz123,s=c2FsdA==,i=4096'))).rejects.toThrow('Invalid SCRAM server nonce: it does not extend the client nonce');
    await expect(make().final(enc.encode('r=abc,s=c2FsdA==,i=4096'))).rejects.toThrow(/nonce/);
    await expect(make().final(enc.encode('r=abcdef,s=c2FsdA==,i=4095'))).rejects.toThrow('Requested iterations 4095 is less than the minimum 4096 for SCRAM-SHA-256');
    await expect(make().final(enc.encode('r=abcdef,s=!!,i=4096'))).rejects.toThrow(ScramClientError);
    await expect(make().final(enc.encode('r=abcdef,s=c2FsdA==,i=1000000'))).rejects.toThrow(/iterations/);
    await expect(make().final(enc.encode('e=unknown-user'))).rejects.toThrow(/unknown-user/);
    expect(() => make().verify(enc.encode('v=x'))).toThrow(/before client-final/);
  });
});
