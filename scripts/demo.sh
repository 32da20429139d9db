#!/usr/bin/env bash
# The demo: a throwaway PostgreSQL replays the worcester incident of 2025-11-28 (five sequences behind their
# tables after an import), `check` finds the drift, an insert fails with the duplicate-key error, `repair` fixes
# it, `check` is clean and the insert succeeds. The server is stopped and removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

echo "== building sequence-operator"
dotnet build src/SequenceOperator/SequenceOperator.csproj -c Release --nologo -v quiet >/dev/null
cli=(dotnet "src/SequenceOperator/bin/Release/net10.0/sequence-operator.dll")

bindir=$(command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
work=$(mktemp -d /tmp/seqop-demo.XXXXXX)
password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg=()
if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); chown postgres "$work"; fi
cleanup() {
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== starting a throwaway PostgreSQL on 127.0.0.1:$port"
printf '%s\n' "$password" > "$work/pw"; [ ${#as_pg[@]} -eq 0 ] || chown postgres "$work/pw"
"${as_pg[@]}" "$bindir/initdb" -D "$work/data" -U postgres --pwfile "$work/pw" -A scram-sha-256 --no-sync >/dev/null
"${as_pg[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w \
  -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work" start >/dev/null
export PGPASSWORD="$password"
psql=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
"${psql[@]}" -d postgres -c "CREATE DATABASE cityforge"
"${psql[@]}" -d cityforge -f scripts/demo/cityforge.sql >/dev/null
unset PGPASSWORD
export DATABASE_URL="postgresql://postgres:$password@127.0.0.1:$port/cityforge"

step() { echo; echo "== $*"; }
step "sequence-operator check   (the drift the import left behind; exit code 1 = sequences behind)"
set +e; "${cli[@]}" check; code=$?; set -e
echo "exit code: $code"

step "an insert now fails, as it did in worcester (Prisma P2002)"
PGPASSWORD="$password" "${psql[@]}" -d cityforge -c "INSERT INTO cards (title) VALUES ('a new card')" 2>&1 | head -n 2 || true

step "sequence-operator repair --dry-run   (the exact SQL, for review)"
set +e; "${cli[@]}" repair --dry-run --table cards --table card_modifications >/dev/null; code=$?; set -e
"${cli[@]}" repair --dry-run --table card_modifications | sed -n '/-- dry run/,$p' || true

step "sequence-operator repair"
"${cli[@]}" repair

step "sequence-operator check   (clean: exit code 0)"
"${cli[@]}" check
echo "exit code: $?"

step "the insert succeeds"
PGPASSWORD="$password" "${psql[@]}" -d cityforge -c "INSERT INTO cards (title) VALUES ('a new card') RETURNING id, title"
echo
echo "== done: the throwaway server is stopped and removed"
