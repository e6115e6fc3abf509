// Injected into the browser bundle (esbuild `inject`): host-node/storage's segment and index code uses
// Node's Buffer for its byte helpers (readInt32BE, ...); the `buffer` package provides the same API.
export { Buffer } from 'buffer';
