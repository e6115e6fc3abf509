// Public surface of the protocol layer.
export * from './generated/index.js';
export * from './frame.js';
export * from './api-frame.js';
export * from './wire/index.js';
export * from './errors.js';
