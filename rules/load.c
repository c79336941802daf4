/*
 * rules/load: reading the files, and turning raw records into the
 * immutable struct rules.
 *
 * A load runs in two stages.  The first reads the main file and its
 * includes (depth first, each include's matches in byte order) and types
 * every key through the schema tables into raw records.  The second,
 * skipped if any file failed to parse (its cross references would only
 * produce noise), resolves the instance and cluster settings, aliases,
 * models and identifiers, fills defaults, expands numprocs and %(...)s,
 * checks everything that involves more than one key, and builds the
 * records the daemon reads.  Every problem of every file is reported in
 * that one pass; a record whose own keys were wrong is not checked
 * further, so one mistake gives one message.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "rules/loader.h"

extern char **environ;

void
vec_push(struct vec *v, void *p)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 16;
		v->v = xreallocarray(v->v, v->cap, sizeof(*v->v));
	}
	v->v[v->n++] = p;
}

/* ------------------------------------------------------------ diagnostics */

struct arena *
ld_scratch(struct ld *ld)
{
	return &ld->scratch;
}

void
ld_vdiag(struct ld *ld, unsigned file, unsigned line, unsigned col,
	 enum rl_severity sev, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	rl_diags_add(ld->diags, file < ld->nfiles ? ld->files[file].path : "",
		     (int)line, (int)col, sev, msg);
}

void
ld_diag(struct ld *ld, const struct ynode *n, enum rl_severity sev,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (n != NULL)
		ld_vdiag(ld, n->file, n->line, n->col, sev, fmt, ap);
	else
		ld_vdiag(ld, 0, 0, 0, sev, fmt, ap);
	va_end(ap);
}


bool
ld_visit(struct ld *ld, const struct ynode *n)
{
	if (ld->visit_over)
		return false;
	if (++ld->visits > RL_NODES_MAX) {
		ld->visit_over = true;
		error(ld, n, "more than %d nodes visited in one file (YAML "
			     "aliases expanding too much?)", RL_NODES_MAX);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ helpers */

const char *
env_get(struct ld *ld, const char *name)
{
	size_t len = strlen(name);
	const char *const *e;

	for (e = ld->envp; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static char *
abs_dir_of(const char *path)
{
	char *dir = dir_of(path), *ret, cwd[PATH_MAX];

	if (dir[0] == '/')
		return dir;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "/");
	if (strcmp(dir, ".") == 0)
		ret = xstrdup(cwd);
	else
		ret = xasprintf("%s/%s", strcmp(cwd, "/") ? cwd : "", dir);
	free(dir);
	return ret;
}

const char *
join_path(struct arena *a, const char *dir, const char *path)
{
	if (path[0] == '/')
		return path;
	return arena_printf(a, "%s/%s", dir, path);
}

const char *
near_in_map(const struct strmap *m, const char *s, char *buf, size_t len)
{
	unsigned best = 3, d;
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < m->cap; i++) {
		if (m->keys[i] == NULL)
			continue;
		d = util_edit_distance(s, m->keys[i], 3);
		if (d < best && d < strlen(s)) {
			best = d;
			snprintf(buf, len, " (did you mean '%s'?)",
				 m->keys[i]);
		}
	}
	return buf;
}

/* ------------------------------------------------------------ first stage */

static int load_file(struct ld *ld, const char *path, const char *data,
		     size_t len, int parent, const struct ynode *from);

bool
check_name(struct ld *ld, const struct ynode *k, const char *what)
{
	const char *why;

	if (k->type != Y_SCALAR) {
		error(ld, k, "a key must be a scalar, not %s",
		      ynode_type_name(k));
		return false;
	}
	why = schema_check_name(k->s);
	if (why != NULL) {
		error(ld, k, "%s name '%s' %s", what, k->s, why);
		return false;
	}
	return true;
}

/* A named entry of a mapping whose names are unique across files. */
bool
check_unique(struct ld *ld, struct strmap *m, struct ynode *k,
	     const char *what, const char *section)
{
	struct ynode *prev = strmap_put(m, k->s, k);

	if (prev == NULL)
		return true;
	if (prev->file == k->file)
		error(ld, k, "duplicate key '%s' in '%s' (first at %u:%u)",
		      k->s, section, prev->line, prev->col);
	else
		error(ld, k, "%s '%s' is already defined at %s:%u:%u", what,
		      k->s, ld->files[prev->file].path, prev->line, prev->col);
	return false;
}

bool
map_or_null(struct ld *ld, const struct ynode *n, const char *section)
{
	if (ynode_is_null(n))
		return false;
	if (n->type != Y_MAP) {
		error(ld, n, "'%s' must be a mapping, not %s", section,
		      ynode_type_name(n));
		return false;
	}
	return true;
}

static void
walk_programs(struct ld *ld, struct araw *a)
{
	struct strmap names = {0};
	struct ynode *k, *v;
	struct prog_ext *p;
	unsigned before;
	size_t i;

	if (!map_or_null(ld, a->programs, "programs"))
		return;
	a->progs = arena_alloc(&ld->scratch,
			       a->programs->n * sizeof(*a->progs) + 1);
	for (i = 0; i < a->programs->n; i++) {
		k = a->programs->v[2 * i];
		v = a->programs->v[2 * i + 1];
		if (!ld_visit(ld, k) || !ld_visit(ld, v))
			break;
		if (!check_name(ld, k, "program") ||
		    !check_unique(ld, &names, k, "program", "programs"))
			continue;
		p = arena_alloc(&ld->scratch, sizeof(*p));
		p->p.key = k;
		p->p.name = k->s;
		before = ld->diags->errors;
		if (ynode_is_null(v)) {
			error(ld, v, "program '%s' needs settings (at least "
				     "'command')", k->s);
			continue;
		}
		schema_walk(ld, v, &schema_program, &p->p,
			    &(struct wctx){"program", k->s});
		p->broken = ld->diags->errors != before;
		a->progs[a->nprogs++] = &p->p;
	}
	strmap_done(&names);
}

static void
walk_applications(struct ld *ld, const struct ynode *map)
{
	struct ynode *k, *v;
	struct araw *a;
	size_t i;

	if (!map_or_null(ld, map, "applications"))
		return;
	for (i = 0; i < map->n; i++) {
		k = map->v[2 * i];
		v = map->v[2 * i + 1];
		if (!ld_visit(ld, k) || !ld_visit(ld, v))
			return;
		if (!check_name(ld, k, "application") ||
		    !check_unique(ld, &ld->app_map, k, "application",
				  "applications"))
			continue;
		a = arena_alloc(&ld->scratch, sizeof(*a));
		a->key = k;
		a->name = k->s;
		schema_walk(ld, v, &schema_application, a,
			    &(struct wctx){"application", k->s});
		walk_programs(ld, a);
		vec_push(&ld->apps, a);
		if (ld->visit_over)
			return;
	}
}

static void
walk_models(struct ld *ld, const struct ynode *map)
{
	struct model_raw *m;
	struct ynode *k, *v;
	unsigned before;
	size_t i;

	if (!map_or_null(ld, map, "models"))
		return;
	for (i = 0; i < map->n; i++) {
		k = map->v[2 * i];
		v = map->v[2 * i + 1];
		if (!ld_visit(ld, k) || !ld_visit(ld, v))
			return;
		if (!check_name(ld, k, "model") ||
		    !check_unique(ld, &ld->model_map, k, "model", "models"))
			continue;
		m = arena_alloc(&ld->scratch, sizeof(*m));
		m->p.key = k;
		m->p.name = k->s;
		before = ld->diags->errors;
		schema_walk(ld, v, &schema_program, &m->p,
			    &(struct wctx){"model", k->s});
		m->broken = ld->diags->errors != before;
		vec_push(&ld->models, m);
		strmap_put(&ld->model_raws, m->p.name, m);
	}
}

static void
walk_aliases(struct ld *ld, const struct ynode *map)
{
	struct alias_raw *al;
	struct ynode *k, *v;
	size_t i, j;
	bool ok;

	if (!map_or_null(ld, map, "aliases"))
		return;
	for (i = 0; i < map->n; i++) {
		k = map->v[2 * i];
		v = map->v[2 * i + 1];
		if (!ld_visit(ld, k) || !ld_visit(ld, v))
			return;
		if (!check_name(ld, k, "alias") ||
		    !check_unique(ld, &ld->alias_map, k, "alias", "aliases"))
			continue;
		al = arena_alloc(&ld->scratch, sizeof(*al));
		al->key = k;
		al->name = k->s;
		ok = true;
		if (v->type == Y_SCALAR && !ynode_is_null(v)) {
			al->items.v = arena_alloc(&ld->scratch,
						  sizeof(*al->items.v));
			al->items.v[0] = v;
			al->items.n = 1;
		} else if (v->type == Y_SEQ && v->n > 0) {
			for (j = 0; j < v->n; j++) {
				if (!ld_visit(ld, v->v[j]))
					return;
				if (v->v[j]->type != Y_SCALAR ||
				    ynode_is_null(v->v[j])) {
					error(ld, v->v[j], "alias '%s' items "
					      "must be names, not %s", k->s,
					      ynode_type_name(v->v[j]));
					ok = false;
				}
			}
			al->items.v = v->v;
			al->items.n = v->n;
		} else {
			error(ld, v, "alias '%s' must be a non-empty list of "
				     "names, not %s", k->s,
			      v->type == Y_SEQ ? "an empty list"
					       : ynode_type_name(v));
			ok = false;
		}
		if (ok) {
			vec_push(&ld->aliases, al);
			strmap_put(&ld->alias_raws, al->name, al);
		}
	}
}

static void
load_includes(struct ld *ld, unsigned file, const struct nodevec *inc);

static void
walk_file(struct ld *ld, unsigned file, struct ynode *root, bool is_main)
{
	static const enum top_field main_only[] = {TF_INSTANCE, TF_CLUSTER,
						   TF_STATS};
	struct traw *t, local;
	size_t i;

	if (is_main) {
		t = &ld->top;
	} else {
		memset(&local, 0, sizeof(local));
		t = &local;
	}
	if (root == NULL) {
		if (is_main)
			rl_diags_add(ld->diags, ld->files[file].path, 1, 1,
				     RL_SEV_ERROR, "'version: 1' is required "
				     "at the top level");
		return;
	}
	if (!ld_visit(ld, root))
		return;
	if (root->type != Y_MAP) {
		error(ld, root, "the top level must be a mapping, not %s",
		      ynode_type_name(root));
		return;
	}
	schema_walk(ld, root, &schema_top, t,
		    &(struct wctx){"the top level", NULL});
	if (is_main && !(t->set & (1ull << TF_VERSION)) &&
	    t->pos[TF_VERSION] == NULL) {
		bool written = false;

		for (i = 0; i < root->n; i++)
			if (root->v[2 * i]->type == Y_SCALAR &&
			    strcmp(root->v[2 * i]->s, "version") == 0)
				written = true;
		if (!written)
			error(ld, root, "'version: 1' is required at the top "
					"level");
	}
	if (!is_main) {
		for (i = 0; i < ARRAY_SIZE(main_only); i++)
			if (t->set & (1ull << main_only[i]))
				error(ld, t->pos[main_only[i]],
				      "'%s' is allowed only in the main file",
				      schema_top.f[main_only[i]].key);
	}
	walk_aliases(ld, t->aliases);
	walk_models(ld, t->models);
	walk_applications(ld, t->applications);
	if (t->set & (1ull << TF_INCLUDE))
		load_includes(ld, file, &t->include);
}

static bool
glob_magic(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static unsigned
include_depth(const struct ld *ld, unsigned file)
{
	unsigned d = 0;
	int f = (int)file;

	while (ld->files[f].parent >= 0) {
		f = ld->files[f].parent;
		d++;
	}
	return d;
}

static void
include_one(struct ld *ld, unsigned file, const struct ynode *n,
	    const char *path)
{
	char *real = realpath(path, NULL);
	int f;
	size_t i;

	if (real == NULL) {
		error(ld, n, "cannot include '%s': %s", path, strerror(errno));
		return;
	}
	for (f = (int)file; f >= 0; f = ld->files[f].parent) {
		if (ld->files[f].real && strcmp(ld->files[f].real, real) == 0) {
			error(ld, n, "include cycle: '%s' includes itself",
			      path);
			free(real);
			return;
		}
	}
	for (i = 0; i < ld->nfiles; i++) {
		if (ld->files[i].real && strcmp(ld->files[i].real, real) == 0) {
			warning(ld, n, "'%s' is already included; ignored",
				path);
			free(real);
			return;
		}
	}
	free(real);
	if (include_depth(ld, file) + 1 > RL_INCLUDE_DEPTH_MAX) {
		error(ld, n, "includes nested deeper than %d levels",
		      RL_INCLUDE_DEPTH_MAX);
		return;
	}
	load_file(ld, path, NULL, 0, (int)file, n);
}

static void
load_includes(struct ld *ld, unsigned file, const struct nodevec *inc)
{
	struct xvar vars[2];
	char msg[256], *dir;
	const char *pattern;
	glob_t g;
	size_t i, j;
	int r;

	dir = dir_of(ld->files[file].path);
	vars[0] = (struct xvar){"here", ld->files[file].here, 0};
	vars[1] = (struct xvar){"host_node_name", ld->host, 0};
	for (i = 0; i < inc->n; i++) {
		const struct ynode *n = inc->v[i];

		pattern = expand_template(&ld->scratch, n->s, vars, 2,
					  ld->envp, msg, sizeof(msg));
		if (pattern == NULL) {
			error(ld, n, "%s", msg);
			continue;
		}
		if (*pattern == '\0') {
			error(ld, n, "'include' pattern is empty");
			continue;
		}
		if (pattern[0] != '/' && strcmp(dir, ".") != 0)
			pattern = arena_printf(&ld->scratch, "%s/%s", dir,
					       pattern);
#ifdef FUZZING
		/* the fuzzer must not read the machine's files */
		r = GLOB_NOMATCH;
#else
		r = glob(pattern, GLOB_NOSORT, NULL, &g);
#endif
		if (r == GLOB_NOMATCH) {
			if (!glob_magic(pattern))
				error(ld, n, "cannot include '%s': %s",
				      pattern, strerror(ENOENT));
			continue;
		}
		if (r != 0) {
			error(ld, n, "cannot expand '%s'", pattern);
			continue;
		}
		qsort(g.gl_pathv, g.gl_pathc, sizeof(*g.gl_pathv), cmp_str);
		for (j = 0; j < g.gl_pathc; j++)
			include_one(ld, file, n, g.gl_pathv[j]);
		globfree(&g);
	}
	free(dir);
}

static int
read_file(const char *path, char **ret, size_t *ret_len, bool *too_big)
{
	struct stat st;
	char *buf;
	size_t n = 0;
	ssize_t r;
	int fd;

	*too_big = false;
	/* O_NONBLOCK: a FIFO named by mistake must not hang a reload */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return (int)r;
	}
	if (S_ISDIR(st.st_mode) || !S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	buf = xmalloc(RL_FILE_MAX + 2);
	/* read one byte past the limit to detect oversize on any file type */
	while (n <= RL_FILE_MAX) {
		r = read(fd, buf + n, RL_FILE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(buf);
			close(fd);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > RL_FILE_MAX) {
		free(buf);
		*too_big = true;
		return -EFBIG;
	}
	buf[n] = '\0';
	*ret = buf;
	*ret_len = n;
	return 0;
}

static unsigned
add_file(struct ld *ld, const char *path, int parent, bool buffer)
{
	struct ld_file *f;

	if (ld->nfiles == ld->capfiles) {
		ld->capfiles = ld->capfiles ? ld->capfiles * 2 : 8;
		ld->files = xreallocarray(ld->files, ld->capfiles,
					  sizeof(*ld->files));
	}
	f = &ld->files[ld->nfiles];
	f->path = xstrdup(path);
	f->here = abs_dir_of(path);
	f->real = buffer ? NULL : realpath(path, NULL);
	f->parent = parent;
	return (unsigned)ld->nfiles++;
}

static int
load_file(struct ld *ld, const char *path, const char *data, size_t len,
	  int parent, const struct ynode *from)
{
	char *buf = NULL;
	struct ynode *root;
	unsigned file;
	bool too_big, ok;
	int r = 0;

	if (ld->nfiles >= 1000) {
		error(ld, from, "more than 1000 files included");
		return -EINVAL;
	}
	if (data == NULL) {
		r = read_file(path, &buf, &len, &too_big);
		if (r < 0) {
			/* read_file's -EINVAL: a FIFO, a device... */
			const char *why = r == -EINVAL ? "not a regular file"
						       : strerror(-r);

			if (from != NULL && !too_big)
				error(ld, from, "cannot include '%s': %s",
				      path, why);
			else if (too_big)
				rl_diags_add(ld->diags, path, 0, 0,
					     RL_SEV_ERROR,
					     "file is larger than 4 MiB");
			else
				rl_diags_add(ld->diags, path, 0, 0,
					     RL_SEV_ERROR, why);
			ld->parse_failed = true;
			return r;
		}
		data = buf;
	} else if (len > RL_FILE_MAX) {
		rl_diags_add(ld->diags, path, 0, 0, RL_SEV_ERROR,
			     "file is larger than 4 MiB");
		ld->parse_failed = true;
		return -EFBIG;
	}
	file = add_file(ld, path, parent, buf == NULL);
	root = yaml_tree_parse(ld, file, data, len, &ok);
	free(buf);
	if (!ok) {
		ld->parse_failed = true;
		return -EINVAL;
	}
	ld->visits = 0;
	ld->visit_over = false;
	walk_file(ld, file, root, parent < 0);
	if (ld->visit_over)
		ld->parse_failed = true; /* walked in part: no cross checks */
	return 0;
}

/* ------------------------------------------------------------ entry */


static char *
host_name(const struct rules_load_opts *opts)
{
	char buf[256];

	if (opts->host_node_name != NULL)
		return xstrdup(opts->host_node_name);
	if (gethostname(buf, sizeof(buf)) < 0)
		return xstrdup("localhost");
	buf[sizeof(buf) - 1] = '\0';
	return xstrdup(buf);
}

static int
load(const char *path, const char *data, size_t len,
     const struct rules_load_opts *opts, struct rules **ret,
     struct rl_diags *diags)
{
	static const struct rules_load_opts no_opts;
	struct ld ld = {0};
	size_t i;
	int r;

	ld.opts = opts ? opts : &no_opts;
	ld.diags = diags;
	ld.envp = ld.opts->envp ? ld.opts->envp
				: (const char *const *)environ;
	ld.host = host_name(ld.opts);
	ld.r = xcalloc(1, sizeof(*ld.r));
	ld.r->path = arena_strdup(&ld.r->a, path);
	r = load_file(&ld, path, data, len, -1, NULL);
	if (r < 0 && r != -EINVAL && ld.nfiles == 0)
		goto out;
	if (!ld.parse_failed && ld.nfiles > 0)
		ld_resolve(&ld);
	r = diags->errors > 0 ? -EINVAL : 0;
out:
	if (r == 0)
		*ret = ld.r;
	else
		rules_free(ld.r);
	for (i = 0; i < ld.nfiles; i++) {
		free(ld.files[i].path);
		free(ld.files[i].here);
		free(ld.files[i].real);
	}
	free(ld.files);
	free(ld.apps.v);
	free(ld.models.v);
	free(ld.aliases.v);
	strmap_done(&ld.app_map);
	strmap_done(&ld.model_map);
	strmap_done(&ld.alias_map);
	strmap_done(&ld.model_raws);
	strmap_done(&ld.alias_raws);
	strmap_done(&ld.inst_map);
	strmap_done(&ld.tag_map);
	arena_done(&ld.scratch);
	free((char *)ld.host);
	return r;
}

int
rules_load(const char *path, const struct rules_load_opts *opts,
	   struct rules **ret, struct rl_diags *diags)
{
	return load(path, NULL, 0, opts, ret, diags);
}

int
rules_load_buffer(const char *name, const char *data, size_t len,
		  const struct rules_load_opts *opts, struct rules **ret,
		  struct rl_diags *diags)
{
	return load(name, data ? data : "", data ? len : 0, opts, ret, diags);
}

struct rules *
rules_free(struct rules *r)
{
	if (r == NULL)
		return NULL;
	strmap_done(&r->app_map);
	strmap_done(&r->proc_map);
	arena_done(&r->a);
	free(r);
	return NULL;
}

const char *
rules_default_path(void)
{
	const char *env = getenv("SUPVISORS_SCHED_CONFIG");

	if (env != NULL && *env != '\0')
		return env;
	return SYSCONFDIR "/supvisors-sched/supvisors-sched.yaml";
}

const char *
rules_path(const struct rules *r)
{
	return r->path;
}

const struct rl_instance_conf *
rules_instance(const struct rules *r)
{
	return &r->instance;
}

const struct rl_cluster_conf *
rules_cluster(const struct rules *r)
{
	return &r->cluster;
}

const struct rl_stats_conf *
rules_stats(const struct rules *r)
{
	return &r->stats;
}

size_t
rules_napplications(const struct rules *r)
{
	return r->napps;
}

const struct rl_application *
rules_application(const struct rules *r, size_t i)
{
	return i < r->napps ? &r->apps[i] : NULL;
}

const struct rl_application *
rules_find_application(const struct rules *r, const char *name)
{
	return strmap_get(&r->app_map, name);
}

const struct rl_program *
rules_find_program(const struct rules *r, const char *app,
		   const char *program)
{
	const struct rl_application *a = rules_find_application(r, app);
	size_t i;

	for (i = 0; a != NULL && i < a->nprograms; i++)
		if (strcmp(a->programs[i].name, program) == 0)
			return &a->programs[i];
	return NULL;
}

const struct rl_process *
rules_find_process(const struct rules *r, const char *namespec)
{
	return strmap_get(&r->proc_map, namespec);
}

size_t
rules_nprocesses(const struct rules *r)
{
	return r->nprocs;
}

const struct rl_process *
rules_process(const struct rules *r, size_t i)
{
	return i < r->nprocs ? r->procs[i] : NULL;
}

size_t
rules_ntags(const struct rules *r)
{
	return r->ntags;
}

const char *
rules_tag(const struct rules *r, size_t i)
{
	return i < r->ntags ? r->tags[i] : NULL;
}

const char *
rules_digest(const struct rules *r)
{
	return r->digest;
}
