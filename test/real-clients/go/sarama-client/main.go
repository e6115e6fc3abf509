// sarama-client: drives the sarama Go client (Debian's golang-github-shopify-sarama-dev, sarama 1.22) against
// a broker for test/real-clients/sarama.test.ts. Built offline in GOPATH mode (see sarama.test.ts):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode CGO_ENABLED=0 go build -o sarama-client main.go
//
// Every result is printed to stdout as one JSON object per line; failures print {"error": "..."} and exit 1.
//
//	sarama-client produce -brokers H:P -topic T [-partition 0] [-n 10] [-prefix m] [-version default|0.10.0.0|2.0.0|…]
//	                      [-compression none|gzip|snappy|lz4] [-timestamp-ms T] [-header k=v]
//	  → {"partition":0,"offset":5,"key":"m-key-5","value":"m-5"} per message (in send order), then {"done":true,"count":N}
//	sarama-client consume -brokers H:P -topic T [-partition 0] [-offset -2] [-n 10] [-version …] [-timeout-ms 15000]
//	  → {"offset":5,"key":"…","value":"…","timestamp":ms,"headers":{"k":"v"}} per message, then
//	    {"done":true,"count":N,"highWaterMark":H}
//
// -version default leaves sarama's Config.Version at its default (MinVersion, 0.8.2.0): Produce v0 with magic 0
// message sets, Fetch v0, ListOffsets v0, Metadata v0. 0.10.0.0 → Produce v2 magic 1, Fetch v2; 0.10.1.0 →
// Fetch v3; 0.11.0.0 and later → Produce v3 record batches (magic 2), Fetch v4.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"log"
	"os"
	"strings"
	"time"

	"github.com/Shopify/sarama"
)

type out map[string]interface{}

func emit(o out) {
	b, err := json.Marshal(o)
	if err != nil {
		panic(err)
	}
	os.Stdout.Write(append(b, '\n'))
}

func fail(format string, args ...interface{}) {
	emit(out{"error": fmt.Sprintf(format, args...)})
	os.Exit(1)
}

func str(b []byte) interface{} {
	if b == nil {
		return nil
	}
	return string(b)
}

type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ",") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	if len(os.Args) < 2 {
		fail("usage: sarama-client produce|consume [flags]")
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
	brokers := fs.String("brokers", "127.0.0.1:9092", "bootstrap brokers, comma-separated")
	topic := fs.String("topic", "", "topic")
	partition := fs.Int("partition", 0, "partition")
	n := fs.Int("n", 10, "number of messages")
	version := fs.String("version", "default", "sarama Config.Version, or 'default' for sarama's own default")
	prefix := fs.String("prefix", "m", "produce: value prefix (values are <prefix>-<i>, keys <prefix>-key-<i>)")
	compression := fs.String("compression", "none", "produce: none|gzip|snappy|lz4")
	timestampMs := fs.Int64("timestamp-ms", 0, "produce: message timestamp (magic 1+), 0 = now; message i gets T+i")
	offset := fs.Int64("offset", sarama.OffsetOldest, "consume: start offset (-2 oldest, -1 newest)")
	timeoutMs := fs.Int("timeout-ms", 15000, "consume: give up after this long without reaching -n")
	debug := fs.Bool("debug", false, "sarama's logger to stderr")
	var headers headerFlags
	fs.Var(&headers, "header", "produce: k=v header on every message (Version >= 0.11)")
	if err := fs.Parse(os.Args[2:]); err != nil {
		fail("%v", err)
	}
	if *debug {
		sarama.Logger = log.New(os.Stderr, "[sarama] ", log.LstdFlags|log.Lmicroseconds)
	} else {
		sarama.Logger = log.New(ioutil.Discard, "", 0)
	}
	if *topic == "" {
		fail("-topic is required")
	}

	config := sarama.NewConfig()
	config.ClientID = "rivulet-sarama-test"
	if *version != "default" {
		v, err := sarama.ParseKafkaVersion(*version)
		if err != nil {
			fail("%v", err)
		}
		config.Version = v
	}
	config.Metadata.Retry.Max = 10
	config.Metadata.Retry.Backoff = 200 * time.Millisecond
	addrs := strings.Split(*brokers, ",")

	switch mode {
	case "produce":
		produce(config, addrs, *topic, int32(*partition), *n, *prefix, *compression, *timestampMs, headers)
	case "consume":
		consume(config, addrs, *topic, int32(*partition), *offset, *n, time.Duration(*timeoutMs)*time.Millisecond)
	default:
		fail("unknown mode %q", mode)
	}
}

func produce(config *sarama.Config, addrs []string, topic string, partition int32, n int, prefix, compression string, timestampMs int64, headers headerFlags) {
	config.Producer.RequiredAcks = sarama.WaitForAll
	config.Producer.Return.Successes = true
	config.Producer.Return.Errors = true
	config.Producer.Retry.Max = 0 // a retry could duplicate; the tests want exactly what was sent
	config.Producer.Partitioner = sarama.NewManualPartitioner
	config.Producer.Flush.Frequency = 5 * time.Millisecond // several messages per message set
	switch compression {
	case "none":
		config.Producer.Compression = sarama.CompressionNone
	case "gzip":
		config.Producer.Compression = sarama.CompressionGZIP
	case "snappy":
		config.Producer.Compression = sarama.CompressionSnappy
	case "lz4":
		config.Producer.Compression = sarama.CompressionLZ4
	default:
		fail("unknown compression %q", compression)
	}
	var hs []sarama.RecordHeader
	for _, h := range headers {
		kv := strings.SplitN(h, "=", 2)
		if len(kv) != 2 {
			fail("bad -header %q", h)
		}
		hs = append(hs, sarama.RecordHeader{Key: []byte(kv[0]), Value: []byte(kv[1])})
	}

	p, err := sarama.NewSyncProducer(addrs, config)
	if err != nil {
		fail("NewSyncProducer: %v", err)
	}
	msgs := make([]*sarama.ProducerMessage, n)
	for i := 0; i < n; i++ {
		m := &sarama.ProducerMessage{
			Topic:     topic,
			Partition: partition,
			Key:       sarama.StringEncoder(fmt.Sprintf("%s-key-%d", prefix, i)),
			Value:     sarama.StringEncoder(fmt.Sprintf("%s-%d", prefix, i)),
			Headers:   hs,
		}
		if timestampMs != 0 {
			m.Timestamp = time.Unix(0, (timestampMs+int64(i))*int64(time.Millisecond))
		}
		msgs[i] = m
	}
	if err := p.SendMessages(msgs); err != nil {
		if pe, ok := err.(sarama.ProducerErrors); ok && len(pe) > 0 {
			fail("SendMessages: %d failed, first: %v", len(pe), pe[0].Err)
		}
		fail("SendMessages: %v", err)
	}
	for i, m := range msgs {
		emit(out{"partition": m.Partition, "offset": m.Offset, "key": fmt.Sprintf("%s-key-%d", prefix, i), "value": fmt.Sprintf("%s-%d", prefix, i)})
	}
	if err := p.Close(); err != nil {
		fail("Close: %v", err)
	}
	emit(out{"done": true, "count": n})
}

func consume(config *sarama.Config, addrs []string, topic string, partition int32, offset int64, n int, timeout time.Duration) {
	config.Consumer.Return.Errors = true
	config.Consumer.MaxWaitTime = 100 * time.Millisecond
	c, err := sarama.NewConsumer(addrs, config)
	if err != nil {
		fail("NewConsumer: %v", err)
	}
	pc, err := c.ConsumePartition(topic, partition, offset)
	if err != nil {
		fail("ConsumePartition: %v", err)
	}
	count := 0
	deadline := time.After(timeout)
loop:
	for count < n {
		select {
		case m := <-pc.Messages():
			h := map[string]interface{}{}
			for _, rh := range m.Headers {
				h[string(rh.Key)] = str(rh.Value)
			}
			var ts int64 = -1
			if !m.Timestamp.IsZero() {
				ts = m.Timestamp.UnixNano() / int64(time.Millisecond)
			}
			emit(out{"offset": m.Offset, "key": str(m.Key), "value": str(m.Value), "timestamp": ts, "headers": h})
			count++
		case e := <-pc.Errors():
			fail("consumer error: %v", e.Err)
		case <-deadline:
			break loop
		}
	}
	hwm := pc.HighWaterMarkOffset()
	pc.Close()
	c.Close()
	emit(out{"done": true, "count": count, "highWaterMark": hwm})
}
