"""One confluent-kafka-python consumer-group member, for test/groups/member-killed.test.ts.

  killable_member.py <bootstrap> <topic> <group> <name> <session-timeout-ms> <per-message-sleep-ms>

Manual commits: after each message it commits offset+1 synchronously. Prints one JSON line per event,
flushed at once (the process may be SIGKILLed at any point):
  {"e":"assign"|"revoke","parts":[...],"t":T}
  {"e":"c","p":P,"o":O,"k":K,"v":V,"t":T}        consumed (before its commit)
  {"e":"k","p":P,"o":NEXT,"t":T}                  commit of NEXT acknowledged by the broker
  {"e":"kf","p":P,"o":NEXT,"err":"...","t":T}     commit failed (e.g. during a rebalance)
  {"e":"closed"}                                  after "stop" on stdin: consumer closed
T is time.monotonic() (CLOCK_MONOTONIC, comparable across processes on one host).
"""
import json
import sys
import threading
import time

from confluent_kafka import Consumer

bootstrap, topic, group, name = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
session_ms, sleep_ms = int(sys.argv[5]), float(sys.argv[6])
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

c = Consumer({
    'bootstrap.servers': bootstrap,
    'group.id': group,
    'client.id': name,
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': False,
    'partition.assignment.strategy': 'range',
    'session.timeout.ms': session_ms,
    'heartbeat.interval.ms': 500,
    'max.poll.interval.ms': 30000,
})


def on_assign(consumer, parts):
    emit(e='assign', parts=sorted(p.partition for p in parts), t=time.monotonic())


def on_revoke(consumer, parts):
    emit(e='revoke', parts=sorted(p.partition for p in parts), t=time.monotonic())


c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
while not stop.is_set():
    m = c.poll(0.1)
    if m is None or m.error():
        continue
    p, o = m.partition(), m.offset()
    emit(e='c', p=p, o=o, k=m.key().decode(), v=m.value().decode(), t=time.monotonic())
    if sleep_ms > 0:
        time.sleep(sleep_ms / 1000)
    try:
        res = c.commit(message=m, asynchronous=False)
        bad = [tp for tp in (res or []) if tp.error is not None]
        if bad:
            emit(e='kf', p=p, o=o + 1, err=str(bad[0].error), t=time.monotonic())
        else:
            emit(e='k', p=p, o=o + 1, t=time.monotonic())
    except Exception as ex:  # KafkaException: REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, ...
        emit(e='kf', p=p, o=o + 1, err=str(ex), t=time.monotonic())
c.close()
emit(e='closed')
