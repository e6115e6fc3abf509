export * from './types.js';
export { FrameDecoder, FrameError, POOL_MAX_BYTES } from './frame-decoder.js';
export { Connection, type CloseReason } from './connection.js';
export { TcpListener, type TcpListenerOptions } from './tcp-listener.js';
