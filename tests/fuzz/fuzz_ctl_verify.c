/* tests/fuzz/fuzz_ctl_verify.c - the request grammar of `.verify`
 * (fs/engine/verify.h: verify_parse()), as any user with write access to
 * the control file may write it. What parses is one request of the
 * grammar: a percentage 1-100, 1 to 256 distinct labels that are strings;
 * what does not is -EINVAL with a reason. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/engine/verify.h"
#include "tests/fuzz/fuzz.h"

static struct verify_req q; /* 10 KiB: not on the stack */

static void check_req(void)
{
	FUZZ_ASSERT(q.kind >= VERIFY_ALL && q.kind <= VERIFY_CANCEL);
	FUZZ_ASSERT(q.kind != VERIFY_SAMPLE || (q.pct >= 1 && q.pct <= 100));
	if (q.kind != VERIFY_TAPE) {
		FUZZ_ASSERT(q.nlabels == 0);
		return;
	}
	FUZZ_ASSERT(q.nlabels >= 1 && q.nlabels <= 256);
	for (int i = 0; i < q.nlabels; i++) {
		FUZZ_ASSERT(memchr(q.labels[i], 0, sizeof(q.labels[i])));
		FUZZ_ASSERT(q.labels[i][0] && !strpbrk(q.labels[i], " \t\r\n"));
		for (int j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(q.labels[i], q.labels[j]));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_cstr(data, size), why[256] = "";
	int ret = verify_parse(line, &q, why, sizeof(why));

	if (ret == 0)
		check_req();
	else
		FUZZ_ASSERT(ret == -EINVAL && why[0] &&
			    memchr(why, 0, sizeof(why)));
	free(line);
	return 0;
}
