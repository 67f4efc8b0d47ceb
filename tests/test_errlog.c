/* tests/test_errlog.c - the daemon's log (fs/engine/errlog.c) as stderr
 * shows it: values quoted only when they must be (names that are not
 * UTF-8 escaped), levels parsed and filtered, audit lines, a refused
 * request logged once with its file, request and reason (and the error
 * that gave the reason still kept for .status), an error of an accepted
 * request logged as an error, the terse stderr of a terminal. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "fs/engine/tapefs.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

/* ---- stderr into a file ------------------------------------------------- */

static int saved_fd = -1;
static char cap_path[512];

static void capture_begin(void)
{
	int fd;

	snprintf(cap_path, sizeof(cap_path), "%s/stderr.txt", fx_tmp());
	fd = open(cap_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	fflush(stderr);
	saved_fd = dup(2);
	dup2(fd, 2);
	close(fd);
}

/* What stderr got since capture_begin() (free it). */
static char *capture_end(void)
{
	fflush(stderr);
	dup2(saved_fd, 2);
	close(saved_fd);
	return fx_slurp(cap_path);
}

static void fs_init(struct tapefs *fs)
{
	memset(fs, 0, sizeof(*fs));
	pthread_mutex_init(&fs->errors.lock, NULL);
}

/* ---- tests ----------------------------------------------------------------
 */

static void test_quote(void)
{
	char b[64], small[8];

	CHECK_STR(tapefs_log_quote("A00001L9", b, sizeof(b)), "A00001L9");
	CHECK_STR(tapefs_log_quote("run7/f1", b, sizeof(b)), "run7/f1");
	CHECK_STR(tapefs_log_quote("", b, sizeof(b)), "\"\"");
	CHECK_STR(tapefs_log_quote(NULL, b, sizeof(b)), "\"\"");
	CHECK_STR(tapefs_log_quote("slot 3", b, sizeof(b)), "\"slot 3\"");
	CHECK_STR(tapefs_log_quote("a\"b\\c", b, sizeof(b)), "\"a\\\"b\\\\c\"");
	CHECK_STR(tapefs_log_quote("x\ny\t", b, sizeof(b)), "\"x\\x0ay\\x09\"");
	/* UTF-8 stays as it is; a byte that is not UTF-8 is escaped */
	CHECK_STR(tapefs_log_quote("caf\xc3\xa9", b, sizeof(b)), "caf\xc3\xa9");
	CHECK_STR(tapefs_log_quote("caf\xe9", b, sizeof(b)), "\"caf\\xe9\"");
	CHECK_STR(tapefs_log_quote("\xc0\xaf", b, sizeof(b)), "\"\\xc0\\xaf\"");
	CHECK_STR(tapefs_log_quote("\xed\xa0\x80", b, sizeof(b)),
		  "\"\\xed\\xa0\\x80\"");
	/* cut short, still quoted and terminated */
	tapefs_log_quote("a b c d e f g", small, sizeof(small));
	CHECK(strlen(small) < sizeof(small));
	CHECK(small[0] == '"' && small[strlen(small) - 1] == '"');
}

static void test_levels(void)
{
	CHECK_INT(tapefs_log_level_parse("err"), LOG_ERR);
	CHECK_INT(tapefs_log_level_parse("warning"), LOG_WARNING);
	CHECK_INT(tapefs_log_level_parse("notice"), LOG_NOTICE);
	CHECK_INT(tapefs_log_level_parse("info"), LOG_INFO);
	CHECK_INT(tapefs_log_level_parse("debug"), LOG_DEBUG);
	CHECK_INT(tapefs_log_level_parse("loud"), -1);
	CHECK_INT(tapefs_log_level_parse("ERR"), -1);
	for (int l = LOG_ERR; l <= LOG_DEBUG; l++)
		CHECK_INT(tapefs_log_level_parse(tapefs_log_level_name(l)), l);
}

/* A zeroed struct logs up to info; log_level warning drops notice (the
 * audit lines) and info. */
static void test_filter(void)
{
	struct tapefs fs;
	char *out;

	fs_init(&fs);
	capture_begin();
	tapefs_log(&fs, LOG_DEBUG, "a debug line");
	tapefs_log(&fs, LOG_INFO, "an info line");
	tapefs_audit(&fs, "dump committed", "archive=%d tapes=%s", 7,
		     "A00001L9:1,B00001L9:1");
	tapefs_log_set_level(&fs, LOG_WARNING);
	tapefs_audit(&fs, "recall served", "path=%s", "x");
	tapefs_log(&fs, LOG_WARNING, "a warning");
	tapefs_error(&fs, "an error\non two lines");
	out = capture_end();
	CHECK_STR(out, "tapefs: an info line\n"
		       "tapefs: dump committed: archive=7 "
		       "tapes=A00001L9:1,B00001L9:1\n"
		       "tapefs: a warning\n"
		       "tapefs: an error on two lines\n");
	free(out);
	pthread_mutex_destroy(&fs.errors.lock);
}

/* A refusal: one line with the file, the request and the first reason;
 * the error stays an error of .status. */
static void test_request(void)
{
	struct tapefs fs;
	char *out;

	fs_init(&fs);
	capture_begin();
	tapefs_request_begin();
	tapefs_error(&fs, ".dump: '%s' is not in staging/", "nonexist");
	tapefs_error(&fs, "a second error");
	tapefs_request_end(&fs, ".dump", "now /nonexist", -ENOENT);
	/* the provider keeps its reason itself */
	tapefs_request_begin();
	tapefs_request_reason(&fs, "unknown label '%s'", "NOPE");
	tapefs_request_end(&fs, ".verify", "tape NOPE", -EINVAL);
	/* no reason given: the errno's text */
	tapefs_request_begin();
	tapefs_request_end(&fs, "tapes/A00001L9/.ctl", "retire", -EBUSY);
	/* accepted, with an error on the way: an error line */
	tapefs_request_begin();
	tapefs_error(&fs, "inventory: changer busy");
	tapefs_request_end(&fs, ".library", "inventory", 0);
	/* outside a request, a reason is a warning of its own */
	tapefs_request_reason(&fs, "loose reason");
	out = capture_end();
	CHECK_STR(out, "tapefs: request refused: file=.dump request=\"now "
		       "/nonexist\" reason=\".dump: 'nonexist' is not in "
		       "staging/\"\n"
		       "tapefs: request refused: file=.verify request=\"tape "
		       "NOPE\" reason=\"unknown label 'NOPE'\"\n"
		       "tapefs: request refused: file=tapes/A00001L9/.ctl "
		       "request=retire reason=\"Device or resource busy\"\n"
		       "tapefs: inventory: changer busy\n"
		       "tapefs: loose reason\n");
	free(out);
	CHECK_INT(fs.errors.count, 3);
	CHECK_STR(fs.errors.last[0].msg,
		  ".dump: 'nonexist' is not in staging/");
	pthread_mutex_destroy(&fs.errors.lock);
}

/* Before the daemon leaves a terminal, stderr only takes warnings and
 * errors; quiet takes nothing. */
static void test_terse_quiet(void)
{
	struct tapefs fs;
	char *out;

	fs_init(&fs);
	fs.log.terse = 1;
	capture_begin();
	tapefs_progress(&fs, "library inventory");
	tapefs_audit(&fs, "mounted", "config=%s", "x.ini");
	tapefs_tape_refused(&fs, "A00001L9", "tape %s: label differs",
			    "A00001L9");
	fs.log.quiet = 1;
	tapefs_error(&fs, "not on stderr");
	out = capture_end();
	CHECK_STR(out, "tapefs: tape A00001L9: label differs\n");
	free(out);
	CHECK(tapefs_tape_refused_when(&fs, "A00001L9") > 0);
	CHECK_INT(fs.errors.count, 2);
	pthread_mutex_destroy(&fs.errors.lock);
}

static int progress_calls;
static char progress_last[128];

static void progress_hook(void *arg, const char *status)
{
	(void)arg;
	progress_calls++;
	snprintf(progress_last, sizeof(progress_last), "%s", status);
}

/* The progress reaches the service manager's hook even when the level
 * hides it from the log. */
static void test_progress(void)
{
	struct tapefs fs;
	char *out;

	fs_init(&fs);
	fs.log.progress = progress_hook;
	tapefs_log_set_level(&fs, LOG_ERR);
	capture_begin();
	tapefs_progress(&fs, "reading the label of %s", "A00001L9");
	out = capture_end();
	CHECK_STR(out, "");
	free(out);
	CHECK_INT(progress_calls, 1);
	CHECK_STR(progress_last, "reading the label of A00001L9");
	pthread_mutex_destroy(&fs.errors.lock);
}

int main(void)
{
	RUN(test_quote);
	RUN(test_levels);
	RUN(test_filter);
	RUN(test_request);
	RUN(test_terse_quiet);
	RUN(test_progress);
	return check_done();
}
