#!/bin/sh
# A real network partition: three daemons in three network namespaces
# joined by a bridge; nftables cuts n3 off.  n3 runs svc:p
# (RESTART_PROCESS, rules order n3, n2, n1): the n1-n2 side loses n3 and
# its master restarts svc:p on n2, while n3, alone, elects itself and
# keeps its copy.  The heal brings two masters together: one is elected
# (the lowest declared one, n1), svc:p runs on n2 and n3, the conflict is
# detected and resolved: by SENICIDE on its own (the copy on n2, the
# youngest, stays), then, in a second run with conciliation USER, by
# `conciliate STOP` (none stays).  Default gossip tunables.  Root only.
. "$(dirname "$0")/lib/cluster.sh"
. "$(dirname "$0")/lib/netns.sh"
WAIT_S=40
netns_up spt$$ 10.78.0
"$D/$BUILD/bin/supvisors-sched" keygen >"$T/key" || fail "keygen"
chmod 600 "$T/key"
CLI=$D/$BUILD/bin/supvisors-sched

partition() { # cut n3 off
	ip netns exec "${TAG}n3" nft -f - <<EOF || fail "nft"
table inet part {
	chain in { type filter hook input priority 0; iifname "eth0" drop; }
	chain out { type filter hook output priority 0; oifname "eth0" drop; }
}
EOF
}
heal() { ip netns exec "${TAG}n3" nft delete table inet part; }

pjson() { # FROM NAMESPEC FIELD
	iapi "$1" "/v1/processes/$2" || return 1
	jq_get "d['processes'][0]['$3']"
}
on() { [ "$(pjson "$1" svc:p state) $(pjson "$1" svc:p instance)" = "RUNNING $2" ]; }
master_is() { # FROM NAME
	iapi "$1" /v1/state || return 1
	[ "$(jq_get 'str(d["master"]) + " " + d["state"]')" = "$2 OPERATION" ]
}
state_of() { iapi "$1" /v1/state && jq_get 'd["state"]'; }

for STRATEGY in SENICIDE USER; do
	cat >"$T/conf.yaml" <<EOF
version: 1
instance:
  control: $T/%(instance_name)s/control.sock
  state_dir: $T/%(instance_name)s/state
  log_dir: $T/%(instance_name)s/log
  machine: "%(instance_name)s"
cluster:
  name: split
  key_file: $T/key
  conciliation_strategy: $STRATEGY
  instances:
    n1: {address: "10.78.0.1:17760"}
    n2: {address: "10.78.0.2:17760"}
    n3: {address: "10.78.0.3:17760"}
applications:
  svc:
    start_sequence: 1
    starting_strategy: CONFIG
    programs:
      p:
        command: ["$CHILD", "--sleep"]
        identifiers: [n3, n2, n1]
        startsecs: 0
        start_sequence: 1
        expected_loading: 10
        running_failure_strategy: RESTART_PROCESS
EOF
	rm -rf "$T"/n[123] "$T"/n[123].log
	PIDS=
	for i in 1 2 3; do
		ip netns exec "${TAG}n$i" "$BIN" -c "$T/conf.yaml" --name "n$i" -v \
			>>"$T/n$i.log" 2>&1 &
		eval "PID_n$i=$!"
		PIDS="$PIDS $!"
	done
	wait_for all_running n1 n2 n3 || fail "not all RUNNING"
	wait_for on n1 n3 || fail "svc:p not on n3: $BODY"
	partition
	wait_for on n1 n2 || fail "$STRATEGY: svc:p not restarted on n2: $BODY"
	wait_for master_is n3 n3 || fail "$STRATEGY: n3 alone is not its own master: $BODY"
	on n3 n3 || fail "$STRATEGY: n3 lost its copy"
	echo "$STRATEGY: partition: svc:p restarted on n2 by n1, kept on n3 by n3 (its own master)"
	heal
	if [ "$STRATEGY" = SENICIDE ]; then
		healed() {
			master_is n3 n1 && master_is n1 n1 &&
				[ "$(pjson n1 svc:p instances)" = '["n2"]' ] &&
				[ "$(pjson n3 svc:p instances)" = '["n2"]' ]
		}
		wait_for healed || fail "SENICIDE: not resolved after the heal: $BODY"
		grep -q 'SENICIDE applied' "$T/n1.log" || fail "no conciliation by n1"
		echo "SENICIDE: healed: master n1, the conflict resolved, svc:p on n2 only"
	else
		concil() { [ "$(state_of n2)" = CONCILIATION ] &&
			[ "$(pjson n2 svc:p conflict)" = true ]; }
		wait_for concil || fail "USER: no CONCILIATION after the heal: $BODY"
		listed() {
			out=$("$CLI" -s "$T/n3/control.sock" conflicts) &&
				printf '%s\n' "$out" | grep -q 'svc:p'
		}
		wait_for listed || fail "conflicts on n3: $out"
		"$CLI" -s "$T/n3/control.sock" conciliate STOP >/dev/null ||
			fail "conciliate STOP failed"
		stopped() { master_is n1 n1 &&
			[ "$(pjson n1 svc:p state) $(pjson n1 svc:p instances)" = "STOPPED []" ]; }
		wait_for stopped || fail "USER: conciliate STOP did not stop both: $BODY"
		echo "USER: healed: CONCILIATION until \`conciliate STOP\` from n3, then both copies stopped"
	fi
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
done
echo PASS
