// The ACL authorizer's broker config keys, with Kafka's names and defaults. Spread into BROKER_CONFIG_DEFS.
// One authorizer is built in (host-node/security/standard-authorizer.ts); authorizer.class.name turns it on
// under the class names Kafka has used for its own.
import { bool, str } from './types.js';

/** The class names that mean the built-in authorizer: Kafka's KRaft StandardAuthorizer and its ZooKeeper-era ones. */
export const BUILT_IN_AUTHORIZER_CLASSES: readonly string[] = [
  'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  'kafka.security.authorizer.AclAuthorizer',
  'kafka.security.auth.SimpleAclAuthorizer',
];

export const AUTHORIZER_CONFIG_DEFS = {
  'authorizer.class.name': str({
    default: '',
    validate: (v) =>
      v === '' || BUILT_IN_AUTHORIZER_CLASSES.includes(v)
        ? undefined
        : `Authorizer class ${v} is not available: Rivulet has one built-in ACL authorizer, named by ${BUILT_IN_AUTHORIZER_CLASSES.join(', ')} (or leave it empty for no authorization)`,
    importance: 'low',
    doc: `The authorizer that checks every request against the ACLs. Empty: no authorization (ACL APIs answer SECURITY_DISABLED). ${BUILT_IN_AUTHORIZER_CLASSES.join(', ')}: the built-in ACL authorizer.`,
  }),
  'super.users': str({
    default: '',
    importance: 'medium',
    doc: 'Semicolon-separated principals (User:admin;User:ops) that the authorizer allows everything, whatever the ACLs say.',
  }),
  'allow.everyone.if.no.acl.found': bool({
    default: false,
    importance: 'medium',
    doc: 'When a resource has no ACL at all: true allows every principal, false denies all but super users.',
  }),
};
