export * from './broker-config.js';
export * from './listeners.js';
export { ConfigError } from './types.js';
export { parseProperties } from './properties.js';
