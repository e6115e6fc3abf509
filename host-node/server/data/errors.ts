// Turning what the data path throws into a partition's Kafka error code.
import { StorageError } from '../../../storage/index.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { Logger } from '../../util/log.js';
import { PartitionError } from './records.js';
import { ReplicaError } from '../../replication/errors.js';

/** Kafka error code (and message) for an error thrown while serving one partition. */
export function partitionErrorOf(e: unknown, log: Logger, what: string): { code: number; message: string } {
  if (e instanceof StorageError || e instanceof PartitionError || e instanceof ReplicaError) return { code: e.code, message: e.message };
  if (typeof (e as NodeJS.ErrnoException | undefined)?.code === 'string') {
    // An I/O error outside the Log (e.g. reading a fetched file range): the partition's storage failed.
    log.warn(`${what}: ${(e as Error).message}`);
    return { code: ErrorCode.KAFKA_STORAGE_ERROR, message: (e as Error).message };
  }
  log.error(`${what}: unexpected error: ${(e as Error)?.stack ?? String(e)}`);
  return { code: ErrorCode.UNKNOWN_SERVER_ERROR, message: 'unexpected server error' };
}
