// Topics: the registry (names, ids, partitions, config overrides, persisted), topic configs, names.
export * from './names.js';
export * from './topic-config.js';
export * from './topic-store.js';
export * from './topic-registry.js';
