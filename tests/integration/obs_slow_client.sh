#!/bin/sh
# A client of /v1/events that stops reading must not hold the daemon
# back: once 512 KiB wait for it, it gets a final "dropped" event and
# its stream ends, while the daemon keeps answering and other clients
# keep receiving.  Fifty processes started and stopped as one
# application make the events.
. "$(dirname "$0")/lib/daemon.sh"

. "$(dirname "$0")/lib/obs.sh"
GOSSIP=$(free_port) || fail "no free port"
instance_yaml "$GOSSIP" >"$T/conf.yaml"
cat >>"$T/conf.yaml" <<EOF
applications:
  many:
    start_sequence: 1
    programs:
      p:
        command: ["$CHILD", "--sleep"]
        start_sequence: 1
        numprocs: 50
        process_name: "p_%(process_num)02d"
        startsecs: 0
        stopwaitsecs: 5s
EOF
daemon_start "$T/conf.yaml"
wait_for state_is many:p_49 RUNNING || fail "start sequence"

# the slow client: a small receive buffer, reads nothing until told
python3 - "$SOCK" "$T" <<'EOF' &
import os, socket, sys, time
sock, t = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sock)
s.sendall(b"GET /v1/events HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
open(t + "/slow.started", "w").close()
end = time.time() + 60
while not os.path.exists(t + "/slow.read"):
    if time.time() > end:
        sys.exit(1)
    time.sleep(0.05)
data = b""
s.settimeout(20)
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
open(t + "/slow.txt", "wb").write(data)
EOF
SLOW=$!
curl -s -N --max-time 60 --unix-socket "$SOCK" \
	"http://localhost/v1/events?type=application" >"$T/fast.txt" &
FAST=$!
wait_for test -f "$T/slow.started" || fail "slow client"
subscribers() {
	curl -s --unix-socket "$SOCK" http://localhost/metrics |
		sed -n 's/^supvisors_sched_events_subscribers //p'
}
wait_for test "$(subscribers)" = 2 || fail "subscribers: $(subscribers)"
dropped() { [ "$(subscribers)" = 1 ]; }
i=0
while ! dropped && [ $i -lt 20 ]; do
	api POST /v1/applications/many/stop '{"wait":true}'
	expect 200
	api POST /v1/applications/many/start '{"wait":true}'
	expect 200
	i=$((i + 1))
done
dropped || fail "the slow client was never dropped after $i cycles"
api GET /v1/state
expect 200
touch "$T/slow.read"
wait "$SLOW" || fail "slow client reader"
tail -c 300 "$T/slow.txt" | grep -q '^event: dropped$' ||
	fail "no final dropped event: $(tail -c 300 "$T/slow.txt")"
tail -c 300 "$T/slow.txt" | grep -q '"last_id":[0-9]' || fail "no last_id"
# the fast client saw every cycle
n=$(grep -c '"state":"STOPPED"' "$T/fast.txt")
[ "$n" -ge "$i" ] || fail "fast client saw $n stops of $i"
kill "$FAST" 2>/dev/null
echo "ok: dropped after $i cycles"
