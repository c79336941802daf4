#!/bin/sh
# The CLI over the daemon's TCP listener (instance.http): writes need the
# bearer token of instance.http_token_file, sent by the CLI from
# $SUPVISORS_SCHED_TOKEN; reads too unless http_public_read.  Ports
# 17232-17234; a temporary directory.
set -u
BUILD=${BUILD:-build}
BIN=$(cd "$BUILD/bin" && pwd)
T=$(mktemp -d /tmp/api-tcp.XXXXXX)
DPID=
fails=0
cleanup() {
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

printf 's3cret-token\n' >"$T/token"
chmod 600 "$T/token"
cat >"$T/conf.yaml" <<EOF
version: 1
instance:
  name: tcp
  listen: 127.0.0.1:17232
  control: $T/control.sock
  http: 127.0.0.1:17233
  http_token_file: $T/token
  state_dir: $T/state
  log_dir: $T/log
applications:
  t:
    start_sequence: 0
    programs:
      ok:
        command: ["/bin/sleep", "1000"]
        startsecs: 0
EOF

URL=http://127.0.0.1:17233
sc() { "$BIN/supvisors-sched" -s "$URL" "$@"; }

expect() {
	want=$1 what=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: $what: exit $got, expected $want"
		sed 's/^/    out| /' "$T/out"; sed 's/^/    err| /' "$T/err"
		fails=$((fails + 1))
	else
		echo "ok: $what (exit $got)"
	fi
}

"$BIN/supvisors-schedd" -c "$T/conf.yaml" >"$T/daemon.log" 2>&1 &
DPID=$!
deadline=$(( $(date +%s) + 20 ))
until SUPVISORS_SCHED_TOKEN=s3cret-token sc state >/dev/null 2>&1; do
	if [ "$(date +%s)" -ge "$deadline" ]; then
		echo "the daemon did not answer on TCP"; cat "$T/daemon.log"; exit 1
	fi
	sleep 0.1
done

expect 1 "a read without the token (no http_public_read)" sc status
grep -q 'token' "$T/err" || { echo "FAIL: 401 not explained"; fails=$((fails + 1)); }
expect 1 "a write without the token" sc start t:ok
SUPVISORS_SCHED_TOKEN=wrong expect 1 "a write with a wrong token" sc start t:ok
export SUPVISORS_SCHED_TOKEN=s3cret-token
expect 0 "a write with the token" sc start t:ok
expect 0 "a read with the token" sc status t:ok
expect 0 "the unix socket needs no token" env -u SUPVISORS_SCHED_TOKEN \
	"$BIN/supvisors-sched" -s "$T/control.sock" stop t:ok
expect 4 "a TCP port where nothing listens" "$BIN/supvisors-sched" -s http://127.0.0.1:17234 status

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
