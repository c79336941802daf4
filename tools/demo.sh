#!/bin/sh
# make demo / make demo-stop: run supvisors-sched from the build tree.
#
#   sh tools/demo.sh start   start the demo daemon(s) under build/demo/,
#                            wait for them, show status and apps, leave
#                            them running
#   sh tools/demo.sh stop    stop them (SIGTERM: ordered stop), wait
#
# The example configuration (rules/examples/) keeps its files under
# /tmp/supvisors-demo; the demo copies it to build/demo/ with its paths
# moved there, so that everything the demo writes stays in the build tree.
# INSTANCES lists the instances to start: "" for one instance named by
# the file, or names given to --name (all reading the same file), which
# is how a multi-instance example runs on one host.
set -u
BUILD=${BUILD:-build}
EXAMPLE=${DEMO_EXAMPLE:-rules/examples/cluster.yaml}
INSTANCES=${DEMO_INSTANCES-n1 n2 n3}
DIR=$BUILD/demo
CONF=$DIR/$(basename "$EXAMPLE")
DAEMON=$BUILD/bin/supvisors-schedd
CLI=$BUILD/bin/supvisors-sched
START_DEADLINE=${DEMO_DEADLINE:-20}

die() { echo "demo: $*" >&2; exit 1; }

# pid file of instance $1 ("" = the only one)
pidfile() { echo "$DIR/daemon${1:+-$1}.pid"; }
logfile() { echo "$DIR/daemon${1:+-$1}.log"; }
name_opt() { [ -n "$1" ] && echo "--name $1"; }

alive() { # pid file
	[ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

cli() { # instance, CLI args...
	i=$1; shift
	# shellcheck disable=SC2046
	"$CLI" -c "$CONF" $(name_socket "$i") "$@"
}

# The control socket of instance $1: the file names it per instance
# through %(instance_name)s, so ask the daemon's own log for it.
name_socket() {
	[ -n "$1" ] || return 0
	s=$(sed -n "s/.*control socket '\(.*\)'.*/\1/p" "$(logfile "$1")" | tail -n 1)
	[ -n "$s" ] && echo "-s $s"
}

# Poll (never a fixed wait) until "$@" succeeds or the deadline passes.
wait_for() {
	deadline=$(( $(date +%s) + START_DEADLINE ))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# The states of instance $1's processes and applications, when none is
# on its way (STARTING, BACKOFF, STOPPING); fails otherwise.
states() {
	out=$( (cli "$1" --json status; cli "$1" --json apps) 2>/dev/null)
	[ -n "$out" ] || return 1
	printf '%s' "$out" | grep -q '"state":"\(STARTING\|BACKOFF\|STOPPING\)"' &&
		return 1
	printf '%s' "$out" | grep -o '"state":"[A-Z_]*"' | tr -d '\n'
}

# The cluster state machine of instance $1 reached OPERATION.
operating() {
	cli "$1" --json state 2>/dev/null | grep -q '"state":"OPERATION"'
}

# The start sequence is over: no process or application on its way, and
# the same states on three polls a second apart (ranks start one after
# the other, and a wait_exit program runs a while between two ranks).
settled() {
	a=$(states "$1") || return 1
	sleep 1
	b=$(states "$1") || return 1
	[ "$a" = "$b" ] || return 1
	sleep 1
	c=$(states "$1") || return 1
	[ "$a" = "$c" ]
}

start_instance() { # name
	pf=$(pidfile "$1")
	if alive "$pf"; then
		echo "demo: instance ${1:-daemon} already running (pid $(cat "$pf"))"
		return 0
	fi
	# shellcheck disable=SC2046
	setsid "$DAEMON" -c "$CONF" $(name_opt "$1") </dev/null \
		>"$(logfile "$1")" 2>&1 &
	echo $! >"$pf"
}

start() {
	[ -x "$DAEMON" ] && [ -x "$CLI" ] || die "build first: make"
	[ -f "$EXAMPLE" ] || die "no example configuration $EXAMPLE"
	mkdir -p "$DIR"
	abs=$(cd "$DIR" && pwd)
	sed "s|/tmp/supvisors-demo|$abs|g" "$EXAMPLE" >"$CONF"
	first=$(echo ${INSTANCES:-""} | cut -d' ' -f1)
	# shellcheck disable=SC2046
	"$CLI" check -c "$CONF" $(name_opt "$first") ||
		die "the example $EXAMPLE does not validate"
	for i in ${INSTANCES:-""}; do
		start_instance "$i"
	done
	for i in ${INSTANCES:-""}; do
		if ! wait_for cli "$i" state; then
			echo "demo: instance ${i:-daemon} did not answer within" \
				"${START_DEADLINE}s; its log:" >&2
			tail -n 20 "$(logfile "$i")" >&2
			stop
			exit 1
		fi
	done
	for i in ${INSTANCES:-""}; do
		wait_for operating "$i" ||
			echo "demo: instance ${i:-daemon} not in OPERATION yet"
	done
	first=$(echo ${INSTANCES:-""} | cut -d' ' -f1)
	wait_for settled "$first" || echo "demo: some processes are still starting"
	# any instance shows the whole cluster: ask the first one
	echo
	echo "\$ supvisors-sched state"
	cli "$first" state
	if [ -n "$first" ]; then
		echo
		echo "\$ supvisors-sched instances"
		cli "$first" instances
	fi
	echo
	echo "\$ supvisors-sched apps"
	cli "$first" apps
	echo
	echo "\$ supvisors-sched status"
	cli "$first" status
	sock=$(name_socket "$first")
	ns=$(cli "$first" __complete names | head -n 1)
	cat <<EOF

The demo is running (logs: $DIR/daemon*.log).  To drive it:
  export PATH=$(cd "$BUILD/bin" && pwd):\$PATH SUPVISORS_SCHED_CONFIG=$(cd "$DIR" && pwd)/$(basename "$CONF")
  supvisors-sched ${sock:+$sock }status
  supvisors-sched ${sock:+$sock }tail -f $ns
  supvisors-sched ${sock:+$sock }restart $ns
Stop it with:  make demo-stop
EOF
}

stop() {
	any=0
	for pf in "$DIR"/daemon*.pid; do
		[ -f "$pf" ] || continue
		if alive "$pf"; then
			pid=$(cat "$pf")
			kill -TERM "$pid"
			any=1
			deadline=$(( $(date +%s) + 60 ))
			while kill -0 "$pid" 2>/dev/null; do
				if [ "$(date +%s)" -ge "$deadline" ]; then
					echo "demo: pid $pid still running after 60s" >&2
					break
				fi
				sleep 0.2
			done
			echo "demo: stopped pid $pid"
		fi
		rm -f "$pf"
	done
	[ $any -eq 1 ] || echo "demo: nothing running"
}

case ${1:-} in
start) start ;;
stop) stop ;;
*) echo "usage: sh tools/demo.sh start|stop" >&2; exit 2 ;;
esac
