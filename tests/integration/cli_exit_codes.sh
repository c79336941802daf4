#!/bin/sh
# The CLI against a real daemon: exit codes 0/1/2/3/4/7, the --json
# fields of DESIGN.md §8, tail and tail -f, colour only on a terminal and
# never with NO_COLOR, shutdown.  Port 17230; a temporary directory.
set -u
BUILD=${BUILD:-build}
BIN=$(cd "$BUILD/bin" && pwd)
T=$(mktemp -d /tmp/api-cli.XXXXXX)
DPID=
fails=0
cleanup() {
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cat >"$T/conf.yaml" <<EOF
version: 1
instance:
  name: itest
  listen: 127.0.0.1:17230
  control: $T/control.sock
  state_dir: $T/state
  log_dir: $T/log
applications:
  t:
    start_sequence: 1
    programs:
      ok:
        command: ["/bin/sleep", "1000"]
        startsecs: 0
        start_sequence: 1
      ticker:
        command: ["/bin/sh", "-c", "while :; do echo tick-\$\$; sleep 0.2; done"]
        startsecs: 0
        start_sequence: 1
      bad:
        command: ["$T/no-such-program"]
        start_sequence: 0
      crash:
        command: ["/bin/sh", "-c", "exit 1"]
        startsecs: 1s
        startretries: 0
        autorestart: false
        start_sequence: 0
EOF

sc() { "$BIN/supvisors-sched" -s "$T/control.sock" "$@"; }

# expect CODE DESCRIPTION command...: run, compare the exit status
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

# check DESCRIPTION shell-condition
check() {
	if sh -c "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fails=$((fails + 1)); fi
}

# poll until "$@" succeeds, 20 s at most
wait_for() {
	deadline=$(( $(date +%s) + 20 ))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

json_has() { # file python-expression over d
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"
}

# ---------------------------------------------------------------- daemon
expect 4 "no daemon yet: status" sc status
"$BIN/supvisors-schedd" -c "$T/conf.yaml" >"$T/daemon.log" 2>&1 &
DPID=$!
wait_for sc status t:ok t:ticker || { echo "daemon did not come up"; cat "$T/daemon.log"; exit 1; }

# ---------------------------------------------------------------- usage: 2
expect 2 "unknown command" sc frobnicate
expect 2 "bad namespec" sc status 'a:b:c'
expect 2 "unknown signal" sc signal NOSUCHSIG t:ok
expect 2 "start without a name" sc start
expect 2 "unknown output format" sc -o yaml status

# ---------------------------------------------------------------- status: 0 3 4
expect 0 "status of running processes" sc status t:ok t:ticker
check "status lists the process" "grep -q '^t:ok  *RUNNING' '$T/out'"
check "a table has uppercase headers" "head -n1 '$T/out' | grep -q '^NAME  *STATE  *INSTANCE  *PID  *UPTIME  *DESCRIPTION'"
expect 3 "status with a stopped process" sc status t:ok t:bad
expect 4 "status of an unknown name" sc status nosuch:proc
check "unknown name said on stderr" "grep -q 'no such process' '$T/err'"
expect 4 "unreachable socket" "$BIN/supvisors-sched" -s "$T/nothing.sock" status

# ---------------------------------------------------------------- start/stop: 0 7 4
expect 0 "start of a started process" sc start t:ok
check "already started is reported" "grep -q 'already started' '$T/out'"
expect 7 "start of a missing program (spawn error)" sc start t:bad
check "spawn error is reported" "grep -q 'ERROR (spawn error' '$T/out'"
expect 7 "start of a program exiting too quickly" sc start t:crash
expect 4 "start of an unknown name" sc start nosuch:proc
expect 0 "stop" sc stop t:ok
expect 3 "status of the stopped process" sc status t:ok
expect 0 "stop of a stopped process" sc stop t:ok
check "not running is reported" "grep -q 'not running' '$T/out'"
expect 7 "signal of a stopped process" sc signal HUP t:ok
expect 0 "start again" sc start t:ok
expect 0 "restart" sc restart t:ok
expect 0 "signal" sc signal USR1 t:ticker
expect 0 "app restart" sc app restart t

# ---------------------------------------------------------------- pid
expect 0 "pid of a process" sc pid t:ok
pid=$(cat "$T/out")
sc --json status t:ok >"$T/st.json"
check "pid agrees with status --json" "python3 -c \"import json; d=json.load(open('$T/st.json')); exit(0 if d['processes'][0]['pid']==$pid else 1)\""
check "the pid is alive" "kill -0 $pid"

# ---------------------------------------------------------------- --json fields
expect 3 "status --json" sc --json status
check "status --json is one object with §8 fields" "json_has() { python3 -c \"import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if (\$2) else 1)\" \"\$1\"; }; json_has '$T/out' \"all(set(['namespec','application','name','state','state_code','instance','instances','pid','uptime_seconds','description','expected_loading','conflict']) <= set(p) for p in d['processes']) and len(d['processes']) == 4\""
check "status --json is exactly one line" "[ \$(wc -l < '$T/out') -eq 1 ]"
expect 0 "apps --json" sc --json apps
check "apps --json fields" "python3 -c \"import json; d=json.load(open('$T/out')); exit(0 if all(set(['name','state','managed','major_failure','minor_failure']) <= set(a) for a in d['applications']) else 1)\""
expect 0 "state --json" sc --json state
check "state --json fields" "python3 -c \"import json; d=json.load(open('$T/out')); exit(0 if set(['state','master','degraded']) <= set(d) else 1)\""
expect 0 "start --json" sc --json start t:ok
check "start --json results" "python3 -c \"import json; d=json.load(open('$T/out')); r=d['results'][0]; exit(0 if r['namespec']=='t:ok' and 'ok' in r and 'error' in r else 1)\""

# ---------------------------------------------------------------- tail
wait_for sh -c "'$BIN/supvisors-sched' -s '$T/control.sock' tail t:ticker | grep -q tick-"
expect 0 "tail" sc tail -n 100 t:ticker
check "tail shows the output" "grep -q '^tick-' '$T/out'"
check "tail -n bounds the bytes" "[ \$(wc -c < '$T/out') -le 100 ]"
expect 0 "tail stderr" sc tail t:ticker stderr
expect 4 "tail of an unknown name" sc tail nosuch:proc
# -f: lines keep coming; stop after three
"$BIN/supvisors-sched" -s "$T/control.sock" tail -f -n 1 t:ticker >"$T/follow" 2>&1 &
fpid=$!
wait_for sh -c "[ \$(grep -c tick- '$T/follow') -ge 3 ]"
check "tail -f follows" "[ \$(grep -c tick- '$T/follow') -ge 3 ]"
kill "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null

# ---------------------------------------------------------------- colour
if command -v script >/dev/null 2>&1; then
	TERM=xterm script -qec "'$BIN/supvisors-sched' -s '$T/control.sock' status t:ok" /dev/null >"$T/tty" 2>&1
	check "colour on a terminal" "grep -q \"\$(printf '\\033')\\[32mRUNNING\" '$T/tty'"
	TERM=xterm NO_COLOR=1 script -qec "'$BIN/supvisors-sched' -s '$T/control.sock' status t:ok" /dev/null >"$T/tty" 2>&1
	check "no colour with NO_COLOR" "! grep -q \"\$(printf '\\033')\\[\" '$T/tty'"
	TERM=xterm script -qec "'$BIN/supvisors-sched' --no-color -s '$T/control.sock' status t:ok" /dev/null >"$T/tty" 2>&1
	check "no colour with --no-color" "! grep -q \"\$(printf '\\033')\\[\" '$T/tty'"
fi
TERM=xterm sc status t:ok >"$T/pipe"
check "no colour into a pipe" "! grep -q \"\$(printf '\\033')\\[\" '$T/pipe'"

# ---------------------------------------------------------------- prompt, completion
printf 'status t:ok\nhelp\nquit\n' | sc >/dev/null 2>&1
check "no command and no terminal: usage (2)" "[ $? -eq 2 ]"
if command -v script >/dev/null 2>&1; then
	printf 'status t:ok\nquit\n' | TERM=dumb script -qec "'$BIN/supvisors-sched' -s '$T/control.sock'" /dev/null >"$T/repl" 2>&1
	check "the prompt runs commands" "grep -q 'supvisors-sched> ' '$T/repl' && grep -q '^t:ok  *RUNNING' '$T/repl'"
fi
sc completion bash >"$T/comp.bash"
check "bash completion parses" "bash -n '$T/comp.bash'"
sc __complete names >"$T/names"
check "__complete names lists namespecs" "grep -qx 't:ok' '$T/names' && grep -qx 't:\\*' '$T/names'"

# ---------------------------------------------------------------- reload: 1
cp "$T/conf.yaml" "$T/conf.good"
echo "no_such_key: 1" >>"$T/conf.yaml"
expect 1 "reload of a configuration with errors" sc reload
check "its diagnostics, compiler style" "grep -q 'conf.yaml:[0-9]*:[0-9]*: error: ' '$T/err'"
expect 1 "reload --json of a configuration with errors" sc --json reload
check "reload --json gives the diagnostics" "python3 -c \"import json; d=json.load(open('$T/out')); exit(0 if d['error']['code']=='CONF_ERROR' and d['diagnostics'] else 1)\""
cp "$T/conf.good" "$T/conf.yaml"
expect 0 "reload of the good configuration" sc reload
check "nothing changed" "grep -qx 'unchanged: 4' '$T/out'"

# ---------------------------------------------------------------- shutdown
expect 0 "shutdown" sc shutdown
deadline=$(( $(date +%s) + 30 ))
while kill -0 "$DPID" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
check "the daemon exits after shutdown" "! kill -0 $DPID 2>/dev/null"
wait "$DPID" 2>/dev/null
check "the daemon exit status is 0" "[ $? -eq 0 ]"
DPID=
expect 4 "no daemon any more" sc status

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
