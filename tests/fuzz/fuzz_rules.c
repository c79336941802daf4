/*
 * libFuzzer target for the rules loader: any bytes, loaded as a main
 * file from memory, must give either a rules object or diagnostics, never
 * a crash, a leak or a hang.  Includes are not followed in fuzzing builds
 * (rules/load.c), so the target never reads the machine's files.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include "rules/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const envp[] = {"HOME=/home/f", "X=1", NULL};
	struct rules_load_opts opts = {
		.name = NULL,
		.host_node_name = "fuzzhost",
		.envp = envp,
		.is_root = size > 0 && (data[0] & 1),
	};
	struct rl_diags diags = RL_DIAGS_INIT;
	struct rules *r = NULL;
	struct strbuf sb = {0};
	size_t i;

	if (rules_load_buffer("fuzz.yaml", (const char *)data, size, &opts,
			      &r, &diags) == 0) {
		/* touch what readers touch */
		for (i = 0; i < rules_nprocesses(r); i++)
			(void)rules_find_process(r, rules_process(r, i)->namespec);
		(void)rules_digest(r);
	}
	rl_diags_to_json(&diags, &sb);
	strbuf_done(&sb);
	rules_free(r);
	rl_diags_done(&diags);
	return 0;
}
