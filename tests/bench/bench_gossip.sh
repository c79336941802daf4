#!/bin/sh
# Gossip protocol figures from the simulator (build/bin/supvisors-sim):
# the real protocol core (net/swim.c) and codec (net/wire.c) for N
# instances in virtual time over a seeded random network, with the
# default configuration.  Every run is reproducible from its seed.
#
# There is nothing to run side by side here: memberlist (Consul, Serf)
# and Supvisors are not C libraries we could drive in the same virtual
# time, so the reference columns are their published or modelled figures
# from shared/reference/gossip.md (memberlist's LAN configuration,
# discrete-event model) and supvisors.md §2.1 (tick 5 s x 2-3 ticks).
set -u
BUILD=${BUILD:-build}
SIM=$BUILD/bin/supvisors-sim
[ -x "$SIM" ] || { echo "bench_gossip: $SIM missing (make)"; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT INT TERM

run() { # label args...
	label=$1; shift
	printf '%s\t' "$label" >>"$out"
	"$SIM" --json "$@" >>"$out" || exit 1
}

start=$(date +%s)
run crash10 -n 10 --seconds 600 --runs 5
run crash100 -n 100 --seconds 600 --runs 2
run crash1000 -n 1000 --seconds 600
run loss10 -n 100 --seconds 600 --runs 2 --scenario loss --loss 0.10
run loss20 -n 100 --seconds 600 --runs 3 --scenario loss --loss 0.20
run idle100 -n 100 --seconds 300 --scenario loss --updates 0
run upd5s100 -n 100 --seconds 300 --scenario loss --updates 5s
run pause100 -n 100 --seconds 300 --scenario pause
run part100 -n 100 --seconds 300 --scenario partition
run slow100 -n 100 --seconds 300 --scenario slow
secs=$(( $(date +%s) - start ))

python3 - "$out" "$secs" <<'EOF'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    label, js = line.split('\t', 1)
    rows[label] = json.loads(js)

def f(v, fmt='%.2f'):
    return '-' if v is None else fmt % v

def ok(cond):
    return 'ok' if cond else 'MISSED'

print('supvisors-sim, default configuration (probe 400 ms, timeout 200 ms, k=3,')
print('alpha=4, beta=6, lambda=4, gossip 100 ms x 3, push-pull 30 s); %s s wall' % sys.argv[2])
print()
print('Crash known by every live instance (one crash every 30 s, restart after 20 s;')
print('a record update every 2 s):')
print('%-6s %7s %7s %7s  %-9s %-26s %s' % ('n', 'trials', 'p50 s', 'p99 s', 'goal p99',
      'memberlist LAN (model)', 'Supvisors'))
ref = {10: '5.9 p50, 7.9 p90', 100: '10.1 p50, 10.7 p90', 1000: '~15 (analytic)'}
goal = {10: 4, 100: 7, 1000: 12}
for n in (10, 100, 1000):
    r = rows['crash%d' % n]
    print('%-6d %7d %7s %7s  <= %-2d %-3s %-26s %s' % (n, r['detect_trials'],
          f(r['detect_p50']), f(r['detect_p99']), goal[n],
          ok(r['detect_p99'] is not None and r['detect_p99'] <= goal[n]), ref[n], '10-15'))
print()
print('Update (a process state record) held by every live instance:')
print('%-6s %7s %8s %8s  %s' % ('n', 'updates', 'p50 s', 'p99 s', 'goal'))
for n in (10, 100, 1000):
    r = rows['crash%d' % n]
    g = ' <= 1.0 p99 %s' % ok(r['update_p99'] <= 1.0) if n == 100 else ''
    print('%-6d %7d %8s %8s %s' % (n, r['updates'], f(r['update_p50'], '%.3f'),
          f(r['update_p99'], '%.3f'), g))
print()
print('False deaths (a healthy instance declared dead), 100 instances, uniform loss')
print('on every datagram:')
print('%-6s %9s %7s %12s %13s  %s' % ('loss', 'inst-h', 'deaths', 'per inst-h',
      'suspicions', 'goal'))
for key, loss, g in (('loss10', '10 %', 0.0), ('loss20', '20 %', 0.1)):
    r = rows[key]
    print('%-6s %9s %7d %12.3f %13d  <= %.1f %s' % (loss,
          '%.0f' % (r['runs'] * r['instances'] * r['seconds'] / 3600.0),
          r['false_deaths'], r['false_deaths_per_hour'], r['suspicions'], g,
          ok(r['false_deaths_per_hour'] <= g)))
print()
print('Bytes sent per instance (sealed datagrams + 28 B IPv4/UDP each, push-pull')
print('frames), 100 instances:')
b = lambda k: rows[k]['bytes_per_second']
print('  idle (probes, acks, push-pull)                       %6.0f B/s  goal <= 2048 %s' % (b('idle100'), ok(b('idle100') <= 2048)))
print('  + one record update every 5 s                        %6.0f B/s  goal <= 2048 %s' % (b('upd5s100'), ok(b('upd5s100') <= 2048)))
print('  + one update every 2 s and a crash every 30 s        %6.0f B/s  goal <= 2048 %s' % (b('crash100'), ok(b('crash100') <= 2048)))
print('  10 %% loss, one update every 2 s                      %6.0f B/s' % b('loss10'))
print()
print('Faults, 100 instances:')
r = rows['pause100']
print('  pause 10 s every 30 s: declared dead by all, back alive everywhere %s s p50 / %s s p99 after resume' % (f(r['rejoin_p50'], '%.3f'), f(r['rejoin_p99'], '%.3f')))
r = rows['part100']
print('  split in two halves for 30 s: every instance sees all alive %s s p50 / %s s p99 after the heal' % (f(r['heal_p50']), f(r['heal_p99'])))
r = rows['slow100']
print('  one instance handling everything up to 1 s late: declared dead %d times, %d false deaths of others' % (r['slow_deaths'], r['false_deaths']))
bad = sum(r['decode_errors'] for r in rows.values())
if bad:
    print('DECODE ERRORS: %d' % bad)
    sys.exit(1)
EOF
