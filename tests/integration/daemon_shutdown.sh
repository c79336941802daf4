#!/bin/sh
# Ordered shutdown: SIGTERM stops applications by stop_sequence
# descending (a slow stopper of a higher rank holds the lower ranks), then
# the daemon exits 0.  A second SIGTERM kills everything at once.
. "$(dirname "$0")/lib/daemon.sh"

instance_yaml 17103 >"$T/conf.yaml"
cat >>"$T/conf.yaml" <<EOF
applications:
  early:
    start_sequence: 1
    stop_sequence: 1
    programs:
      fast:
        command: ["$CHILD", "--sleep"]
        startsecs: 0
        start_sequence: 1
  late:
    start_sequence: 2
    stop_sequence: 2
    programs:
      slow:
        command: ["$CHILD", "--ignore-term", "--sleep"]
        startsecs: 0
        start_sequence: 1
        stopwaitsecs: 1s
EOF

# readiness datagrams, to an abstract socket as systemd uses
python3 - "$T/notify.out" "supvisors-test-$$" <<'EOP' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + sys.argv[2])
s.settimeout(30)
with open(sys.argv[1], "a") as out:
    open(sys.argv[1] + ".ready", "w").close()
    while True:
        try:
            m = s.recv(4096).decode()
        except socket.timeout:
            break
        out.write(m + "\n")
        out.flush()
        if m == "STOPPING=1":
            break
EOP
npid=$!
wait_for test -e "$T/notify.out.ready" || fail "no notify listener"
NOTIFY_SOCKET="@supvisors-test-$$" daemon_start "$T/conf.yaml"
wait_for state_is late:slow RUNNING || fail "not started"
wait_for state_is early:fast RUNNING || fail "not started"
kill -TERM "$DPID"
daemon_exit_ok
wait "$npid"
grep -qx 'READY=1' "$T/notify.out" || fail "no READY=1: $(cat "$T/notify.out")"
grep -qx 'STOPPING=1' "$T/notify.out" || fail "no STOPPING=1"
grep -q '^STATUS=' "$T/notify.out" || fail "no STATUS="
slow=$(grep -n 'stopped: late:slow' "$T/daemon.log" | cut -d: -f1)
fast=$(grep -n 'stopped: early:fast' "$T/daemon.log" | cut -d: -f1)
[ -n "$slow" ] && [ -n "$fast" ] || fail "stops not logged"
[ "$slow" -lt "$fast" ] || fail "early:fast stopped before late:slow"
grep 'stopped: late:slow' "$T/daemon.log" | grep -q SIGKILL ||
	fail "late:slow was not killed after stopwaitsecs"

# a second SIGTERM does not wait for stopwaitsecs
sed -i 's/stopwaitsecs: 1s/stopwaitsecs: 120s/' "$T/conf.yaml"
daemon_start "$T/conf.yaml"
wait_for state_is late:slow RUNNING || fail "not started"
kill -TERM "$DPID"
wait_for state_is late:slow STOPPING || fail "not stopping"
kill -TERM "$DPID"
WAIT_S=10 daemon_exit_ok
echo "shutdown ok"
