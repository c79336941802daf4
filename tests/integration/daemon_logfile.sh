#!/bin/sh
# -l FILE: the daemon's own log goes to FILE instead of stderr, and
# SIGUSR2 reopens it after logrotate moved it away.
. "$(dirname "$0")/lib/daemon.sh"

instance_yaml 17150 >"$T/conf.yaml"
cat >>"$T/conf.yaml" <<EOY
applications:
  app:
    start_sequence: 1
    programs:
      one:
        command: ["$CHILD", "--sleep"]
        startsecs: 0
        start_sequence: 1
EOY
"$BIN" -c "$T/conf.yaml" -l "$T/own.log" >"$T/daemon.log" 2>&1 &
DPID=$!
wait_for answers || fail "daemon did not answer on $SOCK"
wait_for grep -q "app:one entered RUNNING" "$T/own.log" || fail "nothing logged to -l file"
[ ! -s "$T/daemon.log" ] || fail "stderr used despite -l: $(cat "$T/daemon.log")"
mv "$T/own.log" "$T/own.log.1"
kill -USR2 "$DPID"
wait_for grep -q "reopened" "$T/own.log" || fail "no new log file after SIGUSR2"
"$BIN" -c "$T/conf.yaml" -l "$T/nodir/x.log" >"$T/bad.out" 2>&1 &&
	fail "started with an unwritable log file"
grep -q "cannot open the log file" "$T/bad.out" || fail "bad -l: $(cat "$T/bad.out")"
kill -TERM "$DPID"
daemon_exit_ok
echo "log file ok"
