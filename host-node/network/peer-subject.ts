// The subject DN of a TLS peer's certificate in RFC 2253 form, as Kafka prints it (Java's
// X500Principal.getName(RFC2253)): the RDNs from the last to the first, comma-separated, values escaped
// as RFC 2253 says ("CN=alice,OU=eng,O=acme" for a certificate made with -subj /O=acme/OU=eng/CN=alice).
//
// Node's X509Certificate.subject lists the RDNs first to last, one a line, already escaped the RFC 2253
// way (OpenSSL's ASN1_STRFLGS_ESC_2253, control characters as \XX so a line break is always a separator);
// the attributes of a multi-valued RDN are joined by " + ". Attribute types are OpenSSL's short names
// (CN, OU, O, L, ST, C, DC, UID, …), which are RFC 2253's keywords for the types it names.
import type { X509Certificate } from 'node:crypto';

export function rfc2253Subject(cert: X509Certificate): string {
  return cert.subject
    .split('\n')
    .filter((rdn) => rdn !== '')
    .map((rdn) => rdn.split(' + ').join('+'))
    .reverse()
    .join(',');
}
