/* fs/ns/ns_ctl.c - what every control file shows of the last write the
 * mount refused (tapefs_refused(), fs/engine/tapefs.h): appended to the
 * file's text for the mount owner and root (fs/ops_ns.c). */
#include <time.h>

#include "fs/engine/tapefs.h"
#include "fs/ns/ns_local.h"

void ns_ctl_refusal_render(struct tapefs *fs, const char *file,
			   struct strbuf *out)
{
	struct tapefs_refusal r;
	struct tm tm;
	char t[32];

	if (!tapefs_refusal(fs, file, &r))
		return;
	localtime_r(&r.when, &tm);
	strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S", &tm);
	strbuf_addf(out, "refused: '%s' at %s\nreason: %s\n", r.req, t, r.why);
}
