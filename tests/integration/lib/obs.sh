# Shared by the obs_*.sh scripts (sourced after lib/daemon.sh).
#
# free_port [EXCEPT]  prints a TCP port of the obs range (17600-17699),
#                     tried in random order, that nobody listens on and
#                     is not EXCEPT, so that two worktrees running make
#                     check at once do not collide; fails when all are
#                     taken.
free_port() {
	python3 - "${1:-0}" <<'EOF'
import random, socket, sys
ports = [p for p in range(17600, 17700) if p != int(sys.argv[1])]
random.shuffle(ports)
for port in ports:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit(1)
EOF
}
