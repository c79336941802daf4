#!/bin/sh
# Issue 6's cluster figures on loopback, each instance on a node of its
# own, default gossip tunables:
#   - daemons started to OPERATION on all 3 instances (ROUNDS times):
#     from the launch to the last "-> OPERATION" line of the logs;
#   - `app start` of 5 processes over 3 instances (startsecs 0) until the
#     CLI returns with all RUNNING (TRIALS times, stopped in between);
#   - failover on 5 instances (TRIALS times): kill -9 of the instance
#     running a RESTART_PROCESS program (startsecs 0) until it is RUNNING
#     elsewhere, as the master shows it; every 5th trial the victim is
#     the master itself (Supvisors never recovers that case).
# Polled with the CLI (a few ms per look); the app start is timed by
# hyperfine (the CLI's whole run, -N: no shell).  Supvisors 0.19 on this kind
# of machine: 29.4 s to OPERATION, 68 ms app start, 6.9-8.4 s failover
# (issue 6).
. "$(dirname "$0")/../integration/lib/cluster.sh"

ROUNDS=${ROUNDS:-5}
TRIALS=${TRIALS:-20}
P_BASE=18500 P_SLOTS=40
MACHINE_YAML='"%(instance_name)s"'
GOSSIP_YAML=
CLI=$D/$BUILD/bin/supvisors-sched
c() { n=$1; shift; "$CLI" -s "$T/$n/control.sock" "$@"; }

log_ms() { # FILE PATTERN: wall ms of the last matching line
	python3 - "$1" "$2" <<'EOF'
import datetime, sys
t = None
for line in open(sys.argv[1]):
    if sys.argv[2] in line:
        s = line.split()[0]
        t = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp() * 1000
print(int(t) if t else -1)
EOF
}
wall_ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }
state_of() { c "$1" --json status "$2" 2>/dev/null |
	python3 -c 'import json,sys; p=json.load(sys.stdin)["processes"][0]; print(p["state"], p["instance"])'; }

# ---- 1. startup to OPERATION, 3 instances
N=3 ALL="n1 n2 n3"
APPS="  five:
    starting_strategy: LESS_LOADED
    programs:
      p:
        command: [\"$CHILD\", \"--sleep\"]
        numprocs: 5
        process_name: \"p_%(process_num)d\"
        startsecs: 0
        start_sequence: 1
        expected_loading: 5"
write3() { cluster_conf "$T/conf.yaml" "$1" 3 "$APPS"; }
op_all() {
	for n in $ALL; do
		c "$n" --json state 2>/dev/null | grep -q '"state":"OPERATION"' || return 1
	done
}
startup=
r=1
while [ $r -le "$ROUNDS" ]; do
	rm -f "$T"/n*.log
	t0=$(wall_ms)
	cluster_up write3
	wait_for op_all || fail "no OPERATION"
	last=0
	for n in $ALL; do
		t=$(log_ms "$T/$n.log" "-> OPERATION")
		[ "$t" -gt "$last" ] && last=$t
	done
	startup="$startup $(( last - t0 ))"
	# ---- 2. app start of 5 processes over 3 instances (first round)
	if [ $r -eq 1 ]; then
		# hyperfine times the CLI alone (a stop before each run)
		sock=$T/n2/control.sock
		out=$(c n2 app start five 2>&1) || fail "app start failed: $out"
		spread=$(c n1 --json status 'five:*' | python3 -c 'import json,sys; print(len({p["instance"] for p in json.load(sys.stdin)["processes"]}))')
		hyperfine -N --runs "$TRIALS" --export-json "$T/hf.json" \
			--prepare "$CLI -s $sock app stop five" \
			"$CLI -s $sock app start five" >"$T/hf.out" 2>&1 ||
			fail "hyperfine failed: $(tail -5 "$T/hf.out")"
		appstart=$(python3 -c 'import json,sys; print(" ".join("%.2f" % (t * 1000) for t in json.load(open(sys.argv[1]))["results"][0]["times"]))' "$T/hf.json")
	fi
	for n in $ALL; do inst_kill "$n"; done
	PIDS=
	r=$(( r + 1 ))
done

# ---- 3. failover, 5 instances
N=5 ALL="n1 n2 n3 n4 n5"
APPS="  svc:
    start_sequence: 1
    starting_strategy: LESS_LOADED
    programs:
      p:
        command: [\"$CHILD\", \"--sleep\"]
        startsecs: 0
        start_sequence: 1
        expected_loading: 10
        running_failure_strategy: RESTART_PROCESS"
write5() { cluster_conf "$T/conf.yaml" "$1" 5 "$APPS"; }
rm -f "$T"/n*.log
cluster_up write5
wait_for all_running $ALL || fail "not every instance RUNNING everywhere"
master_of() { c "$1" --json state | python3 -c 'import json,sys; print(json.load(sys.stdin)["master"])'; }
running_not_on() { # FROM VICTIM
	s=$(state_of "$1" svc:p) || return 1
	case "$s" in "RUNNING $2") return 1 ;; RUNNING*) return 0 ;; esac
	return 1
}
fo= fo_master=
i=1
while [ $i -le "$TRIALS" ]; do
	wait_for all_running $ALL || fail "not every instance RUNNING again"
	m=$(master_of n1)
	wait_for running_not_on "$m" none || fail "svc:p not RUNNING"
	where=$(state_of "$m" svc:p | cut -d' ' -f2)
	if [ $(( i % 5 )) -eq 0 ]; then
		# move it onto the master, then kill the master
		if [ "$where" != "$m" ]; then
			c "$m" stop svc:p >/dev/null
			c "$m" start --instance "$m" svc:p >/dev/null ||
				fail "cannot start svc:p on the master $m"
			where=$m
		fi
	fi
	victim=$where
	watch=n1
	[ "$watch" = "$victim" ] && watch=n2
	t0=$(wall_ms)
	inst_kill "$victim"
	wait_for running_not_on "$watch" "$victim" || fail "svc:p not moved off $victim"
	t1=$(wall_ms)
	if [ "$victim" = "$m" ]; then
		fo_master="$fo_master $(( t1 - t0 ))"
	else
		fo="$fo $(( t1 - t0 ))"
	fi
	inst_start "$victim" "$T/conf.yaml"
	i=$(( i + 1 ))
done

python3 - "$startup" "$appstart" "$fo" "$fo_master" "$spread" <<'EOF'
import statistics, sys
def q(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]
def row(name, v, ref):
    v = [int(x) for x in v.split()]
    if not v:
        return
    print("%-44s %7.0f %7.0f %7.0f %5d  %s" % (name, statistics.median(v), q(v, 0.99), max(v), len(v), ref))
def rowf(name, v, ref):
    v = [float(x) for x in v.split()]
    print("%-44s %7.1f %7.1f %7.1f %5d  %s" % (name, statistics.median(v), q(v, 0.99), max(v), len(v), ref))
print("%-44s %7s %7s %7s %5s  %s" % ("cluster, loopback (ms)", "median", "p99", "max", "n", "Supvisors 0.19"))
row("daemons started -> OPERATION (3 instances)", sys.argv[1], "29400 ms")
rowf("app start, 5 processes on %s instances" % sys.argv[5], sys.argv[2], "68 ms")
row("kill -9 -> RESTART_PROCESS RUNNING elsewhere", sys.argv[3], "6900-8400 ms")
row("  the same when the master is killed", sys.argv[4], "never")
allfo = [int(x) for x in (sys.argv[3] + " " + sys.argv[4]).split()]
print("%-44s %7.0f %7.0f %7.0f %5d" % ("  all failover trials", statistics.median(allfo), q(allfo, 0.99), max(allfo), len(allfo)))
EOF
