// Topics: the registry (names, ids, partitions, config overrides, persisted), topic configs, names, and
// what Metadata reads of them.
export * from './metadata.js';
export * from './names.js';
export * from './topic-config.js';
export * from './topic-store.js';
export * from './topic-registry.js';
