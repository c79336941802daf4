#!/bin/sh
# The control API of one daemon: reads, process and application writes
# with wait, log tails, and bad input (malformed JSON, unknown names,
# ALREADY_STARTED, NOT_RUNNING, BAD_SIGNAL, unknown routes and methods).
. "$(dirname "$0")/lib/daemon.sh"

instance_yaml 17101 >"$T/conf.yaml"
cat >>"$T/conf.yaml" <<EOF
applications:
  web:
    start_sequence: 1
    programs:
      server:
        command: ["$CHILD", "--stdout", "300", "--sleep"]
        startsecs: 0
        start_sequence: 1
        expected_loading: 10
      worker:
        command: ["$CHILD", "--sleep"]
        numprocs: 2
        process_name: "worker_%(process_num)02d"
        startsecs: 0
        start_sequence: 2
  tools:
    programs:
      missing:
        command: ["/nonexistent/binary"]
      crash:
        command: ["$CHILD", "--exit", "3"]
        startsecs: 1s
        startretries: 0
      quick:
        command: ["$CHILD", "--after", "200", "--exit", "0"]
        startsecs: 0
EOF

daemon_start "$T/conf.yaml"

api GET /v1/state
expect 200 'd["state"]' OPERATION 'd["instance"]' n1 'd["master"]' n1
wait_for state_is web:worker_01 RUNNING || fail "start sequence did not run"
api GET /v1/processes
expect 200 'len(d["processes"])' 6
api GET /v1/processes/web:server
expect 200 'd["processes"][0]["state_code"]' 20 \
	'd["processes"][0]["instance"]' n1 \
	'd["processes"][0]["description"].startswith("pid ")' true \
	'd["processes"][0]["expected_loading"]' 10
api GET '/v1/processes/web:*'
expect 200 'len(d["processes"])' 3
api GET /v1/processes/tools:missing
expect 200 'd["processes"][0]["state"]' STOPPED \
	'd["processes"][0]["description"]' "Not started"
api GET /v1/applications
expect 200 '[a["name"] for a in d["applications"]]' '["web", "tools"]' \
	'd["applications"][0]["state"]' RUNNING \
	'd["applications"][0]["operational_status"]' Operational \
	'd["applications"][1]["state"]' STOPPED
api GET /v1/instances
expect 200 'd["instances"][0]["load"]' 10

# bad input
api GET /v1/processes/web:nope
expect 404 'd["error"]["code"]' BAD_NAME
api POST /v1/processes/nope:x/start
expect 404 'd["error"]["code"]' BAD_NAME
api GET /v1/nowhere
expect 404 'd["error"]["code"]' NOT_FOUND
api DELETE /v1/processes
expect 405 'd["error"]["code"]' METHOD_NOT_ALLOWED
api GET /v1/processes/web:server/start
expect 405
api POST /v1/processes/web:server/start '{"wait":'
expect 400 'd["error"]["code"]' BAD_REQUEST
api POST /v1/processes/web:server/start '{"bogus":1}'
expect 400 'd["error"]["code"]' BAD_REQUEST
api POST /v1/processes/web:server/start '[1,2]'
expect 400 'd["error"]["code"]' BAD_REQUEST
api POST /v1/processes/web:server/signal '{"signal":"NOPE"}'
expect 400 'd["error"]["code"]' BAD_SIGNAL
api POST /v1/processes/web:server/start '{"wait":true}'
expect 409 'd["error"]["code"]' ALREADY_STARTED \
	'd["results"][0]["ok"]' false
api POST /v1/processes/tools:quick/stop
expect 409 'd["error"]["code"]' NOT_RUNNING
api POST /v1/applications/web/start
expect 409 'd["error"]["code"]' ALREADY_STARTED
api POST /v1/applications/tools/stop
expect 409 'd["error"]["code"]' NOT_RUNNING
api POST /v1/applications/nope/stop
expect 404 'd["error"]["code"]' BAD_NAME

# spawn errors and failed starts
api POST /v1/processes/tools:missing/start '{"wait":true}'
expect 500 'd["error"]["code"]' SPAWN_ERROR \
	'd["results"][0]["state"]' FATAL
api GET /v1/processes/tools:missing
expect 200 'd["processes"][0]["description"]' \
	"spawn error: No such file or directory" \
	'd["processes"][0]["spawn_error"]' \
	"spawn error: No such file or directory"
api POST /v1/processes/tools:crash/start '{"wait":true}'
expect 500 'd["error"]["code"]' ABNORMAL_TERMINATION \
	'd["results"][0]["state"]' FATAL

# stop, start, restart with wait
pid1=$(pid_of web:server)
api POST /v1/processes/web:server/stop '{"wait":true}'
expect 200 'd["results"][0]["state"]' STOPPED 'd["results"][0]["ok"]' true
api POST /v1/processes/web:server/start '{"wait":true}'
expect 200 'd["results"][0]["state"]' RUNNING
pid2=$(pid_of web:server)
[ "$pid1" != "$pid2" ] || fail "same pid after stop/start"
api POST /v1/processes/web:server/restart '{"wait":true}'
expect 200 'd["results"][0]["state"]' RUNNING
pid3=$(pid_of web:server)
[ "$pid3" != "$pid2" ] && [ "$pid3" != 0 ] || fail "restart kept pid $pid3"
api POST /v1/processes/web:server/signal '{"signal":"CONT"}'
expect 200 'd["results"][0]["ok"]' true
api POST /v1/processes/tools:quick/start '{"wait":false}'
expect 200
wait_for state_is tools:quick EXITED || fail "quick did not exit"
api GET /v1/processes/tools:quick
expect 200 'd["processes"][0]["exit_status"]' 0

# application stop/start with wait
api POST /v1/applications/web/stop '{"wait":true}'
expect 200 'd["application"]["state"]' STOPPED \
	'all(r["state"] == "STOPPED" for r in d["results"])' true
api POST /v1/applications/web/start '{"wait":true}'
expect 200 'd["application"]["state"]' RUNNING \
	'all(r["ok"] for r in d["results"])' true

# log tail
n=$(curl -s --unix-socket "$SOCK" \
	'http://localhost/v1/processes/web:server/log?bytes=100' | wc -c)
[ "$n" = 100 ] || fail "log tail gave $n bytes, expected 100"
api GET '/v1/processes/web:server/log?stream=bad'
expect 400
api GET '/v1/processes/web:*/log'
expect 400

# follow: the tail then every byte written later, none twice, whenever
# the stream happened to connect relative to the restart
curl -s -N --max-time 3 --unix-socket "$SOCK" \
	'http://localhost/v1/processes/web:server/log?bytes=16000000&follow=1' \
	>"$T/follow.out" &
fpid=$!
api POST /v1/processes/web:server/restart '{"wait":true}'
expect 200
wait "$fpid"
cmp "$T/follow.out" "$T/log/server-stdout---web.log" ||
	fail "follow output differs from the log file"
n=$(wc -c <"$T/follow.out")
[ "$n" -ge 900 ] || fail "follow saw only $n bytes"

# extra_args: appended to the command line, kept for later spawns
api POST /v1/processes/tools:quick/start '{"wait":false,"extra_args":"--stdout 5"}'
expect 200
wait_for state_is tools:quick EXITED || fail "quick did not exit"
api GET /v1/processes/tools:quick
expect 200 'd["processes"][0]["extra_args"]' "--stdout 5"
n=$(curl -s --unix-socket "$SOCK" \
	'http://localhost/v1/processes/tools:quick/log' | wc -c)
[ "$n" = 5 ] || fail "extra_args: $n bytes logged, expected 5"
api POST /v1/processes/tools:quick/start '{"extra_args":"'"'"'open"}'
expect 400 'd["error"]["code"]' BAD_REQUEST

# SIGUSR2: log files are reopened (after logrotate moved them)
log=$T/log/server-stdout---web.log
mv "$log" "$log.old"
old=$(wc -c <"$log.old")
kill -USR2 "$DPID"
wait_for grep -q "log files reopened" "$T/daemon.log" || fail "no SIGUSR2"
api POST /v1/processes/web:server/restart '{"wait":true}'
expect 200
wait_for test -s "$log" || fail "no new log file after SIGUSR2"
[ "$(wc -c <"$log.old")" = "$old" ] || fail "the moved log still grows"

api POST /v1/shutdown
expect 202 'd["state"]' SHUTTING_DOWN
daemon_exit_ok
echo "daemon API ok"
