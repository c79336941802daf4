#!/bin/sh
# Four daemons on loopback, each on a node of its own: the master (n1)
# distributes the applications by the rules; kill -9 of n3 applies every
# running failure strategy to what ran there (RESTART_PROCESS moves the
# process, STOP_APPLICATION stops the survivors, RESTART_APPLICATION
# restarts the whole application, CONTINUE leaves it); then kill -9 of
# the master: n2 is elected and handles the master's lost processes
# (Supvisors does not).  Times are printed.
. "$(dirname "$0")/lib/cluster.sh"
N=4
ALL="n1 n2 n3 n4"
P_BASE=18000 P_SLOTS=40
MACHINE_YAML='"%(instance_name)s"'
APPS="  rp:
    start_sequence: 1
    starting_strategy: CONFIG
    programs:
      a:
        command: [\"$CHILD\", \"--sleep\"]
        identifiers: [n3, n4, n2]
        startsecs: 0
        start_sequence: 1
        expected_loading: 10
        running_failure_strategy: RESTART_PROCESS
      m:
        command: [\"$CHILD\", \"--sleep\"]
        identifiers: [n1, n2]
        startsecs: 0
        start_sequence: 1
        expected_loading: 10
        running_failure_strategy: RESTART_PROCESS
  sa:
    start_sequence: 1
    running_failure_strategy: STOP_APPLICATION
    programs:
      x: {command: [\"$CHILD\", \"--sleep\"], identifiers: [n3], startsecs: 0, start_sequence: 1}
      y: {command: [\"$CHILD\", \"--sleep\"], identifiers: [n4], startsecs: 0, start_sequence: 1}
  ra:
    start_sequence: 1
    starting_strategy: CONFIG
    running_failure_strategy: RESTART_APPLICATION
    programs:
      u: {command: [\"$CHILD\", \"--sleep\"], identifiers: [n3, n2], startsecs: 0, start_sequence: 1}
      v: {command: [\"$CHILD\", \"--sleep\"], identifiers: [n4], startsecs: 0, start_sequence: 1}
  co:
    start_sequence: 1
    starting_strategy: CONFIG
    programs:
      w: {command: [\"$CHILD\", \"--sleep\"], identifiers: [n3, n2], startsecs: 0, start_sequence: 1}"
write_conf() { cluster_conf "$T/conf.yaml" "$1" $N "$APPS"; }
cluster_up write_conf
wait_for all_running $ALL || fail "not every instance RUNNING everywhere"

# FROM NAMESPEC: "STATE INSTANCE PID" as FROM shows it
proc() {
	iapi "$1" "/v1/processes/$2" || return 1
	jq_get '"%s %s %s" % (d["processes"][0]["state"], d["processes"][0]["instance"], d["processes"][0]["pid"])'
}
is() { # FROM NAMESPEC STATE [INSTANCE]
	_p=$(proc "$1" "$2") || return 1
	case "$_p" in "$3 ${4:-}"*) return 0 ;; esac
	return 1
}
operating() { # FROM MASTER
	iapi "$1" /v1/state || return 1
	[ "$(jq_get 'd["state"] + " " + str(d["master"])')" = "OPERATION $2" ]
}
for n in $ALL; do
	wait_for operating "$n" n1 || fail "$n not in OPERATION with master n1: $BODY"
done
for p in "rp:a n3" "rp:m n1" "sa:x n3" "sa:y n4" "ra:u n3" "ra:v n4" "co:w n3"; do
	set -- $p
	wait_for is n2 "$1" RUNNING "$2" || fail "$1 not RUNNING on $2: $(proc n2 "$1")"
done
echo "distribution as the rules say, seen from n2"
v_pid=$(proc n1 ra:v | cut -d' ' -f3)

t0=$(now_ms)
inst_kill n3
wait_for is n1 rp:a RUNNING n4 || fail "rp:a not restarted on n4: $(proc n1 rp:a)"
t1=$(now_ms)
echo "kill -9 of n3: RESTART_PROCESS rp:a RUNNING on n4 after $(( t1 - t0 )) ms"
wait_for is n1 sa:y STOPPED || fail "STOP_APPLICATION: sa:y $(proc n1 sa:y)"
echo "STOP_APPLICATION: sa:y stopped on n4"
wait_for is n1 ra:u RUNNING n2 || fail "RESTART_APPLICATION: ra:u $(proc n1 ra:u)"
wait_for is n1 ra:v RUNNING n4 || fail "RESTART_APPLICATION: ra:v $(proc n1 ra:v)"
[ "$(proc n1 ra:v | cut -d' ' -f3)" != "$v_pid" ] ||
	fail "RESTART_APPLICATION did not restart ra:v (pid $v_pid)"
echo "RESTART_APPLICATION: ra:u on n2, ra:v restarted on n4"
wait_for state_is n1 n3 STOPPED || fail "n3 not STOPPED"
is n1 co:w RUNNING && fail "CONTINUE: co:w restarted"
echo "CONTINUE: co:w left $(proc n1 co:w | cut -d' ' -f1)"

t0=$(now_ms)
inst_kill n1
wait_for operating n2 n2 || fail "n2 not master in OPERATION: $BODY"
t1=$(now_ms)
wait_for is n2 rp:m RUNNING n2 || fail "the new master did not restart rp:m: $(proc n2 rp:m)"
t2=$(now_ms)
echo "kill -9 of the master n1: n2 master after $(( t1 - t0 )) ms, rp:m RUNNING on n2 after $(( t2 - t0 )) ms"
wait_for operating n4 n2 || fail "n4 does not follow n2: $BODY"
echo PASS
