#!/bin/sh
# supvisors-sched check: exit codes, human and JSON output, the examples,
# the default path, and the man page against the schema tables (every
# key the loader accepts must be documented in supvisors-sched.yaml(5)).
set -u
BUILD=${BUILD:-build}
CLI=$BUILD/bin/supvisors-sched
MAN=man/supvisors-sched.yaml.5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
no() { echo "FAIL: $*"; fail=1; }

# the examples are valid, the cluster one for each of its instances
"$CLI" check rules/examples/single.yaml >"$tmp/out" 2>"$tmp/err" ||
	no "single.yaml: $(cat "$tmp/err")"
grep -q '^rules/examples/single.yaml: valid (2 applications, 6 processes' \
	"$tmp/out" || no "single.yaml summary: $(cat "$tmp/out")"
[ -s "$tmp/err" ] && no "single.yaml has diagnostics: $(cat "$tmp/err")"
for n in n1 n2 n3; do
	"$CLI" check --name "$n" rules/examples/cluster.yaml >"$tmp/out" \
		2>"$tmp/err" || no "cluster.yaml --name $n: $(cat "$tmp/err")"
	[ -s "$tmp/err" ] && no "cluster.yaml --name $n: $(cat "$tmp/err")"
done

# invalid: exit 1, compiler-style diagnostics on stderr
printf 'version: 1\napplications:\n  a:\n    programs:\n      p: {comand: x}\n' \
	>"$tmp/bad.yaml"
"$CLI" check "$tmp/bad.yaml" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] || no "bad.yaml: exit status"
grep -qx "$tmp/bad.yaml:5:11: error: unknown key 'comand' in program 'p' (did you mean 'command'?)" \
	"$tmp/err" || no "bad.yaml diagnostics: $(cat "$tmp/err")"

# on a terminal, each diagnostic is followed by its line and a caret
if command -v script >/dev/null 2>&1; then
	script -qc "$CLI check $tmp/bad.yaml" /dev/null 2>&1 | tr -d '\r' \
		>"$tmp/tty"
	grep -qx '        p: {comand: x}' "$tmp/tty" &&
		grep -qx '            ^' "$tmp/tty" ||
		no "caret on a terminal: $(cat "$tmp/tty")"
fi

# warnings alone: valid, exit 0, the warning on stderr
printf 'version: 1\ncluster: {auto_fence: yes}\n' >"$tmp/warn.yaml"
"$CLI" check "$tmp/warn.yaml" >"$tmp/out" 2>"$tmp/err" ||
	no "warnings only: exit status"
grep -q "warn.yaml:2:23: warning: 'auto_fence: yes' is read as true" \
	"$tmp/err" || no "warnings only: $(cat "$tmp/err")"

# --json on stdout, with -c given before the command
"$CLI" -c "$tmp/bad.yaml" --json check >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] || no "--json: exit status"
python3 - "$tmp/out" "$tmp/bad.yaml" <<'PY' || no "--json output: $(cat "$tmp/out")"
import json, sys
o = json.load(open(sys.argv[1]))
d = o["diagnostics"]
assert o["valid"] is False, o
assert len(d) == 1, d
assert d[0] == {"file": sys.argv[2], "line": 5, "column": 11,
                "severity": "error",
                "message": "unknown key 'comand' in program 'p' (did you mean 'command'?)"}, d
PY
"$CLI" check --json rules/examples/single.yaml >"$tmp/out" ||
	no "--json valid: exit status"
grep -q '"valid":true' "$tmp/out" || no "--json valid: $(cat "$tmp/out")"

# no file: $SUPVISORS_SCHED_CONFIG, as the daemon finds it
SUPVISORS_SCHED_CONFIG=rules/examples/single.yaml "$CLI" check >/dev/null ||
	no "check with \$SUPVISORS_SCHED_CONFIG"
SUPVISORS_SCHED_CONFIG=$tmp/none.yaml "$CLI" check 2>"$tmp/err"
[ $? -eq 1 ] || no "missing file: exit status"
grep -q "none.yaml: error: No such file or directory" "$tmp/err" ||
	no "missing file: $(cat "$tmp/err")"

# usage errors exit 2
"$CLI" check --bogus >/dev/null 2>&1
[ $? -eq 2 ] || no "unknown option: exit status"
"$CLI" check a.yaml b.yaml >/dev/null 2>&1
[ $? -eq 2 ] || no "two files: exit status"

# the man page documents every key of the schema tables
"$CLI" check --dump-keys >"$tmp/keys" || no "--dump-keys"
[ "$(wc -l <"$tmp/keys")" -gt 80 ] || no "--dump-keys lists too few keys"
if [ -f "$MAN" ]; then
	# ".Ss SECTION" then ".It Ic KEY" gives SECTION.KEY ("Top level": KEY)
	awk '/^\.Ss /{ sec = substr($0, 5); sec = (sec == "Top level") ? "" : sec "." }
	     /^\.It Ic /{ print sec $3 }' "$MAN" | sort >"$tmp/documented"
	cut -f1 "$tmp/keys" | sort >"$tmp/accepted"
	comm -23 "$tmp/accepted" "$tmp/documented" | while read -r k; do
		echo "FAIL: key '$k' is not documented in $MAN"
	done | tee "$tmp/missing"
	[ -s "$tmp/missing" ] && fail=1
	comm -13 "$tmp/accepted" "$tmp/documented" | while read -r k; do
		echo "FAIL: $MAN documents '$k', which the loader does not accept"
	done | tee "$tmp/extra"
	[ -s "$tmp/extra" ] && fail=1
else
	no "$MAN is missing"
fi
exit $fail
