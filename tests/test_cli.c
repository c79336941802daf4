/*
 * tools/: the CLI's pure parts (tables, colours, namespec checks, JSON
 * shaping, exit codes, word splitting, completion scripts).  The tools/
 * sources are not in the library, so the pure ones are compiled in here;
 * this file provides the two globals they expect (cli_opts and a command
 * table of its own).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/testlib.h"
#include "tools/cli.h"

#include "tools/cli_completion.c"
#include "tools/cli_fmt.c"

struct cli_opts cli_opts;

static int
dummy(int argc, char **argv)
{
	return 0;
}

const struct cli_command cli_commands[] = {
	{"status", "[NAMESPEC...]", "show processes", dummy, "namespec"},
	{"signal", "SIG NAMESPEC...", "send a signal", dummy, "signal"},
	{"tail", "NAMESPEC", "it's a tail", dummy, "tail"},
	{"app", "start|stop APP", "applications", dummy, "app-action"},
	{"check", "[FILE]", "validate", dummy, "file"},
	{"completion", "bash|zsh|fish", "completion", dummy, "shell"},
	{"plan", "APP|NAMESPEC", "dry run", dummy, "plan"},
	{"conciliate", "STRATEGY", "conflicts", dummy, "conciliation"},
	{"end-sync", "[MASTER]", "synchro", dummy, "instance"},
	{"__complete", "names", "hidden", dummy, NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

/* Run TABLE's printer into a string. */
static char *
print_table(const struct cli_table *t, int width, bool color)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cli_table_print(t, f, width, color);
	fclose(f);
	return buf;
}

static void
test_table(void)
{
	static const char *const h[] = {"NAME", "STATE", "DESCRIPTION"};
	static const char *const r1[] = {"web:nginx", "RUNNING",
					 "pid 42, uptime 0:01:40"};
	static const char *const r2[] = {"db:pg", "FATAL", NULL};
	static const char *const c1[] = {NULL, "\033[32m", NULL};
	struct cli_table *t = cli_table_new(3, h);
	char *s;

	cli_table_add(t, r1, c1);
	cli_table_add(t, r2, NULL);
	s = print_table(t, 0, false);
	ASSERT_STR_EQ(s, "NAME       STATE    DESCRIPTION\n"
			 "web:nginx  RUNNING  pid 42, uptime 0:01:40\n"
			 "db:pg      FATAL    -\n");
	free(s);
	/* colour wraps the cell only; padding stays outside */
	s = print_table(t, 0, true);
	ASSERT_TRUE(strstr(s, "\033[32mRUNNING\033[0m  pid") != NULL);
	free(s);
	/* a terminal of 30 columns: only the last column is cut */
	s = print_table(t, 30, false);
	ASSERT_STR_EQ(s, "NAME       STATE    DESCRIPTI\u2026\n"
			 "web:nginx  RUNNING  pid 42, u\u2026\n"
			 "db:pg      FATAL    -\n");
	free(s);
	cli_table_free(t);

	/* UTF-8 counts in characters, not bytes */
	{
		static const char *const h2[] = {"A", "B"};
		static const char *const u[] = {"\u00e9t\u00e9", "x"};

		t = cli_table_new(2, h2);
		cli_table_add(t, u, NULL);
		s = print_table(t, 0, false);
		ASSERT_STR_EQ(s, "A    B\n\u00e9t\u00e9  x\n");
		free(s);
		cli_table_free(t);
	}
	ASSERT_NULL(cli_table_free(NULL));
}

static void
test_colors(void)
{
	ASSERT_STR_EQ(cli_state_color("RUNNING", true), "\033[32m");
	ASSERT_STR_EQ(cli_state_color("STARTING", true), "\033[33m");
	ASSERT_STR_EQ(cli_state_color("BACKOFF", true), "\033[33m");
	ASSERT_STR_EQ(cli_state_color("STOPPING", true), "\033[33m");
	ASSERT_STR_EQ(cli_state_color("FATAL", true), "\033[31m");
	ASSERT_STR_EQ(cli_state_color("EXITED", false), "\033[31m");
	ASSERT_NULL(cli_state_color("EXITED", true));
	ASSERT_NULL(cli_state_color("STOPPED", true));
	ASSERT_NULL(cli_state_color(NULL, true));
}

static void
test_namespec(void)
{
	ASSERT_INT_EQ(cli_namespec_check("app:proc"), 0);
	ASSERT_INT_EQ(cli_namespec_check("app:*"), 0);
	ASSERT_INT_EQ(cli_namespec_check("all"), 0);
	ASSERT_INT_EQ(cli_namespec_check("proc_00"), 0);
	ASSERT_INT_EQ(cli_namespec_check(""), -EINVAL);
	ASSERT_INT_EQ(cli_namespec_check(":proc"), -EINVAL);
	ASSERT_INT_EQ(cli_namespec_check("app:"), -EINVAL);
	ASSERT_INT_EQ(cli_namespec_check("a:b:c"), -EINVAL);
	ASSERT_INT_EQ(cli_namespec_check("a/b"), -EINVAL);
	ASSERT_INT_EQ(cli_namespec_check("a b"), -EINVAL);
	ASSERT_INT_EQ(cli_namespec_check("a\tb"), -EINVAL);
}

static void
test_merge(void)
{
	cJSON *into = cJSON_Parse("{\"processes\":[{\"namespec\":\"a:x\"}]}");
	cJSON *from = cJSON_Parse("{\"processes\":[{\"namespec\":\"b:y\"},"
				  "{\"namespec\":\"b:z\"}],\"other\":1}");
	cJSON *empty = cJSON_CreateObject();
	char *s;

	cli_json_merge_array(into, from, "processes");
	s = cJSON_PrintUnformatted(into);
	ASSERT_STR_EQ(s, "{\"processes\":[{\"namespec\":\"a:x\"},"
			 "{\"namespec\":\"b:y\"},{\"namespec\":\"b:z\"}]}");
	cJSON_free(s);
	/* moved, not copied */
	ASSERT_INT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(from,
							     "processes")),
		      0);
	/* a missing array is created; a missing source is a no-op */
	cli_json_merge_array(empty, from, "results");
	s = cJSON_PrintUnformatted(empty);
	ASSERT_STR_EQ(s, "{\"results\":[]}");
	cJSON_free(s);
	cJSON_Delete(into);
	cJSON_Delete(from);
	cJSON_Delete(empty);
}

static void
test_exit_codes(void)
{
	ASSERT_INT_EQ(cli_exit_for_code("start", NULL), 0);
	ASSERT_INT_EQ(cli_exit_for_code("start", "ALREADY_STARTED"), 0);
	ASSERT_INT_EQ(cli_exit_for_code("start", "SPAWN_ERROR"), 7);
	ASSERT_INT_EQ(cli_exit_for_code("start", "ABNORMAL_TERMINATION"), 7);
	ASSERT_INT_EQ(cli_exit_for_code("start", "NO_RESOURCE"), 7);
	ASSERT_INT_EQ(cli_exit_for_code("restart", "ALREADY_STARTED"), 0);
	ASSERT_INT_EQ(cli_exit_for_code("start", "BAD_NAME"), 4);
	ASSERT_INT_EQ(cli_exit_for_code("stop", "NOT_RUNNING"), 0);
	ASSERT_INT_EQ(cli_exit_for_code("stop", "BAD_NAME"), 4);
	ASSERT_INT_EQ(cli_exit_for_code("stop", "SHUTTING_DOWN"), 1);
	ASSERT_INT_EQ(cli_exit_for_code("signal", "NOT_RUNNING"), 7);
	ASSERT_INT_EQ(cli_exit_for_code("signal", "BAD_SIGNAL"), 2);
	ASSERT_STR_EQ(cli_error_text("ALREADY_STARTED"), "already started");
	ASSERT_STR_EQ(cli_error_text("BAD_NAME"), "no such process");
	ASSERT_STR_EQ(cli_error_text("WHATEVER"), "failed");
}

static void
test_words(void)
{
	char **w;

	ASSERT_INT_EQ(cli_split_words("  start  app:x 'a b'\"c\"\n", &w), 3);
	ASSERT_STR_EQ(w[0], "start");
	ASSERT_STR_EQ(w[1], "app:x");
	ASSERT_STR_EQ(w[2], "a bc");
	ASSERT_NULL(w[3]);
	cli_words_free(w);
	ASSERT_INT_EQ(cli_split_words("tail ''", &w), 2);
	ASSERT_STR_EQ(w[1], "");
	cli_words_free(w);
	ASSERT_INT_EQ(cli_split_words("   \n", &w), 0);
	ASSERT_NULL(w[0]);
	cli_words_free(w);
	ASSERT_INT_EQ(cli_split_words("say 'unclosed", &w), -EINVAL);
}

static char *
completion(const char *shell)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ASSERT_INT_EQ(cli_completion_write(f, shell, cli_commands,
					   "supvisors-sched"),
		      0);
	fclose(f);
	return buf;
}

/* Run SCRIPT through "SHELL -n" (syntax check only); 77-style skip when
 * the shell is not installed is the caller's business. */
static int
shell_check(const char *shell, const char *script)
{
	char path[4096], cmd[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/completion.%s", test_tmpdir(), shell);
	f = fopen(path, "w");
	fputs(script, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s -n '%s'", shell, path);
	return system(cmd);
}

static void
test_completion(void)
{
	char *bash = completion("bash"), *zsh = completion("zsh");
	char *fish = completion("fish");

	/* every visible command, nothing hidden */
	ASSERT_TRUE(strstr(bash, "local cmds='status signal tail app check "
				 "completion plan conciliate end-sync'") !=
		    NULL);
	ASSERT_TRUE(strstr(bash, "\tplan)\n") != NULL);
	ASSERT_TRUE(strstr(bash, "__complete instances") != NULL);
	ASSERT_TRUE(strstr(zsh, "\t\tconciliate) (( CURRENT == 2 ))") != NULL);
	ASSERT_TRUE(strstr(fish, "__fish_seen_subcommand_from end-sync' -a "
				 "'(supvisors-sched __complete instances") !=
		    NULL);
	ASSERT_TRUE(strstr(bash, "__complete names") != NULL);
	ASSERT_TRUE(strstr(bash, "\t__complete") == NULL);
	ASSERT_TRUE(strstr(bash, "\tcheck)\n") != NULL);
	ASSERT_TRUE(strstr(bash, "complete -F _supvisors_sched "
				 "supvisors-sched\n") != NULL);
	ASSERT_INT_EQ(shell_check("bash", bash), 0);
	/* quotes in a summary are escaped */
	ASSERT_TRUE(strstr(zsh, "'tail:it'\\''s a tail'") != NULL);
	ASSERT_TRUE(strstr(fish, "-a tail -d 'it'\\''s a tail'") != NULL);
	ASSERT_TRUE(strstr(fish, "__complete") != NULL);
	ASSERT_TRUE(strstr(fish, "-a __complete") == NULL);
	if (system("command -v zsh >/dev/null 2>&1") == 0)
		ASSERT_INT_EQ(shell_check("zsh", zsh), 0);
	if (system("command -v fish >/dev/null 2>&1") == 0)
		ASSERT_INT_EQ(shell_check("fish", fish), 0);
	free(bash);
	free(zsh);
	free(fish);
	ASSERT_INT_EQ(cli_completion_write(stdout, "csh", cli_commands, "x"),
		      -EINVAL);
}

/* The generated bash function, called with a synthetic COMP_WORDS: the
 * commands after the program name, signals after `signal`. */
static void
test_completion_runs(void)
{
	char *bash = completion("bash");
	char path[4096], cmd[8500];
	FILE *f, *p;
	char out[512] = "";

	snprintf(path, sizeof(path), "%s/run.bash", test_tmpdir());
	f = fopen(path, "w");
	fputs(bash, f);
	fputs("COMP_WORDS=(supvisors-sched -s /nonexistent sig); COMP_CWORD=3\n"
	      "_supvisors_sched; echo \"${COMPREPLY[*]}\"\n"
	      "COMP_WORDS=(supvisors-sched signal TE); COMP_CWORD=2\n"
	      "_supvisors_sched; echo \"${COMPREPLY[*]}\"\n"
	      "COMP_WORDS=(supvisors-sched app st); COMP_CWORD=2\n"
	      "_supvisors_sched; echo \"${COMPREPLY[*]}\"\n"
	      "COMP_WORDS=(supvisors-sched conciliate S); COMP_CWORD=2\n"
	      "_supvisors_sched; echo \"${COMPREPLY[*]}\"\n"
	      "COMP_WORDS=(supvisors-sched plan --strategy LESS_LOADED_); "
	      "COMP_CWORD=3\n"
	      "_supvisors_sched; echo \"${COMPREPLY[*]}\"\n",
	      f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "PATH=/nonexistent:$PATH bash '%s'", path);
	p = popen(cmd, "r");
	ASSERT_NOT_NULL(p);
	fread(out, 1, sizeof(out) - 1, p);
	ASSERT_INT_EQ(pclose(p), 0);
	ASSERT_STR_EQ(out, "signal\nTERM\nstart stop\nSENICIDE STOP\n"
			   "LESS_LOADED_NODE\n");
	free(bash);
}

static const struct test_case cases[] = {
	{"table", test_table},
	{"state colours", test_colors},
	{"namespec", test_namespec},
	{"json merge", test_merge},
	{"exit codes", test_exit_codes},
	{"prompt words", test_words},
	{"completion scripts", test_completion},
	{"completion function", test_completion_runs},
};

int
main(int argc, char **argv)
{
	return test_main(argc, argv, "cli", cases, ARRAY_SIZE(cases));
}
