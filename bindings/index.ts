// Type entry of the package ("types" in package.json). The runtime entries (node.ts for Node,
// web.ts for browsers/Deno/Bun) export the same names; their signatures are described here through
// the Node entry (web.ts's `newCore`/`loadWasmBytes` are async, with an optional URL).

export * from './node.js';
