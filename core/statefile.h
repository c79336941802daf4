/*
 * statefile: the daemon's record of its children, so that a daemon
 * restarted after a crash can find and stop what the crashed one left
 * running before it starts anything.
 *
 * The file (instance.state_dir/children) holds one line per live child:
 * "PID STARTTIME NAMESPEC", STARTTIME being field 22 of /proc/PID/stat
 * (clock ticks since boot), which tells a child from a later process
 * that reused its pid.  It is rewritten whole through a temporary file
 * and rename(2), so a reader sees either the old or the new version.
 *
 * Children lead their own session (spawn.h), so a leftover is every
 * process of such a session: the leader if it is still the same process,
 * and any member born after it (a grandchild left behind when the leader
 * died).  A session whose leader pid now belongs to another process is
 * not ours and is left alone.
 *
 * Ownership: arrays returned are the caller's (free()).
 */
#ifndef CORE_STATEFILE_H
#define CORE_STATEFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct statefile_entry {
	pid_t pid;
	uint64_t starttime;
	char namespec[256];
};

int statefile_save(const char *path, const struct statefile_entry *v,
		   size_t n);
/* -ENOENT when there is no file; malformed lines are skipped. */
int statefile_load(const char *path, struct statefile_entry **ret,
		   size_t *ret_n);

/* Field 22 of /proc/PID/stat; -ESRCH when the process is gone or a
 * zombie. */
int statefile_starttime(pid_t pid, uint64_t *ret);

struct leftover {
	pid_t pid;
	uint64_t starttime;
};

/* Every live process that belongs to the sessions recorded in V (see
 * above), from a scan of /proc.  Returns the count (0 or more) into
 * *RET (NULL when 0) or -errno. */
int statefile_find_leftovers(const struct statefile_entry *v, size_t n,
			     struct leftover **ret, size_t *ret_n);
/* 1 when L is still the same live process. */
int statefile_leftover_alive(const struct leftover *l);

#endif
