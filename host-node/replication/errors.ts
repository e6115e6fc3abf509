// Errors the partition layer answers with: a Kafka error code for the partition, never a bug.

export class ReplicaError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ReplicaError';
  }
}
