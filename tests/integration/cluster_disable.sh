#!/bin/sh
# Supvisors' enable/disable and start_any_process on three daemons on
# loopback.  A program disabled on n1 is stopped there and never started
# there again (placement moves it, a direct start on n1 is refused
# DISABLED); the state is in n1's state_dir and survives a restart of
# n1; a disable asked of n2 reaches n3 over the peer channel; every
# instance shows "disabled_on"; a reload forgets the disabled programs it
# removes and keeps the others.  start-any starts the first stopped
# process matching a regular expression, one per call, then says that
# nothing is left.
. "$(dirname "$0")/lib/cluster.sh"
N=3
ALL="n1 n2 n3"
P_BASE=18100 P_SLOTS=9
MACHINE_YAML='"%(instance_name)s"'
CLI=$D/$BUILD/bin/supvisors-sched
c() { n=$1; shift; "$CLI" -s "$T/$n/control.sock" --no-color "$@"; }
APPS="  dis:
    start_sequence: 1
    starting_strategy: CONFIG
    programs:
      a:
        command: [\"$CHILD\", \"--sleep\"]
        identifiers: [n1, n2, n3]
        startsecs: 0
        start_sequence: 1
  pool:
    programs:
      w:
        command: [\"$CHILD\", \"--sleep\"]
        process_name: \"w_%(process_num)d\"
        numprocs: 3
        identifiers: [n2, n3]
        startsecs: 0
        expected_loading: 40"
write_conf() { cluster_conf "$T/conf.yaml" "$1" $N "$APPS"; }
# the same without the application pool
APPS_DIS=$(printf '%s\n' "$APPS" | sed '/^  pool:/,$d')
cluster_up write_conf
wait_for all_running $ALL || fail "not every instance RUNNING everywhere"

proc() { # FROM NAMESPEC EXPR
	iapi "$1" "/v1/processes/$2" || return 1
	jq_get "$3"
}
is() { # FROM NAMESPEC STATE [INSTANCE]
	_p=$(proc "$1" "$2" '"%s %s" % (d["processes"][0]["state"], d["processes"][0]["instance"])') || return 1
	case "$_p" in "$3 ${4:-}"*) return 0 ;; esac
	return 1
}
disabled_on() { # FROM NAMESPEC LIST (comma-separated, "" for none)
	_l=$(proc "$1" "$2" '",".join(d["processes"][0]["disabled_on"])') || return 1
	[ "$_l" = "$3" ]
}

wait_for is n2 dis:a RUNNING n1 || fail "dis:a not RUNNING on n1: $(proc n2 dis:a 'd')"

# disable on the instance asked: stopped there, moved by placement
c n1 disable dis:a >"$T/out" || fail "disable: $(cat "$T/out")"
grep -q '^dis:a: disabled on n1$' "$T/out" || fail "disable said: $(cat "$T/out")"
wait_for is n1 dis:a STOPPED || fail "dis:a not stopped by disable"
[ "$(cat "$T/n1/state/disabled")" = "dis:a" ] || fail "state file: $(cat "$T/n1/state/disabled")"
for n in $ALL; do
	wait_for disabled_on "$n" dis:a n1 || fail "$n does not show disabled_on n1: $BODY"
done
echo "disable: stopped on n1, persisted, every instance shows disabled_on [n1]"
proc n1 dis:a 'd["processes"][0]["disabled"]' | grep -q true || fail "n1: disabled not true"
c n1 start --instance n1 dis:a >"$T/out"
rc=$?
[ $rc -ne 0 ] && grep -q 'ERROR (disabled' "$T/out" || fail "start on n1 not refused DISABLED (rc $rc): $(cat "$T/out")"
c n3 start dis:a >"$T/out" || fail "start by placement: $(cat "$T/out")"
wait_for is n1 dis:a RUNNING n2 || fail "dis:a not placed on n2: $(proc n1 dis:a 'd')"
c n1 -o wide status dis:a | grep -q ' n1 ' || fail "status -o wide shows no DISABLED n1"
echo "start on n1 refused DISABLED; placement put dis:a on n2"

# a restart of n1 keeps it disabled
inst_kill n1
inst_start n1 "$T/conf.yaml"
wait_for all_running $ALL || fail "n1 not back"
wait_for disabled_on n2 dis:a n1 || fail "n1's disable lost over its restart: $BODY"
c n2 stop dis:a >/dev/null || fail "stop dis:a"
c n2 start --instance n1 dis:a >"$T/out" && fail "start on n1 after restart not refused"
echo "n1 restarted: still disabled"

# from n2, disable on n3 over the peer channel; n1 too: nowhere to go
c n2 disable --instance n3 dis:a >"$T/out" || fail "remote disable: $(cat "$T/out")"
grep -q 'disabled on n3' "$T/out" || fail "remote disable said: $(cat "$T/out")"
[ "$(cat "$T/n3/state/disabled")" = "dis:a" ] || fail "n3 state file"
for n in $ALL; do
	wait_for disabled_on "$n" dis:a n1,n3 || fail "$n: not disabled_on n1,n3: $BODY"
done
c n2 disable dis:a >/dev/null || fail "disable on n2"
wait_for disabled_on n1 dis:a n1,n2,n3 || fail "n1 does not see n2's disable: $BODY"
c n1 start dis:a >"$T/out" && fail "start with every instance disabled not refused"
grep -q 'disabled on every running instance' "$T/out" || fail "start said: $(cat "$T/out")"
c n3 enable --instance n1 dis:a >/dev/null || fail "enable n1"
[ -s "$T/n1/state/disabled" ] && fail "n1 state file not emptied"
wait_for disabled_on n2 dis:a n2,n3 || fail "n2 does not see n1's enable: $BODY"
c n2 start dis:a >"$T/out" || fail "start after enable: $(cat "$T/out")"
wait_for is n3 dis:a RUNNING n1 || fail "dis:a not back on n1"
echo "remote disable/enable; every instance disabled refused; enable lets it start"

# start_any: one per call, first in rules order that can be placed
c n1 start-any 'pool:w_[0-9]' >"$T/out" || fail "start-any 1: $(cat "$T/out")"
grep -q '^pool:w_0: started$' "$T/out" || fail "start-any 1 said: $(cat "$T/out")"
wait_for is n3 pool:w_0 RUNNING || fail "n3 does not see w_0 RUNNING"
c n3 start-any 'pool:w_.*' >"$T/out" || fail "start-any 2: $(cat "$T/out")"
grep -q '^pool:w_1: started$' "$T/out" || fail "start-any 2 said: $(cat "$T/out")"
wait_for is n2 pool:w_1 RUNNING || fail "n2 does not see w_1 RUNNING"
c n2 start-any 'w_.*' >"$T/out"
rc=$?
[ $rc -eq 4 ] || fail "a partial match is no match (rc $rc): $(cat "$T/out")"
c n2 start-any 'pool:w_(' >"$T/out"
rc=$?
[ $rc -eq 2 ] || fail "bad regex rc $rc: $(cat "$T/out")"
# w_0 and w_1 (40 % each) fill n2 to 80 % (CONFIG order n2, n3): w_2
# goes to n3, then nothing stopped is left
c n2 start-any 'pool:.*' >"$T/out" || fail "start-any 3: $(cat "$T/out")"
grep -q '^pool:w_2: started$' "$T/out" || fail "start-any 3 said: $(cat "$T/out")"
c n2 start-any 'pool:.*' >"$T/out"
rc=$?
[ $rc -ne 0 ] && grep -q 'already started' "$T/out" || fail "all running: rc $rc $(cat "$T/out")"
# w_2 stopped and pool:w disabled on n3: n2 is too full for it
c n2 stop pool:w_2 >/dev/null || fail "stop w_2"
c n2 disable --instance n3 pool:w_2 >/dev/null || fail "disable pool:w on n3"
wait_for disabled_on n1 pool:w_0 n3 || fail "n1 does not see pool:w disabled on n3"
c n1 start-any 'pool:.*' >"$T/out"
rc=$?
[ $rc -eq 7 ] && grep -q 'no resource' "$T/out" || fail "nothing placeable: rc $rc $(cat "$T/out")"
echo "start-any: w_0, w_1, w_2 in rules order, then ALREADY_STARTED, then NO_RESOURCE; bad regex and partial match refused"
# a reload without pool (on every instance: the rules must agree)
cluster_conf "$T/conf.yaml" "$P0" $N "$APPS_DIS"
for n in $ALL; do c "$n" reload >/dev/null || fail "reload $n"; done
[ "$(cat "$T/n3/state/disabled")" = "dis:a" ] ||
	fail "n3 after reload: $(cat "$T/n3/state/disabled")"
wait_for all_running $ALL || fail "not every instance RUNNING after the reload"
wait_for disabled_on n1 dis:a n2,n3 || fail "dis:a no longer disabled after the reload: $BODY"
echo "reload: pool:w forgotten, dis:a still disabled on n2 and n3"
echo PASS
