#!/bin/sh
# Statistics through the real daemon: the sampler's timer over its
# supervised processes (a busy loop, a 64 MiB allocation), GET
# /v1/stats/*, cpu_percent and mem_percent in /v1/instances, the
# `stats` and `status -o wide` commands, and the runtime switches.
. "$(dirname "$0")/lib/daemon.sh"

SCHILD=$D/$BUILD/tests/helpers/stats_child
CLI=$D/$BUILD/bin/supvisors-sched
[ -x "$SCHILD" ] || { echo "no $SCHILD"; exit 77; }

instance_yaml 17502 >"$T/conf.yaml"
cat >>"$T/conf.yaml" <<EOF
stats:
  collecting_period: 1s
  periods: [2s, 4s]
  history: 10
  irix_mode: true
applications:
  load:
    start_sequence: 1
    programs:
      busy:
        command: ["$SCHILD", "busy"]
        startsecs: 0
        start_sequence: 1
      mem:
        command: ["$SCHILD", "alloc", "64"]
        startsecs: 0
        start_sequence: 1
EOF

daemon_start "$T/conf.yaml"
wait_for state_is load:busy RUNNING || fail "load:busy did not start"

busy_measured() {
	api GET '/v1/stats/processes?namespec=load:busy'
	[ "$STATUS" = 200 ] &&
		[ "$(jq_get '(d["processes"][0]["cpu_percent"] or 0) > 5')" = true ]
}
wait_for busy_measured || fail "no CPU for load:busy: $BODY"
expect 200 'd["processes"][0]["instance"]' n1 \
	'd["processes"][0]["window"]["period_s"]' 2 \
	'd["processes"][0]["window"]["cpu_percent"]["points"] >= 1' true \
	'd["applications"][0]["name"]' load

mem_measured() {
	api GET '/v1/stats/processes?namespec=load:mem'
	[ "$(jq_get '(d["processes"][0]["rss_bytes"] or 0) >= 64 << 20')" = true ]
}
wait_for mem_measured || fail "no RSS for load:mem: $BODY"

api GET /v1/stats/instances
expect 200 'd["instances"][0]["name"]' n1 \
	'd["instances"][0]["cpu_percent"] is not None' true \
	'len(d["instances"][0]["cpu_per_core"]) >= 1' true \
	'd["instances"][0]["mem_percent"] > 0' true
api GET '/v1/stats?period=2'
expect 200 'd["instances"][0]["window"]["period_s"]' 4 \
	'len(d["processes"])' 2
api GET /v1/instances
expect 200 'd["instances"][0]["cpu_percent"] is not None' true \
	'd["instances"][0]["mem_percent"] > 0' true

# the CLI
"$CLI" -s "$SOCK" stats --json >"$T/stats.json" || fail "stats --json failed"
BODY=$(cat "$T/stats.json")
expect 200 'len(d["instances"])' 1 'len(d["processes"])' 2 \
	'd["applications"][0]["processes"]' 2
"$CLI" -s "$SOCK" stats load:busy >"$T/stats.txt" || fail "stats load:busy failed"
grep -q '^load:busy ' "$T/stats.txt" || fail "no load:busy row: $(cat "$T/stats.txt")"
grep -q '^load:mem ' "$T/stats.txt" && fail "filter ignored: $(cat "$T/stats.txt")"
"$CLI" -s "$SOCK" -o wide status load:busy >"$T/status.txt"
grep -Eq '^load:busy +RUNNING .* [0-9.]+% ' "$T/status.txt" ||
	fail "no CPU in status -o wide: $(cat "$T/status.txt")"

# -w: one JSON object per refresh, every second, until interrupted
timeout 3 "$CLI" -s "$SOCK" --json stats -w load:busy >"$T/watch.json"
[ "$(grep -c '"namespec":"load:busy"' "$T/watch.json")" -ge 2 ] ||
	fail "stats -w did not refresh: $(cat "$T/watch.json")"

# runtime switches
api POST /v1/stats/enable '{"host": false}'
expect 200 'd["host_stats"]' false 'd["process_stats"]' true
api GET /v1/stats/instances
expect 200 'd["instances"][0]["cpu_percent"]' null
api POST /v1/stats/period '{"collecting_period_s": 2}'
expect 200 'd["collecting_period_s"]' 2
api GET /v1/stats/status
expect 200 'd["periods_s"]' '[2, 4]' 'd["history"]' 10
api POST /v1/stats/period '{"collecting_period_s": 0}'
expect 400 'd["error"]["code"]' BAD_REQUEST
api GET '/v1/stats?period=3'
expect 400 'd["error"]["code"]' BAD_REQUEST
echo "stats api ok"
