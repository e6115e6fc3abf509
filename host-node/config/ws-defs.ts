// The Kafka-over-WebSocket listener's broker config keys (Rivulet additions; Kafka has no WebSocket
// listener). Spread into BROKER_CONFIG_DEFS. The listener is named WEBSOCKET: its TLS and SASL settings are
// the broker's ssl.* / sasl.* with listener.name.websocket.* overrides, as for any Kafka listener.
import { int, list, oneOf, str } from './types.js';

/** The listener name the WebSocket listener's connections, logs and listener.name.websocket.* overrides use. */
export const WS_LISTENER_NAME = 'WEBSOCKET';

/** Bound on ws.allowed.origins entries (a deployment serves its pages from a handful of origins). */
const MAX_ALLOWED_ORIGINS = 256;

/**
 * Why one ws.allowed.origins entry is malformed, or undefined: `*`, `null` (the opaque origin of sandboxed
 * frames and file: pages), or scheme://host[:port] where `*` stands for any run of characters but `/`.
 */
export function originPatternError(entry: string): string | undefined {
  if (entry === '*' || entry === 'null') return undefined;
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/\s?#]+$/.test(entry))
    return `Invalid origin ${entry} (expected scheme://host[:port] with no path, e.g. https://app.example.com, https://*.example.com, or *)`;
  return undefined;
}

export const WS_CONFIG_DEFS = {
  'ws.port': int({
    default: -1,
    validate: (v) => (v < -1 || v > 65535 ? 'Expected -1 (disabled), 0 (any free port) or a port 1-65535' : undefined),
    importance: 'low',
    doc: 'Rivulet addition: port of the Kafka-over-WebSocket listener (ws://ws.host:ws.port/, one request frame per binary message). -1 disables it, 0 binds any free port.',
  }),
  'ws.host': str({
    default: '127.0.0.1',
    importance: 'low',
    doc: 'Rivulet addition: address the WebSocket listener binds to (0.0.0.0 for every interface).',
  }),
  'ws.security.protocol': str({
    default: 'PLAINTEXT',
    validate: oneOf('PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'),
    importance: 'medium',
    doc:
      'Rivulet addition: security protocol of the WebSocket listener (named WEBSOCKET): PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL. ' +
      'SSL and SASL_SSL serve wss:// (and the demo page over https) with the ssl.* settings, overridden by listener.name.websocket.ssl.*; ' +
      'SASL_PLAINTEXT and SASL_SSL require SaslHandshake and SaslAuthenticate before any other request, with the mechanisms of ' +
      'listener.name.websocket.sasl.enabled.mechanisms (else sasl.enabled.mechanisms), exactly as on a Kafka SASL listener.',
  }),
  'ws.allowed.origins': list({
    default: [],
    validate: (v) => {
      if (v.length > MAX_ALLOWED_ORIGINS) return `At most ${MAX_ALLOWED_ORIGINS} origins are allowed`;
      for (const e of v) {
        const bad = originPatternError(e);
        if (bad) return bad;
      }
      return undefined;
    },
    importance: 'medium',
    doc:
      'Rivulet addition: the web page origins allowed to open a WebSocket to this listener (comma-separated, e.g. https://app.example.com,https://*.example.com; ' +
      '* allows any). A WebSocket upgrade whose Origin header is not on the list is refused with HTTP 403 before the WebSocket opens; ' +
      'requests without an Origin header (clients that are not browsers) are always allowed. Empty (the default): any origin. ' +
      'Browsers do not apply the same-origin policy to WebSockets, so with an empty list any page a user visits can reach the listener from their browser.',
  }),
};

