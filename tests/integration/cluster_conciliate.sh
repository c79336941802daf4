#!/bin/sh
# The cluster commands on three daemons on loopback (ports 17250-17283)
# with conciliation_strategy USER: n3 runs svc:p and is paused (SIGSTOP)
# until the master restarts svc:p on n2; n3 resumes with its copy still
# running, so the cluster waits in CONCILIATION.  `conflicts` lists both
# copies with their pids, `conciliate SENICIDE` from a slave keeps the
# youngest (n2's), the cluster is back in OPERATION; `plan` from a slave
# places across the instances and says why the others were left out;
# `shutdown` from a slave goes to the master, which stops and exits.
. "$(dirname "$0")/lib/cluster.sh"
N=3
ALL="n1 n2 n3"
P_BASE=17250 P_SLOTS=4
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
  big:
    starting_strategy: LESS_LOADED
    programs:
      b:
        command: [\"$CHILD\", \"--sleep\"]
        identifiers: [n1, n2]
        start_sequence: 1
        expected_loading: 95
      idle:
        command: [\"$CHILD\", \"--sleep\"]"
write_conf() {
	cluster_conf "$T/conf.yaml" "$1" $N "$APPS"
	sed -i 's/^  name: itest$/&\n  conciliation_strategy: USER/' "$T/conf.yaml"
}
cluster_up write_conf
wait_for all_running $ALL || fail "not every instance RUNNING everywhere"
CLI=$D/$BUILD/bin/supvisors-sched
c() { n=$1; shift; "$CLI" -s "$T/$n/control.sock" --no-color "$@"; }
# run CODE NAME command...: exit status CODE, stdout in $T/out
run() {
	_want=$1; shift
	c "$@" >"$T/out" 2>"$T/err"
	_got=$?
	[ "$_got" = "$_want" ] || fail "'$*' exit $_got, expected $_want:
$(cat "$T/out" "$T/err")"
}
has() { grep -q -- "$1" "$T/out" || fail "no '$1' in: $(cat "$T/out")"; }
pjson() { # FROM NAMESPEC FIELD
	iapi "$1" "/v1/processes/$2" || return 1
	jq_get "d['processes'][0]['$3']"
}
on() { [ "$(pjson "$1" "$2" state) $(pjson "$1" "$2" instance)" = "RUNNING $3" ]; }
cstate() { # FROM STATE
	iapi "$1" /v1/state || return 1
	[ "$(jq_get 'd["state"]')" = "$2" ]
}
wait_for on n1 svc:p n3 || fail "svc:p not on n3"
wait_for cstate n1 OPERATION || fail "no OPERATION"
run 0 n2 conflicts
has 'no conflict'

eval "kill -STOP \$PID_n3"
wait_for on n1 svc:p n2 || { eval "kill -CONT \$PID_n3"; fail "svc:p not restarted on n2"; }
eval "kill -CONT \$PID_n3"
wait_for state_is n1 n3 RUNNING || fail "n3 not back"
wait_for cstate n1 CONCILIATION || fail "no CONCILIATION: $BODY"
echo "n3 resumed with its copy of svc:p: CONCILIATION"

two_copies() {
	iapi n2 /v1/conflicts || return 1
	[ "$(jq_get '[(c["namespec"], [i["instance"] for i in c["instances"]]) for c in d["conflicts"]]')" = '[["svc:p", ["n2", "n3"]]]' ]
}
wait_for two_copies || fail "GET /v1/conflicts: $BODY"
[ "$(jq_get 'all(i["pid"] > 0 for i in d["conflicts"][0]["instances"])')" = true ] ||
	fail "no pids: $BODY"
run 0 n1 conflicts
has 'NAMESPEC  *INSTANCE  *PID  *UPTIME'
has 'svc:p  *n2  *[0-9]'
has 'svc:p  *n3  *[0-9]'
run 0 n1 conflicts --json
has '"conflicts":\[{"namespec":"svc:p","instances":\[{"instance":"n2"'
run 2 n1 conciliate USER
run 0 n2 conciliate SENICIDE
has 'conflicts conciliated with SENICIDE'
resolved() {
	[ "$(pjson n1 svc:p instances)" = '["n2"]' ] &&
		[ "$(pjson n1 svc:p state)" = RUNNING ]
}
wait_for resolved || fail "SENICIDE did not keep n2's copy: $BODY"
wait_for cstate n1 OPERATION || fail "not back in OPERATION: $BODY"
run 0 n3 conflicts
has 'no conflict'
run 1 n1 conciliate STOP
grep -q 'not in CONCILIATION but in OPERATION' "$T/err" ||
	fail "conciliate in OPERATION: $(cat "$T/err")"
echo "conflict listed, then resolved by conciliate SENICIDE from n2"

# plan from a slave: big:b (95 %) fits n1 or n2 only, not n3 (rules),
# and not n2 (10 % of svc:p there)
run 0 n3 plan big
has 'big:b  *n1  *placed  *n2: would exceed 100 %'
grep -q 'n3: ' "$T/out" || fail "n3 not said excluded: $(cat "$T/out")"
run 0 n3 plan svc:p
has 'svc:p  *n2  *already running'
run 0 n3 plan big:idle
has 'big:idle  *n[123]  *placed'
run 1 n2 end-sync n1
grep -q 'USER is not among cluster.synchro' "$T/err" ||
	fail "end-sync: $(cat "$T/err")"

# shutdown from a slave: the request goes to the master, which stops the
# cluster and exits.  (The slaves follow only when they saw its
# SHUTTING_DOWN before it left: the daemon's business, not asserted.)
run 0 n3 shutdown
has 'shutting down the cluster (SHUTTING_DOWN, master n1)'
gone() { ! eval "kill -0 \$PID_$1" 2>/dev/null; }
wait_for gone n1 || fail "the master did not exit after shutdown"
grep -q 'cluster shutdown requested by n3' "$T/n1.log" ||
	fail "n1 did not log n3's request"
echo PASS
