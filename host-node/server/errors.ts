/**
 * A request the broker refuses to answer: malformed, unknown API key, unsupported version. The network layer
 * closes the connection on it and logs the message with the client id (and nothing else is disturbed).
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}
