/*
 * core/proc, spawn and logfile with real children (tests/helpers/child)
 * under a libev loop in this process: spawn errors, BACKOFF -> FATAL,
 * SIGTERM ignored -> SIGKILL, stopasgroup reaching a grandchild,
 * autorestart, environment/directory/umask, and 100 MB of output arriving
 * byte-exact across rotated files.  Waits poll the loop with a deadline;
 * no timing is asserted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/logfile.h"
#include "core/proc.h"
#include "rules/rules.h"
#include "tests/lib/pattern.h"
#include "tests/lib/testlib.h"

static const int codes_0[] = {0};

struct fixture {
	struct rl_application app;
	struct rl_program prog;
	struct rl_process proc;
	const char *argv[16];
	char namespec[64];
};

static char child_path[4096];

static void
fixture_init(struct fixture *fx, const char *name)
{
	memset(fx, 0, sizeof(*fx));
	fx->app.name = "test";
	fx->prog = (struct rl_program){
		.name = name,
		.app = &fx->app,
		.numprocs = 1,
		.umask = -1,
		.autorestart = RL_AUTORESTART_FALSE,
		.startsecs_ms = 0,
		.startretries = 3,
		.nexitcodes = 1,
		.exitcodes = codes_0,
		.stopsignal = SIGTERM,
		.stopwaitsecs_ms = 10000,
		.nprocesses = 1,
		.processes = &fx->proc,
	};
	snprintf(fx->namespec, sizeof(fx->namespec), "test:%s", name);
	fx->proc = (struct rl_process){
		.program = &fx->prog,
		.name = name,
		.namespec = fx->namespec,
		.argv = fx->argv,
		.stdout_log = {.kind = RL_LOGFILE_AUTO},
		.stderr_log = {.kind = RL_LOGFILE_AUTO},
	};
	fx->argv[0] = child_path;
}

static void
fixture_args(struct fixture *fx, const char *const *args)
{
	size_t i = 1;

	for (; args[i - 1] != NULL && i < ARRAY_SIZE(fx->argv) - 1; i++)
		fx->argv[i] = args[i - 1];
	fx->argv[i] = NULL;
	fx->proc.argc = i;
}

static struct proc_ctx ctx;
static struct ev_loop *loop;

static void
on_tick(struct ev_loop *l, ev_timer *w, int revents)
{
}

/* Run the loop until STATE or DEADLINE_MS pass; 1 when reached. */
static int
wait_state(struct proc *p, enum proc_state state, int64_t deadline_ms)
{
	int64_t end = util_now_ms() + deadline_ms;
	ev_timer tick;

	ev_timer_init(&tick, on_tick, 0.02, 0.02);
	ev_timer_start(loop, &tick);
	while (proc_state(p) != state && util_now_ms() < end)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &tick);
	return proc_state(p) == state;
}

static int
wait_pipes_closed(int64_t deadline_ms)
{
	int64_t end = util_now_ms() + deadline_ms;
	ev_timer tick;

	ev_timer_init(&tick, on_tick, 0.02, 0.02);
	ev_timer_start(loop, &tick);
	while (logpipe_count() > 0 && util_now_ms() < end)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &tick);
	return logpipe_count() == 0;
}

static void
setup(void)
{
	static char logdir[4096];

	loop = EV_DEFAULT;
	snprintf(logdir, sizeof(logdir), "%s/tests/helpers/child",
		 test_build_dir());
	if (realpath(logdir, child_path) == NULL) {
		perror(logdir);
		exit(2);
	}
	snprintf(logdir, sizeof(logdir), "%s/logs", test_tmpdir());
	mkdir(logdir, 0755);
	memset(&ctx, 0, sizeof(ctx));
	setenv("NOTIFY_SOCKET", "/nonexistent", 1);
	proc_ctx_init(&ctx, loop, logdir);
}

static char *
slurp(const char *path, size_t *ret_len)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(&sb, buf, (size_t)n);
	close(fd);
	if (ret_len != NULL)
		*ret_len = sb.len;
	if (sb.buf == NULL)
		return xstrdup("");
	return strbuf_steal(&sb);
}

static void
test_spawn_enoent(void)
{
	struct fixture fx;
	struct proc *p;
	char d[128];

	fixture_init(&fx, "enoent");
	fx.argv[0] = "/nonexistent/program";
	fx.argv[1] = NULL;
	p = proc_new(&ctx, &fx.proc);
	ASSERT_INT_EQ(proc_start(p), 0);
	ASSERT_TRUE(wait_state(p, PROC_FATAL, 5000));
	proc_fsm_describe(proc_fsm(p), 0, util_now_ms(), d, sizeof(d));
	ASSERT_STR_EQ(d, "spawn error: No such file or directory");
	/* PATH search too */
	fx.argv[0] = "no-such-program-anywhere";
	ASSERT_INT_EQ(proc_start(p), 0);
	ASSERT_TRUE(wait_state(p, PROC_FATAL, 5000));
	ASSERT_INT_EQ(proc_fsm(p)->spawn_errno, ENOENT);
	proc_free(p);
}

static void
test_spawn_eacces(void)
{
	struct fixture fx;
	struct proc *p;
	char d[128];
	const char *path = test_write_file(test_tmpdir(), "notexec",
					   "#!/bin/sh\nexit 0\n");

	chmod(path, 0644);
	fixture_init(&fx, "eacces");
	fx.argv[0] = path;
	fx.argv[1] = NULL;
	p = proc_new(&ctx, &fx.proc);
	ASSERT_INT_EQ(proc_start(p), 0);
	ASSERT_TRUE(wait_state(p, PROC_FATAL, 5000));
	proc_fsm_describe(proc_fsm(p), 0, util_now_ms(), d, sizeof(d));
	ASSERT_STR_EQ(d, "spawn error: Permission denied");
	/* a bad directory is a spawn error too */
	fx.argv[0] = child_path;
	fx.proc.directory = "/nonexistent-dir";
	ASSERT_INT_EQ(proc_start(p), 0);
	ASSERT_TRUE(wait_state(p, PROC_FATAL, 5000));
	ASSERT_INT_EQ(proc_fsm(p)->spawn_errno, ENOENT);
	proc_free(p);
}

static void
test_backoff_fatal(void)
{
	static const char *const args[] = {"--exit", "3", NULL};
	struct fixture fx;
	struct proc *p;

	fixture_init(&fx, "crash");
	fixture_args(&fx, args);
	fx.prog.startsecs_ms = 5000;
	fx.prog.startretries = 1;
	p = proc_new(&ctx, &fx.proc);
	ASSERT_INT_EQ(proc_start(p), 0);
	ASSERT_TRUE(wait_state(p, PROC_BACKOFF, 5000));
	ASSERT_INT_EQ(proc_fsm(p)->backoff, 1);
	ASSERT_TRUE(wait_state(p, PROC_FATAL, 10000));
	ASSERT_STR_EQ(proc_fsm(p)->reason,
		      "Exited too quickly (process log may have details)");
	ASSERT_INT_EQ(proc_pid(p), 0);
	proc_free(p);
}

static void
test_sigkill_after_stopwait(void)
{
	static const char *const args[] = {"--ignore-term", "--sleep", NULL};
	struct fixture fx;
	struct proc *p;

	fixture_init(&fx, "stubborn");
	fixture_args(&fx, args);
	fx.prog.stopwaitsecs_ms = 300;
	fx.prog.startsecs_ms = 100;
	p = proc_new(&ctx, &fx.proc);
	ASSERT_INT_EQ(proc_start(p), 0);
	ASSERT_TRUE(wait_state(p, PROC_RUNNING, 5000));
	ASSERT_TRUE(proc_pid(p) > 0);
	ASSERT_INT_EQ(proc_start(p), -EALREADY);
	ASSERT_INT_EQ(proc_stop(p), 0);
	ASSERT_INT_EQ(proc_state(p), PROC_STOPPING);
	ASSERT_TRUE(wait_state(p, PROC_STOPPED, 10000));
	ASSERT_INT_EQ(proc_fsm(p)->termsig, SIGKILL);
	ASSERT_INT_EQ(proc_stop(p), -ESRCH);
	proc_free(p);
}

static pid_t
read_pidfile(const char *path, int64_t deadline_ms)
{
	int64_t end = util_now_ms() + deadline_ms;

	while (util_now_ms() < end) {
		FILE *f = fopen(path, "r");
		int pid = 0;

		if (f != NULL) {
			if (fscanf(f, "%d", &pid) != 1)
				pid = 0;
			fclose(f);
			if (pid > 0)
				return pid;
		}
		ev_run(loop, EVRUN_NOWAIT);
		usleep(10000);
	}
	return 0;
}

/* gone, or a zombie nobody reaped yet (init in a container may be slow) */
static int
pid_dead(pid_t pid, int64_t deadline_ms)
{
	int64_t end = util_now_ms() + deadline_ms;
	char path[64], buf[512];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	while (util_now_ms() < end) {
		FILE *f = fopen(path, "r");
		char *rp;

		if (f == NULL)
			return 1;
		rp = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (rp != NULL && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'))
			return 1;
		usleep(10000);
	}
	return 0;
}

static void
test_stopasgroup(void)
{
	char pidfile[4096];
	const char *args[] = {"--grandchild", pidfile, "--sleep", NULL};
	struct fixture fx;
	struct proc *p;
	pid_t gc;

	snprintf(pidfile, sizeof(pidfile), "%s/gc.pid", test_tmpdir());
	fixture_init(&fx, "group");
	fixture_args(&fx, args);
	fx.prog.stopasgroup = true;
	fx.prog.killasgroup = true;
	p = proc_new(&ctx, &fx.proc);
	ASSERT_INT_EQ(proc_start(p), 0);
	ASSERT_TRUE(wait_state(p, PROC_RUNNING, 5000));
	gc = read_pidfile(pidfile, 5000);
	ASSERT_TRUE(gc > 0);
	ASSERT_INT_EQ(kill(gc, 0), 0);
	ASSERT_INT_EQ(proc_stop(p), 0);
	ASSERT_TRUE(wait_state(p, PROC_STOPPED, 10000));
	ASSERT_INT_EQ(proc_fsm(p)->termsig, SIGTERM);
	ASSERT_TRUE(pid_dead(gc, 5000));
	proc_free(p);
}

static void
test_autorestart(void)
{
	static const char *const args[] = {"--after", "50", "--exit", "0",
					   NULL};
	struct fixture fx;
	struct proc *p;
	int64_t end;

	fixture_init(&fx, "again");
	fixture_args(&fx, args);
	fx.prog.autorestart = RL_AUTORESTART_TRUE;
	p = proc_new(&ctx, &fx.proc);
	ASSERT_INT_EQ(proc_start(p), 0);
	end = util_now_ms() + 10000;
	while (proc_fsm(p)->restarts < 2 && util_now_ms() < end)
		wait_state(p, PROC_EXITED, 100);
	ASSERT_TRUE(proc_fsm(p)->restarts >= 2);
	/* unexpected-only: an expected exit stays EXITED */
	fx.prog.autorestart = RL_AUTORESTART_UNEXPECTED;
	ASSERT_TRUE(wait_state(p, PROC_EXITED, 5000));
	ASSERT_TRUE(proc_fsm(p)->expected);
	proc_free(p);
}

static void
test_env_dir_umask(void)
{
	static const char *const args[] = {"--env", "NOTIFY_SOCKET", "--env",
					   "FOO", "--env",
					   "SUPERVISOR_PROCESS_NAME", "--cwd",
					   "--umask", NULL};
	static const struct rl_kv env[] = {{"FOO", "bar baz"}};
	struct fixture fx;
	struct proc *p;
	char *text, want[512];

	fixture_init(&fx, "env");
	fixture_args(&fx, args);
	fx.proc.env = env;
	fx.proc.nenv = 1;
	fx.proc.directory = test_tmpdir();
	fx.prog.umask = 027;
	p = proc_new(&ctx, &fx.proc);
	ASSERT_INT_EQ(proc_start(p), 0);
	ASSERT_TRUE(wait_state(p, PROC_EXITED, 5000));
	ASSERT_TRUE(wait_pipes_closed(5000));
	ASSERT_NOT_NULL(proc_logfile(p, PROC_STDOUT));
	text = slurp(logfile_path(proc_logfile(p, PROC_STDOUT)), NULL);
	ASSERT_NOT_NULL(text);
	snprintf(want, sizeof(want),
		 "NOTIFY_SOCKET unset\nFOO=bar baz\n"
		 "SUPERVISOR_PROCESS_NAME=env\n%s\n027\n",
		 test_tmpdir());
	ASSERT_STR_EQ(text, want);
	free(text);
	proc_free(p);
}

/* As root, `user` switches uid, gid and groups before exec. */
static void
test_user(void)
{
	static const char *const args[] = {"--ids", NULL};
	struct passwd *pw = getpwnam("nobody");
	struct fixture fx;
	struct proc *p;
	char *text, want[64];

	if (geteuid() != 0 || pw == NULL) {
		printf("  (skipped: needs root and user nobody)\n");
		return;
	}
	fixture_init(&fx, "user");
	fixture_args(&fx, args);
	fx.prog.user = "nobody";
	ctx.is_root = true;
	p = proc_new(&ctx, &fx.proc);
	ASSERT_INT_EQ(proc_start(p), 0);
	ASSERT_TRUE(wait_state(p, PROC_EXITED, 5000));
	ASSERT_TRUE(wait_pipes_closed(5000));
	text = slurp(logfile_path(proc_logfile(p, PROC_STDOUT)), NULL);
	snprintf(want, sizeof(want), "uid=%u gid=%u\n", (unsigned)pw->pw_uid,
		 (unsigned)pw->pw_gid);
	ASSERT_STR_EQ(text, want);
	free(text);
	proc_free(p);
	/* an unknown user is a spawn error */
	fx.prog.user = "no-such-user-here";
	p = proc_new(&ctx, &fx.proc);
	ASSERT_INT_EQ(proc_start(p), 0);
	ASSERT_INT_EQ(proc_state(p), PROC_FATAL);
	ASSERT_STR_EQ(proc_fsm(p)->reason,
		      "spawn error: unknown user 'no-such-user-here'");
	proc_free(p);
	ctx.is_root = false;
}

/* Check PATH's bytes against the pattern from OFFSET; returns the
 * number of bytes checked, or -1 on the first mismatch. */
static long long
check_pattern(const char *path, unsigned long long offset, unsigned stream)
{
	size_t len = 0;
	char *data = slurp(path, &len);
	long long r = (long long)len;

	if (data == NULL)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)data[i] != pattern_byte(offset + i, stream)) {
			r = -1;
			break;
		}
	}
	free(data);
	return r;
}

static void
test_100mb_rotated(void)
{
	static const char *const args[] = {"--stdout", "100000000", "--stderr",
					   "1000", NULL};
	const unsigned long long total = 100000000ULL;
	const uint64_t maxbytes = 10 * 1024 * 1024;
	char path[4096], rot[4200], errpath[4096];
	unsigned long long off = 0;
	struct fixture fx;
	struct proc *p;
	int nfiles;

	snprintf(path, sizeof(path), "%s/big.log", test_tmpdir());
	snprintf(errpath, sizeof(errpath), "%s/big.err", test_tmpdir());
	fixture_init(&fx, "big");
	fixture_args(&fx, args);
	fx.proc.stdout_log = (struct rl_logfile){
		.kind = RL_LOGFILE_PATH, .path = path, .maxbytes = maxbytes,
		.backups = 20};
	fx.proc.stderr_log = (struct rl_logfile){
		.kind = RL_LOGFILE_PATH, .path = errpath};
	p = proc_new(&ctx, &fx.proc);
	ASSERT_INT_EQ(proc_start(p), 0);
	ASSERT_TRUE(wait_state(p, PROC_EXITED, 120000));
	ASSERT_TRUE(wait_pipes_closed(30000));
	nfiles = (int)(total / maxbytes); /* rotated files: 9 */
	for (int i = nfiles; i >= 1; i--) {
		long long n;

		snprintf(rot, sizeof(rot), "%s.%d", path, i);
		n = check_pattern(rot, off, 1);
		ASSERT_INT_EQ(n, (long long)maxbytes);
		if (n < 0)
			return;
		off += (unsigned long long)n;
	}
	ASSERT_INT_EQ(check_pattern(path, off, 1), (long long)(total - off));
	snprintf(rot, sizeof(rot), "%s.%d", path, nfiles + 1);
	ASSERT_INT_EQ(access(rot, F_OK), -1);
	ASSERT_INT_EQ(check_pattern(errpath, 0, 2), 1000);
	proc_free(p);
}

static void
test_redirect_stderr(void)
{
	static const char *const args[] = {"--stderr", "5000", NULL};
	struct fixture fx;
	struct proc *p;

	fixture_init(&fx, "redir");
	fixture_args(&fx, args);
	fx.prog.redirect_stderr = true;
	p = proc_new(&ctx, &fx.proc);
	ASSERT_NULL(proc_logfile(p, PROC_STDERR));
	ASSERT_INT_EQ(proc_start(p), 0);
	ASSERT_TRUE(wait_state(p, PROC_EXITED, 5000));
	ASSERT_TRUE(wait_pipes_closed(5000));
	ASSERT_INT_EQ(check_pattern(logfile_path(proc_logfile(p, PROC_STDOUT)),
				    0, 2), 5000);
	proc_free(p);
}

int
main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"spawn ENOENT", test_spawn_enoent},
		{"spawn EACCES", test_spawn_eacces},
		{"BACKOFF to FATAL", test_backoff_fatal},
		{"SIGKILL after stopwaitsecs", test_sigkill_after_stopwait},
		{"stopasgroup reaches grandchildren", test_stopasgroup},
		{"autorestart", test_autorestart},
		{"environment, directory, umask", test_env_dir_umask},
		{"redirect_stderr", test_redirect_stderr},
		{"user", test_user},
		{"100 MB byte-exact across rotations", test_100mb_rotated},
	};
	int r;

	signal(SIGPIPE, SIG_IGN);
	setup();
	r = test_main(argc, argv, "proc", cases, ARRAY_SIZE(cases));
	logpipe_close_all();
	proc_ctx_done(&ctx);
	return r;
}
