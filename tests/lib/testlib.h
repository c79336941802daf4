/*
 * A thin layer over CUnit so that each tests/test_<module>.c is one
 * program: it lists its cases in a table and calls test_main().  One
 * process per module keeps a crash in one module's tests from hiding the
 * others, as libuv's runner does per test.
 *
 *   static const struct test_case cases[] = {
 *           {"parse durations", test_durations},
 *           ...
 *   };
 *   int main(int argc, char **argv)
 *   { return test_main(argc, argv, "util", cases, ARRAY_SIZE(cases)); }
 *
 * An argument runs only the cases whose name contains it.
 * Assertions print both values (ASSERT_INT_EQ, ASSERT_STR_EQ).
 */
#ifndef TESTS_TESTLIB_H
#define TESTS_TESTLIB_H

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

struct test_case {
	const char *name;
	void (*fn)(void);
};

int test_main(int argc, char **argv, const char *suite,
	      const struct test_case *cases, size_t n);

/* Directory of the build (for helper programs): $BUILD or "build". */
const char *test_build_dir(void);
/* Absolute path of a fixture under tests/fixtures/. */
const char *test_fixture(const char *rel);
/* A fresh temporary directory, removed at exit. */
const char *test_tmpdir(void);
/* Write DATA to DIR/NAME (creating DIR's parents is the caller's job);
 * returns the path (static storage rotated over 8 slots). */
const char *test_write_file(const char *dir, const char *name,
			    const char *data);

#define ASSERT_INT_EQ(a, b)                                                    \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_) {                                                \
			char m_[256];                                          \
			snprintf(m_, sizeof(m_), "%s == %s (%lld != %lld)",    \
				 #a, #b, a_, b_);                              \
			CU_assertImplementation(CU_FALSE, __LINE__, m_,        \
						__FILE__, "", CU_FALSE);       \
		} else {                                                       \
			CU_PASS(#a " == " #b);                                 \
		}                                                              \
	} while (0)

#define ASSERT_STR_EQ(a, b)                                                    \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {         \
			char m_[1024];                                         \
			snprintf(m_, sizeof(m_), "%s == %s (\"%s\" != \"%s\")", \
				 #a, #b, a_ ? a_ : "(null)",                   \
				 b_ ? b_ : "(null)");                          \
			CU_assertImplementation(CU_FALSE, __LINE__, m_,        \
						__FILE__, "", CU_FALSE);       \
		} else {                                                       \
			CU_PASS(#a " == " #b);                                 \
		}                                                              \
	} while (0)

#define ASSERT_TRUE(x) CU_ASSERT_TRUE(x)
#define ASSERT_FALSE(x) CU_ASSERT_FALSE(x)
#define ASSERT_NULL(x) CU_ASSERT_PTR_NULL(x)
#define ASSERT_NOT_NULL(x) CU_ASSERT_PTR_NOT_NULL_FATAL(x)
#define ASSERT_DOUBLE_EQ(a, b, eps) CU_ASSERT_DOUBLE_EQUAL(a, b, eps)

#endif
