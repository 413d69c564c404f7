#!/usr/bin/env bash
# Runs paperlens's tests against a real Weaviate cluster: the tests with the
# build tag `weaviate` and `Weaviate` in their names, which start their own
# clusters with package pkg/weaviate/weaviatetest.
#
#   bash scripts/weaviate-tests.sh                 # every package: ./...
#   bash scripts/weaviate-tests.sh -v ./pkg/weaviate/...
#
# Arguments, when given, replace ./... and go after the fixed flags (so a
# later -run or -timeout wins). It builds the server first, or reuses it
# (scripts/weaviate.sh: about 6 minutes cold). Weaviate's gRPC and cluster
# data ports listen on every interface, so the tests run in a private
# network namespace whose one interface is loopback (`unshare -n`). Nothing
# can be downloaded in there, so every module the tests need is fetched
# first, outside it. Exits with the tests' status.
set -euo pipefail
cd "$(dirname "$0")/.."

PAPERLENS_WEAVIATE_BIN=$(bash scripts/weaviate.sh build | tail -n1)
export PAPERLENS_WEAVIATE_BIN

if ! command -v ip >/dev/null || ! command -v unshare >/dev/null; then
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq iproute2 util-linux
fi

args=("$@")
[ ${#args[@]} -gt 0 ] || args=(./...)

# Fetch (not build) every module the module's tests import, while the
# network is there.
go list -tags weaviate -test -deps ./... >/dev/null

# Root can make a network namespace by itself; anyone else needs a user
# namespace too (-r maps them to root inside it).
userns=
[ "$(id -u)" -eq 0 ] || userns=-r

echo "weaviate-tests.sh: go test -race -tags weaviate -count=1 -timeout 30m -run Weaviate ${args[*]} (in a loopback-only network namespace)" >&2
set +e
# GOPROXY=off: a missing module fails at once instead of waiting on a
# network that is not there.
unshare $userns -n env GOPROXY=off sh -c 'ip link set lo up && exec go test -race -tags weaviate -count=1 -timeout 30m -run Weaviate "$@"' sh "${args[@]}"
status=$?
set -e
exit $status
