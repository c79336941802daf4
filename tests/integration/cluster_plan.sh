#!/bin/sh
# The cluster commands against one daemon (ports 17240-17241): `plan` of
# an application and of a namespec (a placement, "already running", and
# "No resource available" once the loads pass 100), POST /v1/plan's
# errors, `conflicts` empty, `conciliate` outside CONCILIATION, `end-sync`
# without USER synchro, `state` in OPERATION with the master, the usage
# errors and the routes' methods, then `shutdown` through the cluster;
# then a cluster of one with USER synchro: SYNCHRONIZATION until
# `end-sync`, OPERATION after, `restart` of the cluster (the daemon
# executes itself again, back in SYNCHRONIZATION), then `shutdown`.
. "$(dirname "$0")/lib/daemon.sh"

CLI=$D/$BUILD/bin/supvisors-sched
[ -x "$CLI" ] || { echo "no $CLI"; exit 77; }
sc() { "$CLI" -s "$SOCK" --no-color "$@"; }

# web:srv, started at once, 10 %
web_yaml() {
	cat <<EOF
applications:
  web:
    start_sequence: 1
    programs:
      srv:
        command: ["$CHILD", "--sleep"]
        startsecs: 0
        start_sequence: 1
        expected_loading: 10
EOF
}

instance_yaml 17240 >"$T/conf.yaml"
web_yaml >>"$T/conf.yaml"
cat >>"$T/conf.yaml" <<EOF
  heavy:
    starting_strategy: LESS_LOADED
    programs:
      p1:
        command: ["$CHILD", "--sleep"]
        start_sequence: 1
        expected_loading: 40
      p2:
        command: ["$CHILD", "--sleep"]
        start_sequence: 2
        expected_loading: 40
      p3:
        command: ["$CHILD", "--sleep"]
        start_sequence: 3
        expected_loading: 40
EOF

daemon_start "$T/conf.yaml"
wait_for state_is web:srv RUNNING || fail "web:srv did not start"

# run CODE command...: the exit status, stdout in $T/out, stderr in $T/err
run() {
	_want=$1; shift
	"$@" >"$T/out" 2>"$T/err"
	_got=$?
	[ "$_got" = "$_want" ] || fail "'$*' exit $_got, expected $_want:
$(cat "$T/out" "$T/err")"
}
has() { grep -q -- "$1" "$T/out" || fail "no '$1' in: $(cat "$T/out")"; }

# ---------------------------------------------------------------- plan
# 10 (web:srv) + 40 + 40 fits, the third 40 does not
api POST /v1/plan '{"application":"heavy"}'
expect 200 'len(d["placements"])' 3 \
	'd["placements"][0]["namespec"]' heavy:p1 \
	'd["placements"][0]["instance"]' n1 \
	'd["placements"][0]["reason"]' placed \
	'd["placements"][1]["instance"]' n1 \
	'd["placements"][2]["instance"]' null \
	'd["placements"][2]["reason"]' "No resource available" \
	'len(d["placements"][2]["excluded"])' 1 \
	'd["placements"][2]["excluded"][0]["instance"]' n1
api POST /v1/plan '{"namespec":"heavy:p3","strategy":"MOST_LOADED"}'
expect 200 'len(d["placements"])' 1 \
	'd["placements"][0]["instance"]' n1 \
	'd["placements"][0]["reason"]' placed \
	'd["placements"][0]["excluded"]' '[]'
api POST /v1/plan '{"namespec":"web:srv"}'
expect 200 'd["placements"][0]["reason"]' "already running"
# the dry run reserved nothing: the same answer twice
api POST /v1/plan '{"application":"heavy"}'
expect 200 'd["placements"][1]["instance"]' n1
api POST /v1/plan '{"namespec":"heavy:*"}'
expect 200 'len(d["placements"])' 3 \
	'd["placements"][2]["reason"]' "No resource available"
api POST /v1/plan '{"application":"nope"}'
expect 404 'd["error"]["code"]' BAD_NAME
api POST /v1/plan '{"namespec":"nope:*"}'
expect 404 'd["error"]["message"]' "no such application 'nope'"
api POST /v1/plan '{"namespec":"heavy:nope"}'
expect 404 'd["error"]["code"]' BAD_NAME
api POST /v1/plan '{"application":"heavy","strategy":"FASTEST"}'
expect 400 'd["error"]["code"]' BAD_REQUEST
api POST /v1/plan '{"application":"heavy","namespec":"web:srv"}'
expect 400 'd["error"]["code"]' BAD_REQUEST
api POST /v1/plan '{"application":'
expect 400 'd["error"]["code"]' BAD_REQUEST
api GET /v1/plan
expect 405 'd["error"]["code"]' METHOD_NOT_ALLOWED

run 1 sc plan heavy
has 'heavy:p1  *n1  *placed'
has 'heavy:p3  *-  *No resource available  *n1: would exceed 100 %'
run 0 sc plan --strategy LOCAL heavy:p2
has 'heavy:p2  *n1  *placed'
run 0 sc plan web
has 'web:srv  *n1  *already running'
run 0 sc --json plan heavy:p1
has '"placements":\[{"namespec":"heavy:p1","instance":"n1"'
run 0 sc plan --json heavy:p1
has '"placements":\[{"namespec":"heavy:p1","instance":"n1"'
run 4 sc plan nope
run 4 sc plan heavy:nope
run 2 sc plan --strategy FASTEST heavy
run 2 sc plan
run 2 sc plan a b

# ---------------------------------------------------------------- conflicts
api GET /v1/conflicts
expect 200 'd["conflicts"]' '[]'
run 0 sc conflicts
has 'no conflict'
run 0 sc conflicts --json
has '{"conflicts":\[\]}'
run 2 sc conflicts extra

# ---------------------------------------------------------------- conciliate
api POST /v1/conciliate '{"strategy":"SENICIDE"}'
expect 409 'd["error"]["code"]' BAD_STATE \
	'"not in CONCILIATION" in d["error"]["message"]' true
api POST /v1/conciliate '{"strategy":"USER"}'
expect 400 'd["error"]["code"]' BAD_REQUEST
api POST /v1/conciliate '{"strategy":"NOPE"}'
expect 400 'd["error"]["code"]' BAD_REQUEST
api POST /v1/conciliate '{}'
expect 400 'd["error"]["code"]' BAD_REQUEST
run 1 sc conciliate INFANTICIDE
grep -q 'not in CONCILIATION' "$T/err" || fail "conciliate: $(cat "$T/err")"
run 2 sc conciliate USER
run 2 sc conciliate

# ---------------------------------------------------------------- end_sync
# the dashboard's body is {}
api POST /v1/end_sync '{}'
expect 409 'd["error"]["code"]' USER_NOT_CONFIGURED
api POST /v1/end_sync '{"master":"n1"}'
expect 409 'd["error"]["code"]' USER_NOT_CONFIGURED
api POST /v1/end_sync '{"master":3}'
expect 400 'd["error"]["code"]' BAD_REQUEST
run 1 sc end-sync
grep -q 'USER is not among cluster.synchro' "$T/err" ||
	fail "end-sync: $(cat "$T/err")"
run 2 sc end-sync a b

# ---------------------------------------------------------------- state
run 0 sc state
has 'STATE  *MASTER  *DEGRADED'
has 'OPERATION  *n1  *no'
api GET /v1/state
expect 200 'd["state"]' OPERATION 'd["master"]' n1 'd["degraded"]' false

# ---------------------------------------------------------------- shutdown
api GET /v1/shutdown
expect 405 'd["error"]["code"]' METHOD_NOT_ALLOWED
api POST /v1/shutdown '{"now":true}'
expect 400 'd["error"]["code"]' BAD_REQUEST
run 0 sc shutdown
has 'shutting down the cluster (SHUTTING_DOWN, master n1)'
daemon_exit_ok

# ---------------------------------------------------------------- USER synchro
# a cluster of one that waits for end_sync in SYNCHRONIZATION
instance_yaml 17241 >"$T/user.yaml"
cat >>"$T/user.yaml" <<EOF
cluster:
  instances:
    n1: "127.0.0.1:17241"
  synchro: [USER]
EOF
web_yaml >>"$T/user.yaml"
"$BIN" -c "$T/user.yaml" -v >>"$T/daemon.log" 2>&1 &
DPID=$!
in_state() {
	api GET /v1/state
	[ "$STATUS" = 200 ] && [ "$(jq_get 'd["state"]')" = "$1" ]
}
wait_for in_state SYNCHRONIZATION || fail "no SYNCHRONIZATION: $BODY"
run 0 sc state
has 'SYNCHRONIZATION  *-  *no'
run 1 sc conciliate STOP
grep -q 'not in CONCILIATION but in SYNCHRONIZATION' "$T/err" ||
	fail "conciliate: $(cat "$T/err")"
run 1 sc shutdown
run 4 sc end-sync nope
api POST /v1/end_sync '{"master":"n1"}'
expect 200 'd["instance"]' n1
wait_for in_state OPERATION || fail "end_sync did not lead to OPERATION"
expect 200 'd["master"]' n1
wait_for state_is web:srv RUNNING || fail "no DISTRIBUTION after end_sync"
run 1 sc end-sync
grep -q 'past SYNCHRONIZATION' "$T/err" || fail "end-sync: $(cat "$T/err")"
api GET /v1/processes/web:srv
old_pid=$(jq_get 'd["processes"][0]["pid"]')
run 0 sc --json restart
has '"state":"RESTARTING","master":"n1"'
# the same daemon (pid) executes itself again and waits for end_sync
wait_for in_state SYNCHRONIZATION || fail "no SYNCHRONIZATION after restart"
kill -0 "$DPID" || fail "the daemon did not re-execute itself"
[ "$(jq_get 'd["uptime_seconds"] < 5')" = true ] || fail "not restarted: $BODY"
run 0 sc end-sync
has 'synchronization ended: master n1'
wait_for in_state OPERATION || fail "no OPERATION after the restart"
wait_for state_is web:srv RUNNING || fail "web:srv not started again"
[ "$(pid_of web:srv)" != "$old_pid" ] || fail "web:srv kept pid $old_pid"
run 0 sc shutdown
daemon_exit_ok
echo "cluster_plan ok"
