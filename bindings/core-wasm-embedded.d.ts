// Generated at build time as dist/bindings/core-wasm-embedded.js (scripts/build-core-embed.mjs):
// the core .wasm as base64.
declare const wasmBase64: string;
export default wasmBase64;
