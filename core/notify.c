/*
 * sd_notify without libsystemd.  See notify.h.
 */
#include "core/notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/util.h"

static struct sockaddr_un addr;
static socklen_t addrlen;
static int64_t watchdog_ms;

void
notify_init(void)
{
	const char *s = getenv("NOTIFY_SOCKET");
	const char *wd = getenv("WATCHDOG_USEC");
	const char *wpid = getenv("WATCHDOG_PID");
	size_t len;
	uint64_t usec;

	addrlen = 0;
	if (s != NULL && (s[0] == '/' || s[0] == '@') &&
	    (len = strlen(s)) < sizeof(addr.sun_path)) {
		memset(&addr, 0, sizeof(addr));
		addr.sun_family = AF_UNIX;
		memcpy(addr.sun_path, s, len);
		if (s[0] == '@')
			addr.sun_path[0] = '\0';
		addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				      len + (s[0] == '/'));
	}
	watchdog_ms = 0;
	if (wd != NULL && util_parse_uint64(wd, UINT64_MAX, &usec) == 0 &&
	    (wpid == NULL || atoi(wpid) == (int)getpid()))
		watchdog_ms = (int64_t)(usec / 1000);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

bool
notify_enabled(void)
{
	return addrlen > 0;
}

int64_t
notify_watchdog_ms(void)
{
	return watchdog_ms;
}

int
notify_send(const char *msg)
{
	int fd, r = 0;

	if (addrlen == 0)
		return 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
		   (const struct sockaddr *)&addr, addrlen) < 0)
		r = -errno;
	close(fd);
	return r;
}

int
notify_sendf(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return notify_send(buf);
}
