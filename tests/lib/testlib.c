/*
 * CUnit driver shared by every test program.  See testlib.h.
 */
#include "tests/lib/testlib.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[PATH_MAX];

static void
remove_tmpdir(void)
{
	char cmd[PATH_MAX + 16];

	if (tmpdir[0] == '\0' || getenv("TEST_KEEP_TMP") != NULL)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0) {
		/* best effort */
	}
}

const char *
test_tmpdir(void)
{
	if (tmpdir[0] == '\0') {
		const char *base = getenv("TMPDIR");

		snprintf(tmpdir, sizeof(tmpdir), "%s/supvisors-test.XXXXXX",
			 base && *base ? base : "/tmp");
		if (mkdtemp(tmpdir) == NULL) {
			perror("mkdtemp");
			exit(2);
		}
		atexit(remove_tmpdir);
	}
	return tmpdir;
}

const char *
test_build_dir(void)
{
	const char *b = getenv("BUILD");

	return b && *b ? b : "build";
}

const char *
test_fixture(const char *rel)
{
	static char slots[8][PATH_MAX];
	static unsigned next;
	char *p = slots[next++ % 8];
	char cwd[PATH_MAX];

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		cwd[0] = '\0';
	if (snprintf(p, PATH_MAX, "%s/tests/fixtures/%s", cwd, rel) >=
	    PATH_MAX) {
		fprintf(stderr, "fixture path too long: %s\n", rel);
		exit(2);
	}
	return p;
}

const char *
test_write_file(const char *dir, const char *name, const char *data)
{
	static char slots[8][PATH_MAX];
	static unsigned next;
	char *p = slots[next++ % 8];
	size_t len = strlen(data);
	int fd;

	if (snprintf(p, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX) {
		fprintf(stderr, "path too long: %s/%s\n", dir, name);
		exit(2);
	}
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		perror(p);
		exit(2);
	}
	close(fd);
	return p;
}

int
test_main(int argc, char **argv, const char *suite,
	  const struct test_case *cases, size_t n)
{
	CU_pSuite s;
	unsigned failed;
	size_t i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite(suite, NULL, NULL);
	if (s == NULL)
		return 2;
	for (i = 0; i < n; i++) {
		if (argc > 1 && strstr(cases[i].name, argv[1]) == NULL)
			continue;
		if (CU_add_test(s, cases[i].name, cases[i].fn) == NULL)
			return 2;
	}
	CU_basic_set_mode(getenv("TEST_VERBOSE") ? CU_BRM_VERBOSE
						 : CU_BRM_NORMAL);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
