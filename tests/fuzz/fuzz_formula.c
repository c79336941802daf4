/*
 * libFuzzer target for the operational_status formula parser (the text
 * comes from user YAML): parse, and when it parses, bind against a fixed
 * set of process names and evaluate under a few state vectors.  Checks
 * the contract along the way: an error always has a column inside the
 * text (or just after it) and a message; a success has neither.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/formula.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"hmi", "w_0", "w_1", "db",
					    "a", "ab", "x.y", ""};
	struct rl_formula *f = NULL;
	size_t col = 0, len;
	char *src, *msg = NULL;
	int r;

	if (size > 2 * RL_FORMULA_MAX_LEN)
		return 0;
	src = malloc(size + 1);
	if (src == NULL)
		return 0;
	memcpy(src, data, size);
	src[size] = '\0';
	len = strlen(src);
	r = rl_formula_parse(src, &f, &col, &msg);
	if (r < 0) {
		if (msg == NULL || col == 0 ||
		    (len <= RL_FORMULA_MAX_LEN && col > len + 1))
			abort();
	} else {
		unsigned mask;
		if (f == NULL || msg != NULL)
			abort();
		rl_formula_bind(f, names, 8);
		for (mask = 0; mask < 256; mask += 37) {
			bool v[8];
			unsigned i;
			for (i = 0; i < 8; i++)
				v[i] = mask & (1u << i);
			r = rl_formula_eval(f, v);
			if (r != 0 && r != 1 && r != -22)
				abort();
		}
	}
	free(msg);
	rl_formula_free(f);
	free(src);
	return 0;
}
