#!/usr/bin/env bash
# Installs what the test suite needs on a bare machine of this kind: the npm packages (npm ci) and,
# when run as root, the Debian packages that bring the real Kafka clients and tools.
# Idempotent: it skips whatever is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# golang-go + golang-github-shopify-sarama-dev: the sarama (Go) client, built offline in GOPATH mode from
# Debian's sources under /usr/share/gocode (test/real-clients/go/).
# python3-snappy/-lz4/-zstandard: kafka-python's codecs (test/broker-data/real-clients.test.ts).
# chromium: headless browser tests of the OPFS log (test/browser/, driven by playwright-core).
# podman + runc, netavark, aardvark-dns, iptables: the broker's container image, built and run offline
# (test/runtimes/container.test.ts; runc where crun cannot run with hybrid cgroups).
# etcd-server: the cluster's metadata store, started by the cluster tests on 127.0.0.1 (test/cluster/).
DEBIAN_PACKAGES=(kcat python3-confluent-kafka python3-kafka golang-go golang-github-shopify-sarama-dev python3-snappy python3-lz4 python3-zstandard chromium podman runc netavark aardvark-dns iptables etcd-server)
missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "note: not root, so these Debian packages are not installed: ${missing[*]}" >&2
    echo "      the tests that need them will fail; install them with apt-get." >&2
  fi
fi
