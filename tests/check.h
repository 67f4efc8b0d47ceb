/* tests/check.h - the unit test harness.
 *
 * Each assertion counts one pass or one failure and goes on; a test binary
 * ends with `return check_done();`, which prints "N passed, N failed" (the
 * line tests/run sums) and returns non-zero when anything failed. The two
 * counters live in tests/lib_check.c, linked into every test binary with
 * the fixtures (tests/lib_fixture.c), whose own checks count in them too.
 */
#ifndef TAPEFS_CHECK_H
#define TAPEFS_CHECK_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern int check_passed, check_failed;

static inline void check_result(int ok, const char *file, int line,
				const char *expr, const char *detail)
{
	if (ok) {
		check_passed++;
		return;
	}
	check_failed++;
	fprintf(stderr, "not ok %s:%d: %s%s%s\n", file, line, expr,
		detail ? " -- " : "", detail ? detail : "");
}

#define CHECK(cond) check_result(!!(cond), __FILE__, __LINE__, #cond, NULL)

#define CHECK_INT(a, b)                                                        \
	do {                                                                   \
		long long check_a_ = (long long)(a),                           \
			  check_b_ = (long long)(b);                           \
		char check_d_[96];                                             \
		snprintf(check_d_, sizeof(check_d_), "%lld != %lld", check_a_, \
			 check_b_);                                            \
		check_result(check_a_ == check_b_, __FILE__, __LINE__,         \
			     #a " == " #b, check_d_);                          \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *check_a_ = (a), *check_b_ = (b);                   \
		int check_ok_ =                                                \
		    check_a_ && check_b_ && strcmp(check_a_, check_b_) == 0;   \
		char check_d_[512];                                            \
		snprintf(check_d_, sizeof(check_d_), "\"%s\" != \"%s\"",       \
			 check_a_ ? check_a_ : "(null)",                       \
			 check_b_ ? check_b_ : "(null)");                      \
		check_result(check_ok_, __FILE__, __LINE__, #a " == " #b,      \
			     check_d_);                                        \
	} while (0)

#define CHECK_MEM(a, b, n)                                                     \
	check_result(memcmp((a), (b), (n)) == 0, __FILE__, __LINE__,           \
		     "memcmp(" #a ", " #b ", " #n ") == 0", NULL)

/* Run one test function and label its failures. */
#define RUN(fn)                                                                \
	do {                                                                   \
		int check_f0_ = check_failed;                                  \
		fn();                                                          \
		fprintf(stderr, "%s %s\n",                                     \
			check_failed == check_f0_ ? "ok  " : "FAIL", #fn);     \
	} while (0)

static inline int check_done(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	fflush(stdout);
	return check_failed ? 1 : 0;
}

#endif
