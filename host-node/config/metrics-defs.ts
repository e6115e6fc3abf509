// The metrics endpoint's broker config keys (Rivulet additions; Kafka itself exposes JMX). Spread into
// BROKER_CONFIG_DEFS.
import { int, str } from './types.js';

export const METRICS_CONFIG_DEFS = {
  'metrics.port': int({
    default: -1,
    validate: (v) => (v < -1 || v > 65535 ? 'Expected -1 (disabled), 0 (any free port) or a port 1-65535' : undefined),
    importance: 'low',
    doc: 'Rivulet addition: TCP port of the Prometheus endpoint (http://metrics.host:metrics.port/metrics). -1 disables it, 0 binds any free port.',
  }),
  'metrics.host': str({
    default: '127.0.0.1',
    importance: 'low',
    doc: 'Rivulet addition: address the Prometheus endpoint binds to (0.0.0.0 for every interface).',
  }),
};
