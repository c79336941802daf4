#!/bin/sh
# Failure detection of real daemons: five supvisors-schedd on loopback
# with the default gossip tunables; ROUNDS times, kill -9 of one instance
# (a different one each round) and the time until every other instance
# shows it FAILED or STOPPED in GET /v1/instances, then a restart and the
# time until it is RUNNING everywhere again.  Polled through the control
# sockets (curl + python per look), so the figures include up to about
# 0.3 s of polling.  The reference is Supvisors' 10-15 s (tick 5 s,
# inactivity_ticks 2, reference/supvisors.md 2.1).
. "$(dirname "$0")/../integration/lib/cluster.sh"

ROUNDS=${ROUNDS:-5}
N=5
ALL="n1 n2 n3 n4 n5"
GOSSIP_YAML=
write_conf() { cluster_conf "$T/conf.yaml" "$1" $N; }
cluster_up write_conf
wait_for all_running $ALL || fail "not every instance RUNNING everywhere"

lost_by_others() { # VICTIM
	for a in $ALL; do
		[ "$a" = "$1" ] && continue
		state_is "$a" "$1" FAILED STOPPED || return 1
	done
}

detect= rejoin=
r=1
while [ $r -le "$ROUNDS" ]; do
	v=n$(( (r - 1) % N + 1 ))
	t0=$(now_ms)
	inst_kill "$v"
	wait_for lost_by_others "$v" || fail "$v not seen lost"
	t1=$(now_ms)
	inst_start "$v" "$T/conf.yaml"
	wait_for all_running $ALL || fail "$v not RUNNING again"
	t2=$(now_ms)
	detect="$detect $(( t1 - t0 ))"
	rejoin="$rejoin $(( t2 - t1 ))"
	r=$(( r + 1 ))
done
python3 - "$detect" "$rejoin" <<'EOF'
import statistics, sys
d = [int(x) for x in sys.argv[1].split()]
j = [int(x) for x in sys.argv[2].split()]
print("%-38s %8s %8s %8s" % ("5 daemons, loopback, default gossip", "median", "min", "max"))
print("%-38s %7.2fs %7.2fs %7.2fs" % ("kill -9 seen by all others",
      statistics.median(d) / 1e3, min(d) / 1e3, max(d) / 1e3))
print("%-38s %7.2fs %7.2fs %7.2fs" % ("restart RUNNING everywhere",
      statistics.median(j) / 1e3, min(j) / 1e3, max(j) / 1e3))
print("%-38s %8s" % ("Supvisors (tick 5 s x 2-3)", "10-15s"))
EOF
