#!/usr/bin/python3
# librdkafka (confluent-kafka-python) producer load for bench/broker.ts. Prints one JSON line.
#   rdkafka_perf.py <bootstrap|mock> <topic> <num_records> <record_size> <acks> [partitions]
# "mock" uses librdkafka's in-process mock broker (test.mock.num.brokers=1): the client-bound ceiling.
import json, sys, time
from confluent_kafka import Producer

bootstrap, topic, n, size, acks = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
conf = {
    'acks': acks, 'linger.ms': 5, 'batch.size': 1000000, 'queue.buffering.max.messages': 1000000,
    'queue.buffering.max.kbytes': 1048576, 'compression.type': 'none', 'enable.idempotence': False,
}
if bootstrap == 'mock':
    conf['test.mock.num.brokers'] = 1
else:
    conf['bootstrap.servers'] = bootstrap
p = Producer(conf)
payload = b'x' * size
p.list_topics(topic, timeout=10)  # metadata (auto-creates on the mock)
delivered = [0]
errors = [0]

def cb(err, _msg):
    if err is None:
        delivered[0] += 1
    else:
        errors[0] += 1

t0 = time.perf_counter()
produce = p.produce
for _ in range(n):
    while True:
        try:
            produce(topic, payload, on_delivery=cb)
            break
        except BufferError:
            p.poll(0.001)
p.flush(60)
secs = time.perf_counter() - t0
print(json.dumps({'records': delivered[0], 'errors': errors[0], 'elapsedMs': secs * 1000,
                  'recordsPerSec': delivered[0] / secs, 'mbPerSec': delivered[0] * size / 1048576 / secs}))
