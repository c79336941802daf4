/*
 * The CLI's connection to the daemon: where the control socket is, one
 * client opened on first use and kept for the rest of the run (the
 * prompt reuses it), and the mapping of transport failures and API
 * errors to messages and exit codes.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "net/client.h"
#include "rules/rules.h"
#include "tools/cli.h"

#define DEFAULT_SOCKET "/run/supvisors-sched/control.sock"

static struct client *client;
static char *socket_path;
static long timeout_ms;

/* instance.control of the configuration named by -c, or of the default
 * file when it exists; NULL otherwise (a broken file is reported once
 * and ignored: the socket defaults may still be right). */
static char *
socket_from_config(void)
{
	struct rules_load_opts opts = {.is_root = geteuid() == 0};
	struct rl_diags diags = RL_DIAGS_INIT;
	const char *path = cli_opts.config;
	struct rules *r = NULL;
	char *control = NULL;

	if (path == NULL) {
		path = rules_default_path();
		if (access(path, F_OK) != 0)
			return NULL;
	}
	if (rules_load(path, &opts, &r, &diags) < 0) {
		if (!cli_opts.quiet)
			fprintf(stderr, "supvisors-sched: cannot use '%s' to "
					"find the control socket (see "
					"'supvisors-sched check -c %s')\n",
				path, path);
	} else if (rules_instance(r)->control != NULL) {
		control = xstrdup(rules_instance(r)->control);
	}
	rules_free(r);
	rl_diags_done(&diags);
	return control;
}

const char *
cli_socket_path(void)
{
	const char *xdg;
	struct stat st;

	if (socket_path != NULL)
		return socket_path;
	if (cli_opts.socket != NULL && cli_opts.socket[0] != '\0') {
		socket_path = xstrdup(cli_opts.socket);
		return socket_path;
	}
	socket_path = socket_from_config();
	if (socket_path != NULL)
		return socket_path;
	xdg = getenv("XDG_RUNTIME_DIR");
	if (geteuid() != 0 && xdg != NULL && xdg[0] == '/') {
		char *p = xasprintf("%s/supvisors-sched/control.sock", xdg);

		if (stat(p, &st) == 0) {
			socket_path = p;
			return socket_path;
		}
		free(p);
	}
	socket_path = xstrdup(DEFAULT_SOCKET);
	return socket_path;
}

void
cli_set_timeout_ms(long ms)
{
	timeout_ms = ms;
	if (client != NULL)
		client_set_timeout_ms(client, ms);
}

struct client *
cli_client(void)
{
	const char *path;

	if (client != NULL)
		return client;
	path = cli_socket_path();
	client = client_new(path, getenv("SUPVISORS_SCHED_TOKEN"));
	if (client == NULL) {
		fprintf(stderr, "supvisors-sched: cannot start libcurl\n");
		return NULL;
	}
	client_set_timeout_ms(client, timeout_ms);
	return client;
}

void
cli_disconnect(void)
{
	client = client_free(client);
	free(socket_path);
	socket_path = NULL;
}

int
cli_report_transport(int r)
{
	const char *path = cli_socket_path();

	if (cli_opts.quiet)
		return CLI_EXIT_UNKNOWN;
	if (r == -ENOENT)
		fprintf(stderr, "supvisors-sched: no daemon at '%s' (no such "
				"socket; is supvisors-schedd running? see -s)\n",
			path);
	else if (r == -ECONNREFUSED)
		fprintf(stderr, "supvisors-sched: no daemon answers at '%s' "
				"(connection refused)\n", path);
	else if (r == -ETIMEDOUT)
		fprintf(stderr, "supvisors-sched: the daemon at '%s' did not "
				"answer in time\n", path);
	else
		fprintf(stderr, "supvisors-sched: request to '%s' failed: %s\n",
			path, strerror(-r));
	return CLI_EXIT_UNKNOWN;
}

int
cli_call(const char *method, const char *path, const char *body,
	 long *ret_status, cJSON **ret_json)
{
	struct client_reply rep = CLIENT_REPLY_INIT;
	struct client *c = cli_client();
	int r;

	if (c == NULL)
		return CLI_EXIT_UNKNOWN;
	r = client_request(c, method, path, body, &rep);
	if (r < 0) {
		client_reply_done(&rep);
		return cli_report_transport(r);
	}
	*ret_status = rep.status;
	*ret_json = rep.body.len > 0 ?
			    cJSON_ParseWithLength(rep.body.buf, rep.body.len) :
			    NULL;
	client_reply_done(&rep);
	return 0;
}

int
cli_report_error(long status, const cJSON *json)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(json, "error");
	const char *code, *msg;

	if (cli_opts.quiet)
		return CLI_EXIT_FAILED;
	code = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(err, "code"));
	msg = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(err, "message"));
	if (msg != NULL)
		fprintf(stderr, "supvisors-sched: %s\n", msg);
	else
		fprintf(stderr, "supvisors-sched: the daemon answered %ld\n",
			status);
	if (code != NULL && (strcmp(code, "BAD_NAME") == 0 ||
			     strcmp(code, "NOT_FOUND") == 0))
		return CLI_EXIT_UNKNOWN;
	if (code != NULL && strcmp(code, "BAD_REQUEST") == 0)
		return CLI_EXIT_USAGE;
	return status == 404 ? CLI_EXIT_UNKNOWN : CLI_EXIT_FAILED;
}

int
cli_get_json(const char *path, cJSON **ret)
{
	cJSON *json = NULL;
	long status;
	int rc;

	rc = cli_call("GET", path, NULL, &status, &json);
	if (rc != 0)
		return rc;
	if (status != 200 || !cJSON_IsObject(json)) {
		rc = cli_report_error(status, json);
		cJSON_Delete(json);
		return rc;
	}
	*ret = json;
	return 0;
}

int
cli_fetch(const char *path, cJSON **ret)
{
	cJSON *json = NULL;
	int rc = cli_get_json(path, &json);

	if (rc != 0)
		return rc;
	if (cli_opts.json) {
		cli_print_json(json);
		cJSON_Delete(json);
		json = NULL;
	}
	*ret = json;
	return 0;
}
