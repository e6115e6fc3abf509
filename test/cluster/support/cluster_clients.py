"""kafka-python and confluent-kafka-python against a Rivulet cluster (test/cluster/real-clients-cluster.test.ts).

  cluster_clients.py produce <kafka-python|confluent> <bootstrap> <topic> <n> <prefix>
      acks=all, one record at a time (values <prefix>-<i>); prints {"progress": k} every 25 acknowledgements
      and ends with {"acked": [...values...], "errors": [...]}.
  cluster_clients.py consume <kafka-python|confluent> <bootstrap> <topic> <n> <group>
      a consumer in group <group> from the earliest offset until n records or 20 s; commits;
      prints {"values": [...], "offsets": [...], "error": null|"..."}.
"""
import json
import sys
import time


def emit(obj):
    print(json.dumps(obj), flush=True)


def produce_kafka_python(bootstrap, topic, n, prefix):
    from kafka import KafkaProducer

    p = KafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all", retries=50, retry_backoff_ms=200,
                      max_in_flight_requests_per_connection=1, request_timeout_ms=15000, metadata_max_age_ms=2000)
    acked, errors = [], []
    for i in range(n):
        v = f"{prefix}-{i}"
        try:
            p.send(topic, value=v.encode(), key=f"k{i}".encode()).get(timeout=30)
            acked.append(v)
        except Exception as e:  # an error surfaced to the application
            errors.append(f"{v}: {e!r}")
        if len(acked) % 25 == 0:
            emit({"progress": len(acked)})
        time.sleep(0.005)
    p.close()
    emit({"acked": acked, "errors": errors})


def produce_confluent(bootstrap, topic, n, prefix):
    from confluent_kafka import Producer

    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                  "message.timeout.ms": 30000, "retry.backoff.ms": 200, "topic.metadata.refresh.interval.ms": 2000})
    acked, errors = [], []

    def report(err, msg):
        v = msg.value().decode()
        if err is None:
            acked.append(v)
        else:
            errors.append(f"{v}: {err}")

    for i in range(n):
        p.produce(topic, value=f"{prefix}-{i}".encode(), key=f"k{i}".encode(), on_delivery=report)
        p.flush(30)
        if len(acked) % 25 == 0:
            emit({"progress": len(acked)})
        time.sleep(0.005)
    p.flush(30)
    emit({"acked": acked, "errors": errors})


def consume_kafka_python(bootstrap, topic, n, group):
    from kafka import KafkaConsumer

    c = KafkaConsumer(topic, bootstrap_servers=bootstrap.split(","), group_id=group, auto_offset_reset="earliest",
                      enable_auto_commit=False, consumer_timeout_ms=20000)
    values, offsets, error = [], [], None
    deadline = time.time() + 20
    try:
        while len(values) < n and time.time() < deadline:
            for tp, msgs in c.poll(timeout_ms=500).items():
                for m in msgs:
                    values.append(m.value.decode())
                    offsets.append(m.offset)
        c.commit()
    except Exception as e:
        error = repr(e)
    c.close()
    emit({"values": values, "offsets": offsets, "error": error})


def consume_confluent(bootstrap, topic, n, group):
    from confluent_kafka import Consumer

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False})
    c.subscribe([topic])
    values, offsets, error = [], [], None
    deadline = time.time() + 20
    while len(values) < n and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            error = str(m.error())
            continue
        values.append(m.value().decode())
        offsets.append(m.offset())
    if values:
        try:
            c.commit(asynchronous=False)
        except Exception as e:
            error = repr(e)
    c.close()
    emit({"values": values, "offsets": offsets, "error": error})


def main():
    mode, client, bootstrap, topic, n, extra = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
    fn = {
        ("produce", "kafka-python"): produce_kafka_python,
        ("produce", "confluent"): produce_confluent,
        ("consume", "kafka-python"): consume_kafka_python,
        ("consume", "confluent"): consume_confluent,
    }[(mode, client)]
    fn(bootstrap, topic, n, extra)


if __name__ == "__main__":
    main()
