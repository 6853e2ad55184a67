#!/usr/bin/env bash
# Installs what the build and the tests need, and nothing that is already there.
# Usage: hack/install-deps.sh [java] [go] [postgres] [nats] [python] ...
#   java      a JDK 17 (the Maven wrapper brings Maven itself)
#   go        a Go toolchain new enough for testbed/go.mod, from the Go module proxy if missing
#   postgres  Debian's PostgreSQL 15 server and client tools, pgBackRest
#   nats      Debian's nats-server (JetStream)
#   python    python3 with venv, for Patroni's virtualenv
#   patroni   Patroni (PyPI, pinned) in a virtualenv of Debian's python3 under /opt/pg-trickle,
#             and the unprivileged user that runs PostgreSQL in tests
# Safe to run again: each step checks first. Runs apt-get only when a package is missing.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
cache="${PGTRICKLE_CACHE:-$HOME/.cache/pg-trickle}"
apt_updated=""

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ -z "$apt_updated" ]; then
    $sudo apt-get update -qq
    apt_updated=1
  fi
  echo "install-deps: apt-get install ${missing[*]}" >&2
  # Debian's postgresql packages create and start a default cluster on 5432; the tests use
  # their own data directories and ports, so the default one is harmless but not needed.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

need_java() {
  if ! command -v javac >/dev/null 2>&1 || ! javac -version 2>&1 | grep -qE 'javac (1[7-9]|[2-9][0-9])'; then
    apt_install openjdk-17-jdk-headless
  fi
}

# The Go version testbed/go.mod declares; the toolchain comes from the Go module proxy
# (module golang.org/toolchain), the same place `GOTOOLCHAIN=auto` would take it from.
need_go() {
  local want
  want="$(awk '/^go /{print $2}' "$here/testbed/go.mod")"
  if command -v go >/dev/null 2>&1; then
    local have
    have="$(go env GOVERSION | sed 's/^go//')"
    if [ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -1)" = "$want" ]; then
      return 0
    fi
  fi
  local version="1.26.8" dir="$cache/go/1.26.8"
  if [ ! -x "$dir/bin/go" ]; then
    apt_install curl unzip ca-certificates
    local proxy="${GOPROXY:-https://proxy.golang.org}"
    proxy="${proxy%%,*}"
    mkdir -p "$dir.tmp"
    curl -fsSL "$proxy/golang.org/toolchain/@v/v0.0.1-go$version.linux-amd64.zip" -o "$dir.tmp/go.zip"
    (cd "$dir.tmp" && unzip -q go.zip && rm go.zip)
    mv "$dir.tmp/golang.org/toolchain@v0.0.1-go$version.linux-amd64" "$dir"
    rm -rf "$dir.tmp"
  fi
  echo "install-deps: Go $version at $dir/bin (add it to PATH)" >&2
}

need_postgres() {
  apt_install postgresql-15 postgresql-client-15 pgbackrest
}

need_nats() {
  apt_install nats-server
}

need_python() {
  apt_install python3 python3-venv
}

PATRONI_VERSION=4.1.5
PSYCOPG2_VERSION=2.9.13
PATRONI_HOME="/opt/pg-trickle/patroni-$PATRONI_VERSION"

# Debian's python3, not a pyenv build under /root: the unprivileged user that runs Patroni must
# be able to read the interpreter. The user is the one PostgreSQL runs as in every test.
need_patroni() {
  need_python
  apt_install util-linux passwd
  if [ ! -x "$PATRONI_HOME/bin/patroni" ]; then
    /usr/bin/python3 -m venv "$PATRONI_HOME.tmp"
    "$PATRONI_HOME.tmp/bin/pip" install -q --disable-pip-version-check \
      "patroni[kubernetes]==$PATRONI_VERSION" "psycopg2-binary==$PSYCOPG2_VERSION"
    rm -rf "$PATRONI_HOME"
    mv "$PATRONI_HOME.tmp" "$PATRONI_HOME"
    # The venv's scripts name their interpreter by the path they were built at.
    grep -l "^#!$PATRONI_HOME.tmp/" "$PATRONI_HOME"/bin/* | xargs sed -i "1s|$PATRONI_HOME.tmp|$PATRONI_HOME|"
  fi
  id -u "${PGTRICKLE_PG_USER:-pgtest}" >/dev/null 2>&1 \
    || useradd --system --user-group --home-dir /nonexistent --shell /usr/sbin/nologin "${PGTRICKLE_PG_USER:-pgtest}"
}

for what in "$@"; do
  case "$what" in
    java) need_java ;;
    go) need_go ;;
    postgres) need_postgres ;;
    nats) need_nats ;;
    python) need_python ;;
    patroni) need_patroni ;;
    *) echo "install-deps: unknown component '$what'" >&2; exit 2 ;;
  esac
done
