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
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "rules/digest.h"
#include "rules/schema.h"

extern char **environ;

struct rules {
	struct arena a;
	const char *path;
	struct rl_instance_conf instance;
	struct rl_cluster_conf cluster;
	struct rl_stats_conf stats;
	struct rl_application *apps;
	size_t napps;
	const struct rl_process **procs;
	size_t nprocs;
	const char **tags;
	size_t ntags;
	struct strmap app_map;
	struct strmap proc_map;
	char digest[65];
};

struct alias_raw {
	struct ynode *key;
	const char *name;
	struct nodevec items;
	int state; /* 0 unresolved, 1 resolving, 2 resolved */
	struct rl_ident *v;
	size_t n;
};

struct model_raw {
	struct praw p;
	bool broken;
	int state; /* 0 unchecked, 1 checking, 2 checked */
};

struct prog_ext {
	struct praw p;
	bool broken;
};

struct vec {
	void **v;
	size_t n, cap;
};

struct ld {
	struct arena scratch;
	struct rules *r;
	struct rl_diags *diags;
	const struct rules_load_opts *opts;
	const char *const *envp;
	const char *host;
	struct ld_file *files;
	size_t nfiles;
	size_t capfiles;
	size_t visits;
	bool visit_over;
	bool parse_failed;
	bool have_main;
	struct traw top;
	struct vec apps;     /* struct araw * */
	struct vec models;   /* struct model_raw * */
	struct vec aliases;  /* struct alias_raw * */
	struct strmap app_map, model_map, alias_map;
	struct strmap inst_map; /* name -> struct rl_instance * (or marker) */
	struct strmap tag_map;  /* tag -> tag */
	const char *instance_name;
	size_t nprocesses; /* built so far, against RL_PROCESSES_MAX */
};

static void
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

#define error(ld, n, ...) ld_diag(ld, n, RL_SEV_ERROR, __VA_ARGS__)
#define warning(ld, n, ...) ld_diag(ld, n, RL_SEV_WARNING, __VA_ARGS__)

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

static const char *
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

static const char *
join_path(struct arena *a, const char *dir, const char *path)
{
	if (path[0] == '/')
		return path;
	return arena_printf(a, "%s/%s", dir, path);
}

static const char *
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

static bool
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
static bool
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

static bool
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
		if (ok)
			vec_push(&ld->aliases, al);
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
			if (from != NULL && !too_big)
				error(ld, from, "cannot include '%s': %s",
				      path, strerror(-r));
			else if (too_big)
				rl_diags_add(ld->diags, path, 0, 0,
					     RL_SEV_ERROR,
					     "file is larger than 4 MiB");
			else
				rl_diags_add(ld->diags, path, 0, 0,
					     RL_SEV_ERROR, strerror(-r));
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

/* ------------------------------------------------------------ addresses */

struct addr {
	const char *host;
	uint16_t port;
	bool loopback;
};

static bool
parse_addr(struct ld *ld, const struct ynode *n, const char *s,
	   const char *key, struct addr *ret)
{
	const char *colon, *hs, *he;
	struct in6_addr a6;
	struct in_addr a4;
	int64_t port;
	char *host;

	if (s[0] == '[') {
		he = strchr(s, ']');
		if (he == NULL || he[1] != ':')
			goto bad;
		hs = s + 1;
		colon = he + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			goto bad;
		hs = s;
		he = colon;
		if (memchr(s, ':', (size_t)(colon - s)) != NULL)
			goto bad;
	}
	if (he == hs)
		goto bad;
	if (util_parse_int64(colon + 1, 1, 65535, &port) < 0)
		goto bad;
	host = arena_strndup(&ld->r->a, hs, (size_t)(he - hs));
	ret->host = host;
	ret->port = (uint16_t)port;
	ret->loopback = strcmp(host, "localhost") == 0 ||
			(inet_pton(AF_INET, host, &a4) == 1 &&
			 (ntohl(a4.s_addr) >> 24) == 127) ||
			(inet_pton(AF_INET6, host, &a6) == 1 &&
			 IN6_IS_ADDR_LOOPBACK(&a6));
	return true;
bad:
	error(ld, n, "'%s' must be HOST:PORT (port 1-65535, IPv6 in "
		     "brackets), not '%s'", key, s);
	return false;
}

/* ------------------------------------------------------------ instance */

static const char *
expand_path(struct ld *ld, const struct ynode *n, const char *tmpl,
	    const char *key)
{
	struct xvar vars[3] = {
		{"instance_name", ld->instance_name, 0},
		{"here", ld->files[0].here, 0},
		{"host_node_name", ld->host, 0},
	};
	char msg[256];
	const char *s;

	s = expand_template(&ld->r->a, tmpl, vars, ARRAY_SIZE(vars), ld->envp,
			    msg, sizeof(msg));
	if (s == NULL) {
		error(ld, n, "'%s': %s", key, msg);
		return NULL;
	}
	if (*s == '\0') {
		error(ld, n, "'%s' is empty", key);
		return NULL;
	}
	return join_path(&ld->r->a, ld->files[0].here, s);
}

/* S with every '%' doubled, so that it passes expansion unchanged. */
static const char *
escape_pct(struct ld *ld, const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	const char *ret;

	if (strchr(s, '%') == NULL)
		return s;
	for (; *s; s++) {
		if (*s == '%')
			strbuf_addc(&sb, '%');
		strbuf_addc(&sb, *s);
	}
	ret = arena_strdup(&ld->scratch, strbuf_str(&sb));
	strbuf_done(&sb);
	return ret;
}

static const char *
user_base(struct ld *ld, const char *xdg, const char *home_rel)
{
	const char *v = env_get(ld, xdg), *home;

	if (v != NULL && v[0] == '/')
		return escape_pct(ld, v);
	home = env_get(ld, "HOME");
	if (home_rel != NULL && home != NULL && home[0] == '/')
		return escape_pct(ld, arena_printf(&ld->scratch, "%s/%s", home,
						   home_rel));
	return arena_printf(&ld->scratch, "/tmp/supvisors-sched-%u",
			    (unsigned)getuid());
}

static const char *
instance_path(struct ld *ld, const struct iraw *in, enum inst_field f)
{
	const char *tmpl;

	if (in->set & (1ull << f)) {
		tmpl = *(const char *const *)((const char *)in +
					      schema_instance.f[f].off);
		return expand_path(ld, in->pos[f], tmpl,
				   schema_instance.f[f].key);
	}
	if (ld->opts->is_root) {
		if (f == IF_CONTROL)
			tmpl = "/run/supvisors-sched/%(instance_name)s.sock";
		else if (f == IF_STATE_DIR)
			tmpl = "/var/lib/supvisors-sched/%(instance_name)s";
		else
			tmpl = "/var/log/supvisors-sched/%(instance_name)s";
	} else if (f == IF_CONTROL) {
		tmpl = arena_printf(&ld->scratch,
				    "%s/supvisors-sched/%%(instance_name)s.sock",
				    user_base(ld, "XDG_RUNTIME_DIR", NULL));
	} else {
		tmpl = arena_printf(&ld->scratch,
				    "%s/supvisors-sched/%%(instance_name)s%s",
				    user_base(ld, "XDG_STATE_HOME",
					      ".local/state"),
				    f == IF_LOG_DIR ? "/log" : "");
	}
	return expand_path(ld, NULL, tmpl, schema_instance.f[f].key);
}

static const char *
machine_id(struct ld *ld)
{
	static const char *const files[] = {"/etc/machine-id",
					    "/var/lib/dbus/machine-id"};
	char buf[128];
	size_t i, n;
	FILE *f;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		f = fopen(files[i], "re");
		if (f == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
			n--;
		if (n > 0)
			return arena_strndup(&ld->r->a, buf, n);
	}
	return arena_strdup(&ld->r->a, ld->host);
}

static void
add_tag(struct ld *ld, struct vec *tags, const struct ynode *n)
{
	const char *why = schema_check_name(n->s);

	if (why != NULL) {
		error(ld, n, "tag '%s' %s", n->s, why);
		return;
	}
	if (strmap_put(&ld->tag_map, n->s, (void *)n->s) == NULL)
		vec_push(tags, (void *)n->s);
}

static const char **
tag_array(struct ld *ld, const struct nodevec *nv, size_t *ret_n)
{
	const char **v = arena_alloc(&ld->r->a, (nv->n + 1) * sizeof(*v));
	size_t i, j, n = 0;

	for (i = 0; i < nv->n; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(v[j], nv->v[i]->s) == 0)
				break;
		if (j == n)
			v[n++] = arena_strdup(&ld->r->a, nv->v[i]->s);
	}
	*ret_n = n;
	return v;
}

static void
resolve_cluster_instances(struct ld *ld, struct vec *tags,
			  const struct ynode **ret_first_remote)
{
	const struct ynode *map = ld->top.cluster.instances;
	struct rl_cluster_conf *cc = &ld->r->cluster;
	struct rl_instance *inst;
	struct strmap addrs = {0}, names = {0};
	struct ynode *k, *v, *an;
	struct eraw e;
	struct addr ad;
	size_t i, j;
	const char *prev;

	if (!map_or_null(ld, map, "cluster.instances"))
		return;
	inst = arena_alloc(&ld->r->a, map->n * sizeof(*inst) + 1);
	cc->instances = inst;
	for (i = 0; i < map->n; i++) {
		k = map->v[2 * i];
		v = map->v[2 * i + 1];
		if (!ld_visit(ld, k) || !ld_visit(ld, v))
			break;
		if (!check_name(ld, k, "instance") ||
		    !check_unique(ld, &names, k, "instance",
				  "cluster.instances"))
			continue;
		memset(&e, 0, sizeof(e));
		if (v->type == Y_MAP) {
			schema_walk(ld, v, &schema_peer, &e,
				    &(struct wctx){"cluster instance", k->s});
			if (!(e.set & (1ull << EF_ADDRESS))) {
				error(ld, k, "cluster instance '%s' needs an "
					     "'address'", k->s);
				continue;
			}
			an = e.pos[EF_ADDRESS];
		} else if (v->type == Y_SCALAR && !ynode_is_null(v)) {
			e.address = v->s;
			an = v;
		} else {
			error(ld, v, "cluster instance '%s' must be "
				     "\"HOST:PORT\" or a mapping with "
				     "'address' and 'tags', not %s",
			      k->s, ynode_type_name(v));
			continue;
		}
		if (!parse_addr(ld, an, e.address, "address", &ad))
			continue;
		prev = strmap_put(&addrs, an->s, (void *)k->s);
		if (prev != NULL) {
			error(ld, an, "address '%s' is used by instances '%s' "
				      "and '%s'", an->s, prev, k->s);
			continue;
		}
		if (!ad.loopback && *ret_first_remote == NULL)
			*ret_first_remote = an;
		inst[cc->ninstances].name = arena_strdup(&ld->r->a, k->s);
		inst[cc->ninstances].address = arena_strdup(&ld->r->a,
							    e.address);
		inst[cc->ninstances].host = ad.host;
		inst[cc->ninstances].port = ad.port;
		for (j = 0; j < e.tags.n; j++)
			add_tag(ld, tags, e.tags.v[j]);
		inst[cc->ninstances].tags =
			tag_array(ld, &e.tags, &inst[cc->ninstances].ntags);
		strmap_put(&ld->inst_map, inst[cc->ninstances].name,
			   &inst[cc->ninstances]);
		cc->ninstances++;
	}
	strmap_done(&addrs);
	strmap_done(&names);
}

static void
resolve_gossip(struct ld *ld)
{
	const struct graw *g = &ld->top.cluster.gossip;
	struct rl_gossip *o = &ld->r->cluster.gossip;

#define GV(field, bit, def) ((g->set & (1ull << (bit))) ? g->field : (def))
	o->probe_interval_ms = GV(probe_interval, GF_PROBE_INTERVAL, 1000);
	o->probe_timeout_ms = GV(probe_timeout, GF_PROBE_TIMEOUT, 500);
	o->indirect_checks = (unsigned)GV(indirect_checks, GF_INDIRECT_CHECKS,
					  3);
	o->suspicion_mult = (unsigned)GV(suspicion_mult, GF_SUSPICION_MULT, 4);
	o->retransmit_mult = (unsigned)GV(retransmit_mult, GF_RETRANSMIT_MULT,
					  4);
	o->gossip_interval_ms = GV(gossip_interval, GF_GOSSIP_INTERVAL, 200);
	o->gossip_nodes = (unsigned)GV(gossip_nodes, GF_GOSSIP_NODES, 3);
	o->sync_interval_ms = GV(sync_interval, GF_SYNC_INTERVAL, 30000);
#undef GV
	if (o->probe_timeout_ms >= o->probe_interval_ms)
		error(ld,
		      g->pos[GF_PROBE_TIMEOUT] ? g->pos[GF_PROBE_TIMEOUT]
					       : g->pos[GF_PROBE_INTERVAL],
		      "'probe_timeout' (%lldms) must be shorter than "
		      "'probe_interval' (%lldms)",
		      (long long)o->probe_timeout_ms,
		      (long long)o->probe_interval_ms);
}

static void
resolve_stats(struct ld *ld)
{
	const struct sraw *s = &ld->top.stats;
	struct rl_stats_conf *o = &ld->r->stats;
	size_t i;

	o->enabled = (s->set & (1ull << SF_ENABLED))
			     ? s->enabled
			     : RL_STATS_HOST | RL_STATS_PROCESS;
	o->collecting_period_ms = (s->set & (1ull << SF_COLLECTING_PERIOD))
					  ? s->collecting_period
					  : 1000;
	if (s->set & (1ull << SF_PERIODS)) {
		o->nperiods = s->periods.n;
		memcpy(o->periods_ms, s->periods.v, sizeof(o->periods_ms));
	} else {
		o->nperiods = 1;
		o->periods_ms[0] = 10000;
	}
	o->history = (s->set & (1ull << SF_HISTORY)) ? (unsigned)s->history
						    : 200;
	o->irix_mode = s->irix_mode;
	for (i = 0; i < o->nperiods; i++) {
		if (o->periods_ms[i] % o->collecting_period_ms != 0) {
			char a[32], b[32];

			error(ld,
			      s->pos[SF_PERIODS] ? s->pos[SF_PERIODS]
						 : s->pos[SF_COLLECTING_PERIOD],
			      "period %s is not a multiple of "
			      "'collecting_period' %s",
			      util_format_duration(o->periods_ms[i], a,
						   sizeof(a)),
			      util_format_duration(o->collecting_period_ms, b,
						   sizeof(b)));
			break;
		}
	}
}

static void
resolve_instance(struct ld *ld)
{
	const struct iraw *in = &ld->top.instance;
	const struct craw *cr = &ld->top.cluster;
	struct rl_instance_conf *ic = &ld->r->instance;
	struct rl_cluster_conf *cc = &ld->r->cluster;
	const struct ynode *first_remote = NULL, *n;
	const struct rl_instance *self;
	struct vec tags = {0};
	struct addr ad;
	const char *why, *listen, **core;
	size_t i;

	/* tags: the local instance's first, then the cluster's */
	for (i = 0; i < in->tags.n; i++)
		add_tag(ld, &tags, in->tags.v[i]);
	ic->tags = tag_array(ld, &in->tags, &ic->ntags);
	resolve_cluster_instances(ld, &tags, &first_remote);
	ld->r->tags = arena_alloc(&ld->r->a, (tags.n + 1) * sizeof(char *));
	for (i = 0; i < tags.n; i++)
		ld->r->tags[i] = arena_strdup(&ld->r->a, tags.v[i]);
	ld->r->ntags = tags.n;
	free(tags.v);

	if (ld->opts->name != NULL) {
		ic->name = arena_strdup(&ld->r->a, ld->opts->name);
		why = schema_check_name(ic->name);
		if (why != NULL)
			rl_diags_add(ld->diags, ld->files[0].path, 0, 0,
				     RL_SEV_ERROR,
				     "--name: the instance name is invalid");
	} else if (in->set & (1ull << IF_NAME)) {
		ic->name = arena_strdup(&ld->r->a, in->name);
		why = schema_check_name(ic->name);
		if (why != NULL)
			error(ld, in->pos[IF_NAME], "instance name '%s' %s",
			      in->name, why);
	} else {
		ic->name = arena_strdup(&ld->r->a, ld->host);
	}
	ld->instance_name = ic->name;
	self = strmap_get(&ld->inst_map, ic->name);
	if (self == NULL && cc->ninstances > 0)
		ld_diag(ld, cr->pos[CF_INSTANCES], RL_SEV_WARNING,
			"this instance '%s' is not in 'cluster.instances'; it "
			"can only join as a discovered instance", ic->name);
	if (self == NULL)
		strmap_put(&ld->inst_map, ic->name, (void *)ic);

	if (in->set & (1ull << IF_LISTEN)) {
		listen = in->listen;
		n = in->pos[IF_LISTEN];
	} else if (self != NULL) {
		listen = self->address;
		n = NULL;
	} else {
		listen = "127.0.0.1:7700";
		n = NULL;
	}
	ic->listen = arena_strdup(&ld->r->a, listen);
	if (parse_addr(ld, n, listen, "listen", &ad)) {
		ic->listen_host = ad.host;
		ic->listen_port = ad.port;
		if (!ad.loopback && first_remote == NULL)
			first_remote = n ? n : in->pos[IF_LISTEN];
	}
	if (in->set & (1ull << IF_ADVERTISE)) {
		if (parse_addr(ld, in->pos[IF_ADVERTISE], in->advertise,
			       "advertise", &ad)) {
			ic->advertise = arena_strdup(&ld->r->a, in->advertise);
			if (!ad.loopback && first_remote == NULL)
				first_remote = in->pos[IF_ADVERTISE];
		}
	}
	if (in->set & (1ull << IF_HTTP)) {
		if (parse_addr(ld, in->pos[IF_HTTP], in->http, "http", &ad))
			ic->http = arena_strdup(&ld->r->a, in->http);
	}
	if (!(in->set & (1ull << IF_MACHINE)) || !strcmp(in->machine, "auto"))
		ic->machine = machine_id(ld);
	else
		ic->machine = arena_strdup(&ld->r->a, in->machine);
	ic->control = instance_path(ld, in, IF_CONTROL);
	ic->state_dir = instance_path(ld, in, IF_STATE_DIR);
	ic->log_dir = instance_path(ld, in, IF_LOG_DIR);
	if (in->set & (1ull << IF_HTTP_TOKEN_FILE))
		ic->http_token_file = expand_path(
			ld, in->pos[IF_HTTP_TOKEN_FILE], in->http_token_file,
			"http_token_file");
	ic->http_public_read = in->http_public_read;

	/* cluster settings that need the instances */
	cc->name = arena_strdup(&ld->r->a, (cr->set & (1ull << CF_NAME))
						   ? cr->name
						   : "default");
	if (cr->set & (1ull << CF_KEY_FILE))
		cc->key_file = expand_path(ld, cr->pos[CF_KEY_FILE],
					   cr->key_file, "key_file");
	else if (first_remote != NULL)
		error(ld, first_remote, "'cluster.key_file' is required: "
		      "address '%s' is not loopback, and peer traffic off "
		      "this host must be sealed", first_remote->s);
	core = arena_alloc(&ld->r->a, (cr->core.n + 1) * sizeof(char *));
	cc->core = core;
	for (i = 0; i < cr->core.n; i++) {
		const char *c = cr->core.v[i]->s;
		char near[96];
		size_t j;

		if (strmap_get(&ld->inst_map, c) == NULL) {
			error(ld, cr->core.v[i], "core instance '%s' is not an "
			      "instance%s", c,
			      near_in_map(&ld->inst_map, c, near,
					  sizeof(near)));
			continue;
		}
		for (j = 0; j < cc->ncore; j++)
			if (strcmp(cc->core[j], c) == 0)
				break;
		if (j == cc->ncore)
			core[cc->ncore++] = arena_strdup(&ld->r->a, c);
	}
	if (cr->set & (1ull << CF_SYNCHRO)) {
		cc->synchro = cr->synchro;
		n = cr->pos[CF_SYNCHRO];
		if ((cc->synchro & RL_SYNCHRO_CORE) && cr->core.n == 0)
			error(ld, n, "synchro option CORE needs "
				     "'cluster.core' instances");
		if ((cc->synchro & (RL_SYNCHRO_STRICT | RL_SYNCHRO_LIST)) &&
		    cc->ninstances == 0)
			error(ld, n, "synchro options STRICT and LIST need "
				     "'cluster.instances'");
	} else {
		/* Supvisors' default, less what cannot apply */
		cc->synchro = RL_SYNCHRO_TIMEOUT;
		if (cr->core.n > 0)
			cc->synchro |= RL_SYNCHRO_CORE;
		if (cc->ninstances > 0)
			cc->synchro |= RL_SYNCHRO_STRICT;
	}
	cc->synchro_timeout_ms = (cr->set & (1ull << CF_SYNCHRO_TIMEOUT))
					 ? cr->synchro_timeout
					 : 15000;
	cc->auto_fence = cr->auto_fence;
	cc->starting_strategy = (cr->set & (1ull << CF_STARTING_STRATEGY))
					? (enum rl_strategy)cr->starting_strategy
					: RL_STRATEGY_CONFIG;
	cc->conciliation_strategy =
		(cr->set & (1ull << CF_CONCILIATION))
			? (enum rl_conciliation)cr->conciliation
			: RL_CONCILIATION_USER;
	cc->failure_strategy = (cr->set & (1ull << CF_FAILURE))
				       ? (enum rl_cluster_failure)cr->failure
				       : RL_CLUSTER_FAILURE_CONTINUE;
	cc->load_source = (cr->set & (1ull << CF_LOAD_SOURCE))
				  ? (enum rl_load_source)cr->load_source
				  : RL_LOAD_EXPECTED;
	if ((cc->synchro & RL_SYNCHRO_TIMEOUT) &&
	    cc->failure_strategy != RL_CLUSTER_FAILURE_CONTINUE)
		error(ld, cr->pos[CF_FAILURE],
		      "'failure_strategy' %s needs a 'synchro' without "
		      "TIMEOUT (after a timeout, missing instances are "
		      "expected: only CONTINUE applies)",
		      rl_cluster_failure_to_string(cc->failure_strategy));
	resolve_gossip(ld);
}

/* ------------------------------------------------------------ aliases */

struct identbuf {
	struct rl_ident *v;
	size_t n, cap;
};

static void
ident_add(struct identbuf *b, enum rl_ident_kind kind, const char *name)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->v[i].kind == kind && strcmp(b->v[i].name, name) == 0)
			return;
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 8;
		b->v = xreallocarray(b->v, b->cap, sizeof(*b->v));
	}
	b->v[b->n].kind = kind;
	b->v[b->n].name = name;
	b->n++;
}

static void
unknown_ident(struct ld *ld, const struct ynode *n, const char *where)
{
	char near[96];

	near_in_map(&ld->inst_map, n->s, near, sizeof(near));
	if (near[0] == '\0')
		near_in_map(&ld->alias_map, n->s, near, sizeof(near));
	if (near[0] == '\0')
		near_in_map(&ld->tag_map, n->s, near, sizeof(near));
	error(ld, n, "unknown identifier '%s'%s: not an instance, an alias "
		     "or a tag%s", n->s, where, near);
}

static struct alias_raw *
find_alias(struct ld *ld, const char *name)
{
	size_t i;

	if (strmap_get(&ld->alias_map, name) == NULL)
		return NULL;
	for (i = 0; i < ld->aliases.n; i++) {
		struct alias_raw *al = ld->aliases.v[i];

		if (strcmp(al->name, name) == 0)
			return al;
	}
	return NULL;
}

static bool
resolve_alias(struct ld *ld, struct alias_raw *al, unsigned depth)
{
	struct identbuf b = {0};
	struct alias_raw *sub;
	const struct ynode *n;
	char where[96];
	size_t i, j;
	bool ok = true;

	if (al->state == 2)
		return al->v != NULL;
	if (al->state == 1) {
		error(ld, al->key, "alias '%s' refers to itself (alias cycle)",
		      al->name);
		return false;
	}
	if (depth > 64) {
		error(ld, al->key, "aliases nested deeper than 64 levels");
		al->state = 2;
		return false;
	}
	al->state = 1;
	snprintf(where, sizeof(where), " in alias '%s'", al->name);
	for (i = 0; i < al->items.n; i++) {
		n = al->items.v[i];
		if (!strcmp(n->s, "*") || !strcmp(n->s, "#") ||
		    !strcmp(n->s, "@")) {
			error(ld, n, "'%s' is not allowed in an alias", n->s);
			ok = false;
		} else if (strmap_get(&ld->inst_map, n->s) != NULL) {
			ident_add(&b, RL_IDENT_INSTANCE, n->s);
		} else if ((sub = find_alias(ld, n->s)) != NULL) {
			if (!resolve_alias(ld, sub, depth + 1)) {
				ok = false;
				continue;
			}
			for (j = 0; j < sub->n; j++)
				ident_add(&b, sub->v[j].kind, sub->v[j].name);
		} else if (strmap_get(&ld->tag_map, n->s) != NULL) {
			ident_add(&b, RL_IDENT_TAG, n->s);
		} else {
			unknown_ident(ld, n, where);
			ok = false;
		}
	}
	al->state = 2;
	if (ok) {
		al->v = arena_alloc(&ld->scratch,
				    (b.n + 1) * sizeof(*al->v));
		memcpy(al->v, b.v, b.n * sizeof(*b.v));
		al->n = b.n;
	}
	free(b.v);
	return ok;
}

static void
resolve_aliases(struct ld *ld)
{
	size_t i;

	for (i = 0; i < ld->aliases.n; i++) {
		struct alias_raw *al = ld->aliases.v[i];

		if (strmap_get(&ld->inst_map, al->name) != NULL) {
			error(ld, al->key, "alias '%s' has the name of an "
			      "instance", al->name);
			al->state = 2;
			continue;
		}
		if (strmap_get(&ld->tag_map, al->name) != NULL) {
			error(ld, al->key, "alias '%s' has the name of a tag",
			      al->name);
			al->state = 2;
			continue;
		}
		resolve_alias(ld, al, 0);
	}
}

/* Builds *RET from the identifiers list NV.  SUBJECT is "program 'p'"
 * or "application 'a'". */
static bool
resolve_idents(struct ld *ld, const struct nodevec *nv, bool is_app,
	       const char *name, unsigned numprocs, struct rl_identifiers *ret)
{
	struct identbuf b = {0};
	const struct ynode *star = NULL, *hash = NULL, *at = NULL, *named = NULL;
	struct alias_raw *al;
	const struct ynode *n;
	size_t i, j;
	bool ok = true;

	memset(ret, 0, sizeof(*ret));
	if (nv->n == 0) {
		ret->all = true;
		return true;
	}
	for (i = 0; i < nv->n; i++) {
		n = nv->v[i];
		if (strcmp(n->s, "*") == 0) {
			star = n;
		} else if (strcmp(n->s, "#") == 0) {
			hash = n;
		} else if (strcmp(n->s, "@") == 0) {
			at = n;
		} else if (strmap_get(&ld->inst_map, n->s) != NULL) {
			ident_add(&b, RL_IDENT_INSTANCE, n->s);
			named = named ? named : n;
		} else if ((al = find_alias(ld, n->s)) != NULL) {
			named = named ? named : n;
			if (al->v == NULL) {
				ok = false;
				continue;
			}
			for (j = 0; j < al->n; j++)
				ident_add(&b, al->v[j].kind, al->v[j].name);
		} else if (strmap_get(&ld->tag_map, n->s) != NULL) {
			ident_add(&b, RL_IDENT_TAG, n->s);
			named = named ? named : n;
		} else {
			unknown_ident(ld, n, "");
			ok = false;
		}
	}
	if (star != NULL && named != NULL) {
		error(ld, named, "'*' (every instance) cannot be combined with "
				 "names");
		ok = false;
	}
	if (hash != NULL && at != NULL) {
		error(ld, at, "'#' and '@' cannot be combined");
		ok = false;
	}
	if (is_app && at != NULL) {
		error(ld, at, "'@' is not allowed on an application (only on "
			      "a program with numprocs > 1)");
		ok = false;
	}
	if (!is_app && (hash || at) && numprocs < 2) {
		error(ld, hash ? hash : at, "'%s' spreads a homogeneous group: "
		      "program '%s' needs numprocs > 1", hash ? "#" : "@",
		      name);
		ok = false;
	}
	if (is_app && hash != NULL) {
		const char *end = name + strlen(name), *d = end;
		bool digits_ok;

		while (d > name && d[-1] >= '0' && d[-1] <= '9')
			d--;
		digits_ok = d < end && d > name && (d[-1] == '-' ||
						    d[-1] == '_');
		if (digits_ok) {
			const char *z = d;

			while (*z == '0')
				z++;
			digits_ok = *z != '\0';
		}
		if (!digits_ok) {
			error(ld, hash, "'#' on an application needs a name "
			      "ending in -N or _N (N >= 1), like '%s_01'",
			      name);
			ok = false;
		}
	}
	if (ok) {
		ret->all = star != NULL || b.n == 0;
		ret->sign = hash ? RL_SIGN_HASH : at ? RL_SIGN_AT : RL_SIGN_NONE;
		if (b.n > 0) {
			struct rl_ident *v = arena_alloc(
				&ld->r->a, b.n * sizeof(*v));

			for (i = 0; i < b.n; i++) {
				v[i].kind = b.v[i].kind;
				v[i].name = arena_strdup(&ld->r->a,
							 b.v[i].name);
			}
			ret->v = v;
			ret->n = b.n;
		}
	}
	free(b.v);
	return ok;
}

/* ------------------------------------------------------------ models */

static struct model_raw *
find_model(struct ld *ld, const char *name)
{
	size_t i;

	if (strmap_get(&ld->model_map, name) == NULL)
		return NULL;
	for (i = 0; i < ld->models.n; i++) {
		struct model_raw *m = ld->models.v[i];

		if (strcmp(m->p.name, name) == 0)
			return m;
	}
	return NULL;
}

static struct model_raw *
model_ref(struct ld *ld, const struct praw *p, const char *what)
{
	struct model_raw *m;
	const struct ynode *n = p->pos[PF_REFERENCE];
	char near[96];

	if (!(p->set & (1ull << PF_REFERENCE)))
		return NULL;
	m = find_model(ld, p->reference);
	if (m == NULL)
		error(ld, n, "%s refers to unknown model '%s'%s", what,
		      p->reference,
		      near_in_map(&ld->model_map, p->reference, near,
				  sizeof(near)));
	return m;
}

/* Whether M comes first (in file order) among the models of its cycle. */
static bool
cycle_first(struct ld *ld, const struct model_raw *m)
{
	const struct model_raw *x = m;
	size_t i, mi = 0, xi;

	for (i = 0; i < ld->models.n; i++)
		if (ld->models.v[i] == m)
			mi = i;
	for (;;) {
		x = find_model(ld, x->p.reference);
		if (x == m || x == NULL)
			return true;
		for (xi = 0; xi < ld->models.n; xi++)
			if (ld->models.v[xi] == x && xi < mi)
				return false;
	}
}

/* Checks a model's chain once: at most 3 models, no cycle. */
static void
check_models(struct ld *ld)
{
	struct model_raw *m, *chain[4], *next;
	char what[96];
	size_t i, len, j;

	for (i = 0; i < ld->models.n; i++) {
		m = ld->models.v[i];
		chain[0] = m;
		len = 1;
		for (;;) {
			snprintf(what, sizeof(what), "model '%s'",
				 chain[len - 1]->p.name);
			if (!(chain[len - 1]->p.set & (1ull << PF_REFERENCE)))
				break;
			next = find_model(ld, chain[len - 1]->p.reference);
			if (next == NULL) {
				if (chain[len - 1] == m)
					model_ref(ld, &m->p, what);
				else
					m->broken = true;
				break;
			}
			for (j = 0; j < len; j++)
				if (chain[j] == next)
					break;
			if (j < len) {
				/* once per cycle: from its first model */
				if (next == m && cycle_first(ld, m))
					error(ld, chain[len - 1]->p.pos[PF_REFERENCE],
					      "model cycle: model '%s' refers "
					      "back to '%s'",
					      chain[len - 1]->p.name, m->p.name);
				m->broken = true;
				break;
			}
			if (len == 3) {
				if (chain[0] == m)
					error(ld, chain[2]->p.pos[PF_REFERENCE],
					      "model chain too long: '%s' -> "
					      "'%s' -> '%s' -> '%s' (at most 3 "
					      "models)", chain[0]->p.name,
					      chain[1]->p.name,
					      chain[2]->p.name, next->p.name);
				m->broken = true;
				break;
			}
			chain[len++] = next;
		}
	}
	for (i = 0; i < ld->models.n; i++) {
		m = ld->models.v[i];
		for (next = m, len = 0; next != NULL && len < 4; len++) {
			if (next->broken) {
				m->broken = true;
				break;
			}
			next = (next->p.set & (1ull << PF_REFERENCE))
				       ? find_model(ld, next->p.reference)
				       : NULL;
		}
	}
}

/* The effective settings of a program: its own, then its models'. */
static bool
merge_models(struct ld *ld, struct praw *eff, char *ctx_what)
{
	struct model_raw *m = model_ref(ld, eff, ctx_what);
	size_t i, depth = 0;

	if (eff->set & (1ull << PF_REFERENCE) && m == NULL)
		return false;
	while (m != NULL && depth++ < 3) {
		if (m->broken)
			return false;
		for (i = 0; i < _PF_MAX; i++)
			if (i != PF_REFERENCE && !(eff->set & (1ull << i)) &&
			    (m->p.set & (1ull << i)))
				schema_copy_field(&schema_program, i, eff,
						  &m->p);
		m = (m->p.set & (1ull << PF_REFERENCE))
			    ? find_model(ld, m->p.reference)
			    : NULL;
	}
	return true;
}

/* ------------------------------------------------------------ programs */

#define SET(p, f) (((p)->set >> (f)) & 1)

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

/* ------------------------------------------------------------ entry */

static void
resolve(struct ld *ld)
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
		resolve(&ld);
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
