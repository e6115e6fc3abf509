# A confluent-kafka-python producer or consumer run for a fixed time against a broker with client quotas:
# prints one JSON line per half second with the bytes delivered (producer: acknowledged values; consumer:
# values consumed) and, at the end, the largest throttle time librdkafka's statistics reported.
#   quota_client.py produce <bootstrap> <topic> <client.id> <seconds> <value bytes> [<stop after bytes>]
#   quota_client.py consume <bootstrap> <topic> <client.id> <seconds>
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

mode, bootstrap, topic, client_id, seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
throttle = {"max": 0, "cnt": 0}


def on_stats(raw):
    s = json.loads(raw)
    for b in s.get("brokers", {}).values():
        t = b.get("throttle", {})
        throttle["max"] = max(throttle["max"], t.get("max", 0))
        throttle["cnt"] += t.get("cnt", 0)


common = {"bootstrap.servers": bootstrap, "client.id": client_id, "statistics.interval.ms": 500, "stats_cb": on_stats}
done = {"bytes": 0}
start = time.monotonic()
next_report = 0.5


def report():
    global next_report
    t = time.monotonic() - start
    if t >= next_report:
        print(json.dumps({"t": round(t, 3), "bytes": done["bytes"]}), flush=True)
        next_report += 0.5


if mode == "produce":
    size = int(sys.argv[6])
    limit = int(sys.argv[7]) if len(sys.argv) > 7 else None
    sent = 0
    p = Producer({**common, "linger.ms": 5, "batch.size": 16384, "queue.buffering.max.kbytes": 512, "acks": 1})
    value = b"x" * size

    def on_delivery(err, msg):
        if err is None:
            done["bytes"] += len(msg.value())

    while time.monotonic() - start < seconds and (limit is None or sent < limit):
        try:
            p.produce(topic, value, on_delivery=on_delivery)
            sent += size
        except BufferError:
            p.poll(0.02)
        p.poll(0)
        report()
    p.flush(30)
else:
    c = Consumer({**common, "group.id": "quota-" + client_id, "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "fetch.max.bytes": 65536, "message.max.bytes": 65536, "max.partition.fetch.bytes": 65536, "queued.max.messages.kbytes": 256})
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    while time.monotonic() - start < seconds:
        m = c.poll(0.1)
        if m is not None and m.error() is None:
            done["bytes"] += len(m.value())
        report()
    # One more statistics interval, so the last throttle reports arrive.
    end = time.monotonic() + 0.7
    while time.monotonic() < end:
        c.poll(0.1)
    c.close()

print(json.dumps({"done": done["bytes"], "throttleMax": throttle["max"], "throttleCnt": throttle["cnt"]}), flush=True)
