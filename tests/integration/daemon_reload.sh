#!/bin/sh
# SIGHUP and POST /v1/reload apply only the difference: an unchanged
# process keeps its pid, a changed one is re-created and restarted, a
# removed one is stopped and dropped, an added one appears; a file with
# errors is rejected whole (422 CONF_ERROR with diagnostics) and the old
# rules stay.  Also -n and exit 78 on a bad configuration.
. "$(dirname "$0")/lib/daemon.sh"

conf() { # the programs section of version $1
	instance_yaml 17102
	cat <<EOF
applications:
  app:
    start_sequence: 1
    programs:
      keep:
        command: ["$CHILD", "--sleep"]
        startsecs: 0
        start_sequence: 1
      change:
        command: ["$CHILD", "--sleep"$1]
        startsecs: 0
        start_sequence: 1
EOF
	if [ -z "$1" ]; then
		cat <<EOF
      drop:
        command: ["$CHILD", "--sleep"]
        startsecs: 0
        start_sequence: 1
EOF
	else
		cat <<EOF
      new:
        command: ["$CHILD", "--sleep"]
        startsecs: 0
      joins:
        command: ["$CHILD", "--sleep"]
        startsecs: 0
        start_sequence: 2
  extra:
    start_sequence: 2
    programs:
      first:
        command: ["$CHILD", "--sleep"]
        startsecs: 0
        start_sequence: 1
  manual:
    programs:
      idle:
        command: ["$CHILD", "--sleep"]
        startsecs: 0
        start_sequence: 1
EOF
	fi
}

conf "" >"$T/conf.yaml"
"$BIN" -n -c "$T/conf.yaml" >"$T/check.out" 2>&1 || fail "-n refused a valid file"
grep -q "configuration OK" "$T/check.out" || fail "-n printed: $(cat "$T/check.out")"
printf 'version: 1\nbogus: 1\n' >"$T/bad.yaml"
"$BIN" -n -c "$T/bad.yaml" >"$T/check.out" 2>&1 && fail "-n accepted a bad file"
grep -q "bad.yaml:2:1: error" "$T/check.out" || fail "-n printed: $(cat "$T/check.out")"
"$BIN" -c "$T/bad.yaml" >"$T/bad.out" 2>&1
rc=$?
[ $rc = 78 ] || fail "bad configuration: exit $rc, expected 78"

daemon_start "$T/conf.yaml"
wait_for state_is app:drop RUNNING || fail "not started"
keep=$(pid_of app:keep)
change=$(pid_of app:change)
drop=$(pid_of app:drop)

conf ', "--after", "1"' >"$T/conf.yaml"
kill -HUP "$DPID"
wait_for sh -c "! curl -sf --unix-socket '$SOCK' http://localhost/v1/processes/app:drop >/dev/null" ||
	fail "removed process still there"
dead() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status"; }
wait_for dead "$drop" || fail "removed process $drop still runs"
wait_for state_is app:change RUNNING || fail "changed process not restarted"
[ "$(pid_of app:change)" != "$change" ] || fail "changed process kept its pid"
[ "$(pid_of app:keep)" = "$keep" ] || fail "unchanged process lost its pid"
api GET /v1/processes/app:new
expect 200 'd["processes"][0]["state"]' STOPPED
# what a reload adds starts as the start sequence would have started it
wait_for state_is app:joins RUNNING || fail "added sequenced program not started"
wait_for state_is extra:first RUNNING || fail "added application not started"
api GET /v1/processes/manual:idle
expect 200 'd["processes"][0]["state"]' STOPPED

# a file with errors: rejected whole
printf 'version: 1\ninstance: {name: n1, nope: 1}\n' >"$T/conf.yaml"
kill -HUP "$DPID"
api POST /v1/reload
expect 422 'd["error"]["code"]' CONF_ERROR 'd["valid"]' false \
	'd["diagnostics"][0]["line"]' 2
[ "$(pid_of app:keep)" = "$keep" ] || fail "a bad reload touched a process"
api GET /v1/processes
expect 200 'len(d["processes"])' 6

# back to the first version through the API
conf "" >"$T/conf.yaml"
change=$(pid_of app:change)
api POST /v1/reload
expect 200 'd["added"]' '["app:drop"]' 'd["changed"]' '["app:change"]' \
	'd["removed"]' '["app:new", "app:joins", "extra:first", "manual:idle"]' 'd["unchanged"]' 1
wait_for state_is app:change RUNNING || fail "changed process not restarted"
[ "$(pid_of app:keep)" = "$keep" ] || fail "unchanged process lost its pid"

kill -TERM "$DPID"
daemon_exit_ok
echo "reload ok"
