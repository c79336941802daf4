#!/bin/sh
# The dashboard in headless chromium (tests/browser/dashboard.cjs)
# against the example daemon (rules/examples/single.yaml, its paths moved
# under $T) served over TCP with a token: the page loads, shows the
# instances and processes, a click stops a process and its row turns
# STOPPED without a reload.  Screenshot: $BUILD/dashboard.png.
# Skipped (77) only when chromium, node or playwright-core (installed
# by make from tests/browser/package-lock.json) are missing.
. "$(dirname "$0")/lib/daemon.sh"

MODULES=$D/$BUILD/browser/node_modules
[ -x /usr/bin/chromium ] || { echo "chromium missing"; exit 77; }
command -v node >/dev/null || { echo "node missing"; exit 77; }
[ -f "$MODULES/playwright-core/package.json" ] ||
	{ echo "playwright-core missing (make $BUILD/browser/node_modules)"; exit 77; }

. "$(dirname "$0")/lib/obs.sh"
PORT=$(free_port) || fail "no free port"
GOSSIP=$(free_port "$PORT") || fail "no free port"
printf 'dash-token\n' >"$T/token"
chmod 600 "$T/token"
sed -e "s|/tmp/supvisors-demo/%(instance_name)s|$T|" \
	-e "s|^  control: .*|  control: $SOCK|" \
	-e "s|^  log_dir: .*|&\n  http: 127.0.0.1:$PORT\n  http_token_file: $T/token\n  http_public_read: true|" \
	-e "s|listen: 127.0.0.1:7700|listen: 127.0.0.1:$GOSSIP|" \
	"$D/rules/examples/single.yaml" >"$T/single.yaml"
daemon_start "$T/single.yaml"
# the start sequence is over once its last process runs
wait_for state_is batch:reporter RUNNING || fail "start sequence"

# with statistics on (the example's stats: section), /metrics has the
# node and process figures, and stays valid
command -v promtool >/dev/null || fail "promtool missing"
wait_for sh -c "curl -s http://127.0.0.1:$PORT/metrics |
	grep -q '^supvisors_sched_process_resident_memory_bytes{namespec=\"batch:cruncher\"'" ||
	fail "no process statistics in /metrics"
curl -s "http://127.0.0.1:$PORT/metrics" >"$T/metrics.txt"
promtool check metrics <"$T/metrics.txt" >"$T/promtool.txt" 2>&1 ||
	fail "promtool: $(cat "$T/promtool.txt")"
grep -q '^supvisors_sched_node_cpu_ratio{node="solo"} ' "$T/metrics.txt" ||
	fail "no node CPU in /metrics"
h=$(curl -s -I -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v1/events")
[ "$h" = 200 ] || fail "HEAD /v1/events: $h"

timeout 90 node "$D/tests/browser/dashboard.cjs" "$MODULES" \
	"http://127.0.0.1:$PORT/" dash-token batch:cruncher \
	"$D/$BUILD/dashboard.png" "$T/profile" >"$T/node.log" 2>&1 ||
	fail "browser: $(cat "$T/node.log")"
[ -s "$D/$BUILD/dashboard.png" ] || fail "no screenshot"
echo "ok: $BUILD/dashboard.png"
