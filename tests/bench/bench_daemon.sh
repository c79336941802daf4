#!/bin/sh
# Benchmark of the node daemon against supervisord 4.2.5 (Debian
# `supervisor`), in the same run, with the same programs (/bin/sleep,
# startsecs 0, no log files):
#
#   (a) start N_START programs until all are RUNNING: the time of
#       `supvisors-sched start 'bench:*'` vs `supervisorctl start bench:*`
#       (both return once every process is RUNNING), daemons already up
#   (b) resident memory (VmRSS) of each daemon with those N_START running
#   (c) CPU time of each daemon over IDLE_SECS idle seconds with N_IDLE
#       processes, as % of one core (both daemons idle side by side)
#   (d) wall time of `status` for N_START processes: our CLI vs
#       supervisorctl (hyperfine)
#
# Each figure is the median of RUNS runs; the last lines print medians and
# ratios.  Goals (issue 3): (a) >= 10x faster, (b) <= 1/10 of supervisord's
# RSS, (c) < 0.1 % of a core, (d) < 20 ms.
#
# Our daemon runs with its default statistics (stats.enabled: ALL); set
# BENCH_STATS=OFF to measure it without sampling.  (b) also prints the
# private memory (RssAnon): VmRSS counts the pages of shared libraries,
# which every process using them shares.  (c) counts each daemon's CPU
# time in nanoseconds (/proc/PID/task/*/schedstat), not in clock ticks,
# of which 30 s hold 3000 (0.033 % each).  BENCH_PARTS=start runs only
# (a), (b) and (d), BENCH_PARTS=idle only (c).  Ports 17220-17221
# (BENCH_PORT and the next one) and a
# temporary directory; every daemon started is stopped at exit.
set -u
BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
N_START=${N_START:-1000}
N_IDLE=${N_IDLE:-100}
IDLE_SECS=${IDLE_SECS:-30}
STATS=${BENCH_STATS:-ALL}
PARTS=${BENCH_PARTS:-start,idle}
PORT=${BENCH_PORT:-17220} # and the next one
DAEMON=$(cd "$BUILD/bin" && pwd)/supvisors-schedd
CLI=$(cd "$BUILD/bin" && pwd)/supvisors-sched
SLEEP=$(command -v sleep)

for t in supervisord supervisorctl hyperfine python3; do
	command -v $t >/dev/null 2>&1 || { echo "bench: $t missing (make deps)"; exit 1; }
done
[ -x "$DAEMON" ] && [ -x "$CLI" ] || { echo "bench: build first"; exit 1; }
ulimit -n 16384 2>/dev/null || ulimit -n 8192 2>/dev/null || true

TMP=$(mktemp -d /tmp/api-bench.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $PIDS; do
		deadline=$(( $(date +%s) + 120 ))
		while kill -0 "$p" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do
			sleep 0.2
		done
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }

# Poll (no fixed waits) until "$@" succeeds; 120 s at most.
wait_for() {
	deadline=$(( $(date +%s) + 120 ))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || { echo "bench: timeout: $*"; return 1; }
		sleep 0.1
	done
}

median() { # numbers on stdin
	sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# private memory: VmRSS less the pages of mapped files (shared libraries)
anon_kb() { awk '/^RssAnon:/ {print $2}' "/proc/$1/status"; }
# CPU time of every thread of the process, in ns (schedstat's first field)
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {printf "%d\n", s}'; }
has_part() { case ",$PARTS," in *",$1,"*) return 0 ;; esac; return 1; }

# ---------------------------------------------------------------- configs
ours_conf() { # dir n port
	mkdir -p "$1"
	cat >"$1/conf.yaml" <<EOF
version: 1
instance:
  name: bench
  listen: 127.0.0.1:$3
  control: $1/control.sock
  state_dir: $1/state
  log_dir: $1/log
stats:
  enabled: $STATS
applications:
  bench:
    start_sequence: 0
    programs:
      s:
        command: ["$SLEEP", "100000"]
        numprocs: $2
        process_name: "s_%(process_num)04d"
        startsecs: 0
        stdout_logfile: NONE
        stderr_logfile: NONE
EOF
}

sup_conf() { # dir n autostart
	mkdir -p "$1"
	cat >"$1/supervisord.conf" <<EOF
[unix_http_server]
file=$1/supervisor.sock
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://$1/supervisor.sock
[supervisord]
nodaemon=true
logfile=$1/supervisord.log
pidfile=$1/supervisord.pid
childlogdir=$1
minfds=8192
[program:s]
command=$SLEEP 100000
numprocs=$2
process_name=%(program_name)s_%(process_num)04d
startsecs=0
autostart=$3
stdout_logfile=NONE
stderr_logfile=NONE
EOF
}

start_ours() { # dir
	"$DAEMON" -c "$1/conf.yaml" >"$1/daemon.log" 2>&1 &
	OURS=$!
	PIDS="$PIDS $OURS"
	wait_for "$CLI" -s "$1/control.sock" state
}

start_sup() { # dir
	supervisord -c "$1/supervisord.conf" >"$1/out.log" 2>&1 &
	SUP=$!
	PIDS="$PIDS $SUP"
	wait_for supervisorctl -c "$1/supervisord.conf" pid
}

stop_pid() { # pid
	kill -TERM "$1" 2>/dev/null
	deadline=$(( $(date +%s) + 120 ))
	while kill -0 "$1" 2>/dev/null; do
		[ "$(date +%s)" -lt "$deadline" ] || { kill -KILL "$1"; break; }
		sleep 0.2
	done
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}

count_running_ours() { "$CLI" -s "$1/control.sock" status | grep -c ' RUNNING '; }
count_running_sup() { supervisorctl -c "$1/supervisord.conf" status | grep -c ' RUNNING '; }
all_running_ours() { [ "$(count_running_ours "$1")" -eq "$2" ]; }
all_running_sup() { [ "$(count_running_sup "$1")" -eq "$2" ]; }

hyper_median_ms() { # json file, index
	python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][int(sys.argv[2])]['median']*1000)" "$1" "$2"
}

: >"$TMP/a_ours"; : >"$TMP/a_sup"; : >"$TMP/b_ours"; : >"$TMP/b_sup"
: >"$TMP/c_ours"; : >"$TMP/c_sup"; : >"$TMP/d_ours"; : >"$TMP/d_sup"
: >"$TMP/p_ours"; : >"$TMP/p_sup"

echo "supervisord $(supervisord --version), supvisors-schedd $("$DAEMON" -V | awk '{print $2}'), $(nproc) cores, stats $STATS"
r=1
while [ $r -le "$RUNS" ]; do
	# -------- (a), (b), (d): N_START processes
	if has_part start; then
	o=$TMP/o$r s=$TMP/s$r
	ours_conf "$o" "$N_START" "$PORT"
	sup_conf "$s" "$N_START" false
	start_ours "$o" || exit 1
	t0=$(now_ms)
	"$CLI" -s "$o/control.sock" start 'bench:*' >"$o/start.out" 2>&1
	t1=$(now_ms)
	all_running_ours "$o" "$N_START" || { echo "bench: ours: not all RUNNING"; tail -5 "$o/start.out"; exit 1; }
	echo $((t1 - t0)) >>"$TMP/a_ours"
	rss_kb "$OURS" >>"$TMP/b_ours"
	anon_kb "$OURS" >>"$TMP/p_ours"

	start_sup "$s" || exit 1
	t0=$(now_ms)
	# supervisord names the group after the program
	supervisorctl -c "$s/supervisord.conf" start 's:*' >"$s/start.out" 2>&1
	t1=$(now_ms)
	all_running_sup "$s" "$N_START" || { echo "bench: supervisord: not all RUNNING"; exit 1; }
	echo $((t1 - t0)) >>"$TMP/a_sup"
	rss_kb "$SUP" >>"$TMP/b_sup"
	anon_kb "$SUP" >>"$TMP/p_sup"

	hyperfine -N --warmup 3 --runs 20 -i --export-json "$TMP/d$r.json" \
		"$CLI -s $o/control.sock status" \
		"supervisorctl -c $s/supervisord.conf status" >/dev/null 2>"$TMP/hyperfine.err"
	hyper_median_ms "$TMP/d$r.json" 0 >>"$TMP/d_ours"
	hyper_median_ms "$TMP/d$r.json" 1 >>"$TMP/d_sup"
	stop_pid "$OURS"
	stop_pid "$SUP"
	fi

	# -------- (c): N_IDLE processes, both idle side by side
	if has_part idle; then
	o=$TMP/oi$r s=$TMP/si$r
	ours_conf "$o" "$N_IDLE" $((PORT + 1))
	sup_conf "$s" "$N_IDLE" true
	start_ours "$o" || exit 1
	"$CLI" -s "$o/control.sock" start 'bench:*' >/dev/null 2>&1
	start_sup "$s" || exit 1
	wait_for all_running_ours "$o" "$N_IDLE" || exit 1
	wait_for all_running_sup "$s" "$N_IDLE" || exit 1
	c0o=$(cpu_ns "$OURS") c0s=$(cpu_ns "$SUP") t0=$(now_ms)
	sleep "$IDLE_SECS" # the measured idle window, not a wait for a state
	c1o=$(cpu_ns "$OURS") c1s=$(cpu_ns "$SUP") t1=$(now_ms)
	awk -v c="$((c1o - c0o))" -v ms="$((t1 - t0))" \
		'BEGIN {printf "%.4f\n", 100 * c / 1e6 / ms}' >>"$TMP/c_ours"
	awk -v c="$((c1s - c0s))" -v ms="$((t1 - t0))" \
		'BEGIN {printf "%.4f\n", 100 * c / 1e6 / ms}' >>"$TMP/c_sup"
	stop_pid "$OURS"
	stop_pid "$SUP"
	fi
	printf 'run %d: start %s/%s ms, rss %s/%s KiB, idle cpu %s/%s %%, status %s/%s ms (ours/supervisord)\n' \
		"$r" "$(tail -n1 "$TMP/a_ours")" "$(tail -n1 "$TMP/a_sup")" \
		"$(tail -n1 "$TMP/b_ours")" "$(tail -n1 "$TMP/b_sup")" \
		"$(tail -n1 "$TMP/c_ours")" "$(tail -n1 "$TMP/c_sup")" \
		"$(tail -n1 "$TMP/d_ours")" "$(tail -n1 "$TMP/d_sup")"
	r=$((r + 1))
done

a_o=$(median <"$TMP/a_ours") a_s=$(median <"$TMP/a_sup")
b_o=$(median <"$TMP/b_ours") b_s=$(median <"$TMP/b_sup")
p_o=$(median <"$TMP/p_ours") p_s=$(median <"$TMP/p_sup")
c_o=$(median <"$TMP/c_ours") c_s=$(median <"$TMP/c_sup")
d_o=$(median <"$TMP/d_ours") d_s=$(median <"$TMP/d_sup")
echo
echo "medians of $RUNS runs (ours vs supervisord 4.2.5):"
has_part start && awk -v o="$a_o" -v s="$a_s" -v n="$N_START" 'BEGIN {printf "(a) start %d sleep programs until RUNNING: %.0f ms vs %.0f ms: %.1fx faster (goal >= 10x)\n", n, o, s, s / o}'
has_part start && awk -v o="$b_o" -v s="$b_s" -v n="$N_START" 'BEGIN {printf "(b) daemon RSS with %d processes: %.1f MiB vs %.1f MiB: %.2f of supervisord (goal <= 0.10)\n", n, o / 1024, s / 1024, o / s}'
has_part start && awk -v o="$p_o" -v s="$p_s" -v n="$N_START" 'BEGIN {printf "    private memory (RssAnon, without shared library pages): %.1f MiB vs %.1f MiB: %.2f of supervisord\n", o / 1024, s / 1024, o / s}'
has_part idle && awk -v o="$c_o" -v s="$c_s" -v n="$N_IDLE" -v t="$IDLE_SECS" 'BEGIN {printf "(c) daemon CPU, %ds idle with %d processes: %.3f %% vs %.3f %% of a core (goal < 0.1 %%)\n", t, n, o, s}'
has_part start && awk -v o="$d_o" -v s="$d_s" -v n="$N_START" 'BEGIN {printf "(d) status of %d processes: %.1f ms vs %.1f ms: %.1fx faster (goal < 20 ms)\n", n, o, s, s / o}'
exit 0
