/*
 * spawn: fork and exec one child the careful way (libuv's process.c
 * pattern), and nothing else: no state, no logging.
 *
 * In the child, before exec: every signal disposition back to default and
 * an empty mask (libev leaves signals blocked), a new session (setsid, so
 * the child leads its own process group for killpg), stdin from
 * /dev/null, stdout/stderr onto the given fds, umask, chdir, groups, gid
 * and uid when asked, every other fd closed, PR_SET_PDEATHSIG(SIGKILL)
 * set after the credentials change (a change clears it) and the parent
 * checked still alive, then a PATH search like execvp's done with stack
 * buffers only.  Any failure is written as an errno into a close-on-exec
 * pipe and the child _exit(127)s; the parent reads that pipe: 0 bytes
 * means exec succeeded.
 *
 * Two ways to use it: spawn_process() waits for the child's exec (and
 * reaps a child that failed), for tests and tools; the daemon uses
 * spawn_start() and reads the pipe from its event loop with
 * spawn_finish() once it is readable, so that many spawns overlap, and
 * lets its one reaper collect a child that failed.
 *
 * Ownership: the request and its strings belong to the caller and are
 * only read during spawn_process().  The caller keeps its own fds.
 */
#ifndef CORE_SPAWN_H
#define CORE_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct spawn_req {
	const char *const *argv; /* argv[0] searched in PATH if it has no '/' */
	const char *const *envp; /* the whole environment; its PATH is used */
	const char *directory;	 /* NULL: the daemon's */
	int umask;		 /* -1: inherit */
	bool set_user;		 /* change credentials to uid/gid/groups */
	uid_t uid;
	gid_t gid;
	size_t ngroups;
	const gid_t *groups;
	int stdout_fd; /* -1: /dev/null */
	int stderr_fd; /* -1: /dev/null */
	bool pdeathsig;
};

/* Where the child failed, for the log line. */
enum spawn_stage {
	SPAWN_STAGE_NONE,
	SPAWN_STAGE_FDS,
	SPAWN_STAGE_SETSID,
	SPAWN_STAGE_CHDIR,
	SPAWN_STAGE_CREDENTIALS,
	SPAWN_STAGE_EXEC,
	_SPAWN_STAGE_MAX,
};

const char *spawn_stage_to_string(enum spawn_stage s);

struct spawn_result {
	pid_t pid;		/* > 0 when exec succeeded */
	int child_errno;	/* > 0 when the child failed (pid is 0) */
	enum spawn_stage stage; /* where it failed */
};

/* 0: the child either runs (ret->pid) or failed before or at exec
 * (ret->child_errno, ret->stage; already reaped).  -errno: the parent
 * could not even try (pipe, fork: EAGAIN, EMFILE, ENOMEM). */
int spawn_process(const struct spawn_req *req, struct spawn_result *ret);

/* Fork and return at once: *RET_PID and *RET_ERRFD, the read end of the
 * exec-error pipe (close-on-exec, blocking), which the caller owns.
 * -errno when pipe or fork failed. */
int spawn_start(const struct spawn_req *req, pid_t *ret_pid, int *ret_errfd);
/* Read ERRFD (readable, or the child gone): RET as spawn_process()'s,
 * PID being the child's.  The caller closes ERRFD; a failed child is not
 * reaped here. */
int spawn_finish(int errfd, pid_t pid, struct spawn_result *ret);

#endif
