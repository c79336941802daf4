#!/bin/sh
# auto_fence as Supvisors: a lost instance goes FAILED, then ISOLATED
# (the others are operating) with the reason shown; restarted, it is
# taken back (a newer boot generation) and RUNNING everywhere again.
. "$(dirname "$0")/lib/cluster.sh"

N=3
ALL="n1 n2 n3"
write_conf() {
	cluster_conf "$T/conf.yaml" "$1" $N
	sed -i 's/^cluster:$/cluster:\n  auto_fence: true/' "$T/conf.yaml"
}
cluster_up write_conf
wait_for all_running $ALL || fail "not every instance RUNNING everywhere"

fenced() {
	state_is n1 n3 ISOLATED && state_is n2 n3 ISOLATED
}
inst_kill n3
wait_for fenced || fail "n3 not ISOLATED by auto_fence"
inst_field n1 n3 reason | grep -q auto_fence || fail "no auto_fence reason"
echo "n3 lost: ISOLATED ($(inst_field n1 n3 reason))"
inst_start n3 "$T/conf.yaml"
wait_for all_running $ALL || fail "restarted n3 not taken back"
echo "n3 restarted: RUNNING everywhere"
! grep -l 'AddressSanitizer\|runtime error' "$T"/*.log ||
	fail "sanitizer reports"
echo "PASS"
