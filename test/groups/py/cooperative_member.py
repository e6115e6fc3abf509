"""confluent-kafka-python processes for test/groups/cooperative-rebalance.test.ts.

  cooperative_member.py consume <bootstrap> <topic> <group> <name> <session-timeout-ms>
  cooperative_member.py produce <bootstrap> <topic> <partitions> <interval-ms>

consume: a group member with partition.assignment.strategy=cooperative-sticky. In cooperative mode
librdkafka hands the rebalance callback only the delta (partitions added / taken away); the Python client
then calls incremental_assign / incremental_unassign itself, since these callbacks do not assign. Prints one
JSON line per event, flushed at once:
  {"e":"assign"|"revoke"|"lost","parts":[...],"t":T}      the delta the callback got
  {"e":"c","p":P,"o":O,"t":T}                              a record handed to the application
  {"e":"closed"}                                           after "stop" on stdin: consumer closed
produce: writes one record to each partition in turn every <interval-ms> until "stop" on stdin, then
flushes and prints {"e":"closed","n":COUNT}.
T is time.monotonic() (CLOCK_MONOTONIC, comparable across processes on one host).
"""
import json
import sys
import threading
import time

from confluent_kafka import Consumer, Producer

out_lock = threading.Lock()


def emit(**ev):
    with out_lock:
        sys.stdout.write(json.dumps(ev) + '\n')
        sys.stdout.flush()


stop = threading.Event()


def read_stdin():
    for line in sys.stdin:
        if line.strip() == 'stop':
            break
    stop.set()


threading.Thread(target=read_stdin, daemon=True).start()
mode = sys.argv[1]

if mode == 'produce':
    bootstrap, topic, partitions, interval_ms = sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    p = Producer({'bootstrap.servers': bootstrap, 'linger.ms': 0, 'acks': 'all'})
    n = 0
    while not stop.is_set():
        part = n % partitions
        p.produce(topic, key=b'k%d' % n, value=b'v%d' % n, partition=part)
        n += 1
        p.poll(0)
        time.sleep(interval_ms / 1000)
    left = p.flush(10)
    emit(e='closed', n=n, unflushed=left)
    sys.exit(0)

bootstrap, topic, group, name, session_ms = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
c = Consumer({
    'bootstrap.servers': bootstrap,
    'group.id': group,
    'client.id': name,
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': True,
    'auto.commit.interval.ms': 500,
    'partition.assignment.strategy': 'cooperative-sticky',
    'session.timeout.ms': session_ms,
    'heartbeat.interval.ms': 300,
    'max.poll.interval.ms': 30000,
})


def on_assign(consumer, parts):
    emit(e='assign', parts=sorted(p.partition for p in parts), t=time.monotonic())


def on_revoke(consumer, parts):
    emit(e='revoke', parts=sorted(p.partition for p in parts), t=time.monotonic())


def on_lost(consumer, parts):
    emit(e='lost', parts=sorted(p.partition for p in parts), t=time.monotonic())


c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
while not stop.is_set():
    m = c.poll(0.05)
    if m is None or m.error():
        continue
    emit(e='c', p=m.partition(), o=m.offset(), t=time.monotonic())
c.close()
emit(e='closed')
