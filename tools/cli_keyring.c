/*
 * `keyring list|install|use|remove`: the cluster's keyring, changed on
 * every instance at once through the gossip (GET and POST /v1/keyring;
 * core/cluster_keyring.h).  The key to install is read from a file or
 * standard input, never from the command line, where `ps` would show it.
 *
 * Every subcommand reports who did not apply the operation (a refusal,
 * with the reason, or no answer) on standard error and then exits 1, so
 * that a rotation script stops before the next step: install, use, then
 * remove.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cluster_keyring.h"
#include "core/util.h"
#include "net/keyring.h"
#include "tools/cli.h"

#define KEYARG_MAX 4096

static int
usage(void)
{
	fprintf(stderr, "usage: supvisors-sched keyring list [--json]\n"
			"       supvisors-sched keyring install KEYFILE|-\n"
			"       supvisors-sched keyring use FINGERPRINT\n"
			"       supvisors-sched keyring remove FINGERPRINT\n");
	return CLI_EXIT_USAGE;
}

/* Prints the refusals and silences of an answer; CLI_EXIT_FAILED when
 * there is one. */
static int
report_members(const cJSON *json)
{
	const cJSON *v;
	int rc = CLI_EXIT_OK;

	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(json, "failed"))
	{
		const char *inst = cli_json_str(v, "instance");
		const char *err = cli_json_str(v, "error");

		if (!cli_opts.quiet)
			fprintf(stderr, "supvisors-sched: %s: %s\n",
				inst ? inst : "?", err ? err : "failed");
		rc = CLI_EXIT_FAILED;
	}
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(json, "missing"))
	{
		if (!cli_opts.quiet && cJSON_IsString(v))
			fprintf(stderr, "supvisors-sched: %s: no answer\n",
				v->valuestring);
		rc = CLI_EXIT_FAILED;
	}
	return rc;
}

static void
names(const cJSON *arr, char *buf, size_t len)
{
	const cJSON *v;
	size_t n = 0, at;

	buf[0] = '\0';
	cJSON_ArrayForEach(v, arr)
	{
		if (!cJSON_IsString(v))
			continue;
		at = MIN(n, len - 1);
		n += (size_t)snprintf(buf + at, len - at, "%s%s", n ? "," : "",
				      v->valuestring);
	}
}

static int
list(int argc, char **argv)
{
	static const char *const narrow[] = {"FINGERPRINT", "PRIMARY",
					     "INSTANCES", "PRIMARY ON"};
	static const char *const wide[] = {"FINGERPRINT", "PRIMARY",
					   "INSTANCES", "PRIMARY ON",
					   "NAMES"};
	bool json_out = cli_opts.json;
	struct cli_table *t;
	cJSON *json = NULL;
	const cJSON *k;
	int rc, total;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json_out = true;
	else if (argc != 1)
		return usage();
	cli_set_timeout_ms(CLUSTER_KEYRING_WAIT_MS + 5000);
	rc = cli_get_json("/v1/keyring", &json);
	if (rc != 0)
		return rc;
	if (json_out) {
		cli_print_json(json);
		rc = report_members(json);
		cJSON_Delete(json);
		return rc;
	}
	total = cJSON_GetArraySize(
		cJSON_GetObjectItemCaseSensitive(json, "acked"));
	t = cli_opts.wide ? cli_table_new(ARRAY_SIZE(wide), wide)
			  : cli_table_new(ARRAY_SIZE(narrow), narrow);
	cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(json, "keys"))
	{
		const cJSON *holders =
			cJSON_GetObjectItemCaseSensitive(k, "instances");
		const cJSON *prim =
			cJSON_GetObjectItemCaseSensitive(k, "primary_on");
		char on[32], pon[32], who[512];
		const char *cells[5], *colors[5] = {NULL};
		bool primary = cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(k, "primary"));
		bool installed = cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(k, "installed"));

		snprintf(on, sizeof(on), "%d/%d", cJSON_GetArraySize(holders),
			 total);
		snprintf(pon, sizeof(pon), "%d/%d", cJSON_GetArraySize(prim),
			 total);
		names(holders, who, sizeof(who));
		cells[0] = cli_json_str(k, "fingerprint");
		cells[1] = primary ? "*" : installed ? "" : "(not here)";
		cells[2] = on;
		cells[3] = pon;
		cells[4] = who;
		if (cJSON_GetArraySize(holders) != total)
			colors[2] = "\033[33m";
		if (primary)
			colors[1] = "\033[32m";
		cli_table_add(t, cells, colors);
	}
	cli_table_print(t, stdout, cli_term_width(), cli_opts.color);
	cli_table_free(t);
	rc = report_members(json);
	cJSON_Delete(json);
	return rc;
}

/* The one key of PATH ("-": standard input), blanks around it removed,
 * into KEY; CLI_EXIT_* after saying why not. */
static int
read_key(const char *path, char key[KEYRING_B64_SIZE])
{
	char buf[KEYARG_MAX + 1];
	uint8_t raw[KEYRING_KEY_SIZE];
	size_t len = 0, start = 0;
	ssize_t n;
	int fd, rc = CLI_EXIT_OK;

	fd = strcmp(path, "-") == 0 ? STDIN_FILENO
				     : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "supvisors-sched: %s: %s\n", path,
			strerror(errno));
		return CLI_EXIT_FAILED;
	}
	while (len < sizeof(buf) &&
	       (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "supvisors-sched: %s: %s\n", path,
				strerror(errno));
			rc = CLI_EXIT_FAILED;
			goto out;
		}
		len += (size_t)n;
	}
	while (start < len && strchr(" \t\r\n", buf[start]) != NULL)
		start++;
	while (len > start && strchr(" \t\r\n", buf[len - 1]) != NULL)
		len--;
	if (len - start != KEYRING_B64_SIZE - 1 ||
	    keyring_key_decode(buf + start, len - start, raw) < 0) {
		fprintf(stderr,
			"supvisors-sched: %s must hold one key as `keygen` "
			"prints it (44 characters of base64)\n",
			strcmp(path, "-") == 0 ? "standard input" : path);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	memcpy(key, buf + start, KEYRING_B64_SIZE - 1);
	key[KEYRING_B64_SIZE - 1] = '\0';
out:
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(raw, sizeof(raw));
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

static int
change(const char *op, const char *key)
{
	cJSON *req = cJSON_CreateObject(), *json = NULL;
	char *body;
	long status;
	int rc;

	cJSON_AddStringToObject(req, "op", op);
	cJSON_AddStringToObject(req, "key", key);
	body = cJSON_PrintUnformatted(req);
	sodium_memzero(
		cJSON_GetObjectItemCaseSensitive(req, "key")->valuestring,
		strlen(key));
	cJSON_Delete(req);
	cli_set_timeout_ms(CLUSTER_KEYRING_WAIT_MS + 5000);
	rc = cli_call("POST", "/v1/keyring", body, &status, &json);
	sodium_memzero(body, strlen(body));
	free(body);
	if (rc != 0)
		return rc;
	if (status != 200 || !cJSON_IsObject(json)) {
		rc = cli_report_error(status, json);
		cJSON_Delete(json);
		return rc;
	}
	if (cli_opts.json) {
		cli_print_json(json);
	} else {
		const char *fp = cli_json_str(json, "fingerprint") ?: "?";
		int n = cJSON_GetArraySize(
			cJSON_GetObjectItemCaseSensitive(json, "acked"));

		if (strcmp(op, "install") == 0)
			printf("key %s installed on %d instance(s)\n", fp, n);
		else if (strcmp(op, "use") == 0)
			printf("key %s primary on %d instance(s)\n", fp, n);
		else
			printf("key %s removed from %d instance(s)\n", fp, n);
	}
	rc = report_members(json);
	cJSON_Delete(json);
	return rc;
}

int
cli_keyring(int argc, char **argv)
{
	char key[KEYRING_B64_SIZE];
	int rc;

	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "list") == 0)
		return list(argc - 1, argv + 1);
	if (argc != 3)
		return usage();
	if (strcmp(argv[1], "use") == 0 || strcmp(argv[1], "remove") == 0)
		return change(argv[1], argv[2]);
	if (strcmp(argv[1], "install") != 0)
		return usage();
	if (sodium_init() < 0) {
		fprintf(stderr, "supvisors-sched: libsodium failed to start\n");
		return CLI_EXIT_FAILED;
	}
	rc = read_key(argv[2], key);
	if (rc == CLI_EXIT_OK)
		rc = change("install", key);
	sodium_memzero(key, sizeof(key));
	return rc;
}
