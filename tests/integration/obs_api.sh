#!/bin/sh
# The observability routes against a real daemon: /metrics through
# promtool, /v1/events (a stop and a start seen as process events,
# ?type= filter, Last-Event-ID resume), the TCP listener's token (401
# without it, reads opened by http_public_read) and the CSRF guard
# (415 for a TCP write without Content-Type: application/json).
. "$(dirname "$0")/lib/daemon.sh"

command -v promtool >/dev/null || { echo "promtool missing"; exit 77; }
. "$(dirname "$0")/lib/obs.sh"
PORT=$(free_port) || fail "no free port"
GOSSIP=$(free_port "$PORT") || fail "no free port"
printf 's3cret-token\n' >"$T/token"
chmod 600 "$T/token"
instance_yaml "$GOSSIP" >"$T/conf.yaml"
cat >>"$T/conf.yaml" <<EOF
  http: 127.0.0.1:$PORT
  http_token_file: $T/token
  http_public_read: true
applications:
  web:
    start_sequence: 1
    programs:
      server:
        command: ["$CHILD", "--sleep"]
        startsecs: 0
        start_sequence: 1
EOF
daemon_start "$T/conf.yaml"
NS='web:server'

# /metrics on both listeners, valid for promtool
curl -s -S --max-time 5 --unix-socket "$SOCK" http://localhost/metrics \
	>"$T/metrics.txt" || fail "GET /metrics"
promtool check metrics <"$T/metrics.txt" >"$T/promtool.txt" 2>&1 ||
	fail "promtool: $(cat "$T/promtool.txt")"
grep -q '^supvisors_sched_process_up{namespec="web:server",application="web",process="server",node="n1"} 1$' \
	"$T/metrics.txt" || fail "process_up: $(grep process_up "$T/metrics.txt")"
grep -q '^# TYPE supvisors_sched_process_restarts_total counter$' "$T/metrics.txt" ||
	fail "restarts counter"
n=$(grep -c '^# HELP supvisors_sched_build_info ' "$T/metrics.txt")
[ "$n" = 1 ] || fail "build_info HELP $n times"
h=$(curl -s -S --max-time 5 -o /dev/null -w '%{http_code} %{content_type}' \
	"http://127.0.0.1:$PORT/metrics")
[ "$h" = "200 text/plain; version=0.0.4; charset=utf-8" ] || fail "TCP /metrics: $h"

# the event stream sees a stop and a start
curl -s -N --max-time 20 --unix-socket "$SOCK" \
	"http://localhost/v1/events?type=event,process" >"$T/events.txt" &
CURL=$!
wait_for grep -q '^retry:' "$T/events.txt" || fail "no stream"
api POST "/v1/processes/$NS/stop" '{"wait":true}'
expect 200
api POST "/v1/processes/$NS/start" '{"wait":true}'
expect 200
wait_for grep -q '"from_state":"STARTING","expected":false' "$T/events.txt" ||
	fail "no RUNNING event: $(cat "$T/events.txt")"
kill "$CURL" 2>/dev/null
grep -q '^event: event$' "$T/events.txt" || fail "no event kind"
grep -q '^event: process$' "$T/events.txt" || fail "no process kind"
grep -q '"state":"STOPPED"' "$T/events.txt" || fail "no STOPPED"
grep -q '^event: supvisors$' "$T/events.txt" && fail "type filter let supvisors through"
# every data line is one JSON object
grep '^data: ' "$T/events.txt" | sed 's/^data: //' | python3 -c '
import json, sys
for line in sys.stdin:
    json.loads(line)' || fail "bad JSON in events"

# resume: from the id of the first event, the rest again
first=$(grep -m1 '^id: ' "$T/events.txt" | sed 's/^id: //')
curl -s -N --max-time 2 --unix-socket "$SOCK" -H "Last-Event-ID: $first" \
	"http://localhost/v1/events?type=process" >"$T/resume.txt"
grep -q '"state":"RUNNING"' "$T/resume.txt" || fail "resume: $(cat "$T/resume.txt")"
grep -q "^id: $first\$" "$T/resume.txt" && fail "resume replayed $first"
api GET "/v1/events?type=nope"
expect 400

# TCP: reads are public, writes need the token and JSON
tcp() { # EXPECTED METHOD PATH [CURL ARGS...]
	_e=$1 _m=$2 _p=$3
	shift 3
	h=$(curl -s -o /dev/null -w '%{http_code}' -X "$_m" "$@" \
		"http://127.0.0.1:$PORT$_p")
	[ "$h" = "$_e" ] || fail "TCP $_m $_p $*: $h, expected $_e"
}
J='Content-Type: application/json'
tcp 401 POST "/v1/processes/$NS/stop" -H "$J" --data '{}'
tcp 401 POST "/v1/processes/$NS/stop" -H 'Authorization: Bearer wrong' -H "$J" --data '{}'
tcp 415 POST "/v1/processes/$NS/stop" -H 'Authorization: Bearer s3cret-token' \
	-H 'Content-Type: text/plain' --data '{}'
state_is "$NS" RUNNING || fail "a refused write changed the state"
tcp 200 POST "/v1/processes/$NS/stop" -H 'Authorization: Bearer s3cret-token' \
	-H "$J" --data '{"wait":true}'
state_is "$NS" STOPPED || fail "the write with the token did not stop"
tcp 200 GET /v1/processes
tcp 200 GET /
tcp 405 POST /metrics -H 'Authorization: Bearer s3cret-token' -H "$J" --data '{}'

# the CLI follows the stream: NDJSON with --json, one line per event else
CLI=$D/$BUILD/bin/supvisors-sched
"$CLI" -s "$SOCK" events --type process --json >"$T/cli.json" 2>&1 &
C1=$!
"$CLI" -s "$SOCK" events >"$T/cli.txt" 2>&1 &
C2=$!
wait_for sh -c "curl -s --unix-socket '$SOCK' http://localhost/metrics |
	grep -q '^supvisors_sched_events_subscribers 2'" || fail "CLI not following"
api POST "/v1/processes/$NS/start" '{"wait":true}'
expect 200
wait_for grep -q '"state":"RUNNING"' "$T/cli.json" || fail "CLI --json: $(cat "$T/cli.json")"
wait_for grep -q ' process  *web:server RUNNING pid ' "$T/cli.txt" ||
	fail "CLI: $(cat "$T/cli.txt")"
kill "$C1" "$C2"
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert o["event"] == "process" and o["id"] > 0, o
    assert o["data"]["namespec"] == "web:server", o' "$T/cli.json" ||
	fail "CLI NDJSON: $(cat "$T/cli.json")"
"$CLI" -s "$SOCK" events --type bogus 2>/dev/null
[ $? = 2 ] || fail "events --type bogus is not a usage error"

n=$(curl -s -D - -o /dev/null "http://127.0.0.1:$PORT/" | grep -ci '^access-control')
[ "$n" = 0 ] || fail "CORS headers on the dashboard"
echo "ok"
