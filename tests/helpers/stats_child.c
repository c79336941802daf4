/*
 * stats_child: the loads the statistics tests and benchmarks measure.
 *
 *   stats_child busy              spin forever
 *   stats_child tree              fork a spinning grandchild, then wait
 *   stats_child alloc MB          allocate and touch MB MiB, write "R",
 *                                 then wait
 *   stats_child tcp PORT BYTES [close]
 *                                 connect to itself on 127.0.0.1:PORT,
 *                                 write "R", wait for a byte on stdin,
 *                                 send BYTES one way (then close every
 *                                 socket with "close"), write "D", wait
 *   stats_child idle              wait
 *
 * "wait" is pause(): the parent kills the child (and its group) when done.
 * Standalone on purpose (no library), as every tests/helpers program.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile unsigned long sink;

static void
spin(void)
{
	for (;;)
		sink++;
}

static void
say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		_exit(3);
}

static int
tcp(int port, long bytes, bool close_after)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((unsigned short)port)};
	static char buf[65536];
	int one = 1, l, c, s;
	long sent = 0, got = 0;
	char go;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(l, 1) < 0)
		return 2;
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		return 2;
	if ((s = accept(l, NULL, NULL)) < 0)
		return 2;
	say("R");
	if (read(0, &go, 1) != 1)
		return 2;
	while (got < bytes) {
		ssize_t n;

		if (sent < bytes) {
			size_t chunk = (size_t)(bytes - sent) < sizeof(buf)
					       ? (size_t)(bytes - sent)
					       : sizeof(buf);

			n = write(c, buf, chunk);
			if (n < 0)
				return 2;
			sent += n;
		}
		n = read(s, buf, sizeof(buf));
		if (n <= 0)
			return 2;
		got += n;
	}
	if (close_after) {
		close(c);
		close(s);
		close(l);
	}
	say("D");
	for (;;)
		pause();
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (strcmp(argv[1], "busy") == 0)
		spin();
	if (strcmp(argv[1], "tree") == 0) {
		pid_t pid = fork();

		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			spin();
		}
		say("R");
		for (;;)
			pause();
	}
	if (strcmp(argv[1], "alloc") == 0 && argc == 3) {
		size_t n = (size_t)atol(argv[2]) << 20, i;
		char *p = malloc(n);

		if (p == NULL)
			return 2;
		for (i = 0; i < n; i += 4096)
			p[i] = 1;
		say("R");
		for (;;)
			pause();
	}
	if (strcmp(argv[1], "tcp") == 0 && (argc == 4 || argc == 5))
		return tcp(atoi(argv[2]), atol(argv[3]),
			   argc == 5 && strcmp(argv[4], "close") == 0);
	if (strcmp(argv[1], "idle") == 0)
		for (;;)
			pause();
	return 2;
}
