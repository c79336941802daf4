#!/bin/sh
# Three daemons in three network namespaces joined by veth pairs and a
# bridge (in a fourth namespace, so that the host's network is not
# touched), nftables dropping 10 % of the packets each namespace receives
# at random: after they all are RUNNING, no instance is seen FAILED,
# STOPPED or ISOLATED by another over 60 s.  Default gossip tunables,
# a real key file (the addresses are not loopback).  Root only.
. "$(dirname "$0")/lib/cluster.sh"
. "$(dirname "$0")/lib/netns.sh"
HOLD_S=${HOLD_S:-60}
netns_up svc$$ 10.77.0
for i in 1 2 3; do
	ip netns exec "${TAG}n$i" nft -f - <<EOF || fail "nft in ${TAG}n$i"
table inet loss {
	chain in {
		type filter hook input priority 0;
		iifname "eth0" numgen random mod 10 0 counter drop
	}
}
EOF
done

"$D/$BUILD/bin/supvisors-sched" keygen >"$T/key" || fail "keygen"
chmod 600 "$T/key"
cat >"$T/conf.yaml" <<EOF
version: 1
instance:
  control: $T/%(instance_name)s/control.sock
  state_dir: $T/%(instance_name)s/state
  log_dir: $T/%(instance_name)s/log
cluster:
  name: lossy
  key_file: $T/key
  instances:
    n1: {address: "10.77.0.1:17750"}
    n2: {address: "10.77.0.2:17750"}
    n3: {address: "10.77.0.3:17750"}
EOF

for i in 1 2 3; do
	ip netns exec "${TAG}n$i" "$BIN" -c "$T/conf.yaml" --name "n$i" -v \
		>>"$T/n$i.log" 2>&1 &
	PIDS="$PIDS $!"
done
WAIT_S=20 wait_for all_running n1 n2 n3 || fail "not all RUNNING"
echo "3 instances RUNNING in 3 namespaces; holding ${HOLD_S}s at 10 % loss"

end=$(( $(date +%s) + HOLD_S ))
suspects=0
while [ "$(date +%s)" -lt "$end" ]; do
	for a in n1 n2 n3; do
		iapi "$a" /v1/instances || fail "$a does not answer"
		bad=$(jq_get '[i["name"] + " " + i["state"] for i in d["instances"] if i["state"] != "RUNNING"]')
		[ "$bad" = "[]" ] || fail "$a sees $bad"
		s=$(jq_get 'len([i for i in d["instances"] if i["suspect"]])')
		suspects=$(( suspects + s ))
	done
	sleep 1
done
dropped=$(for i in 1 2 3; do
	ip netns exec "${TAG}n$i" nft list chain inet loss in |
		sed -n 's/.*packets \([0-9]*\).*/\1/p'
done | awk '{ s += $1 } END { print s + 0 }')
echo "no instance lost over ${HOLD_S}s; packets dropped by nft: $dropped;" \
	"suspect flags seen in polls: $suspects"
echo "PASS"
