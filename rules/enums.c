/*
 * rules/enums: the names of every rules enum, in Supvisors' spelling.
 * The schema tables share these arrays, so a value accepted in YAML and
 * the name printed back are the same string.
 */
#include <errno.h>
#include <strings.h>

#include "core/util.h"
#include "rules/schema.h"

const char *const rl_distribution_names[] = {
	"ALL_INSTANCES", "SINGLE_INSTANCE", "SINGLE_NODE", NULL};
const char *const rl_strategy_names[] = {
	"CONFIG", "LESS_LOADED", "MOST_LOADED", "LOCAL",
	"LESS_LOADED_NODE", "MOST_LOADED_NODE", NULL};
const char *const rl_starting_failure_names[] = {
	"ABORT", "STOP", "CONTINUE", NULL};
const char *const rl_running_failure_names[] = {
	"CONTINUE", "RESTART_PROCESS", "STOP_APPLICATION",
	"RESTART_APPLICATION", "SHUTDOWN", "RESTART", NULL};
const char *const rl_conciliation_names[] = {
	"SENICIDE", "INFANTICIDE", "USER", "STOP", "RESTART",
	"RUNNING_FAILURE", NULL};
const char *const rl_cluster_failure_names[] = {
	"CONTINUE", "RESYNC", "SHUTDOWN", NULL};
const char *const rl_load_source_names[] = {
	"EXPECTED", "MEASURED", "MAX", NULL};
const char *const rl_autorestart_names[] = {
	"false", "true", "unexpected", NULL};
const char *const rl_synchro_names[] = {
	"STRICT", "LIST", "TIMEOUT", "CORE", "USER", NULL};

int
rl_enum_lookup(const char *const *names, const char *s)
{
	int i;

	if (s == NULL)
		return -EINVAL;
	for (i = 0; names[i] != NULL; i++)
		if (strcasecmp(names[i], s) == 0)
			return i;
	return -EINVAL;
}

#define ENUM_FUNCS(prefix, type, max)                                          \
	const char *prefix##_to_string(type v)                                 \
	{                                                                      \
		return (unsigned)v < (unsigned)(max) ? prefix##_names[v]      \
						      : NULL;                  \
	}                                                                      \
	int prefix##_from_string(const char *s)                                \
	{                                                                      \
		return rl_enum_lookup(prefix##_names, s);                      \
	}

ENUM_FUNCS(rl_distribution, enum rl_distribution, _RL_DIST_MAX)
ENUM_FUNCS(rl_strategy, enum rl_strategy, _RL_STRATEGY_MAX)
ENUM_FUNCS(rl_starting_failure, enum rl_starting_failure, _RL_STARTING_MAX)
ENUM_FUNCS(rl_running_failure, enum rl_running_failure, _RL_RUNNING_MAX)
ENUM_FUNCS(rl_conciliation, enum rl_conciliation, _RL_CONCILIATION_MAX)
ENUM_FUNCS(rl_cluster_failure, enum rl_cluster_failure,
	   _RL_CLUSTER_FAILURE_MAX)
ENUM_FUNCS(rl_load_source, enum rl_load_source, _RL_LOAD_SOURCE_MAX)
ENUM_FUNCS(rl_autorestart, enum rl_autorestart, _RL_AUTORESTART_MAX)
