/*
 * rules/yaml: libyaml's event stream turned into a small tree with exact
 * positions, under hard limits.
 *
 * We use the event parser rather than yaml_parser_load() so that limits
 * apply while parsing, not after: nesting deeper than RL_DEPTH_MAX stops
 * the parse at once, and a file may create at most RL_NODES_MAX nodes.
 * An alias becomes a second pointer to its anchored node (a DAG, never a
 * copy), registered only once the anchored node is complete, so a cycle
 * cannot be written; the walker counts visits through aliases against
 * the same limit, which is what stops "billion laughs" documents.
 *
 * libyaml's marks are 0-based; every position stored here is 1-based.
 */
#include <errno.h>
#include <string.h>
#include <yaml.h>

#include "core/util.h"
#include "rules/rules-int.h"

#define STR_TAG "tag:yaml.org,2002:str"

struct frame {
	struct ynode *node;
	size_t start; /* first item in the shared item stack */
	char *anchor;
};

struct builder {
	struct ld *ld;
	unsigned file;
	const char *data;
	size_t len;
	struct arena *a;
	struct ynode **items; /* items of every open container, stacked */
	size_t nitems, capitems;
	struct frame frames[RL_DEPTH_MAX + 1];
	size_t depth;
	struct strmap anchors;
	size_t nodes;
	struct ynode *root;
	bool failed;
};

static void
diag_mark(struct builder *b, size_t line, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
diag_mark(struct builder *b, size_t line, size_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_vdiag(b->ld, b->file, (unsigned)line, (unsigned)col, RL_SEV_ERROR,
		 fmt, ap);
	va_end(ap);
	b->failed = true;
}

bool
ynode_is_null(const struct ynode *n)
{
	if (n == NULL)
		return true;
	if (n->type != Y_SCALAR || n->quoted)
		return false;
	return n->n == 0 || strcmp(n->s, "~") == 0 ||
	       strcmp(n->s, "null") == 0 || strcmp(n->s, "Null") == 0 ||
	       strcmp(n->s, "NULL") == 0;
}

const char *
ynode_type_name(const struct ynode *n)
{
	if (n->type == Y_MAP)
		return "a mapping";
	if (n->type == Y_SEQ)
		return "a list";
	if (ynode_is_null(n))
		return "null";
	return "a scalar";
}

static struct ynode *
new_node(struct builder *b, const yaml_mark_t *m, uint8_t type)
{
	struct ynode *n;

	if (++b->nodes > RL_NODES_MAX) {
		diag_mark(b, m->line + 1, m->column + 1,
			  "more than %d nodes in one file", RL_NODES_MAX);
		return NULL;
	}
	n = arena_alloc(b->a, sizeof(*n));
	n->type = type;
	n->file = (uint16_t)b->file;
	n->line = (uint32_t)m->line + 1;
	n->col = (uint32_t)m->column + 1;
	return n;
}

static void
push_item(struct builder *b, struct ynode *n)
{
	if (b->depth == 0) {
		b->root = n;
		return;
	}
	if (b->nitems == b->capitems) {
		b->capitems = b->capitems ? b->capitems * 2 : 256;
		b->items = xreallocarray(b->items, b->capitems,
					 sizeof(*b->items));
	}
	b->items[b->nitems++] = n;
}

static bool
add_anchor(struct builder *b, const char *anchor, struct ynode *n,
	   const yaml_mark_t *m)
{
	char *name;

	if (anchor == NULL)
		return true;
	name = arena_strdup(b->a, anchor);
	if (strmap_put(&b->anchors, name, n) != NULL) {
		diag_mark(b, m->line + 1, m->column + 1,
			  "anchor '&%s' defined twice", anchor);
		return false;
	}
	return true;
}

static bool
on_scalar(struct builder *b, yaml_event_t *ev)
{
	struct ynode *n = new_node(b, &ev->start_mark, Y_SCALAR);
	const char *tag = (const char *)ev->data.scalar.tag;

	if (n == NULL)
		return false;
	if (tag != NULL && strcmp(tag, STR_TAG) != 0 && strcmp(tag, "!") != 0) {
		diag_mark(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
			  "tag '%s' is not supported (only !!str)", tag);
		return false;
	}
	if (strlen((const char *)ev->data.scalar.value) !=
	    ev->data.scalar.length) {
		diag_mark(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
			  "NUL character in a string");
		return false;
	}
	n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
		    tag != NULL;
	n->n = (uint32_t)ev->data.scalar.length;
	n->s = arena_strndup(b->a, (const char *)ev->data.scalar.value,
			     ev->data.scalar.length);
	push_item(b, n);
	return add_anchor(b, (const char *)ev->data.scalar.anchor, n,
			  &ev->start_mark);
}

static bool
on_start(struct builder *b, yaml_event_t *ev, uint8_t type)
{
	struct ynode *n;
	const char *anchor, *tag;

	if (b->depth >= RL_DEPTH_MAX) {
		diag_mark(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
			  "nesting deeper than %d levels", RL_DEPTH_MAX);
		return false;
	}
	if (type == Y_MAP) {
		anchor = (const char *)ev->data.mapping_start.anchor;
		tag = (const char *)ev->data.mapping_start.tag;
	} else {
		anchor = (const char *)ev->data.sequence_start.anchor;
		tag = (const char *)ev->data.sequence_start.tag;
	}
	if (tag != NULL) {
		diag_mark(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
			  "tag '%s' is not supported (only !!str)", tag);
		return false;
	}
	n = new_node(b, &ev->start_mark, type);
	if (n == NULL)
		return false;
	b->frames[b->depth].node = n;
	b->frames[b->depth].start = b->nitems;
	b->frames[b->depth].anchor = anchor ? arena_strdup(b->a, anchor) : NULL;
	b->depth++;
	return true;
}

static bool
on_end(struct builder *b, yaml_event_t *ev)
{
	struct frame *f = &b->frames[--b->depth];
	struct ynode *n = f->node;
	size_t count = b->nitems - f->start;

	n->v = arena_alloc(b->a, (count ? count : 1) * sizeof(*n->v));
	if (count > 0)
		memcpy(n->v, b->items + f->start, count * sizeof(*n->v));
	n->n = (uint32_t)(n->type == Y_MAP ? count / 2 : count);
	b->nitems = f->start;
	push_item(b, n);
	return add_anchor(b, f->anchor, n, &ev->start_mark);
}

static bool
on_alias(struct builder *b, yaml_event_t *ev)
{
	const char *anchor = (const char *)ev->data.alias.anchor;
	struct ynode *n = strmap_get(&b->anchors, anchor);

	if (n == NULL) {
		diag_mark(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
			  "unknown alias '*%s'", anchor);
		return false;
	}
	if (++b->nodes > RL_NODES_MAX) {
		diag_mark(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
			  "more than %d nodes in one file", RL_NODES_MAX);
		return false;
	}
	push_item(b, n);
	return true;
}

/* Reader errors carry a byte offset, not a mark. */
static void
offset_to_pos(const char *data, size_t len, size_t off, size_t *line,
	      size_t *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (data[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)data[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static void
syntax_error(struct builder *b, yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "syntax error";
	const char *hint = "";
	size_t line, col, idx;

	if (p->error == YAML_READER_ERROR) {
		offset_to_pos(b->data, b->len, p->problem_offset, &line, &col);
		diag_mark(b, line, col, "%s", problem);
		return;
	}
	if (p->error == YAML_MEMORY_ERROR) {
		diag_mark(b, 0, 0, "out of memory while parsing");
		return;
	}
	idx = p->problem_mark.index;
	if (idx < b->len && b->data[idx] == '\t')
		hint = " (a tab in indentation: YAML allows spaces only)";
	if (p->context != NULL)
		diag_mark(b, p->problem_mark.line + 1,
			  p->problem_mark.column + 1, "%s (%s at %zu:%zu)%s",
			  problem, p->context, p->context_mark.line + 1,
			  p->context_mark.column + 1, hint);
	else
		diag_mark(b, p->problem_mark.line + 1,
			  p->problem_mark.column + 1, "%s%s", problem, hint);
}

struct ynode *
yaml_tree_parse(struct ld *ld, unsigned file, const char *data, size_t len,
		bool *ret_ok)
{
	struct builder b = {
		.ld = ld,
		.file = file,
		.data = data,
		.len = len,
		.a = ld_scratch(ld),
	};
	yaml_parser_t parser;
	yaml_event_t ev;
	unsigned docs = 0;
	bool done = false, ok;

	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, (const unsigned char *)data,
				     len);
	while (!done && !b.failed) {
		if (!yaml_parser_parse(&parser, &ev)) {
			syntax_error(&b, &parser);
			break;
		}
		ok = true;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				diag_mark(&b, ev.start_mark.line + 1,
					  ev.start_mark.column + 1,
					  "only one YAML document per file");
				ok = false;
			}
			break;
		case YAML_SCALAR_EVENT:
			ok = on_scalar(&b, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			ok = on_start(&b, &ev, Y_SEQ);
			break;
		case YAML_MAPPING_START_EVENT:
			ok = on_start(&b, &ev, Y_MAP);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			ok = on_end(&b, &ev);
			break;
		case YAML_ALIAS_EVENT:
			ok = on_alias(&b, &ev);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (!ok)
			b.failed = true;
	}
	yaml_parser_delete(&parser);
	free(b.items);
	strmap_done(&b.anchors);
	*ret_ok = !b.failed;
	return b.failed ? NULL : b.root;
}
