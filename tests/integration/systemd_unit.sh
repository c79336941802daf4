#!/bin/sh
# The systemd unit (tools/systemd/supvisors-schedd.service) passes
# `systemd-analyze verify` once installed: @SBINDIR@ replaced as the
# install rule does, and the man pages it names findable.  Skipped (77)
# where systemd-analyze is missing.
set -u
BUILD=${BUILD:-build}
command -v systemd-analyze >/dev/null 2>&1 || { echo "no systemd-analyze"; exit 77; }
tmp=$(mktemp -d /tmp/api-unit.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
sbindir=$(cd "$BUILD/bin" && pwd)
mkdir -p "$tmp/man/man1" "$tmp/man/man8"
cp man/supvisors-sched.1 "$tmp/man/man1/" && cp man/supvisors-schedd.8 "$tmp/man/man8/" || exit 1
sed "s|@SBINDIR@|$sbindir|g" tools/systemd/supvisors-schedd.service \
	>"$tmp/supvisors-schedd.service" || exit 1
if grep -q '@[A-Z]*@' "$tmp/supvisors-schedd.service"; then
	echo "unit: placeholder left after substitution"; exit 1
fi
out=$(MANPATH="$tmp/man" SYSTEMD_LOG_LEVEL=warning \
	systemd-analyze verify "$tmp/supvisors-schedd.service" 2>&1)
rc=$?
printf '%s\n' "$out"
[ $rc -eq 0 ] || exit 1
# verify reports some problems only as messages
if printf '%s\n' "$out" | grep -qi 'supvisors-schedd.service'; then exit 1; fi
echo "unit verified"
