# A real client's codec (kafka-python's protocol classes) sending OffsetForLeaderEpoch v2 and Fetch v10
# with leader epochs to a single Rivulet broker, after producing with acks=all. Prints one JSON line.
import json
import sys

from kafka import KafkaProducer
from kafka.client_async import KafkaClient
from kafka.protocol.api import Request, Response
from kafka.protocol.fetch import FetchRequest
from kafka.protocol.types import Array, Int16, Int32, Int64, Schema, String

port, topic = int(sys.argv[1]), sys.argv[2]
bootstrap = '127.0.0.1:%d' % port


class OffsetForLeaderEpochResponse_v2(Response):
    API_KEY = 23
    API_VERSION = 2
    SCHEMA = Schema(
        ('throttle_time_ms', Int32),
        ('topics', Array(('topic', String('utf-8')), ('partitions', Array(('error_code', Int16), ('partition', Int32), ('leader_epoch', Int32), ('end_offset', Int64))))),
    )


class OffsetForLeaderEpochRequest_v2(Request):
    API_KEY = 23
    API_VERSION = 2
    RESPONSE_TYPE = OffsetForLeaderEpochResponse_v2
    SCHEMA = Schema(('topics', Array(('topic', String('utf-8')), ('partitions', Array(('partition', Int32), ('current_leader_epoch', Int32), ('leader_epoch', Int32))))))


producer = KafkaProducer(bootstrap_servers=bootstrap, acks='all')
for i in range(7):
    producer.send(topic, value=b'v%d' % i, partition=0)
producer.flush()
producer.close()

client = KafkaClient(bootstrap_servers=bootstrap)
client.poll(future=client.cluster.request_update())
node = client.least_loaded_node()
while not client.ready(node):
    client.poll(timeout_ms=100)


def send(request):
    f = client.send(node, request)
    client.poll(future=f)
    if f.failed():
        raise f.exception
    return f.value


def ofle(current, epoch):
    r = send(OffsetForLeaderEpochRequest_v2(topics=[(topic, [(0, current, epoch)])]))
    err, _, leader_epoch, end = r.topics[0][1][0]
    return {'error': err, 'leaderEpoch': leader_epoch, 'endOffset': end}


def fetch(current):
    r = send(FetchRequest[10](-1, 100, 1, 1 << 20, 0, 0, -1, [(topic, [(0, current, 0, -1, 1 << 20)])], []))
    p = r.topics[0][1][0]
    return {'error': p[1], 'highWatermark': p[2], 'bytes': len(p[-1] or b'')}


print(json.dumps({'ofle0': ofle(0, 0), 'ofle1': ofle(-1, 1), 'ofleFuture': ofle(1, 0), 'fetch0': fetch(0), 'fetchFuture': fetch(1)}))
client.close()
