/*
 * rdkafka-perf: a small librdkafka load generator for bench/broker.ts (our own; compiled by the bench with
 * `gcc -O2 rdkafka-perf.c -lrdkafka`). Prints one JSON object on stdout.
 *
 *   rdkafka-perf produce -b <host:port|mock> -t <topic> -n <records> -s <bytes> [-a <acks>] [-l <linger.ms>]
 *                [-B <batch.size>] [-r <records/s, throttle>] [-p <partition, default: partitioner>]
 *                [-w <warm-up ms>] [-X key=value ...]
 *   rdkafka-perf consume -b <host:port> -t <topic> -n <records> [-p <partition, default 0>]
 *                [-F <fetch.max.bytes>] [-T <timeout ms>] [-X key=value ...]
 *
 * produce: one static payload (no copy per message, RD_KAFKA_MSG_F_* = 0), null keys, handed over in chunks
 * of up to 1024 with rd_kafka_produce_batch (throttled runs: what is due). A message's send time
 * (CLOCK_MONOTONIC) rides in its opaque; the delivery report turns it into a latency sample (µs). Latency is
 * send → delivery report, as librdkafka sees it (batching wait included). "mock" uses librdkafka's in-process
 * mock cluster (test.mock.num.brokers=1): the client-bound ceiling, no network, no storage.
 * -w: messages sent in the first <ms> of the run count for throughput but not for latency. librdkafka opens
 * its connection to the partition leader on the first produce (after the metadata the tool fetches up front),
 * and that start-up stall (up to ~1 s here, the in-process mock included) would otherwise dominate p99 of a
 * throttled run; steady-state latency is what -w measures.
 * consume: the legacy partition consumer (no group), from the beginning, with the callback API (no message
 * copies); counts records and value+key bytes until -n arrived or nothing came for -T ms.
 */
#define _GNU_SOURCE
#include <librdkafka/rdkafka.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *what, const char *detail) {
  fprintf(stderr, "rdkafka-perf: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) die(k, err);
}

/* ---- latency samples (µs), sorted at the end for percentiles ---- */
static uint32_t *lat;
static size_t lat_n, lat_cap;
static uint64_t delivered, failed;
static char first_error[256];
/* Messages sent before this time (µs, CLOCK_MONOTONIC) are not sampled (-w). */
static int64_t sample_from_us;

static void sample(int64_t us) {
  if (lat_n == lat_cap) {
    lat_cap = lat_cap ? lat_cap * 2 : 1 << 16;
    lat = realloc(lat, lat_cap * sizeof *lat);
    if (!lat) die("out of memory", NULL);
  }
  lat[lat_n++] = us < 1 ? 1 : (uint32_t)(us > 0xffffffffLL ? 0xffffffffLL : us);
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static double pct_ms(double p) {
  if (lat_n == 0) return 0;
  size_t i = (size_t)(p / 100.0 * (double)lat_n);
  if (i >= lat_n) i = lat_n - 1;
  return lat[i] / 1000.0;
}

static void print_latency(void) {
  qsort(lat, lat_n, sizeof *lat, cmp_u32);
  double sum = 0;
  for (size_t i = 0; i < lat_n; i++) sum += lat[i];
  printf("\"latency\":{\"count\":%zu,\"avgMs\":%.3f,\"maxMs\":%.3f,\"p50Ms\":%.3f,\"p95Ms\":%.3f,\"p99Ms\":%.3f,\"p999Ms\":%.3f}", lat_n,
         lat_n ? sum / lat_n / 1000.0 : 0, lat_n ? lat[lat_n - 1] / 1000.0 : 0, pct_ms(50), pct_ms(95), pct_ms(99), pct_ms(99.9));
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) {
    if (failed++ == 0) snprintf(first_error, sizeof first_error, "%s", rd_kafka_err2str(m->err));
    return;
  }
  delivered++;
  int64_t sent_at = (int64_t)(intptr_t)m->_private;
  if (sent_at >= sample_from_us) sample(now_us() - sent_at);
}

struct opts {
  const char *mode, *bootstrap, *topic;
  long long n, rate, warmup_ms;
  int size, partition;
  const char *acks, *linger, *batch, *fetch_max;
  long timeout_ms;
  char *extra[64];
  int nextra;
};

static rd_kafka_conf_t *base_conf(struct opts *o) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (strcmp(o->bootstrap, "mock") == 0) set(conf, "test.mock.num.brokers", "1");
  else set(conf, "bootstrap.servers", o->bootstrap);
  set(conf, "client.id", "rdkafka-perf");
  for (int i = 0; i < o->nextra; i++) {
    char *eq = strchr(o->extra[i], '=');
    if (!eq) die("-X wants key=value", o->extra[i]);
    *eq = 0;
    set(conf, o->extra[i], eq + 1);
  }
  return conf;
}

static int produce(struct opts *o) {
  rd_kafka_conf_t *conf = base_conf(o);
  char errstr[512];
  set(conf, "acks", o->acks);
  set(conf, "linger.ms", o->linger);
  set(conf, "batch.size", o->batch);
  set(conf, "batch.num.messages", "1000000");
  set(conf, "queue.buffering.max.messages", "2000000");
  set(conf, "queue.buffering.max.kbytes", "2097151");
  set(conf, "compression.type", "none");
  set(conf, "enable.idempotence", "false");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) die("rd_kafka_new", errstr);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
  /* Metadata first (auto-creates the topic where allowed) so the clock measures producing only. */
  const struct rd_kafka_metadata *md;
  rd_kafka_resp_err_t merr = RD_KAFKA_RESP_ERR_NO_ERROR;
  for (int i = 0; i < 50; i++) {
    merr = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
    if (merr) continue;
    int ok = md->topic_cnt == 1 && md->topics[0].err == 0 && md->topics[0].partition_cnt > 0;
    rd_kafka_metadata_destroy(md);
    if (ok) break;
    merr = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (merr) die("metadata", rd_kafka_err2str(merr));

  char *payload = malloc(o->size > 0 ? o->size : 1);
  for (int i = 0; i < o->size; i++) payload[i] = 'A' + i % 26;
  int32_t part = o->partition >= 0 ? o->partition : RD_KAFKA_PARTITION_UA;
  /* rd_kafka_produce_batch: one call (one queue lock) per chunk of messages instead of one per message. */
  enum { CHUNK = 1024 };
  rd_kafka_message_t *msgs = calloc(CHUNK, sizeof *msgs);
  int64_t t0 = now_us();
  sample_from_us = t0 + o->warmup_ms * 1000;
  for (long long i = 0; i < o->n;) {
    int k = o->n - i < CHUNK ? (int)(o->n - i) : CHUNK;
    if (o->rate > 0) {
      /* Throttled: sleep until ~100 µs worth of messages is due, then send what is due. Waking for every
       * message or two (200k+ msgs/s) cost the client more CPU in wake-ups than in producing, and it
       * competed with the broker for the two cores; 100 µs is far below the latencies measured. */
      long long burst = o->rate / 10000 > 1 ? o->rate / 10000 : 1;
      int64_t due = t0 + (int64_t)((double)(i + burst - 1) * 1e6 / (double)o->rate);
      for (int64_t now = now_us(); now < due; now = now_us()) {
        int64_t wait = due - now;
        if (wait > 1500) rd_kafka_poll(rk, (int)((wait - 500) / 1000));
        else { struct timespec ts = {0, (long)wait * 1000}; nanosleep(&ts, NULL); }
      }
      long long upto = (long long)((double)(now_us() - t0) * (double)o->rate / 1e6) + 1;
      if (upto - i < k) k = upto - i < 1 ? 1 : (int)(upto - i);
    }
    void *sent_at = (void *)(intptr_t)now_us();
    for (int j = 0; j < k; j++) {
      msgs[j].payload = payload;
      msgs[j].len = (size_t)o->size;
      msgs[j].key = NULL;
      msgs[j].key_len = 0;
      msgs[j]._private = sent_at;
      msgs[j].err = 0;
    }
    int done = rd_kafka_produce_batch(rkt, part, 0, msgs, k);
    for (int j = done; j < k; j++)
      if (msgs[j].err != RD_KAFKA_RESP_ERR__QUEUE_FULL) die("produce", rd_kafka_err2str(msgs[j].err));
    i += done;
    rd_kafka_poll(rk, done < k ? 1 : 0);
  }
  while (rd_kafka_outq_len(rk) > 0 && now_us() - t0 < 600LL * 1000000) rd_kafka_poll(rk, 5);
  int64_t t1 = now_us();
  double secs = (t1 - t0) / 1e6;
  printf("{\"mode\":\"produce\",\"records\":%" PRIu64 ",\"failed\":%" PRIu64 ",\"recordSize\":%d,\"elapsedMs\":%.3f,\"recordsPerSec\":%.1f,\"mbPerSec\":%.3f,",
         delivered, failed, o->size, secs * 1000, delivered / secs, delivered * (double)o->size / 1048576.0 / secs);
  print_latency();
  if (failed) printf(",\"firstError\":\"%s\"", first_error);
  printf("}\n");
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  free(payload);
  free(msgs);
  return failed ? 1 : 0;
}

/* ---- consume ---- */
static uint64_t c_records, c_bytes;
static int64_t c_last;

static void on_message(rd_kafka_message_t *m, void *opaque) {
  (void)opaque;
  if (m->err) {
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
    die("consume", rd_kafka_message_errstr(m));
  }
  c_records++;
  c_bytes += m->len + m->key_len;
}

static int consume(struct opts *o) {
  rd_kafka_conf_t *conf = base_conf(o);
  char errstr[512];
  set(conf, "fetch.max.bytes", o->fetch_max);
  set(conf, "fetch.message.max.bytes", o->fetch_max);
  set(conf, "receive.message.max.bytes", "2147483647");
  set(conf, "fetch.wait.max.ms", "100");
  set(conf, "queued.max.messages.kbytes", "2097151");
  set(conf, "queued.min.messages", "10000000");
  set(conf, "enable.partition.eof", "false");
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (!rk) die("rd_kafka_new", errstr);
  rd_kafka_topic_conf_t *tconf = rd_kafka_topic_conf_new();
  char err2[512];
  rd_kafka_topic_conf_set(tconf, "auto.offset.reset", "earliest", err2, sizeof err2);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, tconf);
  int32_t part = o->partition >= 0 ? o->partition : 0;
  int64_t t0 = now_us();
  if (rd_kafka_consume_start(rkt, part, RD_KAFKA_OFFSET_BEGINNING) == -1) die("consume_start", rd_kafka_err2str(rd_kafka_last_error()));
  c_last = now_us();
  int timed_out = 0;
  while (c_records < (uint64_t)o->n) {
    uint64_t before = c_records;
    rd_kafka_consume_callback(rkt, part, 100, on_message, NULL);
    int64_t now = now_us();
    if (c_records > before) c_last = now;
    else if (now - c_last > o->timeout_ms * 1000) {
      timed_out = 1;
      break;
    }
  }
  int64_t t1 = now_us();
  double secs = (t1 - t0) / 1e6;
  printf("{\"mode\":\"consume\",\"records\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"elapsedMs\":%.3f,\"recordsPerSec\":%.1f,\"mbPerSec\":%.3f,\"timedOut\":%s}\n", c_records, c_bytes,
         secs * 1000, c_records / secs, c_bytes / 1048576.0 / secs, timed_out ? "true" : "false");
  rd_kafka_consume_stop(rkt, part);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return timed_out ? 1 : 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: rdkafka-perf produce -b <host:port|mock> -t <topic> -n <records> -s <bytes> [-a acks] [-l linger.ms] [-B batch.size] [-r rec/s] [-p partition] [-w warm-up ms] [-X k=v]\n"
          "       rdkafka-perf consume -b <host:port> -t <topic> -n <records> [-p partition] [-F fetch.max.bytes] [-T timeout ms] [-X k=v]\n");
  exit(2);
}

int main(int argc, char **argv) {
  struct opts o = {.n = -1, .size = 100, .partition = -1, .acks = "1", .linger = "5", .batch = "1000000", .fetch_max = "52428800", .timeout_ms = 10000};
  if (argc < 2) usage();
  o.mode = argv[1];
  for (int i = 2; i < argc; i++) {
    if (argv[i][0] != '-' || argv[i][1] == 0 || argv[i][2] != 0 || i + 1 >= argc) usage();
    const char *v = argv[++i];
    switch (argv[i - 1][1]) {
      case 'b': o.bootstrap = v; break;
      case 't': o.topic = v; break;
      case 'n': o.n = atoll(v); break;
      case 's': o.size = atoi(v); break;
      case 'a': o.acks = v; break;
      case 'l': o.linger = v; break;
      case 'B': o.batch = v; break;
      case 'r': o.rate = atoll(v); break;
      case 'w': o.warmup_ms = atoll(v); break;
      case 'p': o.partition = atoi(v); break;
      case 'F': o.fetch_max = v; break;
      case 'T': o.timeout_ms = atol(v); break;
      case 'X':
        if (o.nextra == 64) usage();
        o.extra[o.nextra++] = strdup(v);
        break;
      default: usage();
    }
  }
  if (!o.bootstrap || !o.topic || o.n < 0 || o.size < 0) usage();
  signal(SIGPIPE, SIG_IGN);
  if (strcmp(o.mode, "consume") == 0) {
    /* Large fetch responses are one malloc each: keep freed memory instead of returning it to the kernel,
     * so every fetch does not pay fresh page faults again (glibc mmaps and unmaps buffers this big
     * otherwise). Not for produce: one arena would make the app and broker threads share a malloc lock. */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
    mallopt(M_ARENA_MAX, 1);
  }
  if (strcmp(o.mode, "produce") == 0) return produce(&o);
  if (strcmp(o.mode, "consume") == 0) return consume(&o);
  usage();
  return 2;
}
