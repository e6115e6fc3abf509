// sarama-group: a sarama (Debian's sarama 1.22) consumer group for test/groups/real-clients.test.ts.
// Built offline in GOPATH mode like test/real-clients/go/sarama-client:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode CGO_ENABLED=0 go build -o sarama-group main.go
//
//	sarama-group -brokers H:P -topic T -group G -members 2 -expected 60 [-version 2.0.0] [-timeout-ms 60000]
//
// Runs -members consumer group members (one sarama.ConsumerGroup each) until -expected messages were
// consumed in total, marks every message (committed by sarama's offset manager), closes the members and
// prints one JSON line: {"seen":[[member,partition,offset],...],"members":{"0":{"assignment":[...]}}}.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

type handler struct {
	id     int
	mu     *sync.Mutex
	seen   *[][3]int64
	total  int
	done   chan struct{}
	once   *sync.Once
	assign *map[int][]int32
}

func (h handler) Setup(s sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ps []int32
	for _, p := range s.Claims() {
		ps = append(ps, p...)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	(*h.assign)[h.id] = ps
	return nil
}

func (h handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h handler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for m := range c.Messages() {
		s.MarkMessage(m, "")
		h.mu.Lock()
		*h.seen = append(*h.seen, [3]int64{int64(h.id), int64(m.Partition), m.Offset})
		n := len(*h.seen)
		h.mu.Unlock()
		if n >= h.total {
			h.once.Do(func() { close(h.done) })
		}
	}
	return nil
}

func main() {
	brokers := flag.String("brokers", "127.0.0.1:9092", "")
	topic := flag.String("topic", "", "")
	group := flag.String("group", "", "")
	members := flag.Int("members", 2, "")
	expected := flag.Int("expected", 1, "")
	version := flag.String("version", "2.0.0", "")
	timeoutMs := flag.Int("timeout-ms", 60000, "")
	flag.Parse()

	v, err := sarama.ParseKafkaVersion(*version)
	if err != nil {
		fail(err)
	}
	var mu sync.Mutex
	var once sync.Once
	seen := [][3]int64{}
	assign := map[int][]int32{}
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	var groups []sarama.ConsumerGroup
	var wg sync.WaitGroup
	for i := 0; i < *members; i++ {
		cfg := sarama.NewConfig()
		cfg.Version = v
		cfg.ClientID = "sarama-" + strconv.Itoa(i)
		cfg.Consumer.Return.Errors = false
		cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
		cfg.Consumer.Offsets.CommitInterval = 100 * time.Millisecond
		cfg.Consumer.Group.Session.Timeout = 10 * time.Second
		cfg.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
		cfg.Consumer.Group.Rebalance.Timeout = 10 * time.Second
		g, err := sarama.NewConsumerGroup([]string{*brokers}, *group, cfg)
		if err != nil {
			fail(err)
		}
		groups = append(groups, g)
		h := handler{id: i, mu: &mu, seen: &seen, total: *expected, done: done, once: &once, assign: &assign}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := g.Consume(ctx, []string{*topic}, h); err != nil && ctx.Err() == nil {
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
		time.Sleep(100 * time.Millisecond)
	}
	select {
	case <-done:
	case <-time.After(time.Duration(*timeoutMs) * time.Millisecond):
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		fail(fmt.Errorf("timed out with %d of %d messages", n, *expected))
	}
	// Let the group settle so the assignments reported are the final generation's, then commit and leave.
	time.Sleep(3 * time.Second)
	mu.Lock()
	out := map[string]interface{}{"seen": seen}
	ms := map[string]interface{}{}
	for id, ps := range assign {
		ms[strconv.Itoa(id)] = map[string]interface{}{"assignment": ps}
	}
	out["members"] = ms
	mu.Unlock()
	cancel()
	for _, g := range groups {
		g.Close()
	}
	wg.Wait()
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}

func fail(err error) {
	b, _ := json.Marshal(map[string]string{"error": err.Error()})
	fmt.Println(string(b))
	os.Exit(1)
}
