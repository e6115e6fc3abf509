// ElectLeaders as real clients see it on a single broker. None of the installed Python clients has an
// elect-leaders call (confluent-kafka 1.7, kafka-python 2.0.2), so the kafka-python script declares the
// ElectLeaders v0/v1 request with kafka-python's own protocol types and sends it over kafka-python's
// BrokerConnection (its framing and codec), and checks Kafka's error codes come back. kcat -L shows the
// broker unchanged (leader, replicas, ISR) afterwards.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../host-node/client/admin.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const run = promisify(execFile);
const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
  const admin = new Admin({ bootstrapServers: `127.0.0.1:${broker.port}` });
  await admin.createTopics([{ name: 'el', numPartitions: 2, replicationFactor: 1 }]);
  await admin.close();
});
afterAll(async () => {
  await broker.close();
});

const SCRIPT = `
import sys, json, socket, time
from kafka.conn import BrokerConnection
from kafka.protocol.api import Request, Response
from kafka.protocol.types import Array, Int8, Int16, Int32, Schema, String

RESULTS = ('replica_election_results', Array(('topic', String('utf-8')), ('partition_result', Array(('partition_id', Int32), ('error_code', Int16), ('error_message', String('utf-8'))))))
class ElectLeadersResponse_v0(Response):
    API_KEY = 43; API_VERSION = 0
    SCHEMA = Schema(('throttle_time_ms', Int32), RESULTS)
class ElectLeadersResponse_v1(Response):
    API_KEY = 43; API_VERSION = 1
    SCHEMA = Schema(('throttle_time_ms', Int32), ('error_code', Int16), RESULTS)
PARTS = ('topic_partitions', Array(('topic', String('utf-8')), ('partition_id', Array(Int32))))
class ElectLeadersRequest_v0(Request):
    API_KEY = 43; API_VERSION = 0; RESPONSE_TYPE = ElectLeadersResponse_v0
    SCHEMA = Schema(PARTS, ('timeout_ms', Int32))
class ElectLeadersRequest_v1(Request):
    API_KEY = 43; API_VERSION = 1; RESPONSE_TYPE = ElectLeadersResponse_v1
    SCHEMA = Schema(('election_type', Int8), PARTS, ('timeout_ms', Int32))

conn = BrokerConnection('127.0.0.1', int(sys.argv[1]), socket.AF_INET, api_version=(2, 4, 0))
conn.connect_blocking(10)
def call(req):
    f = conn.send(req)
    for _ in range(1000):
        if f.is_done: break
        for response, future in conn.recv():
            future.success(response)
        time.sleep(0.005)
    if f.failed(): raise f.exception
    return f.value
out = {}
r = call(ElectLeadersRequest_v1(1, [('el', [0, 1]), ('nope', [0])], 5000))
out['unclean'] = [r.error_code, [[t, sorted(p)] for t, p in r.replica_election_results]]
r = call(ElectLeadersRequest_v0([('el', [1])], 5000))
out['preferred_v0'] = [[t, p] for t, p in r.replica_election_results]
r = call(ElectLeadersRequest_v1(0, None, 5000))
out['all'] = [r.error_code, r.replica_election_results]
r = call(ElectLeadersRequest_v1(7, [('el', [0])], 5000))
out['bad_type'] = r.error_code
print(json.dumps(out))
`;

describe('ElectLeaders through kafka-python', () => {
  it("returns Kafka's error codes per partition, and a null list answers nothing", async () => {
    const { stdout } = await run(PY, ['-c', SCRIPT, String(broker.port)], { timeout: 45_000 });
    expect(JSON.parse(stdout)).toEqual({
      unclean: [
        0,
        [
          ['el', [[0, 84, null], [1, 84, null]]],
          ['nope', [[0, 3, 'The partition does not exist.']]],
        ],
      ],
      preferred_v0: [['el', [[1, 84, null]]]],
      all: [0, []],
      bad_type: 42,
    });
  });

  it('kcat -L lists the partitions with this broker as leader, replica and ISR afterwards', async () => {
    const { stdout } = await run('kcat', ['-L', '-b', `127.0.0.1:${broker.port}`, '-t', 'el'], { timeout: 30_000 });
    const id = broker.nodeId;
    expect(stdout).toContain(`partition 0, leader ${id}, replicas: ${id}, isrs: ${id}`);
    expect(stdout).toContain(`partition 1, leader ${id}, replicas: ${id}, isrs: ${id}`);
  });
});
