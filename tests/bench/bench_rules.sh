#!/bin/sh
# Rules loading: `supvisors-sched check` on a generated file of 10 000
# programs in 500 applications (load, type, resolve, expand, digest),
# against PyYAML's C loader reading the same file (yaml.CSafeLoader, the
# bare parse a Python tool would start from).  Medians of 7 runs of each:
# wall time, CPU time (user + system, what the run costs on a busy
# machine) and peak RSS; the PyYAML times exclude the interpreter start.
set -eu
BUILD=${BUILD:-build}
CLI=$BUILD/bin/supvisors-sched
RUNS=${RUNS:-7}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

python3 tests/bench/gen_rules.py 500 10000 >"$tmp/rules.yaml"
"$CLI" check --name n1 "$tmp/rules.yaml" >/dev/null

python3 - "$CLI" "$tmp/rules.yaml" "$RUNS" <<'PY'
import os, statistics, subprocess, sys, time

cli, path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])

def run(argv):
    """Wall ms, CPU ms and peak RSS KiB of one child, and its stdout."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = (time.perf_counter() - t0) * 1000
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"{argv[0]} failed with {p.returncode}")
    return wall, (ru.ru_utime + ru.ru_stime) * 1000, ru.ru_maxrss, out

pyload = ("import sys, time, yaml\n"
          "t = time.perf_counter(); c = time.process_time()\n"
          "with open(sys.argv[1]) as f: yaml.load(f, Loader=yaml.CSafeLoader)\n"
          "print((time.perf_counter() - t) * 1000, "
          "(time.process_time() - c) * 1000)\n")
ours, ours_cpu, ours_rss, py, py_cpu, py_rss = [], [], [], [], [], []
for _ in range(runs):
    w, cpu, rss, _ = run([cli, "check", "--name", "n1", path])
    ours.append(w); ours_cpu.append(cpu); ours_rss.append(rss)
    _, _, rss, out = run(["python3", "-c", pyload, path])
    w, cpu = map(float, out.split())
    py.append(w); py_cpu.append(cpu); py_rss.append(rss)
m = statistics.median
size = os.path.getsize(path) / 1e6
print(f"rules file: 500 applications, 10000 programs, {size:.1f} MB, "
      f"median of {runs} runs")
print(f"supvisors-sched check (whole process): wall {m(ours):7.1f} ms  "
      f"cpu {m(ours_cpu):7.1f} ms  peak RSS {m(ours_rss) / 1024:5.1f} MiB")
print(f"PyYAML CSafeLoader, load alone:        wall {m(py):7.1f} ms  "
      f"cpu {m(py_cpu):7.1f} ms  peak RSS {m(py_rss) / 1024:5.1f} MiB")
print(f"ratio PyYAML / check: wall {m(py) / m(ours):.1f}x, "
      f"cpu {m(py_cpu) / m(ours_cpu):.1f}x")
ok = m(ours_cpu) < 150 and m(ours_cpu) < m(py_cpu)
print(f"goal (under 150 ms and faster than PyYAML's load): "
      f"{'met' if ok else 'NOT met'}"
      f"{'' if m(ours) < 150 else ' on cpu time; wall time says the machine is busy'}")
PY
