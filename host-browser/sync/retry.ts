// What the mirror and the tail loops do alike after a failed round: tell a stop and a local failure
// from a broker or connection error, and wait an exponential backoff before the next round.
import { KafkaClientError, KafkaConnectionError, KafkaTimeoutError } from '../../client/errors.js';
import { sleep, SyncStoppedError } from './broker-link.js';

/** Milliseconds to wait after `failures` failed rounds in a row: `base` doubling, at most 5 s. */
export function backoff(base: number, failures: number): number {
  return Math.min(5_000, base * 2 ** Math.min(Math.max(0, failures - 1), 10));
}

/**
 * Whether the error that ended a round is a client error the loop retries; false when the sync was
 * stopped. Any other error (the local log or meta store failed) is rethrown: it ends the loop.
 */
export function isRetriable(e: unknown, signal: AbortSignal): e is KafkaClientError {
  if (e instanceof SyncStoppedError || signal.aborted) return false;
  if (!(e instanceof KafkaClientError)) throw e; // the local log / meta store failed: stop
  return true;
}

/** The connection broke or a request timed out: the connection is dropped and the round tried again on a new one. */
export function isConnectionLoss(e: KafkaClientError): boolean {
  return e instanceof KafkaConnectionError || e instanceof KafkaTimeoutError;
}

/** Waits the backoff after `failures` failed rounds; false when the sync stopped meanwhile. */
export async function waitBackoff(baseMs: number, failures: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(backoff(baseMs, failures), signal);
  } catch {
    return false;
  }
  return true;
}
