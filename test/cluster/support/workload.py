#!/usr/bin/python3
# The workload client of the fault tests (confluent-kafka-python, Debian's python3-confluent-kafka: run it
# with /usr/bin/python3). Prints one JSON object per line on stdout; test/cluster/support/workload.ts starts
# it and turns the lines into a history for history.ts.
#
#   produce: an idempotent producer (enable.idempotence=true, acks=all) writes unique values
#            '<run-id>-<n>' at --rate per second for --duration seconds (keys drawn from --keys with a
#            seeded random, seed printed on stderr), then flushes for --drain seconds. Lines:
#            {"type":"produce","key","value","partition","outcome":"ok","offset","t_send","t_ack"}
#            {"type":"produce",...,"outcome":"fail","error":"<librdkafka error name>"}
#            {"type":"produce",...,"outcome":"unknown"}   (no delivery report by the end)
#            {"type":"progress","acked":N}                 (every --progress acknowledgements)
#            {"type":"end","sent":N}
#   consume: reads every partition of --topic from the beginning up to the end offsets taken at start,
#            until each is reached or --timeout seconds pass. Lines:
#            {"type":"consume","partition","offset","key","value","consumerId","pollIndex"}
#            {"type":"end","complete":true|false,"ends":{"<partition>":<end offset>}}
# SIGTERM ends either mode early and cleanly (the producer still reports every attempt, as unknown if unsure).
import argparse
import json
import random
import signal
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

stopping = False


def on_sigterm(_signum, _frame):
    global stopping
    stopping = True


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(',', ':')) + '\n')
    sys.stdout.flush()  # the driver follows progress live


def now_ms():
    return int(time.time() * 1000)


def produce(a):
    seed = a.seed if a.seed is not None else random.randrange(1 << 31)
    print(f'workload produce seed={seed}', file=sys.stderr, flush=True)
    rnd = random.Random(seed)
    conf = {'bootstrap.servers': a.bootstrap, 'enable.idempotence': True, 'acks': 'all',
            'linger.ms': a.linger_ms, 'message.timeout.ms': a.message_timeout_ms,
            'client.id': f'workload-{a.run_id}'}
    for kv in a.config:
        k, v = kv.split('=', 1)
        conf[k] = v
    p = Producer(conf)
    pending = {}  # value -> (key, t_send)
    acked = [0]

    def report(err, msg):
        value = msg.value().decode()
        key, t_send = pending.pop(value, (None, None))
        line = {'type': 'produce', 'key': key, 'value': value, 'partition': msg.partition(), 't_send': t_send, 't_ack': now_ms()}
        if err is None:
            line.update(outcome='ok', offset=msg.offset())
            acked[0] += 1
            if a.progress and acked[0] % a.progress == 0:
                emit({'type': 'progress', 'acked': acked[0]})
        else:
            line.update(outcome='fail', error=err.name())
        emit(line)

    interval = 1.0 / a.rate
    start = time.monotonic()
    n = 0
    while not stopping and time.monotonic() - start < a.duration:
        due = start + n * interval
        wait = due - time.monotonic()
        p.poll(max(0.0, wait))
        if time.monotonic() < due:
            continue
        key = f'k{rnd.randrange(a.keys)}'
        value = f'{a.run_id}-{n}'
        try:
            pending[value] = (key, now_ms())
            p.produce(a.topic, key=key.encode(), value=value.encode(), on_delivery=report)
            n += 1
        except BufferError:
            pending.pop(value, None)
            p.poll(0.1)  # the local queue is full: let deliveries drain, same value tried again
    p.flush(a.drain if not stopping else min(a.drain, 2.0))
    for value, (key, t_send) in list(pending.items()):
        emit({'type': 'produce', 'key': key, 'value': value, 'partition': -1, 'outcome': 'unknown', 't_send': t_send})
    emit({'type': 'end', 'sent': n})


def consume(a):
    c = Consumer({'bootstrap.servers': a.bootstrap, 'group.id': f'workload-reader-{a.consumer_id}',
                  'enable.auto.commit': False, 'isolation.level': 'read_committed',
                  'auto.offset.reset': 'earliest', 'client.id': f'workload-{a.consumer_id}'})
    md = c.list_topics(a.topic, timeout=a.timeout)
    t = md.topics.get(a.topic)
    if t is None or t.error is not None:
        emit({'type': 'end', 'complete': False, 'ends': {}, 'error': str(t.error if t else 'no topic')})
        return
    ends = {}
    for p in sorted(t.partitions):
        _low, high = c.get_watermark_offsets(TopicPartition(a.topic, p), timeout=a.timeout)
        ends[p] = high
    c.assign([TopicPartition(a.topic, p, 0) for p in ends])
    position = {p: 0 for p in ends}
    deadline = time.monotonic() + a.timeout
    poll_index = 0
    while not stopping and any(position[p] < ends[p] for p in ends) and time.monotonic() < deadline:
        msgs = c.consume(num_messages=500, timeout=0.5)
        for m in msgs:
            if m.error() is not None:
                if m.error().code() != KafkaError._PARTITION_EOF:
                    print(f'workload consume error {m.error()}', file=sys.stderr, flush=True)
                continue
            position[m.partition()] = m.offset() + 1
            emit({'type': 'consume', 'partition': m.partition(), 'offset': m.offset(),
                  'key': m.key().decode() if m.key() is not None else None,
                  'value': m.value().decode() if m.value() is not None else None,
                  'consumerId': a.consumer_id, 'pollIndex': poll_index})
        poll_index += 1
    complete = all(position[p] >= ends[p] for p in ends)
    emit({'type': 'end', 'complete': complete, 'ends': {str(p): e for p, e in ends.items()}})
    c.close()


def main():
    ap = argparse.ArgumentParser(description='Fault-test workload client (JSON lines on stdout).')
    ap.add_argument('mode', choices=['produce', 'consume'])
    ap.add_argument('--bootstrap', required=True)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--rate', type=float, default=500, help='produce: attempts per second')
    ap.add_argument('--duration', type=float, default=5, help='produce: seconds of producing')
    ap.add_argument('--drain', type=float, default=30, help='produce: seconds to wait for delivery reports at the end')
    ap.add_argument('--keys', type=int, default=16, help='produce: number of distinct keys')
    ap.add_argument('--seed', type=int, default=None)
    ap.add_argument('--run-id', default='w', help='produce: prefix of the unique values')
    ap.add_argument('--linger-ms', type=int, default=5)
    ap.add_argument('--message-timeout-ms', type=int, default=60000)
    ap.add_argument('--progress', type=int, default=0, help='produce: a progress line every N acknowledgements (0 = none)')
    ap.add_argument('--config', action='append', default=[], help='produce: extra librdkafka key=value')
    ap.add_argument('--consumer-id', default='reader', help='consume: the id recorded with each record')
    ap.add_argument('--timeout', type=float, default=60, help='consume: seconds to reach the end offsets')
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, on_sigterm)
    produce(a) if a.mode == 'produce' else consume(a)
    sys.stdout.flush()


if __name__ == '__main__':
    main()
