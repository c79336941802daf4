/*
 * fork + exec with the error pipe.  See spawn.h.
 *
 * The child is made as posix_spawn makes it: clone(CLONE_VM | CLONE_VFORK)
 * on a stack of its own, so the daemon's page tables are not copied, its
 * pages not write-protected for copy-on-write (every page the daemon
 * writes after a fork faults once), and the child does not tear the copy
 * down at exec; that was most of a spawn's cost.  The parent sleeps until
 * the child has exec'd or exited.  Sharing the memory constrains the
 * child: it writes nothing but its own stack (errno aside, the parent's
 * TLS, which the parent does not read after a successful clone), runs no
 * handler of the parent's (every signal is blocked across the clone and
 * each disposition is reset before the child unblocks), and changes
 * credentials with the raw system calls, which act on the calling task
 * alone (glibc's wrappers would signal the parent's other threads).
 *
 * Everything between clone() and execve() in the child must be
 * async-signal-safe: no malloc, no stdio, no getpwnam (the caller resolves
 * users and groups before), so the PATH search below builds candidates in
 * a stack buffer.
 */
#define _GNU_SOURCE
#include "core/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* The child's stack: a PATH_MAX buffer and a few frames, with room for
 * the sanitizers' redzones. */
#define CHILD_STACK_SIZE (256u << 10)

/* AddressSanitizer poisons the redzones of each frame and unpoisons them
 * when the frame returns; a child's frames never return (exec, _exit),
 * so the next child on the same stack would trip over the old poison:
 * clear it before each clone. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define STACK_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define STACK_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

static const char *const stage_names[_SPAWN_STAGE_MAX] = {
	[SPAWN_STAGE_NONE] = "none",
	[SPAWN_STAGE_FDS] = "fds",
	[SPAWN_STAGE_SETSID] = "setsid",
	[SPAWN_STAGE_CHDIR] = "chdir",
	[SPAWN_STAGE_CREDENTIALS] = "credentials",
	[SPAWN_STAGE_EXEC] = "exec",
};

const char *
spawn_stage_to_string(enum spawn_stage s)
{
	return (unsigned)s < _SPAWN_STAGE_MAX ? stage_names[s] : "?";
}

struct child_error {
	int err;
	int stage;
};

static void __attribute__((noreturn))
child_fail(int errfd, enum spawn_stage stage, int err)
{
	struct child_error ce = {.err = err, .stage = stage};
	ssize_t n;

	do
		n = write(errfd, &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	_exit(127);
}

static const char *
env_path(const char *const *envp)
{
	for (size_t i = 0; envp != NULL && envp[i] != NULL; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			return envp[i] + 5;
	return "/usr/local/bin:/usr/bin:/bin";
}

/* execvpe's search, async-signal-safe: EACCES is remembered and reported
 * when nothing better was found, as execvp does. */
static int
child_exec(const struct spawn_req *req)
{
	const char *file = req->argv[0], *p, *end;
	char buf[PATH_MAX];
	size_t flen = strlen(file);
	bool eacces = false;

	if (flen == 0)
		return ENOENT;
	if (strchr(file, '/') != NULL) {
		execve(file, (char *const *)req->argv, (char *const *)req->envp);
		return errno;
	}
	for (p = env_path(req->envp);; p = end + 1) {
		size_t dlen;

		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		dlen = (size_t)(end - p);
		if (dlen + 1 + flen + 1 <= sizeof(buf)) {
			if (dlen == 0) {
				memcpy(buf, file, flen + 1);
			} else {
				memcpy(buf, p, dlen);
				buf[dlen] = '/';
				memcpy(buf + dlen + 1, file, flen + 1);
			}
			execve(buf, (char *const *)req->argv,
			       (char *const *)req->envp);
			switch (errno) {
			case EACCES:
				eacces = true;
				break;
			case ENOENT:
			case ENOTDIR:
			case ESTALE:
			case ENODEV:
			case ETIMEDOUT:
				break;
			default:
				return errno;
			}
		}
		if (*end == '\0')
			break;
	}
	return eacces ? EACCES : ENOENT;
}

/* Move FD above 2 so that the dup2() onto 0, 1 and 2 never clobbers a
 * source that happens to sit there. */
static int
high_fd(int fd)
{
	return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

struct child_args {
	const struct spawn_req *req;
	int errfd;
	pid_t parent;
};

static int __attribute__((noreturn))
child(void *arg)
{
	const struct child_args *a = arg;
	const struct spawn_req *req = a->req;
	int errfd = a->errfd;
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigset_t none;
	int null, out, err;

	/* every signal is blocked (spawn_start): a handler of the parent's
	 * must not run here, on memory the parent shares */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	if (setsid() < 0)
		child_fail(errfd, SPAWN_STAGE_SETSID, errno);

	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		child_fail(errfd, SPAWN_STAGE_FDS, errno);
	null = high_fd(null);
	out = req->stdout_fd >= 0 ? high_fd(req->stdout_fd) : null;
	err = req->stderr_fd >= 0 ? high_fd(req->stderr_fd) : null;
	if (null < 0 || out < 0 || err < 0 || dup2(null, 0) < 0 ||
	    dup2(out, 1) < 0 || dup2(err, 2) < 0)
		child_fail(errfd, SPAWN_STAGE_FDS, errno);
	/* everything else goes at exec; the error pipe must live until then */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		for (int fd = 3; fd < 1024; fd++)
			if (fd != errfd)
				(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}

	if (req->umask >= 0)
		umask((mode_t)req->umask);
	if (req->directory != NULL && chdir(req->directory) < 0)
		child_fail(errfd, SPAWN_STAGE_CHDIR, errno);
	if (req->set_user) {
		if (syscall(SYS_setgroups, req->ngroups, req->groups) < 0 ||
		    syscall(SYS_setgid, req->gid) < 0 ||
		    syscall(SYS_setuid, req->uid) < 0)
			child_fail(errfd, SPAWN_STAGE_CREDENTIALS, errno);
	}
	if (req->pdeathsig) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* the daemon may have died between clone and prctl */
		if (getppid() != a->parent)
			_exit(127);
	}
	child_fail(errfd, SPAWN_STAGE_EXEC, child_exec(req));
}

/* This thread's child stack, made once and kept: the parent sleeps while
 * a child runs on it, so one per thread is enough. */
static char *
child_stack(void)
{
	static _Thread_local char *stack;
	void *p;

	if (stack != NULL)
		return stack;
	p = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* a guard page: an overflow faults instead of writing below */
	(void)mprotect(p, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE);
	stack = p;
	return stack;
}

int
spawn_start(const struct spawn_req *req, pid_t *ret_pid, int *ret_errfd)
{
	struct child_args a = {.req = req, .parent = getpid()};
	sigset_t all, old;
	char *stack;
	pid_t pid;
	int pfd[2], r;

	if (req->argv == NULL || req->argv[0] == NULL)
		return -EINVAL;
	if ((stack = child_stack()) == NULL)
		return -ENOMEM;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	a.errfd = pfd[1];
	STACK_UNPOISON(stack, CHILD_STACK_SIZE);
	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &old);
	/* the stack grows down on every architecture Linux runs us on */
	pid = clone(child, stack + CHILD_STACK_SIZE,
		    CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
	r = pid < 0 ? -errno : 0;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	close(pfd[1]);
	if (r < 0) {
		close(pfd[0]);
		return r;
	}
	*ret_pid = pid;
	*ret_errfd = pfd[0];
	return 0;
}

int
spawn_finish(int errfd, pid_t pid, struct spawn_result *ret)
{
	struct child_error ce;
	ssize_t n;

	do
		n = read(errfd, &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0) {
		*ret = (struct spawn_result){.pid = pid};
		return 0;
	}
	if (n != (ssize_t)sizeof(ce) || ce.err <= 0)
		ce = (struct child_error){.err = EIO, .stage = SPAWN_STAGE_NONE};
	*ret = (struct spawn_result){
		.child_errno = ce.err,
		.stage = (unsigned)ce.stage < _SPAWN_STAGE_MAX ? ce.stage
							       : SPAWN_STAGE_NONE,
	};
	return 0;
}

int
spawn_process(const struct spawn_req *req, struct spawn_result *ret)
{
	pid_t pid;
	int fd, r;

	r = spawn_start(req, &pid, &fd);
	if (r < 0)
		return r;
	r = spawn_finish(fd, pid, ret);
	close(fd);
	if (r < 0)
		*ret = (struct spawn_result){.child_errno = -r};
	if (ret->pid <= 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	return 0;
}
