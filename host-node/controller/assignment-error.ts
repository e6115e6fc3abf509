// An admin request the controller's rules refuse (a bad replication factor or replica assignment, a
// reassignment of a partition that has none in progress, ...): carries the Kafka error code the handler
// answers with and a message phrased like Kafka's.

export class AssignmentError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'AssignmentError';
  }
}
