# Shared by the cluster integration scripts (sourced, not run): N
# supvisors-schedd instances on loopback sharing one configuration, each
# with its own control socket, state and log directories through
# %(instance_name)s, started with --name.
#
# cluster_conf FILE PORT0 N [EXTRA_YAML]  writes the configuration
#                          ($GOSSIP_YAML: the cluster.gossip line; set it
#                          empty for the defaults)
# cluster_up WRITE_FN      starts $ALL on $T/conf.yaml written by
#                          "WRITE_FN P0" at a random base port P0 of our
#                          range (17700-17799), another one when taken
#                          (other worktrees run these tests at once)
# inst_start NAME CONF     starts instance NAME (log $T/NAME.log)
# inst_kill NAME           kill -9
# iapi NAME PATH           GET over NAME's socket into $BODY
# inst_state FROM NAME     NAME's state as FROM sees it
# wait_for CMD...          polls CMD every 50 ms for up to $WAIT_S seconds
set -u
BUILD=${BUILD:-build}
D=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$D/$BUILD/bin/supvisors-schedd
CHILD=$D/$BUILD/tests/helpers/child
T=$(mktemp -d "${TMPDIR:-/tmp}/supvisors-cluster.XXXXXX")
WAIT_S=${WAIT_S:-30}
PIDS=

cleanup() {
	for p in $PIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	if [ -n "${KEEP_T:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*"
	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		echo "--- $f"
		tail -n 25 "$f"
	done
	exit 1
}

command -v curl >/dev/null || { echo "curl missing"; exit 77; }
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
[ -x "$BIN" ] || { echo "no daemon binary $BIN"; exit 77; }

wait_for() {
	end=$(( $(date +%s) + WAIT_S ))
	while ! "$@" 2>/dev/null; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.05
	done
	return 0
}

cluster_conf() { # FILE PORT0 N [EXTRA]
	_gossip='  gossip: {probe_interval: 500ms, probe_timeout: 200ms, gossip_interval: 100ms}'
	[ "${GOSSIP_YAML+set}" = set ] && _gossip=$GOSSIP_YAML
	{
		cat <<EOF
version: 1
instance:
  control: $T/%(instance_name)s/control.sock
  state_dir: $T/%(instance_name)s/state
  log_dir: $T/%(instance_name)s/log
  machine: ${MACHINE_YAML:-auto}
cluster:
  name: itest
$_gossip
  instances:
EOF
		i=1
		while [ "$i" -le "$3" ]; do
			echo "    n$i: {address: \"127.0.0.1:$(( $2 + i ))\"}"
			i=$(( i + 1 ))
		done
		cat <<EOF
applications:
  app:
    start_sequence: 1
    starting_strategy: LOCAL
    programs:
      sleeper:
        command: ["$CHILD", "--sleep"]
        startsecs: 0
        start_sequence: 1
        expected_loading: 5
EOF
		[ $# -ge 4 ] && printf '%s\n' "$4"
	} >"$1"
}

pid_var() { echo "PID_$1"; }

inst_start() { # NAME CONF
	"$BIN" -c "$2" --name "$1" -v >>"$T/$1.log" 2>&1 &
	eval "PID_$1=$!"
	PIDS="$PIDS $!"
}

inst_kill() {
	eval "kill -KILL \$PID_$1" 2>/dev/null
	eval "wait \$PID_$1" 2>/dev/null
}

iapi() { # NAME PATH
	BODY=$(curl -s -S --max-time 10 --unix-socket "$T/$1/control.sock" \
		"http://localhost$2")
}

jq_get() {
	printf '%s' "$BODY" | python3 -c '
import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1], {"d": d})
print(json.dumps(v) if not isinstance(v, str) else v)' "$1"
}

inst_field() { # FROM NAME FIELD
	iapi "$1" /v1/instances || return 1
	jq_get "[i for i in d['instances'] if i['name'] == '$2'][0]['$3']"
}

inst_state() { inst_field "$1" "$2" state; }

state_is() { # FROM NAME STATE...
	_s=$(inst_state "$1" "$2") || return 1
	_f=$1 _n=$2
	shift 2
	for _w in "$@"; do [ "$_s" = "$_w" ] && return 0; done
	return 1
}

# Every instance of the list sees every instance of the list RUNNING.
all_running() {
	for a in "$@"; do
		for b in "$@"; do
			state_is "$a" "$b" RUNNING || return 1
		done
	done
}

now_ms() { python3 -c 'import time; print(int(time.monotonic() * 1000))'; }

alive_all() {
	for n in $ALL; do eval "kill -0 \$PID_$n" || return 1; done
}

settled() { # every instance answers, or one died (its port was taken)
	alive_all || return 0
	for n in $ALL; do iapi "$n" /v1/state || return 1; done
}

cluster_up() {
	_tries=0
	while :; do
		P0=$(( ${P_BASE:-17700} + 10 * $(python3 -c "import random; print(random.randrange(${P_SLOTS:-9}))") ))
		"$1" $P0
		for n in $ALL; do inst_start "$n" "$T/conf.yaml"; done
		wait_for settled && alive_all && return 0
		_tries=$(( _tries + 1 ))
		[ $_tries -lt 6 ] || fail "no free ports"
		echo "ports from $P0 busy, trying others"
		for n in $ALL; do inst_kill "$n"; done
		PIDS=
	done
}
