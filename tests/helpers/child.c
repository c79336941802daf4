/*
 * child: the program that supervision tests supervise.  Each option is one
 * behaviour a real program may have; they run in this order:
 *
 *   --pidfile FILE        write own pid to FILE (atomically)
 *   --ignore-term         ignore SIGTERM
 *   --no-pdeathsig        clear PR_SET_PDEATHSIG (survive the daemon)
 *   --grandchild FILE     fork a grandchild that sleeps forever (same
 *                         session and group) and writes its pid to FILE
 *   --env NAME            print "NAME=value" or "NAME unset" to stdout
 *   --cwd                 print the working directory to stdout
 *   --umask               print the umask in octal to stdout
 *   --ids                 print "uid=U gid=G" to stdout
 *   --stdout N            write N bytes of the test pattern to stdout
 *   --stderr N            the same to stderr (its own pattern stream)
 *   --after MS            wait MS milliseconds
 *   --exit N              exit with status N (default 0)
 *   --sleep               sleep forever instead of exiting
 *
 * The pattern is tests/lib/pattern.h's, which the tests regenerate.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "tests/lib/pattern.h"

static void
write_pidfile(const char *path, pid_t pid)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL || fprintf(f, "%d\n", (int)pid) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) != 0) {
		perror(path);
		exit(120);
	}
}

static void
write_pattern(int fd, unsigned long long n, unsigned stream)
{
	static unsigned char buf[65536];
	unsigned long long off = 0;

	while (off < n) {
		size_t chunk = n - off < sizeof(buf) ? (size_t)(n - off)
						     : sizeof(buf);
		size_t done = 0;

		for (size_t i = 0; i < chunk; i++)
			buf[i] = pattern_byte(off + i, stream);
		while (done < chunk) {
			ssize_t w = write(fd, buf + done, chunk - done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				exit(121);
			done += (size_t)w;
		}
		off += chunk;
	}
}

static void
wait_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int
main(int argc, char **argv)
{
	int code = 0, forever = 0;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *arg = i + 1 < argc ? argv[i + 1] : "";

		if (strcmp(o, "--pidfile") == 0) {
			write_pidfile(arg, getpid());
			i++;
		} else if (strcmp(o, "--ignore-term") == 0) {
			signal(SIGTERM, SIG_IGN);
		} else if (strcmp(o, "--no-pdeathsig") == 0) {
			prctl(PR_SET_PDEATHSIG, 0);
		} else if (strcmp(o, "--grandchild") == 0) {
			pid_t pid = fork();

			if (pid < 0)
				exit(122);
			if (pid == 0) {
				prctl(PR_SET_PDEATHSIG, 0);
				write_pidfile(arg, getpid());
				for (;;)
					pause();
			}
			i++;
		} else if (strcmp(o, "--env") == 0) {
			const char *v = getenv(arg);

			if (v != NULL)
				printf("%s=%s\n", arg, v);
			else
				printf("%s unset\n", arg);
			fflush(stdout);
			i++;
		} else if (strcmp(o, "--cwd") == 0) {
			char buf[4096];

			printf("%s\n", getcwd(buf, sizeof(buf)) ? buf : "?");
			fflush(stdout);
		} else if (strcmp(o, "--umask") == 0) {
			mode_t m = umask(0);

			umask(m);
			printf("%03o\n", (unsigned)m);
			fflush(stdout);
		} else if (strcmp(o, "--ids") == 0) {
			printf("uid=%u gid=%u\n", (unsigned)getuid(),
			       (unsigned)getgid());
			fflush(stdout);
		} else if (strcmp(o, "--stdout") == 0) {
			write_pattern(1, strtoull(arg, NULL, 10), 1);
			i++;
		} else if (strcmp(o, "--stderr") == 0) {
			write_pattern(2, strtoull(arg, NULL, 10), 2);
			i++;
		} else if (strcmp(o, "--after") == 0) {
			wait_ms(strtol(arg, NULL, 10));
			i++;
		} else if (strcmp(o, "--exit") == 0) {
			code = atoi(arg);
			i++;
		} else if (strcmp(o, "--sleep") == 0) {
			forever = 1;
		} else {
			fprintf(stderr, "child: unknown option '%s'\n", o);
			return 2;
		}
	}
	while (forever)
		pause();
	return code;
}
