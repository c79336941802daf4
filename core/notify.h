/*
 * notify: systemd's readiness protocol, spoken directly (no libsystemd):
 * newline-separated assignments in one datagram to $NOTIFY_SOCKET, a
 * path or, with a leading '@', an abstract socket.
 *
 * Without $NOTIFY_SOCKET every call is a no-op returning 0.  The
 * variable is read once, at notify_init(), and then removed from the
 * environment so that no child inherits it.
 */
#ifndef CORE_NOTIFY_H
#define CORE_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

void notify_init(void);
bool notify_enabled(void);
/* "READY=1", "STATUS=...", "RELOADING=1", "STOPPING=1", "WATCHDOG=1" */
int notify_send(const char *msg);
int notify_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The watchdog interval systemd asked for ($WATCHDOG_USEC, when
 * $WATCHDOG_PID is unset or ours), in ms; 0 when none. */
int64_t notify_watchdog_ms(void);

#endif
