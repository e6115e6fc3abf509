// sarama-sasl: the sarama Go client (Debian's sarama 1.22 sources) over SASL, for test/security/sasl-clients.test.ts.
// Built offline in GOPATH mode like test/real-clients/go/sarama-client. Produces -n messages to partition 0 of
// -topic, consumes them back from the oldest offset, and prints one JSON line: {"values":[...]} or {"error":"..."}.
//
//	sarama-sasl -brokers H:P -mechanism PLAIN|SCRAM-SHA-256|SCRAM-SHA-512|NONE -user U -password P
//	            [-version default|1.0.0] [-ca ca.crt [-cert client.crt -key client.key]] -topic T [-n 10]
//
// -mechanism NONE connects without SASL (an SSL listener); -cert/-key send a client certificate.
//
// -version default keeps sarama's oldest protocol: SASL/PLAIN then goes through SaslHandshake v0 and a bare
// token; 1.0.0 and later use SaslHandshake v1 and SaslAuthenticate. SCRAM always uses SaslAuthenticate; its
// client side is written here with Go's crypto (RFC 5802), since sarama leaves it to the application.
package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io/ioutil"
	"log"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/Shopify/sarama"
)

func emit(o map[string]interface{}) {
	b, _ := json.Marshal(o)
	os.Stdout.Write(append(b, '\n'))
}

func fail(format string, args ...interface{}) {
	emit(map[string]interface{}{"error": fmt.Sprintf(format, args...)})
	os.Exit(1)
}

// scramClient implements sarama.SCRAMClient.
type scramClient struct {
	h               func() hash.Hash
	user, password  string
	nonce           string
	clientFirstBare string
	authMessage     string
	saltedPassword  []byte
	step            int
	done            bool
}

func (c *scramClient) Begin(user, password, authzID string) error {
	c.user, c.password = user, password
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	c.nonce = base64.StdEncoding.EncodeToString(b)
	return nil
}

func (c *scramClient) mac(key []byte, data string) []byte {
	m := hmac.New(c.h, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// pbkdf2 is Hi() of RFC 5802.
func (c *scramClient) pbkdf2(password, salt []byte, iterations int) []byte {
	m := hmac.New(c.h, password)
	m.Write(salt)
	m.Write([]byte{0, 0, 0, 1})
	u := m.Sum(nil)
	out := append([]byte(nil), u...)
	for i := 1; i < iterations; i++ {
		m = hmac.New(c.h, password)
		m.Write(u)
		u = m.Sum(nil)
		for j := range out {
			out[j] ^= u[j]
		}
	}
	return out
}

func (c *scramClient) Step(challenge string) (string, error) {
	c.step++
	switch c.step {
	case 1:
		name := strings.NewReplacer("=", "=3D", ",", "=2C").Replace(c.user)
		c.clientFirstBare = "n=" + name + ",r=" + c.nonce
		return "n,," + c.clientFirstBare, nil
	case 2:
		attrs := map[string]string{}
		for _, kv := range strings.Split(challenge, ",") {
			if len(kv) > 2 && kv[1] == '=' {
				attrs[kv[:1]] = kv[2:]
			}
		}
		if !strings.HasPrefix(attrs["r"], c.nonce) {
			return "", errors.New("server nonce does not extend the client nonce")
		}
		salt, err := base64.StdEncoding.DecodeString(attrs["s"])
		if err != nil {
			return "", err
		}
		iterations, err := strconv.Atoi(attrs["i"])
		if err != nil {
			return "", err
		}
		c.saltedPassword = c.pbkdf2([]byte(c.password), salt, iterations)
		withoutProof := "c=biws,r=" + attrs["r"]
		c.authMessage = c.clientFirstBare + "," + challenge + "," + withoutProof
		clientKey := c.mac(c.saltedPassword, "Client Key")
		h := c.h()
		h.Write(clientKey)
		signature := c.mac(h.Sum(nil), c.authMessage)
		proof := make([]byte, len(clientKey))
		for i := range proof {
			proof[i] = clientKey[i] ^ signature[i]
		}
		return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof), nil
	default:
		expected := "v=" + base64.StdEncoding.EncodeToString(c.mac(c.mac(c.saltedPassword, "Server Key"), c.authMessage))
		if challenge != expected {
			return "", errors.New("server signature does not verify")
		}
		c.done = true
		return "", nil
	}
}

func (c *scramClient) Done() bool { return c.done }

func main() {
	brokers := flag.String("brokers", "", "")
	mechanism := flag.String("mechanism", "PLAIN", "")
	user := flag.String("user", "", "")
	password := flag.String("password", "", "")
	version := flag.String("version", "default", "")
	ca := flag.String("ca", "", "")
	cert := flag.String("cert", "", "")
	key := flag.String("key", "", "")
	topic := flag.String("topic", "", "")
	n := flag.Int("n", 10, "")
	flag.Parse()
	if os.Getenv("SARAMA_DEBUG") != "" {
		sarama.Logger = log.New(os.Stderr, "[sarama] ", log.LstdFlags)
	}

	cfg := sarama.NewConfig()
	if *version != "default" {
		v, err := sarama.ParseKafkaVersion(*version)
		if err != nil {
			fail("version: %v", err)
		}
		cfg.Version = v
	}
	cfg.Net.DialTimeout = 5 * time.Second
	cfg.Net.ReadTimeout = 10 * time.Second
	cfg.Metadata.Retry.Max = 1
	// -mechanism NONE: TLS only (an SSL listener), no SASL.
	cfg.Net.SASL.Enable = *mechanism != "NONE"
	cfg.Net.SASL.Handshake = true
	cfg.Net.SASL.Mechanism = sarama.SASLMechanism(*mechanism)
	cfg.Net.SASL.User = *user
	cfg.Net.SASL.Password = *password
	switch *mechanism {
	case "SCRAM-SHA-256":
		cfg.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{h: sha256.New} }
	case "SCRAM-SHA-512":
		cfg.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{h: sha512.New} }
	}
	if *ca != "" {
		pem, err := ioutil.ReadFile(*ca)
		if err != nil {
			fail("ca: %v", err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		cfg.Net.TLS.Enable = true
		cfg.Net.TLS.Config = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
		if *cert != "" {
			pair, err := tls.LoadX509KeyPair(*cert, *key)
			if err != nil {
				fail("client certificate: %v", err)
			}
			cfg.Net.TLS.Config.Certificates = []tls.Certificate{pair}
		}
	}
	cfg.Producer.Return.Successes = true
	cfg.Producer.Partitioner = sarama.NewManualPartitioner

	producer, err := sarama.NewSyncProducer([]string{*brokers}, cfg)
	if err != nil {
		fail("producer: %v", err)
	}
	for i := 0; i < *n; i++ {
		value := *topic + "-" + strconv.Itoa(i)
		if _, _, err := producer.SendMessage(&sarama.ProducerMessage{Topic: *topic, Partition: 0, Value: sarama.StringEncoder(value)}); err != nil {
			fail("produce: %v", err)
		}
	}
	producer.Close()

	consumer, err := sarama.NewConsumer([]string{*brokers}, cfg)
	if err != nil {
		fail("consumer: %v", err)
	}
	pc, err := consumer.ConsumePartition(*topic, 0, sarama.OffsetOldest)
	if err != nil {
		fail("consume: %v", err)
	}
	values := []string{}
	timeout := time.After(15 * time.Second)
	for len(values) < *n {
		select {
		case m := <-pc.Messages():
			values = append(values, string(m.Value))
		case e := <-pc.Errors():
			fail("consume: %v", e)
		case <-timeout:
			fail("consume: timed out after %d messages", len(values))
		}
	}
	pc.Close()
	consumer.Close()
	emit(map[string]interface{}{"values": values})
}
