# confluent-kafka-python (Debian's python3-confluent-kafka) drivers for test/real-clients/compression-type.test.ts.
# Each subcommand prints JSON lines on stdout.
import json
import sys

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.admin import AdminClient, ConfigResource


def produce(port, topic, compression, n, prefix):
    p = Producer({'bootstrap.servers': f'127.0.0.1:{port}', 'compression.codec': compression, 'linger.ms': 20})
    errs = []
    for i in range(n):
        p.produce(topic, key=f'{prefix}k{i}'.encode(), value=f'{prefix}v{i}-{"z" * (i % 40)}'.encode(), partition=0,
                  headers=[('h', f'{prefix}h{i}'.encode())],
                  on_delivery=lambda err, msg: errs.append(str(err)) if err else None)
    p.flush(30)
    print(json.dumps({'sent': n, 'errors': errs[:3]}))


def produce_keys(port, topic, compression, keys):
    """One batch per record (flushed one by one); prints each record's delivery error code or null."""
    p = Producer({'bootstrap.servers': f'127.0.0.1:{port}', 'compression.codec': compression, 'linger.ms': 0,
                  'retries': 0})
    for i, k in enumerate(keys):
        out = {}

        def cb(err, msg, out=out):
            out['code'] = err.code() if err else None
            out['error'] = err.str() if err else None
            out['offset'] = msg.offset() if not err else None

        # A value long enough that librdkafka keeps the compressed batch (it sends a batch that does not shrink
        # uncompressed).
        p.produce(topic, key=None if k == '-' else k.encode(), value=(f'v{i}' + 'x' * 2000).encode(), partition=0,
                  on_delivery=cb)
        p.flush(30)
        print(json.dumps({'key': None if k == '-' else k, **out}))


def consume(port, topic, n):
    c = Consumer({'bootstrap.servers': f'127.0.0.1:{port}', 'group.id': 'compression-type-test',
                  'enable.auto.commit': False})
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    got = 0
    empty = 0
    while got < n and empty < 20:
        m = c.poll(0.5)
        if m is None:
            empty += 1
            continue
        if m.error():
            raise Exception(str(m.error()))
        print(json.dumps({'offset': m.offset(), 'key': m.key().decode() if m.key() is not None else None,
                          'value': m.value().decode() if m.value() is not None else None,
                          'headers': [[k, v.decode()] for k, v in (m.headers() or [])]}))
        got += 1
    c.close()


def describe(port, topic):
    a = AdminClient({'bootstrap.servers': f'127.0.0.1:{port}'})
    fs = a.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)])
    for _, f in fs.items():
        cfg = f.result(timeout=20)
        print(json.dumps({k: v.value for k, v in cfg.items()}))


if __name__ == '__main__':
    cmd = sys.argv[1]
    a = sys.argv[2:]
    if cmd == 'produce':
        produce(int(a[0]), a[1], a[2], int(a[3]), a[4])
    elif cmd == 'produce-keys':
        produce_keys(int(a[0]), a[1], a[2], a[3].split(','))
    elif cmd == 'consume':
        consume(int(a[0]), a[1], int(a[2]))
    elif cmd == 'describe':
        describe(int(a[0]), a[1])
    else:
        raise SystemExit('unknown command ' + cmd)
