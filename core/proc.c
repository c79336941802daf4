/*
 * Supervised processes at run time.  See proc.h.
 *
 * Every event goes through feed(): it reads the clocks, runs the pure
 * machine, logs each state entered (supervisord's wording where it has
 * one), tells the owner, then performs the actions, whose results (a
 * spawn, a failed kill) are fed back in turn.
 */
#define _GNU_SOURCE
#include "core/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "core/logfile.h"
#include "core/spawn.h"
#include "core/util.h"
#include "rules/rules.h"

extern char **environ;

struct proc {
	struct proc_ctx *ctx;
	const struct rl_process *conf;
	struct proc_fsm fsm;
	pid_t pid;
	ev_timer timer;
	struct logfile *log[_PROC_STREAM_MAX];
	char *extra_text;
	char **extra_argv;
	ev_io exec_io; /* the exec-error pipe while the child has not exec'd */
	void *data;
	struct proc *prev, *next;
};

static int feed(struct proc *p, enum proc_event e, int status, int err);
static int feed_detail(struct proc *p, enum proc_event e, int status,
		       int err, const char *detail);
static bool exec_settle(struct proc *p);

/* ------------------------------------------------------------ context */

static bool
env_stripped(const char *kv)
{
	return strncmp(kv, "NOTIFY_SOCKET=", 14) == 0 ||
	       strncmp(kv, "WATCHDOG_", 9) == 0 ||
	       strncmp(kv, "LISTEN_", 7) == 0;
}

static void
on_child(struct ev_loop *loop, ev_child *w, int revents)
{
	struct proc_ctx *ctx = container_of(w, struct proc_ctx, reaper);
	struct proc *p = proc_ctx_find_pid(ctx, w->rpid);

	if (p == NULL) {
		log_debug("reaped unknown pid %d", w->rpid);
		return;
	}
	/* the exec verdict first: a child that could not exec is a spawn
	 * error, not an exit */
	if (p->exec_io.fd >= 0 && !exec_settle(p))
		return;
	p->pid = 0;
	feed(p, PROC_EV_EXITED, w->rstatus, 0);
}

void
proc_ctx_init(struct proc_ctx *ctx, struct ev_loop *loop, const char *log_dir)
{
	size_t n = 0, k = 0;

	ctx->loop = loop;
	ctx->log_dir = log_dir;
	ctx->head = ctx->tail = NULL;
	ctx->nprocs = 0;
	ctx->own_env = NULL;
	if (ctx->env == NULL) {
		while (environ[n] != NULL)
			n++;
		ctx->own_env = xcalloc(n + 1, sizeof(char *));
		for (size_t i = 0; i < n; i++)
			if (!env_stripped(environ[i]))
				ctx->own_env[k++] = xstrdup(environ[i]);
		ctx->env = (const char *const *)ctx->own_env;
	}
	ev_child_init(&ctx->reaper, on_child, 0, 0);
	ev_child_start(loop, &ctx->reaper);
}

void
proc_ctx_done(struct proc_ctx *ctx)
{
	ev_child_stop(ctx->loop, &ctx->reaper);
	if (ctx->own_env != NULL) {
		for (size_t i = 0; ctx->own_env[i] != NULL; i++)
			free(ctx->own_env[i]);
		free(ctx->own_env);
		ctx->own_env = NULL;
		ctx->env = NULL;
	}
}

struct proc *
proc_ctx_find_pid(struct proc_ctx *ctx, pid_t pid)
{
	for (struct proc *p = ctx->head; p != NULL; p = p->next)
		if (p->pid == pid && pid > 0)
			return p;
	return NULL;
}

struct proc *
proc_ctx_first(struct proc_ctx *ctx)
{
	return ctx->head;
}

struct proc *
proc_next(struct proc *p)
{
	return p->next;
}

/* ------------------------------------------------------------ logs */

static char *
auto_log_path(const struct proc *p, const char *stream)
{
	const struct rl_process *c = p->conf;
	char *path, *s;

	/* supervisord's AUTO shape, without its random part, so that the
	 * file survives restarts and tail finds it */
	path = xasprintf("%s/%s-%s---%s.log", p->ctx->log_dir, c->name, stream,
			 c->program->app->name);
	for (s = path + strlen(p->ctx->log_dir) + 1; *s; s++)
		if (*s == '/')
			*s = '_';
	return path;
}

static void
open_log(struct proc *p, enum proc_stream s, const struct rl_logfile *spec)
{
	const char *name = s == PROC_STDOUT ? "stdout" : "stderr";
	char *path;
	int r;

	p->log[s] = logfile_unref(p->log[s]);
	if (spec->kind == RL_LOGFILE_NONE)
		return;
	if (spec->kind == RL_LOGFILE_PATH)
		path = xstrdup(spec->path);
	else if (p->ctx->log_dir != NULL)
		path = auto_log_path(p, name);
	else
		return;
	r = logfile_open(path, spec->maxbytes, spec->backups, &p->log[s]);
	if (r < 0) {
		errno = -r;
		log_warn("%s: cannot open %s log '%s', output discarded",
			 proc_namespec(p), name, path);
	}
	free(path);
}

static void
open_logs(struct proc *p)
{
	open_log(p, PROC_STDOUT, &p->conf->stdout_log);
	if (p->conf->program->redirect_stderr)
		p->log[PROC_STDERR] = logfile_unref(p->log[PROC_STDERR]);
	else
		open_log(p, PROC_STDERR, &p->conf->stderr_log);
}

void
proc_reopen_logs(struct proc *p)
{
	for (int s = 0; s < _PROC_STREAM_MAX; s++) {
		int r;

		if (p->log[s] == NULL)
			continue;
		r = logfile_reopen(p->log[s]);
		if (r < 0) {
			errno = -r;
			log_warn("%s: reopen '%s'", proc_namespec(p),
				 logfile_path(p->log[s]));
		}
	}
}

/* ------------------------------------------------------------ life */

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents);
static void on_exec_io(struct ev_loop *loop, ev_io *w, int revents);

struct proc *
proc_new(struct proc_ctx *ctx, const struct rl_process *conf)
{
	struct proc *p = xcalloc(1, sizeof(*p));

	p->ctx = ctx;
	p->conf = conf;
	proc_fsm_init(&p->fsm, conf->program);
	ev_timer_init(&p->timer, on_timer, 0., 0.);
	ev_io_init(&p->exec_io, on_exec_io, -1, EV_READ);
	open_logs(p);
	p->prev = ctx->tail;
	if (ctx->tail != NULL)
		ctx->tail->next = p;
	else
		ctx->head = p;
	ctx->tail = p;
	ctx->nprocs++;
	return p;
}

struct proc *
proc_free(struct proc *p)
{
	struct proc_ctx *ctx;

	if (p == NULL)
		return NULL;
	ctx = p->ctx;
	if (p->pid > 0) {
		log_warnx("%s: dropped while pid %d runs, killing it",
			  proc_namespec(p), p->pid);
		(void)kill(-p->pid, SIGKILL);
		(void)kill(p->pid, SIGKILL);
	}
	ev_timer_stop(ctx->loop, &p->timer);
	if (p->exec_io.fd >= 0) {
		ev_io_stop(ctx->loop, &p->exec_io);
		close(p->exec_io.fd);
	}
	for (int s = 0; s < _PROC_STREAM_MAX; s++)
		logfile_unref(p->log[s]);
	proc_set_extra_args(p, NULL, NULL);
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		ctx->head = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	else
		ctx->tail = p->prev;
	ctx->nprocs--;
	free(p);
	return NULL;
}

void
proc_set_extra_args(struct proc *p, char *text, char **argv)
{
	free(p->extra_text);
	for (size_t i = 0; p->extra_argv != NULL && p->extra_argv[i]; i++)
		free(p->extra_argv[i]);
	free(p->extra_argv);
	p->extra_text = text;
	p->extra_argv = argv;
}

const char *
proc_extra_args(const struct proc *p)
{
	return p->extra_text;
}

/* The configured argv, then the extra arguments; the strings are not
 * copied (the array only is the caller's to free). */
static const char **
build_argv(const struct proc *p)
{
	size_t n = 0, k = 0;
	const char **argv;

	while (p->conf->argv[n] != NULL)
		n++;
	while (p->extra_argv != NULL && p->extra_argv[k] != NULL)
		k++;
	argv = xcalloc(n + k + 1, sizeof(*argv));
	memcpy(argv, p->conf->argv, n * sizeof(*argv));
	for (size_t i = 0; i < k; i++)
		argv[n + i] = p->extra_argv[i];
	return argv;
}

void
proc_set_config(struct proc *p, const struct rl_process *conf)
{
	p->conf = conf;
	p->fsm.prog = conf->program;
}

/* ------------------------------------------------------------ spawn */

/* The daemon's environment, the program's on top, and supervisord's
 * SUPERVISOR_* variables so that programs written for it still work. */
static char **
build_env(const struct proc *p)
{
	const struct rl_process *c = p->conf;
	const char *const *base = p->ctx->env;
	size_t nbase = 0, k = 0;
	char **env;

	while (base != NULL && base[nbase] != NULL)
		nbase++;
	env = xcalloc(nbase + c->nenv + 4, sizeof(*env));
	for (size_t i = 0; i < nbase; i++) {
		bool overridden = false;
		size_t klen = strcspn(base[i], "=");

		for (size_t j = 0; j < c->nenv && !overridden; j++)
			overridden = strlen(c->env[j].key) == klen &&
				     strncmp(c->env[j].key, base[i], klen) == 0;
		if (!overridden && strncmp(base[i], "SUPERVISOR_", 11) != 0)
			env[k++] = xstrdup(base[i]);
	}
	for (size_t j = 0; j < c->nenv; j++)
		env[k++] = xasprintf("%s=%s", c->env[j].key, c->env[j].value);
	env[k++] = xstrdup("SUPERVISOR_ENABLED=1");
	env[k++] = xasprintf("SUPERVISOR_PROCESS_NAME=%s", c->name);
	env[k++] = xasprintf("SUPERVISOR_GROUP_NAME=%s",
			     c->program->app->name);
	return env;
}

static void
free_env(char **env)
{
	for (size_t i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* Users and groups are resolved here, before the fork, since neither
 * getpwnam nor initgroups may run between fork and exec. */
static int
resolve_user(const char *user, struct spawn_req *req, gid_t **ret_groups)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int ngroups = 64, r;
	gid_t *groups;

	r = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (r != 0)
		return -r;
	if (res == NULL)
		return -ESRCH;
	groups = xcalloc((size_t)ngroups, sizeof(gid_t));
	if (getgrouplist(user, pw.pw_gid, groups, &ngroups) < 0) {
		groups = xreallocarray(groups, (size_t)ngroups, sizeof(gid_t));
		if (getgrouplist(user, pw.pw_gid, groups, &ngroups) < 0)
			ngroups = 0;
	}
	req->set_user = true;
	req->uid = pw.pw_uid;
	req->gid = pw.pw_gid;
	req->groups = groups;
	req->ngroups = (size_t)ngroups;
	*ret_groups = groups;
	return 0;
}

static int
make_pipe(struct proc *p, enum proc_stream s, int fds[2])
{
	fds[0] = fds[1] = -1;
	if (p->log[s] == NULL)
		return 0;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	return 0;
}

static void
close_pair(int fds[2])
{
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	fds[0] = fds[1] = -1;
}

/* Read the child's exec verdict and feed it: SPAWNED, or SPAWN_ERROR
 * (the failed child is then forgotten: the reaper ignores its pid).
 * False when the verdict is a spawn error. */
static bool
exec_settle(struct proc *p)
{
	const struct rl_process *c = p->conf;
	struct spawn_result res;
	int fd = p->exec_io.fd, r;
	pid_t pid = p->pid;

	ev_io_stop(p->ctx->loop, &p->exec_io);
	ev_io_set(&p->exec_io, -1, EV_READ);
	r = spawn_finish(fd, pid, &res);
	close(fd);
	if (r < 0)
		res = (struct spawn_result){.pid = pid}; /* assume it ran */
	if (res.pid <= 0) {
		errno = res.child_errno;
		log_warn("%s: spawn error (%s '%s')", proc_namespec(p),
			 spawn_stage_to_string(res.stage),
			 res.stage == SPAWN_STAGE_CHDIR ? c->directory
							: c->argv[0]);
		p->pid = 0;
		if (p->fsm.state == PROC_STARTING)
			feed(p, PROC_EV_SPAWN_ERROR, 0, res.child_errno);
		else
			feed(p, PROC_EV_EXITED, 127 << 8, 0);
		return false;
	}
	log_info("spawned: '%s' with pid %d", proc_namespec(p), pid);
	if (p->fsm.state == PROC_STARTING)
		feed(p, PROC_EV_SPAWNED, 0, 0);
	return true;
}

static void
on_exec_io(struct ev_loop *loop, ev_io *w, int revents)
{
	exec_settle(container_of(w, struct proc, exec_io));
}

static void
do_spawn(struct proc *p)
{
	const struct rl_process *c = p->conf;
	const struct rl_program *prog = c->program;
	struct spawn_req req = {
		.argv = NULL,
		.directory = c->directory,
		.umask = prog->umask,
		.pdeathsig = true,
	};
	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, efd, r;
	pid_t pid;
	gid_t *groups = NULL;
	char **env = NULL;
	const char **argv = build_argv(p);

	req.argv = argv;

	if (prog->user != NULL) {
		if (!p->ctx->is_root) {
			log_warnx("%s: user '%s' needs the daemon to run as "
				  "root", proc_namespec(p), prog->user);
			free(argv);
			feed(p, PROC_EV_SPAWN_ERROR, 0, EPERM);
			return;
		}
		r = resolve_user(prog->user, &req, &groups);
		if (r < 0) {
			char detail[160];

			snprintf(detail, sizeof(detail), "unknown user '%s'",
				 prog->user);
			log_warnx("%s: %s", proc_namespec(p), detail);
			free(argv);
			feed_detail(p, PROC_EV_SPAWN_ERROR, 0, -r, detail);
			return;
		}
	}
	r = make_pipe(p, PROC_STDOUT, outp);
	if (r == 0 && !prog->redirect_stderr)
		r = make_pipe(p, PROC_STDERR, errp);
	if (r < 0)
		goto fork_error;
	req.stdout_fd = outp[1];
	req.stderr_fd = prog->redirect_stderr ? outp[1] : errp[1];
	env = build_env(p);
	req.envp = (const char *const *)env;
	r = spawn_start(&req, &pid, &efd);
	if (r < 0)
		goto fork_error;
	/* the verdict of exec comes later through EFD (exec_settle), so
	 * that many children exec at once */
	p->pid = pid;
	ev_io_set(&p->exec_io, efd, EV_READ);
	ev_io_start(p->ctx->loop, &p->exec_io);
	if (outp[0] >= 0) {
		close(outp[1]);
		logpipe_new(p->ctx->loop, outp[0], p->log[PROC_STDOUT]);
	}
	if (errp[0] >= 0) {
		close(errp[1]);
		logpipe_new(p->ctx->loop, errp[0], p->log[PROC_STDERR]);
	}
	goto out;

fork_error:
	errno = -r;
	log_warn("%s: cannot spawn", proc_namespec(p));
	close_pair(outp);
	close_pair(errp);
	feed(p, PROC_EV_FORK_ERROR, 0, -r);
out:
	if (env != NULL)
		free_env(env);
	free(groups);
	free(argv);
}

/* ------------------------------------------------------------ events */

static void
log_transition(const struct proc *p, enum proc_state from, enum proc_state to,
	       enum proc_event e, int status)
{
	const struct proc_fsm *f = &p->fsm;
	const char *ns = proc_namespec(p);
	char ws[64];

	switch (to) {
	case PROC_RUNNING:
		if (e == PROC_EV_STARTSECS)
			log_info("success: %s entered RUNNING state, process "
				 "has stayed up for > than %lld seconds "
				 "(startsecs)", ns,
				 (long long)(f->prog->startsecs_ms / 1000));
		else
			log_info("success: %s entered RUNNING state", ns);
		break;
	case PROC_EXITED:
		proc_format_wait_status(status, ws, sizeof(ws));
		if (f->expected)
			log_info("exited: %s (%s; expected)", ns, ws);
		else
			log_warnx("exited: %s (%s; not expected)", ns, ws);
		break;
	case PROC_BACKOFF:
		if (e == PROC_EV_EXITED) {
			proc_format_wait_status(status, ws, sizeof(ws));
			log_warnx("exited: %s (%s; not expected)", ns, ws);
		}
		log_info("%s: %s -> BACKOFF (%s), retry %u in %us", ns,
			 proc_state_to_string(from), f->reason, f->backoff,
			 f->backoff);
		break;
	case PROC_FATAL:
		if (from == PROC_BACKOFF)
			log_warnx("gave up: %s entered FATAL state, too many "
				  "start retries too quickly", ns);
		else
			log_warnx("%s: %s -> FATAL (%s)", ns,
				  proc_state_to_string(from), f->reason);
		break;
	case PROC_STOPPED:
		if (e == PROC_EV_EXITED) {
			proc_format_wait_status(status, ws, sizeof(ws));
			log_info("stopped: %s (%s)", ns, ws);
		} else {
			log_info("stopped: %s (from %s)", ns,
				 proc_state_to_string(from));
		}
		break;
	case PROC_UNKNOWN:
		log_error("%s: %s -> UNKNOWN (%s)", ns,
			  proc_state_to_string(from), f->reason);
		break;
	default:
		log_info("%s: %s -> %s", ns, proc_state_to_string(from),
			 proc_state_to_string(to));
		break;
	}
}

static void
arm_timer(struct proc *p)
{
	struct ev_loop *loop = p->ctx->loop;

	ev_timer_stop(loop, &p->timer);
	if (p->fsm.deadline_ms == 0)
		return;
	ev_timer_set(&p->timer,
		     MAX(0, p->fsm.deadline_ms - util_now_ms()) / 1000.0, 0.);
	ev_timer_start(loop, &p->timer);
}

static void
do_signal(struct proc *p, int sig, bool group)
{
	pid_t target = group ? -p->pid : p->pid;

	if (p->pid <= 0)
		return;
	log_debug("killing %s (pid %d) %swith signal %s", proc_namespec(p),
		  p->pid, group ? "process group " : "",
		  util_signal_name(sig) ? util_signal_name(sig) : "?");
	if (kill(target, sig) < 0 && errno != ESRCH) {
		int err = errno;

		log_warn("%s: kill %d", proc_namespec(p), (int)target);
		feed(p, PROC_EV_KILL_ERROR, 0, err);
	}
}

static int
feed_detail(struct proc *p, enum proc_event e, int status, int err,
	    const char *detail)
{
	struct proc_input in = {
		.event = e,
		.now_ms = util_now_ms(),
		.wall_ms = util_wall_ms(),
		.status = status,
		.err = err,
		.detail = detail,
	};
	struct proc_output out;
	enum proc_state from = p->fsm.state, prev = from;
	int r;

	r = proc_fsm_event(&p->fsm, &in, &out);
	if (r == -EINVAL)
		log_error("%s: event %s impossible in state %s, ignored",
			  proc_namespec(p), proc_event_to_string(e),
			  proc_state_to_string(from));
	if (r < 0)
		return r;
	for (unsigned i = 0; i < out.npath; i++) {
		log_transition(p, prev, out.path[i], e, status);
		prev = out.path[i];
	}
	if (out.actions & PROC_ACT_TIMER)
		arm_timer(p);
	if ((out.npath > 0 || e == PROC_EV_SPAWNED || e == PROC_EV_EXITED) &&
	    p->ctx->on_change != NULL)
		p->ctx->on_change(p, from, p->ctx->data);
	if (out.actions & PROC_ACT_SIGNAL)
		do_signal(p, out.signal, out.group);
	if (out.actions & PROC_ACT_SPAWN)
		do_spawn(p);
	return 0;
}

static int
feed(struct proc *p, enum proc_event e, int status, int err)
{
	return feed_detail(p, e, status, err, NULL);
}

static void
on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct proc *p = container_of(w, struct proc, timer);
	enum proc_event e = proc_fsm_timer_event(&p->fsm);

	if (e != _PROC_EVENT_MAX)
		feed(p, e, 0, 0);
}

int
proc_start(struct proc *p)
{
	if (p->fsm.disabled && proc_state_is_stopped(p->fsm.state))
		return -EPERM;
	return feed(p, PROC_EV_START, 0, 0);
}

int
proc_stop(struct proc *p)
{
	return feed(p, PROC_EV_STOP, 0, 0);
}

int
proc_no_resource(struct proc *p)
{
	return feed(p, PROC_EV_NO_RESOURCE, 0, 0);
}

int
proc_signal(struct proc *p, int sig)
{
	if (p->pid <= 0 || !proc_state_is_running(p->fsm.state))
		return -ESRCH;
	if (kill(p->pid, sig) < 0)
		return -errno;
	return 0;
}

void
proc_inhibit_restart(struct proc *p, bool inhibit)
{
	p->fsm.inhibit_restart = inhibit;
}

void
proc_set_disabled(struct proc *p, bool disabled)
{
	p->fsm.disabled = disabled;
}

bool
proc_disabled(const struct proc *p)
{
	return p->fsm.disabled;
}

/* ------------------------------------------------------------ getters */

const struct rl_process *
proc_config(const struct proc *p)
{
	return p->conf;
}

const char *
proc_namespec(const struct proc *p)
{
	return p->conf->namespec;
}

const struct proc_fsm *
proc_fsm(const struct proc *p)
{
	return &p->fsm;
}

enum proc_state
proc_state(const struct proc *p)
{
	return p->fsm.state;
}

pid_t
proc_pid(const struct proc *p)
{
	return p->pid;
}

struct logfile *
proc_logfile(const struct proc *p, enum proc_stream s)
{
	return (unsigned)s < _PROC_STREAM_MAX ? p->log[s] : NULL;
}

void
proc_set_data(struct proc *p, void *data)
{
	p->data = data;
}

void *
proc_data(const struct proc *p)
{
	return p->data;
}
