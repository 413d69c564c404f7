#!/usr/bin/env bash
# Builds the Ollama server that paperlens's `ollama` tests run against:
# github.com/ollama/ollama at OLLAMA_VERSION from the Go module proxy, CPU
# only, into a cache outside the clone. Does nothing when the binary is
# already there. Its last line of output is the binary's path, so
#
#   PAPERLENS_OLLAMA_BIN=$(bash scripts/ollama.sh | tail -n1)
#
# Cold, the build takes 4 to 9 minutes on 2 cores (221 s measured with empty Go module and build caches
# on a quiet machine, 527 s on a busy one). Needs a C/C++ compiler;
# installs the headers the module zip lacks (nlohmann-json3-dev, libstb-dev)
# with apt-get. The module zip also drops llama.cpp's vendor/miniaudio, which
# only decodes audio for multimodal models: scripts/ollama/miniaudio/ holds a
# small stand-in header for it.
set -euo pipefail
cd "$(dirname "$0")/.."

version=${OLLAMA_VERSION:-0.17.4}
cache=${PAPERLENS_CACHE:-$HOME/.cache/paperlens}/ollama-$version
bin=$cache/ollama

if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi

missing=()
[ -f /usr/include/nlohmann/json.hpp ] || missing+=(nlohmann-json3-dev)
[ -f /usr/include/stb/stb_image.h ] || missing+=(libstb-dev)
command -v g++ >/dev/null || missing+=(g++)
if [ ${#missing[@]} -gt 0 ]; then
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "ollama.sh: installing ${missing[*]}" >&2
	# Wait for another apt-get (a parallel job) rather than fail on its lock.
	$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
	DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >&2
fi

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "ollama.sh: building github.com/ollama/ollama@v$version into $cache (4 to 9 minutes cold on 2 cores)" >&2
start=$(date +%s)
CGO_ENABLED=1 \
	CGO_CPPFLAGS="-I$PWD/scripts/ollama ${CGO_CPPFLAGS:-}" \
	GOBIN="$tmp" \
	go install -trimpath \
	-ldflags "-s -w -X github.com/ollama/ollama/version.Version=$version" \
	"github.com/ollama/ollama@v$version" >&2
mv "$tmp/ollama" "$bin"
echo "ollama.sh: built in $(($(date +%s) - start)) s" >&2
"$bin" --version >&2 || true
echo "$bin"
