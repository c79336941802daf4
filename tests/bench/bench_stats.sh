#!/bin/sh
# Statistics cost and accuracy, against the tools a user would pick
# instead, in the same run on the same processes:
#  1. cost per sampled process for 100, 1000 and 5000 supervised `sleep`
#     processes: our sampler (one cycle = CPU, RSS, threads, I/O, children
#     walk, TCP attribution), python3-psutil on the same pids (cpu_times,
#     memory_info, num_threads, io_counters; children(recursive=True) too
#     at 100 and 1000, since it scans /proc for each process), and
#     pidstat -u -r -d on the same pids (CPU of the whole pidstat run over
#     its 4 reads, start-up included); "stat pread" is a bare pread of
#     each process's /proc/PID/stat, the kernel's cost that any
#     per-process reader pays;
#  2. daemon-equivalent CPU: host + process statistics every second for
#     1000 processes (process CPU time / wall time);
#  3. CPU % accuracy over 10 s against pidstat, a busy process and an
#     idle one, sampled at the same time.
# Medians over the cycles of a run; ratios = peer / ours.
set -u
BUILD=${BUILD:-build}
B=$BUILD/bench/bench_stats
CHILD=$BUILD/tests/helpers/stats_child
SIZES=${STATS_BENCH_SIZES:-100 1000 5000}
CYCLES=${STATS_BENCH_CYCLES:-11}
# Debian's python3, where python3-psutil is installed (not a pyenv shim)
PY=${STATS_BENCH_PYTHON:-/usr/bin/python3}
for f in "$B" "$CHILD"; do
	[ -x "$f" ] || { echo "bench_stats: $f not built"; exit 1; }
done
command -v pidstat >/dev/null || { echo "bench_stats: pidstat missing (sysstat)"; exit 1; }
"$PY" -c 'import psutil' 2>/dev/null || { echo "bench_stats: python3-psutil missing"; exit 1; }

tmp=$(mktemp -d)
pids=""
cleanup() {
	exec 3>&- 2>/dev/null
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# wait_for FILE PATTERN SECONDS: poll with a deadline
wait_for() {
	end=$(( $(date +%s) + $3 ))
	while ! grep -q "$2" "$1" 2>/dev/null; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

PSUTIL='
import psutil, statistics, sys, time
pids = [int(x) for x in open(sys.argv[1]).read().strip().split(",")]
cycles, children = int(sys.argv[2]), sys.argv[3] == "1"
procs = [psutil.Process(p) for p in pids]
def cycle():
    for p in procs:
        p.cpu_times(); p.memory_info(); p.num_threads(); p.io_counters()
        if children:
            p.children(recursive=True)
cycle()
ts = []
for _ in range(cycles):
    t = time.process_time(); cycle(); ts.append(time.process_time() - t)
print("%.3f" % (statistics.median(ts) * 1e6 / len(pids)))
'
PIDSTAT='
import resource, subprocess, sys
subprocess.run(["pidstat", "-h", "-u", "-r", "-d", "-p", open(sys.argv[1]).read().strip(), "1", "3"],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
n = len(open(sys.argv[1]).read().split(","))
print("%.3f" % ((r.ru_utime + r.ru_stime) * 1e6 / (4 * n)))
'

printf '%-6s %12s %10s %12s %12s %14s %10s %10s\n' procs "ours us/proc" "stat pread" "psutil" "psutil+chld" "pidstat" "psutil/x" "pidstat/x"
for n in $SIZES; do
	rm -f "$tmp/ctl" "$tmp/out" "$tmp/pids"
	mkfifo "$tmp/ctl"
	"$B" cost "$n" "$CYCLES" "$tmp/pids" <"$tmp/ctl" >"$tmp/out" &
	bpid=$!
	pids="$pids $bpid"
	exec 3>"$tmp/ctl"
	if ! wait_for "$tmp/out" stat_pread_us 300; then
		echo "bench_stats: cost run for $n did not finish"; exit 1
	fi
	ours=$(awk '/ours_us_per_proc/ {print $2}' "$tmp/out")
	floor=$(awk '/stat_pread_us/ {print $2}' "$tmp/out")
	ps_us=$("$PY" -c "$PSUTIL" "$tmp/pids" 5 0)
	if [ "$n" -le 1000 ]; then
		psc_us=$("$PY" -c "$PSUTIL" "$tmp/pids" 1 1)
	else
		psc_us="-"
	fi
	pid_us=$("$PY" -c "$PIDSTAT" "$tmp/pids")
	echo go >&3
	exec 3>&-
	wait "$bpid"
	printf '%-6s %12s %10s %12s %12s %14s %10s %10s\n' "$n" "$ours" "$floor" "$ps_us" "$psc_us" "$pid_us" \
		"$(awk -v a="$ps_us" -v b="$ours" 'BEGIN {printf "%.1fx", a / b}')" \
		"$(awk -v a="$pid_us" -v b="$ours" 'BEGIN {printf "%.1fx", a / b}')"
done

echo
d=$("$B" daemon 1000 "${STATS_BENCH_DAEMON_SECONDS:-10}" | awk '/daemon_core_percent/ {print $2}')
echo "daemon-equivalent CPU, host + process statistics every 1 s, 1000 processes: $d % of one core (goal <= 1 %)"

echo
"$CHILD" busy & busy=$!
"$CHILD" idle & idle=$!
pids="$pids $busy $idle"
pidstat -p "$busy,$idle" 1 10 >"$tmp/pidstat" 2>&1 &
ps_pid=$!
ours=$("$B" accuracy 10 "$busy" "$idle")
wait "$ps_pid"
kill "$busy" "$idle" 2>/dev/null
pb=$(awk -v p="$busy" '$1 == "Average:" && $3 == p {print $8}' "$tmp/pidstat")
pi=$(awk -v p="$idle" '$1 == "Average:" && $3 == p {print $8}' "$tmp/pidstat")
ob=$(echo "$ours" | awk '{print $2}')
oi=$(echo "$ours" | awk '{print $3}')
printf 'CPU %% over 10 s (IRIX), ours vs pidstat: busy %s vs %s (diff %s), idle %s vs %s (diff %s) (goal within 0.5 point)\n' \
	"$ob" "$pb" "$(awk -v a="$ob" -v b="$pb" 'BEGIN {printf "%.2f", a - b}')" \
	"$oi" "$pi" "$(awk -v a="$oi" -v b="$pi" 'BEGIN {printf "%.2f", a - b}')"
