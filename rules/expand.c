/*
 * rules/expand: supervisord's %(name)s expansions and the shell-like
 * splitting of a command string.
 *
 * Expansions follow Python's %-formatting, which is what supervisord
 * applies to its options: "%(name)" then flags, width, precision and a
 * conversion, so "%(process_num)02d" pads with zeros as users expect.
 * A lone '%' is an error, as in supervisord (write "%%").
 *
 * A command string is split into words like a POSIX shell does it
 * (blanks, single and double quotes, backslashes) but nothing else: no
 * variables, globs or operators, since it is exec'd and never run by a
 * shell.  Splitting happens before expansion, so an expanded value with
 * blanks stays one argument.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "rules/rules-int.h"

#define WIDTH_MAX 1024

static const char *
env_lookup(const char *const *envp, const char *name, size_t len)
{
	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}

static void
pad(struct strbuf *sb, char c, size_t n)
{
	while (n-- > 0)
		strbuf_addc(sb, c);
}

static void
format_int(struct strbuf *sb, long long v, const char *flags, size_t width,
	   long prec)
{
	char digits[32], sign[2] = "";
	size_t nd, len, zeros = 0;
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v
				     : (unsigned long long)v;

	snprintf(digits, sizeof(digits), "%llu", u);
	nd = strlen(digits);
	if (v < 0)
		sign[0] = '-';
	else if (strchr(flags, '+'))
		sign[0] = '+';
	else if (strchr(flags, ' '))
		sign[0] = ' ';
	if (prec > 0 && (size_t)prec > nd)
		zeros = (size_t)prec - nd;
	len = strlen(sign) + zeros + nd;
	if (width > len && strchr(flags, '-') == NULL &&
	    strchr(flags, '0') != NULL) {
		zeros += width - len;
		len = width;
	}
	if (width > len && strchr(flags, '-') == NULL)
		pad(sb, ' ', width - len);
	strbuf_adds(sb, sign);
	pad(sb, '0', zeros);
	strbuf_adds(sb, digits);
	if (width > len && strchr(flags, '-') != NULL)
		pad(sb, ' ', width - len);
}

static void
format_str(struct strbuf *sb, const char *s, const char *flags, size_t width,
	   long prec)
{
	size_t len = strlen(s);

	if (prec >= 0 && (size_t)prec < len)
		len = (size_t)prec;
	if (width > len && strchr(flags, '-') == NULL)
		pad(sb, ' ', width - len);
	strbuf_add(sb, s, len);
	if (width > len && strchr(flags, '-') != NULL)
		pad(sb, ' ', width - len);
}

char *
expand_template(struct arena *a, const char *tmpl, const struct xvar *vars,
		size_t nvars, const char *const *envp, char *err,
		size_t errlen)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = tmpl, *name, *end, *sval;
	char flags[8], conv, *ret = NULL;
	size_t nlen, nflags, width, i;
	long prec;
	long long ival = 0;
	bool is_int;

	if (strchr(tmpl, '%') == NULL)
		return arena_strdup(a, tmpl);
	while (*p != '\0') {
		if (*p != '%') {
			end = strchr(p, '%');
			if (end == NULL)
				end = p + strlen(p);
			strbuf_add(&sb, p, (size_t)(end - p));
			p = end;
			continue;
		}
		if (p[1] == '%') {
			strbuf_addc(&sb, '%');
			p += 2;
			continue;
		}
		if (p[1] != '(') {
			snprintf(err, errlen, "'%%' must be followed by "
				 "'(NAME)' or '%%' (write '%%%%' for a "
				 "literal '%%')");
			goto out;
		}
		name = p + 2;
		end = strchr(name, ')');
		if (end == NULL) {
			snprintf(err, errlen, "'%%(' without a closing ')'");
			goto out;
		}
		nlen = (size_t)(end - name);
		p = end + 1;
		nflags = 0;
		while (*p != '\0' && strchr("#0- +", *p) != NULL) {
			if (nflags < sizeof(flags) - 1)
				flags[nflags++] = *p;
			p++;
		}
		flags[nflags] = '\0';
		width = 0;
		while (isdigit((unsigned char)*p)) {
			width = width * 10 + (size_t)(*p++ - '0');
			if (width > WIDTH_MAX) {
				snprintf(err, errlen, "width in '%%(%.*s)' "
					 "is larger than %d", (int)nlen, name,
					 WIDTH_MAX);
				goto out;
			}
		}
		prec = -1;
		if (*p == '.') {
			p++;
			prec = 0;
			while (isdigit((unsigned char)*p)) {
				prec = prec * 10 + (*p++ - '0');
				if (prec > WIDTH_MAX) {
					snprintf(err, errlen, "precision in "
						 "'%%(%.*s)' is larger than %d",
						 (int)nlen, name, WIDTH_MAX);
					goto out;
				}
			}
		}
		while (*p == 'h' || *p == 'l' || *p == 'L')
			p++;
		conv = *p;
		if (conv == '\0' || strchr("sdiur", conv) == NULL) {
			if (conv == '\0')
				snprintf(err, errlen, "'%%(%.*s)' has no "
					 "conversion (e.g. 's' or 'd')",
					 (int)nlen, name);
			else
				snprintf(err, errlen, "unsupported conversion "
					 "'%c' in '%%(%.*s)%c'", conv,
					 (int)nlen, name, conv);
			goto out;
		}
		p++;
		sval = NULL;
		is_int = false;
		for (i = 0; i < nvars; i++) {
			if (strlen(vars[i].name) == nlen &&
			    strncmp(vars[i].name, name, nlen) == 0)
				break;
		}
		if (i < nvars) {
			sval = vars[i].s;
			is_int = sval == NULL;
			ival = vars[i].i;
		} else if (nlen > 4 && strncmp(name, "ENV_", 4) == 0) {
			sval = env_lookup(envp, name + 4, nlen - 4);
			if (sval == NULL) {
				snprintf(err, errlen, "environment variable "
					 "'%.*s' is not set (in '%%(%.*s)')",
					 (int)(nlen - 4), name + 4, (int)nlen,
					 name);
				goto out;
			}
		} else {
			snprintf(err, errlen, "unknown expansion '%%(%.*s)'",
				 (int)nlen, name);
			for (i = 0; i < nvars; i++) {
				char tmp[128];

				if (nlen >= sizeof(tmp))
					break;
				memcpy(tmp, name, nlen);
				tmp[nlen] = '\0';
				if (util_edit_distance(tmp, vars[i].name, 3) <
				    3) {
					size_t l = strlen(err);

					snprintf(err + l, errlen - l,
						 " (did you mean '%%(%s)'?)",
						 vars[i].name);
					break;
				}
			}
			goto out;
		}
		if (conv == 's' || conv == 'r') {
			char num[32];

			if (is_int) {
				snprintf(num, sizeof(num), "%lld", ival);
				sval = num;
			}
			format_str(&sb, sval, flags, width, prec);
		} else {
			if (!is_int) {
				snprintf(err, errlen, "'%%(%.*s)%c' needs a "
					 "number; '%.*s' is a string",
					 (int)nlen, name, conv, (int)nlen,
					 name);
				goto out;
			}
			format_int(&sb, ival, flags, width, prec);
		}
	}
	ret = arena_strdup(a, strbuf_str(&sb));
out:
	strbuf_done(&sb);
	return ret;
}

int
shell_split(struct arena *a, const char *s, const char ***ret_argv,
	    char *err, size_t errlen)
{
	struct strbuf word = STRBUF_INIT;
	const char **argv = NULL;
	size_t n = 0, cap = 0;
	bool in_word = false;
	int r = -1;

	for (;;) {
		char c = *s;

		if (c == '\0' || c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				if (n + 2 > cap) {
					cap = cap ? cap * 2 : 8;
					argv = xreallocarray(argv, cap,
							     sizeof(*argv));
				}
				argv[n++] = arena_strdup(a, strbuf_str(&word));
				strbuf_reset(&word);
				in_word = false;
			}
			if (c == '\0')
				break;
			s++;
			continue;
		}
		in_word = true;
		if (c == '\'') {
			const char *end = strchr(s + 1, '\'');

			if (end == NULL) {
				snprintf(err, errlen, "unterminated single "
					 "quote in command");
				goto out;
			}
			strbuf_add(&word, s + 1, (size_t)(end - s - 1));
			strbuf_grow(&word, 1);
			s = end + 1;
		} else if (c == '"') {
			for (s++; *s != '"'; s++) {
				if (*s == '\0') {
					snprintf(err, errlen, "unterminated "
						 "double quote in command");
					goto out;
				}
				if (*s == '\\' && s[1] != '\0' &&
				    strchr("\"\\$`\n", s[1]) != NULL)
					s++;
				strbuf_addc(&word, *s);
			}
			strbuf_grow(&word, 1);
			s++;
		} else if (c == '\\') {
			if (s[1] == '\0') {
				snprintf(err, errlen, "backslash at the end "
					 "of command");
				goto out;
			}
			if (s[1] != '\n')
				strbuf_addc(&word, s[1]);
			s += 2;
		} else {
			strbuf_addc(&word, c);
			s++;
		}
	}
	if (n == 0) {
		*ret_argv = NULL;
	} else {
		const char **v = arena_alloc(a, (n + 1) * sizeof(*v));

		memcpy(v, argv, n * sizeof(*v));
		*ret_argv = v;
	}
	r = (int)n;
out:
	free(argv);
	strbuf_done(&word);
	return r;
}
