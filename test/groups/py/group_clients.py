"""Consumer-group clients for test/groups/real-clients.test.ts (Debian's python3-confluent-kafka, python3-kafka).

  group_clients.py confluent <bootstrap> <topic> <group> <consumers> <expected> <strategy> [<deadline-s>]
  group_clients.py kafka-python <bootstrap> <topic> <group> <consumers> <expected>

Runs <consumers> members of one group (one thread each) until <expected> distinct messages were consumed,
commits synchronously, and prints one JSON line: per member the messages it got and its final assignment.
"""
import json
import sys
import threading
import time

mode, bootstrap, topic, group, n, expected = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
strategy = sys.argv[7] if len(sys.argv) > 7 else 'range'
DEADLINE = time.time() + float(sys.argv[8] if len(sys.argv) > 8 else 60)
lock = threading.Lock()
seen = []  # (member, partition, offset)
stop = threading.Event()
results = {}


def confluent_member(i):
    from confluent_kafka import Consumer, KafkaException
    c = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': group,
        'client.id': f'py-{i}',
        'auto.offset.reset': 'earliest',
        'enable.auto.commit': False,
        'partition.assignment.strategy': strategy,
        'session.timeout.ms': 10000,
        'heartbeat.interval.ms': 500,
    })
    c.subscribe([topic])
    got = 0
    while not stop.is_set() and time.time() < DEADLINE:
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            continue
        got += 1
        try:
            c.commit(message=m, asynchronous=False)
        except Exception:
            pass  # e.g. the broker restarting: the message may come again, which the test allows
        with lock:
            seen.append((i, m.partition(), m.offset()))
            if len(set((p, o) for _, p, o in seen)) >= expected:
                stop.set()
    # Let the group settle so every member reports its final assignment.
    end = time.time() + 3
    while time.time() < end:
        c.poll(0.2)
    results[i] = {'got': got, 'assignment': sorted(tp.partition for tp in c.assignment())}
    stop.wait()
    time.sleep(0.5)
    c.close()


def kafka_python_member(i):
    from kafka import KafkaConsumer
    c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, client_id=f'kp-{i}', auto_offset_reset='earliest',
                      enable_auto_commit=False, session_timeout_ms=10000, heartbeat_interval_ms=500, consumer_timeout_ms=200)
    got = 0
    while not stop.is_set() and time.time() < DEADLINE:
        batch = c.poll(timeout_ms=200)
        for tp, msgs in batch.items():
            for m in msgs:
                got += 1
                with lock:
                    seen.append((i, m.partition, m.offset))
                    if len(set((p, o) for _, p, o in seen)) >= expected:
                        stop.set()
        if batch:
            c.commit()
    end = time.time() + 3
    while time.time() < end:
        c.poll(timeout_ms=200)
    results[i] = {'got': got, 'assignment': sorted(tp.partition for tp in c.assignment())}
    stop.wait()
    time.sleep(0.5)
    c.close()


target = confluent_member if mode == 'confluent' else kafka_python_member
threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
    time.sleep(0.1)
for t in threads:
    t.join(timeout=90)
print(json.dumps({'seen': seen, 'members': results}))
