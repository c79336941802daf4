/*
 * operational_status formulas: a tokenizer and a recursive-descent parser
 * into a flat node array, patterns compiled with regcomp, operands bound
 * to index lists once, evaluation by recursion over the array.  See
 * formula.h for the language.
 *
 * Grammar (Python's precedence):
 *   or_expr  := and_expr ('or' and_expr)*
 *   and_expr := not_expr ('and' not_expr)*
 *   not_expr := 'not' not_expr | atom
 *   atom     := STRING | '(' or_expr ')' | ('any'|'all') '(' STRING ')'
 */
#include "rules/formula.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

enum node_op {
	OP_OPERAND, /* arg = operand index */
	OP_ANY,
	OP_ALL,
	OP_NOT, /* left */
	OP_AND, /* left, right */
	OP_OR,
};

struct node {
	enum node_op op;
	uint32_t left, right, arg;
};

struct operand {
	regex_t re;
	bool compiled;
	size_t nmatch;
	uint32_t *match; /* indexes into the bound names */
};

struct rl_formula {
	struct node *nodes;
	size_t nnodes, capnodes;
	struct operand *ops;
	size_t nops, capops;
	uint32_t root;
	bool bound;
	bool bind_error; /* an operand outside any/all does not match 1 name */
};

enum tok_kind {
	T_END,
	T_STRING,
	T_LPAREN,
	T_RPAREN,
	T_AND,
	T_OR,
	T_NOT,
	T_ANY,
	T_ALL,
};

struct parser {
	const char *src;
	size_t pos;
	/* current token */
	enum tok_kind tok;
	size_t tok_col; /* 1-based */
	struct strbuf str; /* T_STRING value, unescaped */
	unsigned depth;
	struct rl_formula *f;
	/* first error */
	size_t err_col;
	char *err_msg;
};

static int
fail(struct parser *ps, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct parser *ps, size_t col, const char *fmt, ...)
{
	va_list ap;
	struct strbuf sb = STRBUF_INIT;

	if (ps->err_msg == NULL) {
		va_start(ap, fmt);
		strbuf_vaddf(&sb, fmt, ap);
		va_end(ap);
		ps->err_msg = strbuf_steal(&sb);
		ps->err_col = col;
	}
	return -EINVAL;
}

static const char *
tok_name(enum tok_kind k)
{
	static const char *const names[] = {
		"end of formula", "string", "'('", "')'", "'and'", "'or'",
		"'not'", "'any'", "'all'",
	};
	return names[k];
}

static int
lex_string(struct parser *ps)
{
	char quote = ps->src[ps->pos];
	size_t start = ps->pos;

	strbuf_reset(&ps->str);
	strbuf_add(&ps->str, "", 0);
	for (ps->pos++;; ps->pos++) {
		char c = ps->src[ps->pos];
		if (c == '\0' || c == '\n')
			return fail(ps, start + 1, "unterminated string");
		if (c == quote)
			break;
		if (c == '\\') {
			char e = ps->src[ps->pos + 1];
			switch (e) {
			case '\\':
			case '\'':
			case '"':
				strbuf_addc(&ps->str, e);
				ps->pos++;
				continue;
			case 'n':
				strbuf_addc(&ps->str, '\n');
				ps->pos++;
				continue;
			case 't':
				strbuf_addc(&ps->str, '\t');
				ps->pos++;
				continue;
			case '\0':
				return fail(ps, start + 1,
					    "unterminated string");
			default:
				break; /* kept as is, as Python does */
			}
		}
		strbuf_addc(&ps->str, c);
	}
	ps->pos++;
	return 0;
}

static int
next(struct parser *ps)
{
	static const struct {
		const char *word;
		enum tok_kind kind;
	} words[] = {
		{"and", T_AND}, {"or", T_OR},	{"not", T_NOT},
		{"any", T_ANY}, {"all", T_ALL},
	};
	const char *s = ps->src;
	size_t i, len;

	while (s[ps->pos] == ' ' || s[ps->pos] == '\t' || s[ps->pos] == '\n' ||
	       s[ps->pos] == '\r')
		ps->pos++;
	ps->tok_col = ps->pos + 1;
	switch (s[ps->pos]) {
	case '\0':
		ps->tok = T_END;
		return 0;
	case '(':
		ps->tok = T_LPAREN;
		ps->pos++;
		return 0;
	case ')':
		ps->tok = T_RPAREN;
		ps->pos++;
		return 0;
	case '\'':
	case '"':
		ps->tok = T_STRING;
		return lex_string(ps);
	default:
		break;
	}
	if (!isalpha((unsigned char)s[ps->pos]) && s[ps->pos] != '_') {
		if (isprint((unsigned char)s[ps->pos]))
			return fail(ps, ps->tok_col, "unexpected character '%c'",
				    s[ps->pos]);
		return fail(ps, ps->tok_col,
			    "unexpected character (byte 0x%02x)",
			    (unsigned char)s[ps->pos]);
	}
	for (len = 0; isalnum((unsigned char)s[ps->pos + len]) ||
		      s[ps->pos + len] == '_';
	     len++)
		;
	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (strlen(words[i].word) == len &&
		    memcmp(words[i].word, s + ps->pos, len) == 0) {
			ps->tok = words[i].kind;
			ps->pos += len;
			return 0;
		}
	return fail(ps, ps->tok_col,
		    "unknown name '%.*s' (expected a quoted name, 'and', "
		    "'or', 'not', 'any' or 'all')",
		    (int)MIN(len, 64), s + ps->pos);
}

static uint32_t
add_node(struct rl_formula *f, enum node_op op, uint32_t left,
	 uint32_t right, uint32_t arg)
{
	if (f->nnodes == f->capnodes) {
		f->capnodes = f->capnodes ? f->capnodes * 2 : 16;
		f->nodes = xreallocarray(f->nodes, f->capnodes,
					 sizeof(*f->nodes));
	}
	f->nodes[f->nnodes] = (struct node){op, left, right, arg};
	return (uint32_t)f->nnodes++;
}

/* glibc's regcomp expands `+` and intervals by copying the repeated
 * tree, so stacked or nested repetitions grow it exponentially (the
 * fuzzer found `d+++++...` exhausting memory).  Reject what no process
 * name pattern needs: stacked quantifiers (Python's "multiple repeat"),
 * a quantifier with nothing to repeat, intervals above 32, and patterns
 * whose repetition factors multiply past 4096 (counted as if nested, an
 * upper bound).  NULL when fine, else the reason. */
#define PATTERN_MAX_LEN 256
#define PATTERN_MAX_INTERVAL 32
#define PATTERN_MAX_FACTOR 4096

static const char *
check_pattern(const char *pat)
{
	unsigned long factor = 1;
	bool after_atom = false, after_quant = false;
	unsigned depth = 0;
	const char *p;

	if (strlen(pat) > PATTERN_MAX_LEN)
		return "pattern longer than 256 bytes";
	for (p = pat; *p; p++) {
		unsigned long f = 1;

		switch (*p) {
		case '\\':
			if (p[1] != '\0')
				p++;
			after_atom = true;
			after_quant = false;
			continue;
		case '[':
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			for (; *p && *p != ']'; p++) {
				const char *e;
				char close;
				if (p[0] != '[' || (p[1] != ':' && p[1] != '.' &&
						    p[1] != '='))
					continue;
				/* [:class:], [.coll.], [=equiv=] */
				close = p[1];
				for (e = p + 2; *e && !(e[0] == close &&
							 e[1] == ']');
				     e++)
					;
				if (*e == '\0')
					return "unterminated '['";
				p = e + 1; /* its ']'; the loop steps over */
			}
			if (*p == '\0')
				return "unterminated '['";
			after_atom = true;
			after_quant = false;
			continue;
		case '(':
			depth++;
			after_atom = false;
			after_quant = false;
			continue;
		case '|':
			after_atom = false;
			after_quant = false;
			continue;
		case ')':
			/* also keeps the pattern inside our ^(...)$ anchors */
			if (depth == 0)
				return "unbalanced ')'";
			depth--;
			after_atom = true;
			after_quant = false;
			continue;
		case '*':
		case '?':
			break;
		case '+':
			f = 2;
			break;
		case '{': {
			unsigned long lo = 0, hi = 0;
			const char *q = p + 1;
			if (!isdigit((unsigned char)*q))
				return "bad repetition '{'";
			for (; isdigit((unsigned char)*q) && lo <= 1000; q++)
				lo = lo * 10 + (unsigned long)(*q - '0');
			hi = lo;
			if (*q == ',') {
				q++;
				hi = 0;
				for (; isdigit((unsigned char)*q) && hi <= 1000;
				     q++)
					hi = hi * 10 + (unsigned long)(*q - '0');
				if (hi == 0)
					hi = lo;
			}
			if (*q != '}')
				return "bad repetition '{'";
			if (MAX(lo, hi) > PATTERN_MAX_INTERVAL)
				return "repetition count above 32";
			f = MAX(lo, hi) + 1;
			p = q;
			break;
		}
		default:
			after_atom = true;
			after_quant = false;
			continue;
		}
		/* a quantifier */
		if (after_quant)
			return "multiple repeat";
		if (!after_atom)
			return "nothing to repeat";
		after_quant = true;
		factor *= f;
		if (factor > PATTERN_MAX_FACTOR)
			return "pattern too complex (nested repetitions)";
	}
	return depth ? "missing ')'" : NULL;
}

/* The pattern as an anchored ERE, with \d and \D rewritten. */
static char *
pattern_to_ere(const char *pat)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;

	strbuf_adds(&sb, "^(");
	for (p = pat; *p; p++) {
		if (p[0] == '\\' && p[1] == 'd') {
			strbuf_adds(&sb, "[0-9]");
			p++;
		} else if (p[0] == '\\' && p[1] == 'D') {
			strbuf_adds(&sb, "[^0-9]");
			p++;
		} else if (p[0] == '\\' && p[1] != '\0') {
			strbuf_add(&sb, p, 2);
			p++;
		} else {
			strbuf_addc(&sb, *p);
		}
	}
	strbuf_adds(&sb, ")$");
	return strbuf_steal(&sb);
}

/* Consumes the current T_STRING token into a new operand node. */
static int
parse_operand(struct parser *ps, enum node_op op, uint32_t *ret)
{
	struct rl_formula *f = ps->f;
	struct operand *o;
	size_t col = ps->tok_col;
	const char *why;
	char *ere;
	int r;

	if (f->nops == f->capops) {
		f->capops = f->capops ? f->capops * 2 : 8;
		f->ops = xreallocarray(f->ops, f->capops, sizeof(*f->ops));
	}
	o = &f->ops[f->nops];
	memset(o, 0, sizeof(*o));
	if (ps->str.len == 0)
		return fail(ps, col, "empty name");
	if (strlen(strbuf_str(&ps->str)) != ps->str.len)
		return fail(ps, col, "NUL byte in a name");
	if ((why = check_pattern(strbuf_str(&ps->str))) != NULL)
		return fail(ps, col, "bad regular expression: %s", why);
	ere = pattern_to_ere(strbuf_str(&ps->str));
	r = regcomp(&o->re, ere, REG_EXTENDED | REG_NOSUB);
	free(ere);
	if (r != 0) {
		char buf[128];
		regerror(r, &o->re, buf, sizeof(buf));
		return fail(ps, col, "bad regular expression: %s", buf);
	}
	o->compiled = true;
	*ret = add_node(f, op, 0, 0, (uint32_t)f->nops++);
	return next(ps);
}

static int parse_or(struct parser *ps, uint32_t *ret);

static int
parse_atom(struct parser *ps, uint32_t *ret)
{
	enum node_op op;
	size_t col;
	int r;

	switch (ps->tok) {
	case T_STRING:
		return parse_operand(ps, OP_OPERAND, ret);
	case T_LPAREN:
		col = ps->tok_col;
		if ((r = next(ps)) < 0 || (r = parse_or(ps, ret)) < 0)
			return r;
		if (ps->tok != T_RPAREN)
			return fail(ps, ps->tok_col,
				    "expected ')' to close '(' at column %zu, "
				    "got %s",
				    col, tok_name(ps->tok));
		return next(ps);
	case T_ANY:
	case T_ALL:
		op = ps->tok == T_ANY ? OP_ANY : OP_ALL;
		col = ps->tok_col;
		if ((r = next(ps)) < 0)
			return r;
		if (ps->tok != T_LPAREN)
			return fail(ps, ps->tok_col,
				    "expected '(' after '%s'",
				    op == OP_ANY ? "any" : "all");
		if ((r = next(ps)) < 0)
			return r;
		if (ps->tok != T_STRING)
			return fail(ps, ps->tok_col,
				    "'%s' takes one quoted pattern, got %s",
				    op == OP_ANY ? "any" : "all",
				    tok_name(ps->tok));
		if ((r = parse_operand(ps, op, ret)) < 0)
			return r;
		if (ps->tok != T_RPAREN)
			return fail(ps, ps->tok_col,
				    "expected ')' to close '%s(' at column "
				    "%zu, got %s",
				    op == OP_ANY ? "any" : "all", col,
				    tok_name(ps->tok));
		return next(ps);
	default:
		return fail(ps, ps->tok_col,
			    "expected a quoted name, '(', 'not', 'any' or "
			    "'all', got %s",
			    tok_name(ps->tok));
	}
}

static int
parse_not(struct parser *ps, uint32_t *ret)
{
	uint32_t sub;
	int r;

	if (++ps->depth > RL_FORMULA_MAX_DEPTH)
		return fail(ps, ps->tok_col, "nested too deeply (max %d)",
			    RL_FORMULA_MAX_DEPTH);
	if (ps->tok == T_NOT) {
		if ((r = next(ps)) < 0 || (r = parse_not(ps, &sub)) < 0)
			return r;
		*ret = add_node(ps->f, OP_NOT, sub, 0, 0);
	} else if ((r = parse_atom(ps, ret)) < 0) {
		return r;
	}
	ps->depth--;
	return 0;
}

static int
parse_and(struct parser *ps, uint32_t *ret)
{
	uint32_t left, right;
	int r;

	if ((r = parse_not(ps, &left)) < 0)
		return r;
	while (ps->tok == T_AND) {
		if ((r = next(ps)) < 0 || (r = parse_not(ps, &right)) < 0)
			return r;
		left = add_node(ps->f, OP_AND, left, right, 0);
	}
	*ret = left;
	return 0;
}

static int
parse_or(struct parser *ps, uint32_t *ret)
{
	uint32_t left, right;
	int r;

	if (++ps->depth > RL_FORMULA_MAX_DEPTH)
		return fail(ps, ps->tok_col, "nested too deeply (max %d)",
			    RL_FORMULA_MAX_DEPTH);
	if ((r = parse_and(ps, &left)) < 0)
		return r;
	while (ps->tok == T_OR) {
		if ((r = next(ps)) < 0 || (r = parse_and(ps, &right)) < 0)
			return r;
		left = add_node(ps->f, OP_OR, left, right, 0);
	}
	ps->depth--;
	*ret = left;
	return 0;
}

int
rl_formula_parse(const char *src, struct rl_formula **ret,
		    size_t *reterr_col, char **reterr_msg)
{
	struct parser ps = {0};
	uint32_t root;
	int r;

	ps.src = src ? src : "";
	ps.f = xcalloc(1, sizeof(*ps.f));
	if (strlen(ps.src) > RL_FORMULA_MAX_LEN) {
		r = fail(&ps, RL_FORMULA_MAX_LEN + 1,
			 "formula longer than %d bytes", RL_FORMULA_MAX_LEN);
		goto out;
	}
	if ((r = next(&ps)) < 0)
		goto out;
	if (ps.tok == T_END) {
		r = fail(&ps, 1, "empty formula");
		goto out;
	}
	if ((r = parse_or(&ps, &root)) < 0)
		goto out;
	if (ps.tok != T_END) {
		r = fail(&ps, ps.tok_col, "unexpected %s after the expression",
			 tok_name(ps.tok));
		goto out;
	}
	ps.f->root = root;
	*ret = ps.f;
	ps.f = NULL;
	r = 0;
out:
	strbuf_done(&ps.str);
	rl_formula_free(ps.f);
	if (r < 0) {
		if (reterr_col)
			*reterr_col = ps.err_col;
		if (reterr_msg)
			*reterr_msg = ps.err_msg;
		else
			free(ps.err_msg);
	}
	return r;
}

struct rl_formula *
rl_formula_free(struct rl_formula *f)
{
	size_t i;

	if (f == NULL)
		return NULL;
	for (i = 0; i < f->nops; i++) {
		if (f->ops[i].compiled)
			regfree(&f->ops[i].re);
		free(f->ops[i].match);
	}
	free(f->ops);
	free(f->nodes);
	free(f);
	return NULL;
}

void
rl_formula_bind(struct rl_formula *f, const char *const *names,
		   size_t n)
{
	size_t i, j;

	if (f == NULL)
		return;
	f->bind_error = false;
	for (i = 0; i < f->nops; i++) {
		struct operand *o = &f->ops[i];
		free(o->match);
		o->match = xcalloc(n ? n : 1, sizeof(*o->match));
		o->nmatch = 0;
		for (j = 0; j < n; j++)
			if (names[j] &&
			    regexec(&o->re, names[j], 0, NULL, 0) == 0)
				o->match[o->nmatch++] = (uint32_t)j;
	}
	for (i = 0; i < f->nnodes; i++)
		if (f->nodes[i].op == OP_OPERAND &&
		    f->ops[f->nodes[i].arg].nmatch != 1)
			f->bind_error = true;
	f->bound = true;
}

static int
eval_node(const struct rl_formula *f, uint32_t idx, const bool *values)
{
	const struct node *nd = &f->nodes[idx];
	const struct operand *o;
	size_t i;
	int a;

	switch (nd->op) {
	case OP_OPERAND:
		o = &f->ops[nd->arg];
		if (o->nmatch != 1)
			return -EINVAL;
		return values[o->match[0]];
	case OP_ANY:
		o = &f->ops[nd->arg];
		for (i = 0; i < o->nmatch; i++)
			if (values[o->match[i]])
				return 1;
		return 0;
	case OP_ALL:
		o = &f->ops[nd->arg];
		for (i = 0; i < o->nmatch; i++)
			if (!values[o->match[i]])
				return 0;
		return 1;
	case OP_NOT:
		a = eval_node(f, nd->left, values);
		return a < 0 ? a : !a;
	case OP_AND:
		a = eval_node(f, nd->left, values);
		if (a <= 0)
			return a;
		return eval_node(f, nd->right, values);
	case OP_OR:
		a = eval_node(f, nd->left, values);
		if (a != 0)
			return a;
		return eval_node(f, nd->right, values);
	}
	return -EINVAL;
}

int
rl_formula_eval(const struct rl_formula *f, const bool *values)
{
	/* A bad operand is an error whatever the states, not only when
	 * evaluation reaches it: the same formula must not flip between
	 * "error" and "operational" as processes come and go. */
	if (f == NULL || !f->bound || f->bind_error)
		return -EINVAL;
	return eval_node(f, f->root, values);
}
