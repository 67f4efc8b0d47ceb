/* fs/engine/errlog.c - the daemon's log and its error log.
 *
 * tapefs_error(): the last errors of every engine, kept for the "errors:"
 * lines of .status (rendered by fs/ns/status.c), and the tapes refused
 * among them. Every line also goes to the log: syslog(3) once the mount
 * opened it (journald reads /dev/log), and stderr. Audit lines
 * (tapefs_audit()) say what an operator must find afterwards; a request
 * written to a control file and refused is logged once with its reason
 * (tapefs_request_begin/end()).
 *
 * syslog(3) rather than sd_journal_send(): it reaches journald and every
 * other syslog daemon alike, and a test can read it from a socket of its
 * own at /dev/log. The fields an operator greps for are in the text:
 * "KIND: key=value ...".
 *
 * A leaf: it calls nothing of the engines or the namespace.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include "fs/engine/tapefs.h"

#define LOG_LINE_MAX 2048

/* The request the calling thread serves (tapefs_request_begin()): its
 * first reason, and whether one is kept. */
static __thread struct {
	int active;
	char reason[512];
} req;

/* ---- levels -------------------------------------------------------------- */

static const struct {
	const char *name;
	int prio;
} levels[] = {
    {"err", LOG_ERR},	{"warning", LOG_WARNING}, {"notice", LOG_NOTICE},
    {"info", LOG_INFO}, {"debug", LOG_DEBUG},
};

int tapefs_log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (!strcmp(name, levels[i].name))
			return levels[i].prio;
	return -1;
}

const char *tapefs_log_level_name(int level)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (levels[i].prio == level)
			return levels[i].name;
	return "info";
}

void tapefs_log_set_level(struct tapefs *fs, int level)
{
	__atomic_store_n(&fs->log.level, level, __ATOMIC_RELAXED);
}

/* ---- the log ---------------------------------------------------------------
 */

/* Whether stderr is the journal's stream (systemd sets JOURNAL_STREAM to
 * "DEV:INODE" of the stream it gave the service). */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(2, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void tapefs_log_open(struct tapefs *fs, int to_stderr)
{
	openlog("tapefs", LOG_PID, LOG_DAEMON);
	fs->log.syslog = 1;
	fs->log.quiet = !to_stderr || stderr_is_journal();
}

void tapefs_log_close(struct tapefs *fs)
{
	if (fs->log.syslog)
		closelog();
	fs->log.syslog = 0;
}

static void log_line(struct tapefs *fs, int prio, const char *msg)
{
	int level = fs ? __atomic_load_n(&fs->log.level, __ATOMIC_RELAXED) : 0;

	if (prio > (level ? level : LOG_INFO))
		return;
	if (fs && fs->log.syslog)
		syslog(prio, "%s", msg);
	if (!fs || (!fs->log.quiet && (!fs->log.terse || prio <= LOG_WARNING)))
		fprintf(stderr, "tapefs: %s\n", msg);
}

/* fmt into msg on one line. */
static void format_line(char *msg, size_t len, const char *fmt, va_list ap)
{
	vsnprintf(msg, len, fmt, ap);
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

void tapefs_log(struct tapefs *fs, int prio, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	format_line(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_line(fs, prio, msg);
}

void tapefs_audit(struct tapefs *fs, const char *kind, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	int n = snprintf(msg, sizeof(msg), "%s: ", kind);
	va_list ap;

	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	format_line(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	log_line(fs, LOG_NOTICE, msg);
}

void tapefs_progress(struct tapefs *fs, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	format_line(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_line(fs, LOG_INFO, msg);
	if (fs->log.progress)
		fs->log.progress(fs->log.progress_arg, msg);
}

/* ---- values ----------------------------------------------------------------
 */

/* Length of the valid UTF-8 sequence of 2 to 4 bytes at p, or 0. */
static size_t utf8_seq(const unsigned char *p)
{
	size_t n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
	unsigned cp = p[0] & (0x7f >> n);

	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static int needs_quotes(const unsigned char *p)
{
	if (!*p)
		return 1;
	for (; *p; p++) {
		size_t n = *p >= 0x80 ? utf8_seq(p) : 1;

		if (!n || *p <= ' ' || *p == '"' || *p == '\\' || *p == 0x7f)
			return 1;
		p += n - 1;
	}
	return 0;
}

const char *tapefs_log_quote(const char *s, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t o = 0;

	if (!len)
		return buf;
	if (!needs_quotes(p)) {
		snprintf(buf, len, "%s", (const char *)p);
		return buf;
	}
	/* room for the closing quote and the NUL is kept at every step */
	if (len >= 3)
		buf[o++] = '"';
	for (; *p && o + 6 < len; p++) {
		size_t n = *p >= 0x80 ? utf8_seq(p) : 1;

		if (*p == '"' || *p == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)*p;
		} else if (!n || *p < ' ' || *p == 0x7f) {
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", *p);
		} else if (o + n + 2 < len) {
			memcpy(buf + o, p, n);
			o += n;
			p += n - 1;
		} else {
			break;
		}
	}
	if (o && o + 1 < len)
		buf[o++] = '"';
	buf[o] = 0;
	return buf;
}

/* ---- errors, and the requests they refuse ------------------------------- */

static void errlog_add(struct tapefs *fs, const char *barcode, const char *fmt,
		       va_list ap)
{
	struct tapefs_errlog *log = &fs->errors;
	time_t now = time(NULL);
	char msg[256];

	format_line(msg, sizeof(msg), fmt, ap);
	pthread_mutex_lock(&log->lock);
	log->last[log->count % TAPEFS_ERRORS_KEPT].when = now;
	memcpy(log->last[log->count % TAPEFS_ERRORS_KEPT].msg, msg,
	       sizeof(msg));
	log->count++;
	if (barcode) {
		uint64_t i = log->nrefused++ % TAPEFS_REFUSED_KEPT;

		log->refused[i].when = now;
		snprintf(log->refused[i].barcode,
			 sizeof(log->refused[i].barcode), "%s", barcode);
	}
	pthread_mutex_unlock(&log->lock);
	if (req.active) {
		if (!req.reason[0])
			snprintf(req.reason, sizeof(req.reason), "%s", msg);
		return; /* logged with the request's end */
	}
	log_line(fs, barcode ? LOG_WARNING : LOG_ERR, msg);
}

void tapefs_error(struct tapefs *fs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errlog_add(fs, NULL, fmt, ap);
	va_end(ap);
}

void tapefs_tape_refused(struct tapefs *fs, const char *barcode,
			 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errlog_add(fs, barcode ? barcode : "", fmt, ap);
	va_end(ap);
}

time_t tapefs_tape_refused_when(struct tapefs *fs, const char *barcode)
{
	struct tapefs_errlog *log = &fs->errors;
	time_t when = 0;
	uint64_t n;

	pthread_mutex_lock(&log->lock);
	n = log->nrefused < TAPEFS_REFUSED_KEPT ? log->nrefused
						: TAPEFS_REFUSED_KEPT;
	for (uint64_t i = 0; i < n; i++)
		if (!strcmp(log->refused[i].barcode, barcode) &&
		    log->refused[i].when > when)
			when = log->refused[i].when;
	pthread_mutex_unlock(&log->lock);
	return when;
}

void tapefs_request_begin(void)
{
	req.active = 1;
	req.reason[0] = 0;
}

void tapefs_request_end(struct tapefs *fs, const char *file, const char *line,
			int ret)
{
	char qf[256], ql[600], qr[1100];

	req.active = 0;
	if (!ret) {
		if (req.reason[0]) /* an error, but not a refusal */
			log_line(fs, LOG_ERR, req.reason);
		return;
	}
	tapefs_log(
	    fs, LOG_WARNING, "request refused: file=%s request=%s reason=%s",
	    tapefs_log_quote(file, qf, sizeof(qf)),
	    tapefs_log_quote(line, ql, sizeof(ql)),
	    tapefs_log_quote(req.reason[0] ? req.reason
					   : strerror(ret < 0 ? -ret : ret),
			     qr, sizeof(qr)));
}

void tapefs_request_reason(struct tapefs *fs, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	format_line(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!req.active) {
		log_line(fs, LOG_WARNING, msg);
		return;
	}
	if (!req.reason[0])
		snprintf(req.reason, sizeof(req.reason), "%s", msg);
}
