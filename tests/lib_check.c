/* tests/lib_check.c - the pass and fail counters of tests/check.h: one
 * pair per test binary, shared by the test and the fixtures it calls. */
#include "tests/check.h"

int check_passed, check_failed;
