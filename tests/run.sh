#!/bin/sh
# Runs the CUnit programs given before "--" and the integration scripts
# given after it, each under a time limit, and ends with one summary line
# "N passed, N failed, N skipped" (an integration script exits 77 to say
# it was skipped, e.g. a namespace test when not root).
# Output of a passing program is kept short; a failing one is shown whole.
set -u
BUILD=${BUILD:-build}
export BUILD
pass=0 fail=0 skip=0 failed=""
out=$(mktemp)
trap 'rm -f "$out"' EXIT INT TERM

run() { # kind name cmd...
	kind=$1 name=$2; shift 2
	start=$(date +%s)
	timeout -k 10 "${TEST_TIMEOUT:-600}" "$@" >"$out" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		summary=$(grep -E '^ +(tests|asserts) ' "$out" | awk '{printf "%s %s/%s  ", $1, $4, $3}')
		printf 'PASS  %-34s %3ss  %s\n' "$name" "$secs" "$summary"
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1))
		printf 'SKIP  %-34s %s\n' "$name" "$(tail -n 1 "$out")"
	else
		fail=$((fail + 1)) failed="$failed $name"
		printf 'FAIL  %-34s %3ss  (exit %d)\n' "$name" "$secs" "$rc"
		sed 's/^/    | /' "$out"
	fi
}

mode=unit
for arg in "$@"; do
	if [ "$arg" = "--" ]; then mode=integ; continue; fi
	if [ $mode = unit ]; then
		run unit "${arg##*/}" "$arg"
	else
		run integ "${arg#tests/}" sh "$arg"
	fi
done
[ -n "$failed" ] && printf 'failed:%s\n' "$failed"
printf '%d passed, %d failed, %d skipped\n' "$pass" "$fail" "$skip"
[ $fail -eq 0 ]
