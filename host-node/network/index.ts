export * from './types.js';
export { FrameDecoder, FrameError, POOL_MAX_BYTES } from './frame-decoder.js';
export { Connection, type CloseReason, type Transport } from './connection.js';
export { WebSocketListener, type WebSocketListenerOptions } from './ws-listener.js';
export { TcpListener, type TcpListenerOptions } from './tcp-listener.js';
