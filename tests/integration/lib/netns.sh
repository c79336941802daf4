# Shared by the network-namespace scripts (sourced after lib/cluster.sh,
# root only): three namespaces ${TAG}n1..n3 joined by veth pairs to a
# bridge in a fourth one, so that the host's network is not touched.
#
# netns_up TAG SUBNET   creates them, eth0 = SUBNET.i/24 in ${TAG}n$i,
#                       and removes them (and kills $PIDS) at exit
[ "$(id -u)" = 0 ] || { echo "not root"; exit 77; }
command -v ip >/dev/null && command -v nft >/dev/null ||
	{ echo "ip or nft missing"; exit 77; }

netns_cleanup() {
	for p in $PIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	for i in 1 2 3; do
		ip netns del "${TAG}n$i" 2>/dev/null
	done
	ip netns del "${TAG}b" 2>/dev/null
	cleanup
}

netns_up() { # TAG SUBNET
	TAG=$1
	trap netns_cleanup EXIT
	trap 'exit 1' INT TERM
	ip netns add "${TAG}b" || { echo "cannot create namespaces"; exit 77; }
	ip -n "${TAG}b" link add br0 type bridge || fail "no bridge"
	ip -n "${TAG}b" link set br0 up
	for i in 1 2 3; do
		ns=${TAG}n$i
		ip netns add "$ns" || fail "netns $ns"
		ip link add "${TAG}v$i" netns "$ns" type veth peer name "p$i" \
			netns "${TAG}b" || fail "veth $i"
		ip -n "${TAG}b" link set "p$i" master br0 up
		ip -n "$ns" link set "${TAG}v$i" name eth0
		ip -n "$ns" addr add "$2.$i/24" dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$ns" link set lo up
	done
}
