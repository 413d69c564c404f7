#!/usr/bin/env bash
# Runs every check CI runs, on a fresh machine, installing what the tests
# need: formatting, vet, staticcheck, the whole test suite under the race detector, the
# tests against a real Ollama server (built from the Go module proxy into
# ~/.cache/paperlens by scripts/ollama.sh, about 6-9 minutes the first time),
# the tests against a real 3-node Weaviate cluster (built the same way by
# scripts/weaviate.sh, about 5 minutes the first time) and the tests in a
# real browser (Debian's chromium, installed if missing).
# Tests read real data from ../shared/data beside the clone.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "gofmt and go vet"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi
go vet ./...
go vet -tags 'ollama browser weaviate' ./...

step "staticcheck"
# Every file, the tagged tests included (no file is built only without a tag).
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 -tags 'ollama browser weaviate' ./...

step "unit and integration tests (go test -race)"
go test -race -count=1 -timeout 30m ./...

step "the costliest requests the limits allow, timed (without the race detector, which slows them 5-10x)"
go test -count=1 -run TestTheCostliestRequestTheLimitsAllowIsAnsweredInTime -v ./pkg/server/ | grep -E '^(---|ok|FAIL)|cost_test'

step "tests against a real Ollama server"
PAPERLENS_OLLAMA_BIN=$(bash scripts/ollama.sh | tail -n1)
export PAPERLENS_OLLAMA_BIN
go test -race -count=1 -timeout 30m -tags ollama -run Ollama ./...

step "tests against a real 3-node Weaviate cluster"
# Builds weaviate-server into ~/.cache/paperlens (about 5 minutes the first
# time) and runs the tests in a loopback-only network namespace.
bash scripts/weaviate-tests.sh

step "tests in a real browser"
if ! command -v chromium >/dev/null; then
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium fonts-dejavu-core
fi
PAPERLENS_TEST_OUT="${PAPERLENS_TEST_OUT:-$(mktemp -d)}"
export PAPERLENS_TEST_OUT
echo "screenshots go to $PAPERLENS_TEST_OUT"
go test -race -count=1 -tags browser -run Browser ./pkg/web/...
