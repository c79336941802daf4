#!/bin/sh
# Three daemons in three network namespaces joined by veth pairs and a
# bridge (in a fourth namespace, so that the host's network is not
# touched), nftables dropping 10 % of the packets each namespace receives
# at random: after they all are RUNNING, no instance is seen FAILED,
# STOPPED or ISOLATED by another over 60 s.  Default gossip tunables,
# a real key file (the addresses are not loopback).  Root only.
. "$(dirname "$0")/lib/cluster.sh"

[ "$(id -u)" = 0 ] || { echo "not root"; exit 77; }
command -v ip >/dev/null && command -v nft >/dev/null ||
	{ echo "ip or nft missing"; exit 77; }
HOLD_S=${HOLD_S:-60}
TAG=svc$$
BR=${TAG}b

netns_cleanup() {
	for p in $PIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	for i in 1 2 3; do
		ip netns del "${TAG}n$i" 2>/dev/null
	done
	ip netns del "$BR" 2>/dev/null
	cleanup
}
trap netns_cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$BR" || { echo "cannot create namespaces"; exit 77; }
ip -n "$BR" link add br0 type bridge || fail "no bridge"
ip -n "$BR" link set br0 up
for i in 1 2 3; do
	ns=${TAG}n$i
	ip netns add "$ns" || fail "netns $ns"
	ip link add "${TAG}v$i" netns "$ns" type veth peer name "p$i" \
		netns "$BR" || fail "veth $i"
	ip -n "$BR" link set "p$i" master br0 up
	ip -n "$ns" link set "${TAG}v$i" name eth0
	ip -n "$ns" addr add "10.77.0.$i/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
	ip netns exec "$ns" nft -f - <<EOF || fail "nft in $ns"
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
