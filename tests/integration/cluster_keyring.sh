#!/bin/sh
# Key rotation across a live cluster: three daemons on loopback, each with
# its own key file holding key A.  From n1: install key B (every key file
# gets it), make it primary (every key file starts with it), remove A
# (every key file holds B alone); the cluster stays RUNNING throughout.
# A fourth daemon started with only A is then refused by everyone (its
# packets dropped as unauthenticated, never RUNNING), and taken in once
# it has B.  Refusals (removing the primary key, an unknown fingerprint,
# a bad key) and an instance that does not answer make the CLI exit
# non-zero; a cluster on the loopback key (no key file) refuses any
# change.
. "$(dirname "$0")/lib/cluster.sh"

N=4
ALL="n1 n2 n3"
CLI=$D/$BUILD/bin/supvisors-sched

write_conf() {
	cluster_conf "$T/conf.yaml" "$1" $N
	sed -i "s|^cluster:\$|cluster:\n  key_file: $T/%(instance_name)s/cluster.key|" \
		"$T/conf.yaml"
}

key_a=$("$CLI" keygen) || fail "keygen"
key_b=$("$CLI" keygen) || fail "keygen"
for n in n1 n2 n3 n4; do
	mkdir -p "$T/$n"
	(umask 077 && printf '%s\n' "$key_a" >"$T/$n/cluster.key")
done
(umask 077 && printf '%s\n' "$key_b" >"$T/key_b")

cluster_up write_conf
wait_for all_running $ALL || fail "not every instance RUNNING everywhere"
echo "n1 n2 n3 RUNNING on key A"

kr() { # NAME ARGS...: the CLI on NAME's socket; output in $OUT, code $RC
	_n=$1
	shift
	OUT=$("$CLI" -s "$T/$_n/control.sock" keyring "$@" 2>&1)
	RC=$?
}

kr n2 list --json
[ $RC = 0 ] || fail "keyring list: $RC $OUT"
BODY=$OUT
fp_a=$(jq_get 'd["keys"][0]["fingerprint"]')
[ "$(jq_get '[len(d["keys"]), sorted(d["keys"][0]["instances"]), d["keys"][0]["primary"], sorted(d["acked"]), d["missing"]]')" = \
	'[1, ["n1", "n2", "n3"], true, ["n1", "n2", "n3"], []]' ] ||
	fail "keyring list: $BODY"
printf '%s' "$BODY" | grep -q "$key_a" && fail "list shows key material"

keyfiles_are() { # LINE... : every key file of n1..n3 holds these keys
	_want=$(printf '%s\n' "$@")
	for n in $ALL; do
		[ "$(cat "$T/$n/cluster.key")" = "$_want" ] || return 1
		[ "$(stat -c %a "$T/$n/cluster.key")" = 600 ] || return 1
	done
}

# 1. install B everywhere
kr n1 install "$T/key_b"
[ $RC = 0 ] || fail "keyring install: $RC $OUT"
echo "install: $OUT"
keyfiles_are "$key_a" "$key_b" || fail "key files after install: $(cat "$T"/n*/cluster.key)"
kr n3 list
[ $RC = 0 ] || fail "keyring list: $OUT"
fp_b=$("$CLI" -s "$T/n1/control.sock" --json keyring list |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"][1]["fingerprint"])')
printf '%s\n' "$OUT" | grep -q "^$fp_b  *3/3  *0/3" || fail "list after install: $OUT"

# refusals: nothing changes
kr n1 remove "$fp_a"
[ $RC = 1 ] && printf '%s' "$OUT" | grep -q 'primary' ||
	fail "removing the primary key: $RC $OUT"
kr n1 use 0123456789abcdef
[ $RC = 4 ] || fail "using an unknown key: $RC $OUT"
printf 'not a key\n' | "$CLI" -s "$T/n1/control.sock" keyring install - 2>/dev/null
[ $? = 2 ] || fail "installing a bad key"
keyfiles_are "$key_a" "$key_b" || fail "a refusal changed the key files"

# 2. B primary everywhere (named by a prefix of its fingerprint)
kr n2 use "$(printf '%.8s' "$fp_b")"
[ $RC = 0 ] || fail "keyring use: $RC $OUT"
echo "use: $OUT"
keyfiles_are "$key_b" "$key_a" || fail "key files after use: $(cat "$T"/n*/cluster.key)"

# 3. A removed everywhere
kr n1 remove "$fp_a"
[ $RC = 0 ] || fail "keyring remove: $RC $OUT"
echo "remove: $OUT"
keyfiles_are "$key_b" || fail "key files after remove: $(cat "$T"/n*/cluster.key)"
wait_for all_running $ALL || fail "cluster not RUNNING on key B"
kr n3 list --json
BODY=$OUT
[ "$(jq_get '[[k["fingerprint"], sorted(k["primary_on"])] for k in d["keys"]]')" = \
	"[[\"$fp_b\", [\"n1\", \"n2\", \"n3\"]]]" ] || fail "list after rotation: $BODY"
echo "rotated to key B ($fp_b): n1 n2 n3 RUNNING"

# a daemon that only has A is refused
iapi n1 /v1/instances
auth0=$(jq_get 'd["gossip"]["dropped"]["auth"]')
inst_start n4 "$T/conf.yaml"
auth_drops() {
	iapi n1 /v1/instances || return 1
	[ "$(jq_get "d['gossip']['dropped']['auth'] > $auth0 + 3")" = true ]
}
wait_for auth_drops || fail "n1 drops nothing from n4"
for a in $ALL; do
	state_is "$a" n4 RUNNING && fail "$a takes n4 on key A in"
done
echo "n4 on key A: refused ($(jq_get 'd["gossip"]["dropped"]["auth"] - '"$auth0") datagrams dropped by n1)"
inst_kill n4
(umask 077 && cp "$T/n1/cluster.key" "$T/n4/cluster.key")
inst_start n4 "$T/conf.yaml"
wait_for all_running n1 n2 n3 n4 || fail "n4 on key B not RUNNING"
echo "n4 on key B: RUNNING everywhere"

# an instance that does not answer: reported, exit 1; once it is known
# lost, the same install again (idempotent) succeeds
inst_kill n4
kr n1 install "$T/key_c"
[ $RC = 1 ] || fail "installing a missing file: $RC"
key_c=$("$CLI" keygen)
(umask 077 && printf '%s\n' "$key_c" >"$T/key_c")
kr n1 install "$T/key_c"
if [ $RC = 0 ]; then
	echo "n4 was already known dead: nobody missing"
else
	[ $RC = 1 ] && printf '%s' "$OUT" | grep -q 'n4: no answer' ||
		fail "an instance gone: $RC $OUT"
	echo "install with n4 gone: $(printf '%s' "$OUT" | tr '\n' ' ')"
fi
keyfiles_are "$key_b" "$key_c" || fail "key files after install C"
n4_lost() { state_is n1 n4 FAILED STOPPED; }
wait_for n4_lost || fail "n4 not seen lost"
kr n1 install "$T/key_c"
[ $RC = 0 ] || fail "installing C again, n4 known lost: $RC $OUT"
wait_for all_running $ALL || fail "cluster not RUNNING at the end"

# a cluster without a key file runs on the loopback key: listed, never
# changed, and the CLI says why
cluster_conf "$T/solo.yaml" $(( P0 + 8 )) 1
sed -i 's/\bn1\b/solo/; s/name: itest/name: solo/' "$T/solo.yaml"
inst_start solo "$T/solo.yaml"
wait_for iapi solo /v1/state || fail "solo does not answer"
kr solo list --json
BODY=$OUT
[ $RC = 0 ] && [ "$(jq_get '[d["key_file"], len(d["keys"])]')" = '[null, 1]' ] ||
	fail "list on the loopback key: $RC $OUT"
kr solo install "$T/key_c"
[ $RC = 1 ] && printf '%s' "$OUT" | grep -q 'loopback key' ||
	fail "install on the loopback key: $RC $OUT"
echo "loopback key: $OUT"
! grep -l 'AddressSanitizer\|runtime error' "$T"/*.log ||
	fail "sanitizer reports"
grep -h 'keyring:' "$T"/n2.log | head -n 5
echo "PASS"
