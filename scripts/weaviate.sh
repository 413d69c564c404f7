#!/usr/bin/env bash
# Builds and runs the Weaviate server that paperlens's `weaviate` tests and
# the Weaviate backend run against.
#
#   scripts/weaviate.sh [build]        build github.com/weaviate/weaviate/cmd/
#                                      weaviate-server at WEAVIATE_VERSION from the
#                                      Go module proxy into a cache outside the
#                                      clone (nothing to do when it is there);
#                                      the last line of output is the binary's path:
#                                      PAPERLENS_WEAVIATE_BIN=$(bash scripts/weaviate.sh | tail -n1)
#   scripts/weaviate.sh start N DIR    start an N-node cluster on 127.0.0.1 with its
#                                      data and logs under DIR; prints each node's
#                                      HTTP URL, node 0 first
#   scripts/weaviate.sh stop DIR       stop the nodes that `start` started in DIR
#
# The build is pure Go (CGO_ENABLED=0) and took 4 min 34 s cold on 2 cores
# (modules downloaded too) on a machine busy with other builds.
#
# Weaviate's gRPC port and its cluster data port listen on every interface
# and have no setting to change that, so `start` runs only inside a private
# network namespace whose one interface is loopback, e.g.
#
#   unshare -n sh -c 'ip link set lo up && scripts/weaviate.sh start 3 WVDIR && ... && scripts/weaviate.sh stop WVDIR'
#
# Node i listens on HTTP 8080+i, gRPC 50051+i, gossip 7100+2i, cluster data
# 7101+2i, raft 8300+2i and raft RPC 8301+2i (Weaviate expects raft RPC to
# be raft+1 when CLUSTER_IN_LOCALHOST is set). Node 0 starts first: the
# others join it by gossip, and a node whose join list answers nowhere exits.
# The caller's environment passes through to the nodes, e.g.
# ASYNC_REPLICATION_PROPAGATION_DELAY=1s for quicker catch-up after a restart
# (Weaviate's default is 30 s; the Go test harness uses 1 s).
set -euo pipefail
caller_pwd=$PWD
cd "$(dirname "$0")/.."

version=${WEAVIATE_VERSION:-1.35.2}
cache=${PAPERLENS_CACHE:-$HOME/.cache/paperlens}/weaviate-$version
bin=$cache/weaviate-server

die() {
	echo "weaviate.sh: $*" >&2
	exit 1
}

build() {
	if [ -x "$bin" ]; then
		echo "$bin"
		return
	fi
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/build.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	echo "weaviate.sh: building github.com/weaviate/weaviate/cmd/weaviate-server@v$version into $cache (about 5 minutes cold on 2 cores)" >&2
	start=$(date +%s)
	CGO_ENABLED=0 GOBIN="$tmp" \
		go install "github.com/weaviate/weaviate/cmd/weaviate-server@v$version" >&2
	mv "$tmp/weaviate-server" "$bin"
	echo "weaviate.sh: built in $(($(date +%s) - start)) s" >&2
	echo "$bin"
}

# loopback_only fails, saying how to get one, unless this process runs in a
# network namespace whose only interface is an up loopback.
loopback_only() {
	local links
	links=$(ip -o link show) || die "cannot list network interfaces with 'ip -o link'"
	if [ "$(printf '%s\n' "$links" | grep -vc ': lo:')" -ne 0 ]; then
		die "refusing to start Weaviate here: its gRPC and cluster data ports listen on every interface, and this network namespace has more than loopback ($(printf '%s\n' "$links" | awk -F': ' '{printf "%s ", $2}')). Run it inside a private one:
  unshare -n sh -c 'ip link set lo up && $0 start $*'"
	fi
	if ! printf '%s\n' "$links" | grep -q 'state UNKNOWN\|state UP\|,UP'; then
		die "loopback is down in this network namespace; run 'ip link set lo up' first"
	fi
}

absolute() { # PATH, relative to where the script was called from
	case $1 in
	/*) echo "$1" ;;
	*) echo "$caller_pwd/$1" ;;
	esac
}

listening() { # PORT: true when something listens on 127.0.0.1:PORT (TCP)
	[ -n "$(ss -Hltn "sport = :$1")" ]
}

wait_for() { # SECONDS COMMAND...: polls COMMAND every 0.2 s until it succeeds
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

ready() { # PORT
	curl -fsS -o /dev/null "http://127.0.0.1:$1/v1/.well-known/ready" 2>/dev/null
}

healthy_nodes() { # PORT: how many nodes /v1/nodes on that node calls HEALTHY
	curl -fsS "http://127.0.0.1:$1/v1/nodes" 2>/dev/null |
		jq '[.nodes[] | select(.status == "HEALTHY")] | length' 2>/dev/null || echo 0
}

start() {
	[ $# -eq 2 ] || die "usage: $0 start N DATA_DIR"
	local n=$1 dir=$2
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "start: N must be a positive number, not '$n'"
	loopback_only "$@"
	[ -x "$bin" ] || die "no Weaviate server binary at $bin — run '$0 build' first (outside the namespace: it downloads modules)"
	for tool in curl jq ss; do
		command -v $tool >/dev/null || die "start needs $tool"
	done
	dir=$(absolute "$dir")
	mkdir -p "$dir"

	local join="" i
	for ((i = 0; i < n; i++)); do
		join+="${join:+,}node$i:$((8300 + 2 * i))"
	done
	for ((i = 0; i < n; i++)); do
		for port in $((8080 + i)) $((50051 + i)) $((7100 + 2 * i)) $((7101 + 2 * i)) $((8300 + 2 * i)) $((8301 + 2 * i)); do
			! listening $port || die "port $port is taken: is a cluster already running (see '$0 stop DIR')?"
		done
	done

	for ((i = 0; i < n; i++)); do
		local gossip=$((7100 + 2 * i))
		mkdir -p "$dir/node$i"
		env \
			PERSISTENCE_DATA_PATH="$dir/node$i/data" \
			AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true \
			DEFAULT_VECTORIZER_MODULE=none \
			DISABLE_TELEMETRY=true \
			USE_INVERTED_SEARCHABLE=false \
			GO_PROFILING_DISABLE=true \
			QUERY_DEFAULTS_LIMIT=25 \
			GRPC_PORT=$((50051 + i)) \
			CLUSTER_HOSTNAME="node$i" \
			CLUSTER_IN_LOCALHOST=true \
			CLUSTER_BIND_ADDR=127.0.0.1 \
			CLUSTER_GOSSIP_BIND_PORT=$gossip \
			CLUSTER_DATA_BIND_PORT=$((gossip + 1)) \
			CLUSTER_JOIN="$([ "$i" -eq 0 ] || echo 127.0.0.1:7100)" \
			RAFT_PORT=$((8300 + 2 * i)) \
			RAFT_INTERNAL_RPC_PORT=$((8301 + 2 * i)) \
			RAFT_JOIN="$join" \
			RAFT_BOOTSTRAP_EXPECT="$n" \
			setsid "$bin" --scheme http --host 127.0.0.1 --port $((8080 + i)) \
			>"$dir/node$i/weaviate.log" 2>&1 </dev/null &
		echo $! >"$dir/node$i/pid"
		if [ "$i" -eq 0 ]; then
			wait_for 60 listening $gossip ||
				die "node 0 did not open its gossip port $gossip in 60 s; see $dir/node0/weaviate.log"
		fi
	done
	for ((i = 0; i < n; i++)); do
		wait_for 180 ready $((8080 + i)) ||
			die "node $i is not ready after 180 s; see $dir/node$i/weaviate.log"
	done
	check() { [ "$(healthy_nodes 8080)" -eq "$n" ]; }
	wait_for 120 check ||
		die "node 0 does not list $n healthy nodes after 120 s; see $dir/node*/weaviate.log"
	for ((i = 0; i < n; i++)); do
		echo "http://127.0.0.1:$((8080 + i))"
	done
}

stop() {
	[ $# -eq 1 ] || die "usage: $0 stop DATA_DIR"
	local dir pidfile pid pids=()
	dir=$(absolute "$1")
	for pidfile in "$dir"/node*/pid; do
		[ -f "$pidfile" ] || continue
		pid=$(cat "$pidfile")
		if kill -TERM "$pid" 2>/dev/null; then
			pids+=("$pid")
		fi
		rm -f "$pidfile"
	done
	for pid in "${pids[@]}"; do
		gone() { ! kill -0 "$pid" 2>/dev/null; }
		wait_for 30 gone || {
			echo "weaviate.sh: node pid $pid did not stop in 30 s; killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
		}
	done
	echo "weaviate.sh: stopped ${#pids[@]} node(s) in $dir" >&2
}

cmd=${1:-build}
[ $# -eq 0 ] || shift
case $cmd in
build) build ;;
start) start "$@" ;;
stop) stop "$@" ;;
*) die "unknown command '$cmd': use build, start N DATA_DIR or stop DATA_DIR" ;;
esac
