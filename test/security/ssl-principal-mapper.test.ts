// ssl.principal.mapping.rules: Kafka's syntax and results (the cases of Kafka's SslPrincipalMapperTest as
// a guide): rule splitting, valid and invalid rules, the mapping of DNs, escaped commas, case conversion,
// no match → the DN. Also the RFC 2253 form of a certificate subject as Kafka prints it.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SslPrincipalMapper, checkPrincipalMappingRules, splitRules } from '../../host-node/security/ssl-principal-mapper.js';
import { rfc2253Subject } from '../../host-node/network/peer-subject.js';
import { BrokerConfig } from '../../host-node/config/broker-config.js';
import { startTestBroker } from '../helpers/broker.js';

describe('ssl.principal.mapping.rules', () => {
  it('accepts the rules Kafka accepts', () => {
    for (const r of [
      'DEFAULT',
      'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/',
      'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, DEFAULT',
      'RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/',
      'RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L',
      'RULE:^cn=(.?),ou=(.?),dc=(.?),dc=(.?)$/$1@$2/U',
      'RULE:^CN=([^,ADEFLTU,]+)(,.*|$)/$1/',
      'RULE:^CN=([^,DEFAULT,]+)(,.*|$)/$1/',
    ])
      expect(checkPrincipalMappingRules(r), r).toBeUndefined();
  });

  it('refuses the rules Kafka refuses', () => {
    for (const r of [
      'default',
      'DEFAUL',
      'DEFAULT/L',
      'DEFAULT/U',
      'RULE:CN=(.*?),OU=ServiceUsers.*/$1',
      'rule:^CN=(.*?),OU=ServiceUsers.*$/$1/',
      'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L/U',
      'RULE:^CN=(.*?),OU=ServiceUsers.*$/L',
      'RULE:^CN=(.*?),OU=ServiceUsers.*$/U',
      'RULE:^CN=(.*?),OU=ServiceUsers.*$/LU',
      'RULE:^CN=((.*?),OU=x$/$1/',
    ])
      expect(checkPrincipalMappingRules(r), r).toMatch(/Invalid rule/);
  });

  it('splits rules on commas and line breaks, keeping escaped commas inside a rule', () => {
    expect(splitRules('')).toEqual([]);
    expect(splitRules('DEFAULT')).toEqual(['DEFAULT']);
    expect(splitRules('RULE:/')).toEqual(['RULE:/']);
    expect(splitRules('RULE:/user/U')).toEqual(['RULE:/user/U']);
    expect(splitRules('RULE:/user/L,DEFAULT')).toEqual(['RULE:/user/L', 'DEFAULT']);
    expect(splitRules('  RULE:/user/L ,DEFAULT  ')).toEqual(['RULE:/user/L', 'DEFAULT']);
    expect(splitRules('  RULE:   /user/L ,DEFAULT  ')).toEqual(['RULE:   /user/L', 'DEFAULT']);
    expect(splitRules('RULE:/user/L,\nRULE:/user/U')).toEqual(['RULE:/user/L', 'RULE:/user/U']);
    expect(splitRules('RULE:^CN=((\\\\, *|\\w)+)(,.*|$)/$1/,DEFAULT')).toEqual(['RULE:^CN=((\\\\, *|\\w)+)(,.*|$)/$1/', 'DEFAULT']);
  });

  it('maps DNs as Kafka does', () => {
    const m = SslPrincipalMapper.fromRules(
      [
        'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L',
        'RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L',
        'RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U',
        'RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U',
        'DEFAULT',
      ].join(', '),
    );
    expect(m.getName('CN=Duke,OU=ServiceUsers,O=Org,C=US')).toBe('duke');
    expect(m.getName('CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US')).toBe('duke@sme');
    expect(m.getName('cn=duke,ou=sme,dc=mycp,dc=com')).toBe('DUKE@SME');
    expect(m.getName('cN=duke,OU=JavaSoft,O=Sun Microsystems')).toBe('DUKE');
    expect(m.getName('OU=JavaSoft,O=Sun Microsystems,C=US')).toBe('OU=JavaSoft,O=Sun Microsystems,C=US');
  });

  it('keeps an escaped comma in a name', () => {
    const m = SslPrincipalMapper.fromRules('RULE:^CN=((\\\\, *|\\w)+)(,.*|$)/$1/,DEFAULT');
    expect(m.getName('CN=Tkac\\, Adam,OU=ITZ,DC=geodis,DC=cz')).toBe('Tkac\\, Adam');
  });

  it('gives the DN itself when no rule matches, and DEFAULT when the value is the default', () => {
    expect(SslPrincipalMapper.fromRules('RULE:^CN=(.*),OU=eng$/$1/').getName('CN=bob,OU=ops')).toBe('CN=bob,OU=ops');
    expect(SslPrincipalMapper.fromRules('RULE:^CN=(.*),OU=eng$/$1/').getName('CN=bob,OU=eng')).toBe('bob');
    expect(SslPrincipalMapper.fromRules(null).getName('CN=x')).toBe('CN=x');
    expect(SslPrincipalMapper.fromRules('RULE:^CN=([a-z]+)$/user-$1-\\$/U').getName('CN=amy')).toBe('USER-AMY-$');
  });

  it('is checked when an SSL listener starts', async () => {
    const sets = { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': '/nonexistent' };
    await expect(startTestBroker({ sets: { ...sets, 'ssl.principal.mapping.rules': 'RULE:^CN=x$/$1/LU' } })).rejects.toThrow(/invalid ssl\.principal\.mapping\.rules.*Invalid rule/);
    await expect(startTestBroker({ sets: { ...sets, 'listener.name.ssl.ssl.principal.mapping.rules': 'rule:x/y/' } })).rejects.toThrow(/Invalid rule/);
    expect(BrokerConfig.load({ sets: { 'ssl.principal.mapping.rules': 'RULE:^CN=(.*)$/$1/L,DEFAULT' } }).sslConfig('SSL')['ssl.principal.mapping.rules']).toBe('RULE:^CN=(.*)$/$1/L,DEFAULT');
  });
});

describe('the subject DN of a certificate (RFC 2253, as Kafka prints it)', () => {
  it('lists the RDNs last first, escapes special characters and joins multi-valued RDNs with +', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-dn-'));
    try {
      const cert = (subj: string): X509Certificate => {
        execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-multivalue-rdn', '-subj', subj, '-keyout', join(dir, 'k'), '-out', join(dir, 'c')], { stdio: 'ignore' });
        return new X509Certificate(readFileSync(join(dir, 'c')));
      };
      expect(rfc2253Subject(cert('/O=acme/OU=eng/CN=alice'))).toBe('CN=alice,OU=eng,O=acme');
      expect(rfc2253Subject(cert('/C=US/O=Acme\\, Inc./CN=bob'))).toBe('CN=bob,O=Acme\\, Inc.,C=US');
      expect(rfc2253Subject(cert('/DC=com/DC=acme/CN=svc+UID=42'))).toBe('CN=svc+UID=42,DC=acme,DC=com');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
