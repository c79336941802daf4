#!/bin/sh
# The dashboard in headless chromium (tests/browser/dashboard.cjs)
# against three instances on loopback (lib/cluster.sh), n1 serving it
# over TCP with a token and statistics on: the page loads, shows the
# three instances and processes of all of them, a click stops one of
# n1's processes and its row turns STOPPED without a reload.  /metrics
# with statistics and gossip counters goes through promtool first.
# Screenshot: $BUILD/dashboard.png.  Skipped (77) only when chromium,
# node or playwright-core (installed by make from
# tests/browser/package-lock.json) are missing.
. "$(dirname "$0")/lib/cluster.sh"

MODULES=$D/$BUILD/browser/node_modules
[ -x /usr/bin/chromium ] || { echo "chromium missing"; exit 77; }
command -v node >/dev/null || { echo "node missing"; exit 77; }
[ -f "$MODULES/playwright-core/package.json" ] ||
	{ echo "playwright-core missing (make $BUILD/browser/node_modules)"; exit 77; }
command -v promtool >/dev/null || { echo "promtool missing"; exit 77; }

ALL="n1 n2 n3"
alive_all() {
	for n in $ALL; do eval "kill -0 \$PID_$n" || return 1; done
}
settled() { # every instance answers, or one died (its port was taken)
	alive_all || return 0
	for n in $ALL; do iapi "$n" /v1/state || return 1; done
}
printf 'dash-token\n' >"$T/token"
chmod 600 "$T/token"
# Other worktrees may run this test at the same time: ports from a base
# at random in our range (17600-17699), others if any is taken.
tries=0
while :; do
	P0=$(( 17600 + 10 * $(python3 -c 'import random; print(random.randrange(9))') ))
	PORT=$(( P0 + 5 ))
	cluster_conf "$T/conf.yaml" "$P0" 3 "  web:
    start_sequence: 2
    starting_strategy: LESS_LOADED
    programs:
      server:
        command: [\"$CHILD\", \"--sleep\"]
        expected_loading: 5
        startsecs: 0
        start_sequence: 1
        numprocs: 3
        process_name: \"server_%(process_num)d\"
stats:
  collecting_period: 1s"
	sed "s|^  log_dir: .*|&\n  http: 127.0.0.1:$PORT\n  http_token_file: $T/token\n  http_public_read: true|" \
		"$T/conf.yaml" >"$T/n1.yaml"
	inst_start n1 "$T/n1.yaml"
	inst_start n2 "$T/conf.yaml"
	inst_start n3 "$T/conf.yaml"
	wait_for settled && alive_all &&
		curl -s -o /dev/null "http://127.0.0.1:$PORT/v1/state" && break
	tries=$(( tries + 1 ))
	[ $tries -lt 6 ] || fail "no free ports"
	echo "ports from $P0 busy, trying others"
	for n in $ALL; do inst_kill "$n"; done
	PIDS=
done
wait_for all_running $ALL || fail "not every instance RUNNING everywhere"
running() { # NAMESPEC on n1
	iapi n1 "/v1/processes/$1"
	[ "$(jq_get 'd["processes"][0]["state"]')" = RUNNING ]
}
wait_for running app:sleeper || fail "app:sleeper (LOCAL) not RUNNING on n1"

# /metrics with statistics and the gossip counters, valid for promtool
metric() {
	curl -s "http://127.0.0.1:$PORT/metrics" | grep -q "$1"
}
wait_for metric '^supvisors_sched_process_resident_memory_bytes{namespec="app:sleeper"' ||
	fail "no process statistics in /metrics"
curl -s "http://127.0.0.1:$PORT/metrics" >"$T/metrics.txt"
promtool check metrics <"$T/metrics.txt" >"$T/promtool.txt" 2>&1 ||
	fail "promtool: $(cat "$T/promtool.txt")"
for m in 'node_cpu_ratio{node="n1"} ' 'gossip_packets_total{direction="sent"} [1-9]' \
	'instance_state{node="n3",state="RUNNING"} 1'; do
	grep -q "^supvisors_sched_$m" "$T/metrics.txt" || fail "no $m in /metrics"
done
h=$(curl -s -I -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v1/events")
[ "$h" = 200 ] || fail "HEAD /v1/events: $h"

timeout 90 node "$D/tests/browser/dashboard.cjs" "$MODULES" \
	"http://127.0.0.1:$PORT/" dash-token app:sleeper \
	"$D/$BUILD/dashboard.png" "$T/profile" 3 >"$T/node.log" 2>&1 ||
	fail "browser: $(cat "$T/node.log")"
[ -s "$D/$BUILD/dashboard.png" ] || fail "no screenshot"
echo "ok: $BUILD/dashboard.png"
