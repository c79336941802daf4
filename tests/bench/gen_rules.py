#!/usr/bin/env python3
"""Write a rules file of PROGRAMS programs spread over APPS applications.

Usage: gen_rules.py [APPS [PROGRAMS]] > rules.yaml   (default 500 10000)

The shape is what a large plant would write: applications with start
sequences and strategies, programs with a command, a placement weight and
a rank, a few models and aliases.  Each program is written in flow style
on one line so that the file stays under the loader's 100 000-node limit
per file (8 nodes per program).
"""
import sys

apps = int(sys.argv[1]) if len(sys.argv) > 1 else 500
programs = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
per_app = programs // apps
strategies = ["CONFIG", "LESS_LOADED", "MOST_LOADED", "LESS_LOADED_NODE"]
out = sys.stdout
out.write("version: 1\n")
out.write("cluster:\n  instances:\n")
for i in range(1, 9):
    out.write(f"    n{i}: 127.0.0.1:{7700 + i}\n")
out.write("aliases:\n  front: [n1, n2, n3]\n  back: [n4, n5, n6, front]\n")
out.write("models:\n  worker: {expected_loading: 5, running_failure_strategy: RESTART_PROCESS}\n")
out.write("  service: {reference: worker, startsecs: 2s, stopwaitsecs: 5s}\n")
out.write("applications:\n")
n = 0
for a in range(apps):
    out.write(f"  app{a:04d}:\n")
    out.write(f"    start_sequence: {a % 5 + 1}\n")
    out.write(f"    starting_strategy: {strategies[a % len(strategies)]}\n")
    out.write("    programs:\n")
    count = per_app + (1 if a < programs - per_app * apps else 0)
    for p in range(count):
        if p % 10 == 0:
            extra = "reference: service"
        else:
            extra = f"expected_loading: {n % 20}"
        out.write(f"      prog{p:03d}: {{command: \"/bin/sleep {1000 + n}\", "
                  f"start_sequence: {p % 3 + 1}, {extra}}}\n")
        n += 1
