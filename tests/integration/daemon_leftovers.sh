#!/bin/sh
# After kill -9 of the daemon, what its children left behind (a child
# that dropped PR_SET_PDEATHSIG, a grandchild) is stopped by the next
# daemon before it starts anything.
. "$(dirname "$0")/lib/daemon.sh"

instance_yaml 17104 >"$T/conf.yaml"
cat >>"$T/conf.yaml" <<EOF
applications:
  app:
    start_sequence: 1
    programs:
      stubborn:
        command: ["$CHILD", "--no-pdeathsig", "--pidfile", "$T/child.pid", "--sleep"]
        startsecs: 0
        start_sequence: 1
      parent:
        command: ["$CHILD", "--grandchild", "$T/gc.pid", "--sleep"]
        startsecs: 0
        start_sequence: 1
EOF

daemon_start "$T/conf.yaml"
wait_for test -s "$T/gc.pid" || fail "no grandchild"
wait_for test -s "$T/child.pid" || fail "no child"
gc=$(cat "$T/gc.pid")
child=$(cat "$T/child.pid")
wait_for test -s "$T/state/children" || fail "no state file"
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
kill -0 "$gc" || fail "the grandchild died with the daemon already"
kill -0 "$child" || fail "the child died with the daemon already"
rm -f "$T/gc.pid" "$T/child.pid"

dead() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status"; }
daemon_start "$T/conf.yaml"
dead "$gc" || fail "leftover grandchild $gc still runs"
dead "$child" || fail "leftover child $child still runs"
grep -q "left by a previous daemon" "$T/daemon.log" || fail "not logged"
wait_for test -s "$T/gc.pid" || fail "not restarted"

# a second daemon on the same socket refuses to start, and touches
# nothing of the first one's
gc=$(cat "$T/gc.pid")
"$BIN" -c "$T/conf.yaml" >"$T/second.log" 2>&1
rc=$?
[ $rc = 1 ] || fail "second daemon: exit $rc, expected 1"
grep -q "another daemon answers" "$T/second.log" || fail "$(cat "$T/second.log")"
kill -0 "$gc" || fail "the second daemon killed the first one's processes"
kill -TERM "$DPID"
wait_for daemon_gone || fail "daemon did not exit"
echo "leftovers ok"
