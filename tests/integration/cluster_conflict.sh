#!/bin/sh
# Split brain without a network: three daemons on loopback; n3 runs
# svc:p (RESTART_PROCESS) and is paused (SIGSTOP) long enough to be
# declared dead, so the master restarts svc:p on another instance; n3
# resumes with its copy still running: the conflict is detected, the
# cluster goes to CONCILIATION and cluster.conciliation_strategy resolves
# it, once per strategy: SENICIDE keeps the youngest copy (the restarted
# one), INFANTICIDE the oldest, STOP stops both, RESTART and
# RUNNING_FAILURE (RESTART_PROCESS here) stop both and start one again;
# then the cluster is back in OPERATION.  Then three instances start
# processes at once, each from its own socket, and no node ever goes
# above 100 %.
. "$(dirname "$0")/lib/cluster.sh"
N=3
ALL="n1 n2 n3"
P_BASE=18400 P_SLOTS=9
MACHINE_YAML='"%(instance_name)s"'
APPS="  svc:
    start_sequence: 1
    starting_strategy: CONFIG
    programs:
      p:
        command: [\"$CHILD\", \"--sleep\"]
        identifiers: [n3, n2, n1]
        startsecs: 0
        start_sequence: 1
        expected_loading: 10
        running_failure_strategy: RESTART_PROCESS
  cap:
    starting_strategy: LESS_LOADED
    programs:
      q:
        command: [\"$CHILD\", \"--sleep\"]
        numprocs: 12
        process_name: \"q_%(process_num)d\"
        startsecs: 0
        expected_loading: 30"
CLI=$D/$BUILD/bin/supvisors-sched
c() { n=$1; shift; "$CLI" -s "$T/$n/control.sock" "$@"; }
pjson() { # FROM NAMESPEC FIELD
	iapi "$1" "/v1/processes/$2" || return 1
	jq_get "d['processes'][0]['$3']"
}
on() { [ "$(pjson "$1" "$2" state) $(pjson "$1" "$2" instance)" = "RUNNING $3" ]; }
operating() {
	iapi "$1" /v1/state || return 1
	[ "$(jq_get 'd["state"]')" = OPERATION ]
}
# STRATEGY: after the split, what SENICIDE and the others leave running
resolved() {
	[ "$(pjson n1 svc:p conflict)" = false ] || return 1
	_i=$(pjson n1 svc:p instances) _s=$(pjson n1 svc:p state)
	_p=$(pjson n1 svc:p pid)
	case $STRATEGY in
	SENICIDE) [ "$_i $_s" = '["n2"] RUNNING' ] ;;
	INFANTICIDE) [ "$_i $_s" = '["n3"] RUNNING' ] ;;
	STOP) [ "$_i $_s" = '[] STOPPED' ] ;;
	*) # stopped everywhere, then one copy started again
		[ "$_s" = RUNNING ] && [ "$_p" != "$pid2" ] &&
			[ "$_p" != "$pid3" ] &&
			case $_i in '["n'?'"]') true ;; *) false ;; esac ;;
	esac
}
for STRATEGY in SENICIDE INFANTICIDE STOP RESTART RUNNING_FAILURE; do
	write_conf() {
		cluster_conf "$T/conf.yaml" "$1" $N "$APPS"
		sed -i "s/^  name: itest\$/&\\n  conciliation_strategy: $STRATEGY/" "$T/conf.yaml"
	}
	rm -rf "$T"/n[123] "$T"/n[123].log
	cluster_up write_conf
	wait_for all_running $ALL || fail "not every instance RUNNING everywhere"
	wait_for on n1 svc:p n3 || fail "svc:p not on n3"
	pid3=$(pjson n1 svc:p pid)
	eval "kill -STOP \$PID_n3"
	wait_for on n1 svc:p n2 ||
		{ eval "kill -CONT \$PID_n3"; fail "svc:p not restarted on n2"; }
	pid2=$(pjson n1 svc:p pid)
	eval "kill -CONT \$PID_n3"
	wait_for state_is n1 n3 RUNNING || fail "n3 not back"
	wait_for resolved || fail "$STRATEGY: conflict not resolved as expected: $BODY"
	grep -q "$STRATEGY applied" "$T/n1.log" ||
		fail "$STRATEGY: no conciliation in n1's log"
	wait_for operating n1 || fail "not back in OPERATION: $BODY"
	echo "$STRATEGY: svc:p paused on n3 and restarted on n2; after the resume: $(pjson n1 svc:p state) on $(pjson n1 svc:p instances)"
	[ "$STRATEGY" = RUNNING_FAILURE ] && break
	for n in $ALL; do inst_kill "$n"; done
	PIDS=
done

# three instances start q_1..q_12 (30 % each) at once, four each from
# its own socket, every one placing by its own view of the loads: no
# node above 100 %, every started process once
jobs=
for k in 0 1 2; do
	n=n$(( k + 1 ))
	( for i in 1 2 3 4; do
		c "$n" start --no-wait "cap:q_$(( k * 4 + i ))" >/dev/null 2>&1
	done ) &
	jobs="$jobs $!"
done
for j in $jobs; do wait "$j"; done
settled_caps() {
	iapi n1 /v1/processes || return 1
	! printf '%s' "$BODY" | grep -q '"state":"\(STARTING\|BACKOFF\|STOPPING\)"'
}
wait_for settled_caps || fail "starts never settled"
sleep 1
for n in $ALL; do
	iapi "$n" /v1/instances || fail "instances"
	for l in $(jq_get '" ".join(str(i["load"]) for i in d["instances"])'); do
		[ "$l" -le 100 ] || fail "a node above 100 % as $n sees it: $BODY"
	done
done
iapi n1 /v1/processes
[ "$(jq_get 'len([p for p in d["processes"] if p["conflict"]])')" = 0 ] ||
	fail "conflicts after concurrent starts: $BODY"
running=$(jq_get 'len([p for p in d["processes"] if p["application"] == "cap" and p["state"] == "RUNNING"])')
iapi n1 /v1/instances
echo "concurrent starts from 3 instances: $running of 12 RUNNING, node loads $(jq_get '[i["load"] for i in d["instances"]]')"
[ "$running" -ge 6 ] || fail "only $running started (room for 9)"
echo PASS
