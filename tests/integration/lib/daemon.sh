# Shared by the daemon's integration scripts (sourced, not run).
#
# daemon_start CONFIG    starts build/bin/supvisors-schedd -c CONFIG in the
#                        background (log in $T/daemon.log), waits for the
#                        control socket to answer /v1/state
# api METHOD PATH [BODY] curl over the unix socket; sets $STATUS and $BODY
# wait_for CMD...        polls CMD every 50 ms for up to $WAIT_S seconds
# jq_get EXPR            reads $BODY with python3 (no jq dependency)
#
# Everything lives in $T, removed at exit; the daemon is killed at exit.
set -u
BUILD=${BUILD:-build}
D=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$D/$BUILD/bin/supvisors-schedd
CHILD=$D/$BUILD/tests/helpers/child
T=$(mktemp -d "${TMPDIR:-/tmp}/supvisors-daemon.XXXXXX")
SOCK=$T/control.sock
WAIT_S=${WAIT_S:-20}
DPID=

cleanup() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -KILL "$DPID" 2>/dev/null
	fi
	if [ -n "${KEEP_T:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	if [ -f "$T/daemon.log" ]; then
		echo "--- daemon log"
		tail -n 60 "$T/daemon.log"
	fi
	exit 1
}

command -v curl >/dev/null || { echo "curl missing"; exit 77; }
[ -x "$BIN" ] || { echo "no daemon binary $BIN"; exit 77; }

wait_for() {
	end=$(( $(date +%s) + WAIT_S ))
	while ! "$@" 2>/dev/null; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.05
	done
	return 0
}

api() {
	_m=$1 _p=$2
	if [ $# -ge 3 ]; then
		BODY=$(curl -s -S --max-time 30 --unix-socket "$SOCK" -X "$_m" \
			-H 'Content-Type: application/json' --data-binary "$3" \
			-w '\n%{http_code}' "http://localhost$_p")
	else
		BODY=$(curl -s -S --max-time 30 --unix-socket "$SOCK" -X "$_m" \
			-w '\n%{http_code}' "http://localhost$_p")
	fi
	STATUS=$(printf '%s' "$BODY" | tail -n 1)
	BODY=$(printf '%s' "$BODY" | sed '$d')
}

jq_get() {
	printf '%s' "$BODY" | python3 -c '
import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1], {"d": d})
print(json.dumps(v) if not isinstance(v, str) else v)' "$1"
}

expect() { # STATUS [EXPR VALUE]...
	[ "$STATUS" = "$1" ] || fail "status $STATUS, expected $1: $BODY"
	shift
	while [ $# -ge 2 ]; do
		got=$(jq_get "$1") || fail "cannot read $1 in: $BODY"
		[ "$got" = "$2" ] || fail "$1 = $got, expected $2: $BODY"
		shift 2
	done
}

state_is() { # NAMESPEC STATE
	api GET "/v1/processes/$1"
	[ "$STATUS" = 200 ] && [ "$(jq_get 'd["processes"][0]["state"]')" = "$2" ]
}

pid_of() {
	api GET "/v1/processes/$1"
	jq_get 'd["processes"][0]["pid"]'
}

answers() {
	curl -s --max-time 2 --unix-socket "$SOCK" http://localhost/v1/state \
		| grep -q '"state":"OPERATION"'
}

daemon_start() {
	"$BIN" -c "$1" -v >>"$T/daemon.log" 2>&1 &
	DPID=$!
	wait_for answers || fail "daemon did not answer on $SOCK"
}

daemon_gone() { ! kill -0 "$DPID" 2>/dev/null; }

# Wait for the daemon to exit (after a signal or a shutdown), status 0.
daemon_exit_ok() {
	wait_for daemon_gone || fail "daemon did not exit"
	wait "$DPID"
	_rc=$?
	[ $_rc = 0 ] || fail "daemon exit status $_rc"
}

# instance section shared by every config
instance_yaml() {
	cat <<EOY
version: 1
instance:
  name: n1
  listen: 127.0.0.1:$1
  control: $SOCK
  state_dir: $T/state
  log_dir: $T/log
EOY
}
