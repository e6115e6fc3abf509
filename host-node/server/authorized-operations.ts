// Authorized-operations bit sets (Metadata, DescribeCluster, later DescribeGroups/DescribeTopicPartitions).
// Rivulet has no authorizer, so every operation a resource supports is allowed — which is what Kafka reports
// when asked and no authorizer is configured. The bits are AclOperation codes (Kafka's AclOperation enum).

const Op = { READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9, DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12 };
const bits = (...ops: number[]) => ops.reduce((a, o) => a | (1 << o), 0);

export const CLUSTER_OPERATIONS = bits(Op.CREATE, Op.CLUSTER_ACTION, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS, Op.IDEMPOTENT_WRITE, Op.ALTER, Op.DESCRIBE);
export const TOPIC_OPERATIONS = bits(Op.READ, Op.WRITE, Op.CREATE, Op.DESCRIBE, Op.DELETE, Op.ALTER, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS);
/** The value when operations were not requested (the schemas' default). */
export const OPERATIONS_NOT_REQUESTED = -2147483648;
