// Errors raised by Rivulet's client. Every broker-reported failure is a KafkaProtocolError carrying the
// Kafka error name and code (from protocol/errors.ts), so callers can switch on `e.type` like other clients.
import { errorByCode } from '../protocol/errors.js';

/** Base class of every error thrown by our clients (host-node/client, the browser sync). */
export class KafkaClientError extends Error {
  /** Whether retrying the operation may succeed. */
  readonly retriable: boolean;
  constructor(message: string, retriable = false, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KafkaClientError';
    this.retriable = retriable;
  }
}

/** An error code returned by a broker, e.g. TOPIC_ALREADY_EXISTS (36). */
export class KafkaProtocolError extends KafkaClientError {
  /** Kafka's numeric error code. */
  readonly code: number;
  /** Kafka's error name, e.g. 'TOPIC_ALREADY_EXISTS' ('UNKNOWN_ERROR_<code>' for codes we don't know). */
  readonly type: string;
  /** The broker's own message (errorMessage fields), if it sent one. */
  readonly brokerMessage: string | null;

  constructor(code: number, context?: string, brokerMessage?: string | null) {
    const info = errorByCode(code);
    const type = info?.name ?? `UNKNOWN_ERROR_${code}`;
    const detail = brokerMessage ?? info?.message ?? 'Unknown error code.';
    super(`${context ? `${context}: ` : ''}${type} (${code}): ${detail}`, info?.retriable ?? false);
    this.name = 'KafkaProtocolError';
    this.code = code;
    this.type = type;
    this.brokerMessage = brokerMessage ?? null;
  }
}

/** The connection failed, closed or could not be established. Retriable (after reconnecting). */
export class KafkaConnectionError extends KafkaClientError {
  readonly broker: string;
  constructor(message: string, broker: string, options?: { cause?: unknown }) {
    super(`${message} [${broker}]`, true, options);
    this.name = 'KafkaConnectionError';
    this.broker = broker;
  }
}

/** No response arrived within the request timeout. */
export class KafkaTimeoutError extends KafkaClientError {
  constructor(message: string) {
    super(message, true);
    this.name = 'KafkaTimeoutError';
  }
}

/** The broker supports no version of an API that this client can speak. */
export class KafkaUnsupportedVersionError extends KafkaClientError {
  constructor(message: string) {
    super(message, false);
    this.name = 'KafkaUnsupportedVersionError';
  }
}

/** Throws a KafkaProtocolError when `code` is not 0. */
export function throwIfError(code: number, context?: string, brokerMessage?: string | null): void {
  if (code !== 0) throw new KafkaProtocolError(code, context, brokerMessage);
}

/** True for errors after which refreshing metadata may help (leader moved, topic just created…). */
export function needsMetadataRefresh(code: number): boolean {
  return code === 3 /* UNKNOWN_TOPIC_OR_PARTITION */ || code === 5 /* LEADER_NOT_AVAILABLE */ || code === 6 /* NOT_LEADER_OR_FOLLOWER */ ||
    code === 41 /* NOT_CONTROLLER */ || code === 74 /* FENCED_LEADER_EPOCH */ || code === 75 /* UNKNOWN_LEADER_EPOCH */ ||
    code === 100 /* UNKNOWN_TOPIC_ID */ || code === 13 /* NETWORK_EXCEPTION */;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
