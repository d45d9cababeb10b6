#!/usr/bin/env bash
# bench/master_bench.sh: catalog-mode master throughput over mutual TLS.
# Runs the load generator of server/bench_test.go: 32 distinct agents (one
# certificate each) post facts for a 100-resource catalog to one master on
# loopback, with the generator in the same process (so it shares the CPU).
#   cached     same facts every time: cache hits, keep-alive connections
#   uncached   a fact changes on every request: one compile per request
#   handshake  cache hits with a new connection and a full mutual-TLS
#              handshake (CRL check included) per request
# Limits of issue 7: cached >= 500 req/s, uncached >= 100 req/s.
#
#   bench/master_bench.sh              # BENCHTIME=5s COUNT=1
#   BENCHTIME=10s COUNT=3 bench/master_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
go test ./server/ -run '^$' -bench 'Master' -benchtime "${BENCHTIME:-5s}" -count "${COUNT:-1}" |
	awk '/^Benchmark/ { printf "%-36s %10s req/s\n", $1, $5 } /^(FAIL|ok)/ { print }'
