/*
 * rules/build: programs become processes.  Each program takes the keys it
 * does not set from its models, then its defaults (supervisord's and
 * Supvisors'), is checked as a whole, and is expanded numprocs times with
 * its %(...)s values; then processes are indexed by namespec and the
 * digest is computed.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "rules/digest.h"
#include "rules/formula.h"
#include "rules/loader.h"

/* ------------------------------------------------------------ programs */

static const char *
expand(struct ld *ld, const struct ynode *n, const char *key,
       const char *tmpl, const struct xvar *vars, size_t nvars)
{
	char msg[256];
	const char *s;

	s = expand_template(&ld->r->a, tmpl, vars, nvars, ld->envp, msg,
			    sizeof(msg));
	if (s == NULL)
		error(ld, n, "'%s': %s", key, msg);
	return s;
}

static bool
make_logfile(struct ld *ld, const struct praw *p, enum prog_field fpath,
	     const char *tmpl, uint64_t maxbytes, int64_t backups,
	     const struct xvar *vars, size_t nvars, struct rl_logfile *ret)
{
	const char *path;

	ret->maxbytes = maxbytes;
	ret->backups = (unsigned)backups;
	if (strcasecmp(tmpl, "AUTO") == 0) {
		ret->kind = RL_LOGFILE_AUTO;
		return true;
	}
	if (strcasecmp(tmpl, "NONE") == 0) {
		ret->kind = RL_LOGFILE_NONE;
		return true;
	}
	path = expand(ld, p->pos[fpath], schema_program.f[fpath].key, tmpl,
		      vars, nvars);
	if (path == NULL)
		return false;
	if (*path == '\0') {
		error(ld, p->pos[fpath], "'%s' is empty",
		      schema_program.f[fpath].key);
		return false;
	}
	ret->kind = RL_LOGFILE_PATH;
	ret->path = join_path(&ld->r->a, ld->r->instance.log_dir, path);
	return true;
}

static void
program_defaults(struct praw *e, const struct rl_application *app)
{
	static const int codes0[1] = {0};

	if (!SET(e, PF_PROCESS_NAME))
		e->process_name = "%(program_name)s";
	if (!SET(e, PF_NUMPROCS))
		e->numprocs = 1;
	if (!SET(e, PF_UMASK))
		e->umask = -1;
	if (!SET(e, PF_AUTORESTART)) {
		/* Supvisors restarts these as a whole application: a
		 * process-level restart would race it */
		e->autorestart =
			(SET(e, PF_RUNNING_FAILURE) &&
			 (e->running_failure == RL_RUNNING_STOP_APPLICATION ||
			  e->running_failure ==
				  RL_RUNNING_RESTART_APPLICATION))
				? RL_AUTORESTART_FALSE
				: RL_AUTORESTART_UNEXPECTED;
	}
	if (!SET(e, PF_STARTSECS))
		e->startsecs = 1000;
	if (!SET(e, PF_STARTRETRIES))
		e->startretries = 3;
	if (!SET(e, PF_EXITCODES)) {
		e->exitcodes.v = (int *)codes0;
		e->exitcodes.n = 1;
	}
	if (!SET(e, PF_STOPSIGNAL))
		e->stopsignal = 15;
	if (!SET(e, PF_STOPWAITSECS))
		e->stopwaitsecs = 10000;
	if (!SET(e, PF_KILLASGROUP))
		e->killasgroup = e->stopasgroup;
	if (!SET(e, PF_STDOUT_LOGFILE))
		e->stdout_logfile = "AUTO";
	if (!SET(e, PF_STDOUT_MAXBYTES))
		e->stdout_maxbytes = 50u << 20;
	if (!SET(e, PF_STDOUT_BACKUPS))
		e->stdout_backups = 10;
	if (!SET(e, PF_STDERR_LOGFILE))
		e->stderr_logfile = "AUTO";
	if (!SET(e, PF_STDERR_MAXBYTES))
		e->stderr_maxbytes = 50u << 20;
	if (!SET(e, PF_STDERR_BACKUPS))
		e->stderr_backups = 10;
	if (!SET(e, PF_STOP_SEQUENCE))
		e->stop_sequence = e->start_sequence;
	if (!SET(e, PF_STARTING_FAILURE))
		e->starting_failure = (int)app->starting_failure_strategy;
	if (!SET(e, PF_RUNNING_FAILURE))
		e->running_failure = (int)app->running_failure_strategy;
}

static bool
check_program(struct ld *ld, const struct praw *e,
	      const struct rl_application *app)
{
	bool ok = true;

	if (!SET(e, PF_COMMAND)) {
		error(ld, e->key, "program '%s' has no 'command'", e->name);
		ok = false;
	}
	if (e->numprocs > 1 && strstr(e->process_name, "%(process_num)") ==
				       NULL) {
		error(ld, SET(e, PF_PROCESS_NAME) ? e->pos[PF_PROCESS_NAME]
						  : e->pos[PF_NUMPROCS],
		      "'process_name' must contain %%(process_num) when "
		      "numprocs > 1 (it is '%s')", e->process_name);
		ok = false;
	}
	if (SET(e, PF_USER) && !ld->opts->is_root) {
		error(ld, e->pos[PF_USER], "'user' needs the daemon to run as "
					   "root");
		ok = false;
	}
#ifndef FUZZING
	/* a warning: the program may be meant for other hosts only */
	if (SET(e, PF_USER) && ld->opts->is_root && getpwnam(e->user) == NULL)
		warning(ld, e->pos[PF_USER], "user '%s' does not exist on this "
			"host", e->user);
#endif
	if (e->stopasgroup && SET(e, PF_KILLASGROUP) && !e->killasgroup) {
		error(ld, e->pos[PF_KILLASGROUP], "'killasgroup' cannot be "
		      "false when 'stopasgroup' is true");
		ok = false;
	}
	if (e->required && e->start_sequence == 0) {
		error(ld, e->pos[PF_REQUIRED], "'required' needs "
		      "'start_sequence' > 0: a process never started "
		      "automatically cannot be required");
		ok = false;
	}
	if (SET(e, PF_AUTORESTART) &&
	    e->autorestart != RL_AUTORESTART_FALSE &&
	    (e->running_failure == RL_RUNNING_STOP_APPLICATION ||
	     e->running_failure == RL_RUNNING_RESTART_APPLICATION)) {
		error(ld, e->pos[PF_AUTORESTART], "'autorestart' must be false "
		      "with running_failure_strategy %s (the application "
		      "is handled as a whole)",
		      rl_running_failure_to_string(e->running_failure));
		ok = false;
	}
	if (e->redirect_stderr && SET(e, PF_STDERR_LOGFILE))
		warning(ld, e->pos[PF_STDERR_LOGFILE], "'stderr_logfile' is "
			"ignored: 'redirect_stderr' is true");
	if (SET(e, PF_IDENTIFIERS) &&
	    app->distribution != RL_DIST_ALL_INSTANCES)
		warning(ld, e->pos[PF_IDENTIFIERS], "program identifiers are "
			"ignored: application '%s' has distribution %s",
			app->name, rl_distribution_to_string(app->distribution));
	return ok;
}

static bool
build_process(struct ld *ld, const struct praw *e, struct rl_program *prog,
	      unsigned idx, struct rl_process *proc)
{
	struct arena *a = &ld->r->a;
	const char *here = ld->files[e->key->file].here;
	struct xvar vars[] = {
		{"program_name", e->name, 0},
		{"process_num", NULL, e->numprocs_start + idx},
		{"group_name", prog->app->name, 0},
		{"host_node_name", ld->host, 0},
		{"here", here, 0},
		{"numprocs", NULL, e->numprocs},
		{"numprocs_start", NULL, e->numprocs_start},
		{"instance_name", ld->instance_name, 0},
	};
	const size_t nv = ARRAY_SIZE(vars);
	const struct ynode *pn;
	const char **argv, *why, *name;
	struct rl_kv *env;
	size_t i;
	bool ok = true;

	proc->program = prog;
	proc->index = idx;
	proc->process_num = (int)(e->numprocs_start + idx);
	pn = SET(e, PF_PROCESS_NAME) ? e->pos[PF_PROCESS_NAME] : e->key;
	name = expand(ld, pn, "process_name", e->process_name, vars, nv);
	if (name == NULL)
		return false;
	why = schema_check_name(name);
	if (why != NULL) {
		error(ld, pn, "process name '%s' %s", name, why);
		return false;
	}
	proc->name = name;
	proc->namespec = arena_printf(a, "%s:%s", prog->app->name, name);

	argv = arena_alloc(a, (e->command.n + 1) * sizeof(*argv));
	for (i = 0; i < e->command.n; i++) {
		argv[i] = expand(ld, e->pos[PF_COMMAND], "command",
				 e->command.v[i], vars, nv);
		if (argv[i] == NULL)
			return false;
	}
	if (argv[0][0] == '\0') {
		error(ld, e->pos[PF_COMMAND], "'command' has an empty program "
					      "name");
		return false;
	}
	proc->argv = argv;
	proc->argc = e->command.n;
	if (SET(e, PF_DIRECTORY)) {
		proc->directory = expand(ld, e->pos[PF_DIRECTORY], "directory",
					 e->directory, vars, nv);
		if (proc->directory == NULL)
			return false;
		if (proc->directory[0] != '/') {
			error(ld, e->pos[PF_DIRECTORY], "'directory' must be an "
			      "absolute path, not '%s'", proc->directory);
			return false;
		}
	}
	env = arena_alloc(a, (e->environment.n + 1) * sizeof(*env));
	for (i = 0; i < e->environment.n; i++) {
		env[i].key = arena_strdup(a, e->environment.v[i].key);
		env[i].value = expand(ld, e->environment.nodes[i],
				      "environment",
				      e->environment.v[i].value, vars, nv);
		if (env[i].value == NULL)
			ok = false;
	}
	proc->env = env;
	proc->nenv = e->environment.n;
	ok &= make_logfile(ld, e, PF_STDOUT_LOGFILE, e->stdout_logfile,
			   e->stdout_maxbytes, e->stdout_backups, vars, nv,
			   &proc->stdout_log);
	ok &= make_logfile(ld, e, PF_STDERR_LOGFILE, e->stderr_logfile,
			   e->stderr_maxbytes, e->stderr_backups, vars, nv,
			   &proc->stderr_log);
	if (!ok)
		return false;
	digest_process(prog, proc, proc->config_hash);
	return true;
}

static void
build_program(struct ld *ld, struct praw *e, struct rl_program *prog,
	      const struct rl_application *app)
{
	struct arena *a = &ld->r->a;
	struct rl_process *procs;
	unsigned i, n = 0;
	int *codes;

	prog->name = arena_strdup(a, e->name);
	prog->app = app;
	prog->reference = arena_strdup(a, e->reference);
	prog->numprocs = (unsigned)e->numprocs;
	prog->numprocs_start = (int)e->numprocs_start;
	prog->umask = (int)e->umask;
	prog->user = arena_strdup(a, e->user);
	prog->autorestart = (enum rl_autorestart)e->autorestart;
	prog->startsecs_ms = e->startsecs;
	prog->startretries = (unsigned)e->startretries;
	codes = arena_alloc(a, e->exitcodes.n * sizeof(*codes));
	memcpy(codes, e->exitcodes.v, e->exitcodes.n * sizeof(*codes));
	prog->exitcodes = codes;
	prog->nexitcodes = e->exitcodes.n;
	prog->stopsignal = e->stopsignal;
	prog->stopwaitsecs_ms = e->stopwaitsecs;
	prog->stopasgroup = e->stopasgroup;
	prog->killasgroup = e->killasgroup;
	prog->redirect_stderr = e->redirect_stderr;
	prog->required = e->required;
	prog->start_sequence = (unsigned)e->start_sequence;
	prog->stop_sequence = (unsigned)e->stop_sequence;
	prog->wait_exit = e->wait_exit;
	prog->wait_exit_timeout_ms = e->wait_exit_timeout;
	prog->expected_loading = (unsigned)e->expected_loading;
	prog->starting_failure_strategy =
		(enum rl_starting_failure)e->starting_failure;
	prog->running_failure_strategy =
		(enum rl_running_failure)e->running_failure;
	if (!resolve_idents(ld, &e->identifiers, false, e->name,
			    prog->numprocs, &prog->identifiers))
		return;
	procs = arena_alloc(a, prog->numprocs * sizeof(*procs));
	for (i = 0; i < prog->numprocs; i++) {
		if (!build_process(ld, e, prog, i, &procs[n]))
			return;
		n++;
	}
	prog->processes = procs;
	prog->nprocesses = n;
}

/* ------------------------------------------------------------ applications */

/* An operational_status formula is checked here rather than when first
 * evaluated: a syntax error points into the string itself, and an operand
 * outside any()/all() that matches no process or several would make every
 * evaluation fail (a permanent major failure) whatever the states. */
static void
check_formula(struct ld *ld, const struct ynode *pos,
	      const struct rl_application *app)
{
	struct rl_formula *f = NULL;
	const char **names = NULL;
	bool *values = NULL;
	char *msg = NULL;
	size_t col = 0, n = 0, i, j, k;

	if (rl_formula_parse(app->operational_status, &f, &col, &msg) < 0) {
		struct ynode at = *pos;

		/* the string starts one column later when it is quoted */
		if (col > 0)
			at.col += (uint32_t)(col - 1) + (pos->quoted ? 1 : 0);
		error(ld, &at, "operational_status: %s",
		      msg ? msg : "invalid formula");
		goto out;
	}
	for (i = 0; i < app->nprograms; i++)
		n += app->programs[i].nprocesses;
	names = xcalloc(n + 1, sizeof(*names));
	values = xcalloc(n + 1, sizeof(*values));
	for (i = 0, k = 0; i < app->nprograms; i++)
		for (j = 0; j < app->programs[i].nprocesses; j++)
			names[k++] = app->programs[i].processes[j].name;
	rl_formula_bind(f, names, n);
	if (rl_formula_eval(f, values) < 0)
		error(ld, pos, "operational_status: an operand outside any() "
			       "or all() must name exactly one process of "
			       "application '%s'", app->name);
out:
	free(msg);
	free(names);
	free(values);
	rl_formula_free(f);
}

static void
build_application(struct ld *ld, struct araw *a, struct rl_application *app)
{
	struct rl_program *progs;
	struct prog_ext *pe;
	struct praw *e;
	char what[96];
	size_t i;

	app->name = arena_strdup(&ld->r->a, a->name);
	app->distribution = SET(a, AF_DISTRIBUTION)
				    ? (enum rl_distribution)a->distribution
				    : RL_DIST_ALL_INSTANCES;
	app->start_sequence = (unsigned)a->start_sequence;
	app->stop_sequence = SET(a, AF_STOP_SEQUENCE)
				     ? (unsigned)a->stop_sequence
				     : app->start_sequence;
	app->starting_strategy = SET(a, AF_STARTING_STRATEGY)
					 ? (enum rl_strategy)a->starting_strategy
					 : ld->r->cluster.starting_strategy;
	app->starting_failure_strategy =
		SET(a, AF_STARTING_FAILURE)
			? (enum rl_starting_failure)a->starting_failure
			: RL_STARTING_ABORT;
	app->running_failure_strategy =
		SET(a, AF_RUNNING_FAILURE)
			? (enum rl_running_failure)a->running_failure
			: RL_RUNNING_CONTINUE;
	app->operational_status = arena_strdup(&ld->r->a,
					       a->operational_status);
	if (SET(a, AF_IDENTIFIERS) &&
	    app->distribution == RL_DIST_ALL_INSTANCES)
		warning(ld, a->pos[AF_IDENTIFIERS], "application identifiers "
			"are ignored with distribution ALL_INSTANCES");
	resolve_idents(ld, &a->identifiers, true, a->name, 0,
		       &app->identifiers);
	if (a->programs == NULL || (a->programs->type == Y_MAP &&
				    a->programs->n == 0))
		warning(ld, a->key, "application '%s' has no programs",
			a->name);
	progs = arena_alloc(&ld->r->a, (a->nprogs + 1) * sizeof(*progs));
	app->programs = progs;
	for (i = 0; i < a->nprogs; i++) {
		pe = (struct prog_ext *)a->progs[i];
		if (pe->broken)
			continue;
		e = arena_alloc(&ld->scratch, sizeof(*e));
		*e = pe->p;
		snprintf(what, sizeof(what), "program '%s'", e->name);
		if (!merge_models(ld, e, what))
			continue;
		program_defaults(e, app);
		if (!check_program(ld, e, app))
			continue;
		/* numprocs multiplies: bound the memory a file can claim */
		if (ld->nprocesses + (size_t)e->numprocs > RL_PROCESSES_MAX) {
			error(ld, e->pos[PF_NUMPROCS] ? e->pos[PF_NUMPROCS]
						      : e->key,
			      "more than %d processes in all",
			      RL_PROCESSES_MAX);
			continue;
		}
		ld->nprocesses += (size_t)e->numprocs;
		build_program(ld, e, &progs[app->nprograms], app);
		app->nprograms++;
	}
	if (app->operational_status != NULL)
		check_formula(ld, a->pos[AF_OPERATIONAL_STATUS], app);
}

static void
index_processes(struct ld *ld)
{
	struct rules *r = ld->r;
	const struct rl_process *prev;
	size_t i, j, k, n = 0;

	for (i = 0; i < r->napps; i++)
		for (j = 0; j < r->apps[i].nprograms; j++)
			n += r->apps[i].programs[j].nprocesses;
	r->procs = arena_alloc(&r->a, (n + 1) * sizeof(*r->procs));
	for (i = 0; i < r->napps; i++) {
		const struct rl_application *app = &r->apps[i];

		strmap_put(&r->app_map, app->name, (void *)app);
		for (j = 0; j < app->nprograms; j++) {
			const struct rl_program *p = &app->programs[j];

			for (k = 0; k < p->nprocesses; k++) {
				const struct rl_process *proc =
					&p->processes[k];

				prev = strmap_put(&r->proc_map, proc->namespec,
						  (void *)proc);
				if (prev != NULL) {
					const struct ynode *kn = NULL;
					size_t m;

					for (m = 0; m < ld->apps.n; m++) {
						struct araw *a = ld->apps.v[m];
						size_t q;

						if (strcmp(a->name, app->name))
							continue;
						for (q = 0; q < a->nprogs; q++)
							if (!strcmp(a->progs[q]->name,
								    p->name))
								kn = a->progs[q]->key;
					}
					error(ld, kn, "process '%s' of program "
					      "'%s' has the name of a process "
					      "of program '%s'", proc->namespec,
					      p->name, prev->program->name);
					continue;
				}
				r->procs[r->nprocs++] = proc;
			}
		}
	}
}

/* ------------------------------------------------------------ digest */

static int
cmp_araw(const void *a, const void *b)
{
	return strcmp((*(struct araw *const *)a)->name,
		      (*(struct araw *const *)b)->name);
}

static int
cmp_praw(const void *a, const void *b)
{
	return strcmp((*(struct praw *const *)a)->name,
		      (*(struct praw *const *)b)->name);
}

static int
cmp_model(const void *a, const void *b)
{
	return strcmp((*(struct model_raw *const *)a)->p.name,
		      (*(struct model_raw *const *)b)->p.name);
}

static int
cmp_alias(const void *a, const void *b)
{
	return strcmp((*(struct alias_raw *const *)a)->name,
		      (*(struct alias_raw *const *)b)->name);
}

/* What was written, typed: models, aliases and references are hashed
 * as such, so the keys a program takes from a model need not be hashed
 * again with the program.  Called once the load is valid; it sorts the
 * loader's lists in place. */
static void
compute_digest(struct ld *ld)
{
	const struct rl_cluster_conf *cc = &ld->r->cluster;
	struct canon c;
	uint8_t d[32];
	size_t i, j;

	canon_init(&c);
	canon_str(&c, "supvisors-sched rules 1");
	canon_int(&c, cc->auto_fence);
	canon_int(&c, cc->starting_strategy);
	canon_int(&c, cc->conciliation_strategy);
	canon_int(&c, cc->failure_strategy);
	canon_int(&c, cc->load_source);

	if (ld->aliases.n > 1)
		qsort(ld->aliases.v, ld->aliases.n, sizeof(void *), cmp_alias);
	canon_begin(&c, "aliases", ld->aliases.n);
	for (i = 0; i < ld->aliases.n; i++) {
		struct alias_raw *al = ld->aliases.v[i];

		canon_str(&c, al->name);
		canon_begin(&c, "items", al->items.n);
		for (j = 0; j < al->items.n; j++)
			canon_str(&c, al->items.v[j]->s);
	}
	if (ld->models.n > 1)
		qsort(ld->models.v, ld->models.n, sizeof(void *), cmp_model);
	canon_begin(&c, "models", ld->models.n);
	for (i = 0; i < ld->models.n; i++) {
		struct model_raw *m = ld->models.v[i];

		canon_str(&c, m->p.name);
		canon_fields(&c, &schema_program, &m->p, true);
	}
	if (ld->apps.n > 1)
		qsort(ld->apps.v, ld->apps.n, sizeof(void *), cmp_araw);
	canon_begin(&c, "applications", ld->apps.n);
	for (i = 0; i < ld->apps.n; i++) {
		struct araw *a = ld->apps.v[i];

		canon_str(&c, a->name);
		canon_fields(&c, &schema_application, a, true);
		if (a->nprogs > 1)
			qsort(a->progs, a->nprogs, sizeof(*a->progs),
			      cmp_praw);
		canon_begin(&c, "programs", a->nprogs);
		for (j = 0; j < a->nprogs; j++) {
			canon_str(&c, a->progs[j]->name);
			canon_fields(&c, &schema_program, a->progs[j], true);
		}
	}
	canon_final(&c, d);
	digest_hex(d, ld->r->digest);
}

void
ld_resolve(struct ld *ld)
{
	struct rules *r = ld->r;
	size_t i;

	resolve_instance(ld);
	resolve_stats(ld);
	resolve_aliases(ld);
	check_models(ld);
	r->apps = arena_alloc(&r->a, (ld->apps.n + 1) * sizeof(*r->apps));
	for (i = 0; i < ld->apps.n; i++)
		build_application(ld, ld->apps.v[i], &r->apps[r->napps++]);
	index_processes(ld);
	if (ld->diags->errors == 0)
		compute_digest(ld);
}
