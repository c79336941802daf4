#!/bin/sh
# make bench: runs every tests/bench/bench_*.sh in order.  Each benchmark
# measures us and the peer a user would pick instead in the same run and
# prints medians and their ratio.
set -u
BUILD=${BUILD:-build}
export BUILD
rc=0
for b in tests/bench/bench_*.sh; do
	[ -f "$b" ] || continue
	printf '\n=== %s\n' "${b#tests/bench/}"
	sh "$b" || { echo "bench ${b} failed"; rc=1; }
done
exit $rc
