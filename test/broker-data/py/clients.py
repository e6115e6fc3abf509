# Python client drivers for test/broker-data/real-clients.test.ts (Debian's python3-kafka and
# python3-confluent-kafka). Each subcommand prints JSON lines on stdout.
import json
import sys


def kp_produce(port, topic, n, compression, headers):
    from kafka import KafkaProducer
    p = KafkaProducer(bootstrap_servers=f'127.0.0.1:{port}', compression_type=None if compression == 'none' else compression,
                      acks='all', linger_ms=5)
    futs = []
    for i in range(n):
        h = [('h1', f'hv{i}'.encode()), ('h2', b'')] if headers else None
        futs.append(p.send(topic, key=f'key{i}'.encode(), value=f'value{i}'.encode(), partition=0,
                           timestamp_ms=1_700_000_000_000 + i, headers=h))
    p.flush()
    for f in futs:
        md = f.get(timeout=10)
    print(json.dumps({'sent': n, 'last_offset': md.offset}))
    p.close()


def kp_consume(port, topic, n):
    from kafka import KafkaConsumer, TopicPartition
    c = KafkaConsumer(bootstrap_servers=f'127.0.0.1:{port}', group_id=None, enable_auto_commit=False,
                      consumer_timeout_ms=10000, auto_offset_reset='earliest')
    tp = TopicPartition(topic, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    got = 0
    for m in c:
        print(json.dumps({'offset': m.offset, 'key': m.key.decode() if m.key is not None else None,
                          'value': m.value.decode() if m.value is not None else None, 'timestamp': m.timestamp,
                          'timestamp_type': m.timestamp_type,
                          'headers': [[k, v.decode() if v is not None else None] for k, v in (m.headers or [])]}))
        got += 1
        if got >= n:
            break
    c.close()


def ck_murmur(port, topic, n):
    from confluent_kafka import Producer
    out = []
    p = Producer({'bootstrap.servers': f'127.0.0.1:{port}', 'partitioner': 'murmur2_random', 'linger.ms': 5})

    def cb(err, msg):
        if err is not None:
            raise Exception(str(err))
        out.append((msg.key().decode(), msg.partition(), msg.offset()))

    for i in range(n):
        p.produce(topic, key=f'user-{i}'.encode(), value=f'v{i}'.encode(), on_delivery=cb)
        if i % 1000 == 0:
            p.poll(0)
    p.flush(30)
    for k, part, off in out:
        print(json.dumps({'key': k, 'partition': part, 'offset': off}))


def ck_produce(port, topic, n, compression):
    from confluent_kafka import Producer
    p = Producer({'bootstrap.servers': f'127.0.0.1:{port}', 'compression.codec': compression, 'linger.ms': 20})
    errs = []
    for i in range(n):
        p.produce(topic, key=f'key{i}'.encode(), value=f'value{i}'.encode(), partition=0,
                  on_delivery=lambda err, msg: errs.append(str(err)) if err else None)
    p.flush(30)
    print(json.dumps({'sent': n, 'errors': errs[:3]}))


if __name__ == '__main__':
    cmd = sys.argv[1]
    a = sys.argv[2:]
    if cmd == 'kp-produce':
        kp_produce(int(a[0]), a[1], int(a[2]), a[3], a[4] == '1')
    elif cmd == 'kp-consume':
        kp_consume(int(a[0]), a[1], int(a[2]))
    elif cmd == 'ck-murmur':
        ck_murmur(int(a[0]), a[1], int(a[2]))
    elif cmd == 'ck-produce':
        ck_produce(int(a[0]), a[1], int(a[2]), a[3])
    else:
        raise SystemExit('unknown command ' + cmd)
