#!/usr/bin/env bash
# Runs every check CI runs, on a fresh machine: formatting, vet, and the
# whole test suite under the race detector. Modules come from the Go module
# proxy; tests read real data from ../shared/data beside the clone.
set -euo pipefail
cd "$(dirname "$0")/.."

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi
go vet ./...
go test -race -count=1 ./...
