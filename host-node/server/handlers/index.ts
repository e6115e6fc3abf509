// Every API this broker serves. ApiVersions advertises exactly this list (from the registry).
// To add an API: write handlers/<api>.ts exporting an ApiHandler, and add it here.
import { HandlerRegistry } from '../registry.js';
import { apiVersionsHandler } from './api-versions.js';
import { metadataHandler } from './metadata.js';
import { describeClusterHandler } from './describe-cluster.js';
import { produceHandler } from './produce.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { fetchHandler } from './fetch.js';
import { listOffsetsHandler } from './list-offsets.js';
import { deleteRecordsHandler } from './delete-records.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { createPartitionsHandler } from './create-partitions.js';
import { describeConfigsHandler } from './describe-configs.js';
import { alterConfigsHandler } from './alter-configs.js';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.js';
import { describeLogDirsHandler } from './describe-log-dirs.js';
import { electLeadersHandler } from './elect-leaders.js';
import { alterPartitionReassignmentsHandler } from './alter-partition-reassignments.js';
import { listPartitionReassignmentsHandler } from './list-partition-reassignments.js';
import { findCoordinatorHandler } from './find-coordinator.js';
import { joinGroupHandler } from './join-group.js';
import { syncGroupHandler } from './sync-group.js';
import { heartbeatHandler } from './heartbeat.js';
import { leaveGroupHandler } from './leave-group.js';
import { offsetCommitHandler } from './offset-commit.js';
import { offsetFetchHandler } from './offset-fetch.js';
import { describeGroupsHandler } from './describe-groups.js';
import { listGroupsHandler } from './list-groups.js';
import { deleteGroupsHandler } from './delete-groups.js';
import { offsetDeleteHandler } from './offset-delete.js';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.js';
import { createAclsHandler } from './create-acls.js';
import { describeAclsHandler } from './describe-acls.js';
import { deleteAclsHandler } from './delete-acls.js';
import { saslHandshakeHandler } from './sasl-handshake.js';
import { saslAuthenticateHandler } from './sasl-authenticate.js';
import { describeUserScramCredentialsHandler } from './describe-user-scram-credentials.js';
import { alterUserScramCredentialsHandler } from './alter-user-scram-credentials.js';
import { describeClientQuotasHandler } from './describe-client-quotas.js';
import { alterClientQuotasHandler } from './alter-client-quotas.js';

export function registerDefaultHandlers(registry: HandlerRegistry): HandlerRegistry {
  registry.register(apiVersionsHandler).register(metadataHandler).register(describeClusterHandler);
  // SASL (served by the connection's SASL gate, server/sasl-gate.ts; these answer what reaches the dispatcher).
  registry.register(saslHandshakeHandler).register(saslAuthenticateHandler);
  // The data path (produce.ts, fetch.ts, list-offsets.ts, delete-records.ts; docs/data-path.md).
  registry.register(produceHandler).register(fetchHandler).register(listOffsetsHandler).register(deleteRecordsHandler);
  // Leader epochs (offset-for-leader-epoch.ts): followers' truncation, clients' truncation detection.
  registry.register(offsetForLeaderEpochHandler);
  // Idempotent producers (init-producer-id.ts; producer state in storage/producer-state.ts).
  registry.register(initProducerIdHandler);
  // Topic admin (create-topics.ts, delete-topics.ts, …; docs/topics.md).
  registry.register(createTopicsHandler).register(deleteTopicsHandler).register(createPartitionsHandler);
  registry.register(describeConfigsHandler).register(alterConfigsHandler).register(incrementalAlterConfigsHandler);
  registry.register(describeLogDirsHandler);
  // Leadership and replica placement (elect-leaders.ts, *-partition-reassignments.ts; server/partition-admin.ts).
  registry.register(electLeadersHandler).register(alterPartitionReassignmentsHandler).register(listPartitionReassignmentsHandler);
  // Groups and offsets (find-coordinator.ts, join-group.ts, …; host-node/group/, docs/groups.md).
  registry.register(findCoordinatorHandler).register(joinGroupHandler).register(syncGroupHandler).register(heartbeatHandler).register(leaveGroupHandler);
  registry.register(offsetCommitHandler).register(offsetFetchHandler).register(describeGroupsHandler).register(listGroupsHandler);
  registry.register(deleteGroupsHandler).register(offsetDeleteHandler);
  // ACLs (create-acls.ts, describe-acls.ts, delete-acls.ts; the authorizer in host-node/security/).
  registry.register(createAclsHandler).register(describeAclsHandler).register(deleteAclsHandler);
  // SCRAM credentials and client quotas in the security metadata (security/security-store.ts).
  registry.register(describeUserScramCredentialsHandler).register(alterUserScramCredentialsHandler);
  registry.register(describeClientQuotasHandler).register(alterClientQuotasHandler);
  return registry;
}
