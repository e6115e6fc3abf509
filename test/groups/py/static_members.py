"""Static membership with librdkafka (confluent-kafka-python) for test/groups/real-clients.test.ts.

  static_members.py <bootstrap> <topic> <group>

Two consumers with group.instance.id i-0 / i-1 join; when both have partitions the script prints
{"phase": "stable", ...} and waits for a line on stdin. Then i-0 is closed (a static member does not send
LeaveGroup) and a new consumer with the same instance id takes its place; once it has partitions again the
script prints {"phase": "rejoined", ...}, waits for a line, and exits without leaving (static members stay).
"""
import json
import sys
import time

from confluent_kafka import Consumer

bootstrap, topic, group = sys.argv[1:4]


def consumer(inst):
    c = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': group,
        'group.instance.id': inst,
        'client.id': inst,
        'auto.offset.reset': 'earliest',
        'session.timeout.ms': 30000,
        'heartbeat.interval.ms': 500,
    })
    c.subscribe([topic])
    return c


def wait_assigned(cs, n_partitions, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        for c in cs:
            c.poll(0.1)
        parts = [sorted(tp.partition for tp in c.assignment()) for c in cs]
        if all(parts) and sum(len(p) for p in parts) == n_partitions:
            return parts
    raise SystemExit(json.dumps({'error': 'no stable assignment', 'parts': [sorted(tp.partition for tp in c.assignment()) for c in cs]}))


def keep_polling_until_line(cs):
    import select
    while True:
        for c in cs:
            c.poll(0.05)
        r, _, _ = select.select([sys.stdin], [], [], 0.05)
        if r:
            sys.stdin.readline()
            return


cs = [consumer('i-0'), consumer('i-1')]
parts = wait_assigned(cs, 6)
print(json.dumps({'phase': 'stable', 'assignments': parts}), flush=True)
keep_polling_until_line(cs)
cs[0].close()
time.sleep(0.5)
cs[0] = consumer('i-0')
parts = wait_assigned(cs, 6)
print(json.dumps({'phase': 'rejoined', 'assignments': parts}), flush=True)
keep_polling_until_line(cs)
print(json.dumps({'phase': 'done'}), flush=True)
