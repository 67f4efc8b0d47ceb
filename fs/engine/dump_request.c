/* fs/engine/dump_request.c - the lines written to `.dump` (dump_request(),
 * dump.h): checked, then queued for the engine's thread, which serves
 * them in order. A refusal answers the write with -errno and keeps its
 * reason as last_error for `.dump` and `.status`. dump_request_check()
 * checks a line the same way without acting or keeping anything.
 *
 * A PATH is looked at beneath the staging root without following a
 * symlink at any component (dump_staged.c): `now proj/data` where proj is
 * a symlink is refused with -ELOOP, whatever it points to. (PATH itself
 * may be a symlink: the link is what is dumped.) The dump looks again
 * the same way when it runs, so a symlink planted after the request
 * fails the dump, never redirects it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/engine/dump_int.h"
#include "fs/engine/tapefs.h"

/* Refuse a request: its reason is last_error. Returns err. */
static int refuse(struct dump *d, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(struct dump *d, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dump_error_vnote(d, ".dump", fmt, ap);
	va_end(ap);
	return err;
}

/* Normalise PATH of "now PATH" in place (no leading '/' or "staging/", no
 * trailing '/') and check it: 0 or -EINVAL with the reason in why. */
static int path_norm(char *p, char *why, size_t whylen)
{
	char *s = p;
	size_t n;

	while (*s == '/')
		s++;
	if (!strncmp(s, "staging/", 8))
		s += 8;
	else if (!strcmp(s, "staging"))
		s += 7;
	memmove(p, s, strlen(s) + 1);
	n = strlen(p);
	while (n && p[n - 1] == '/')
		p[--n] = 0;
	if (n >= PATH_MAX) {
		snprintf(why, whylen, "path too long (%zu bytes)", n);
		return -EINVAL;
	}
	for (char *c = p; *c;) {
		char *e = strchr(c, '/');
		size_t len = e ? (size_t)(e - c) : strlen(c);
		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.')) {
			snprintf(why, whylen,
				 "bad path '%.200s': empty, '.' or '..' "
				 "component",
				 p);
			return -EINVAL;
		}
		if (len > NAME_MAX) {
			snprintf(why, whylen, "bad path: a name over %d bytes",
				 NAME_MAX);
			return -EINVAL;
		}
		c = e ? e + 1 : c + len;
	}
	return 0;
}

/* path_norm(), the reason kept as a refusal. */
static int path_check(struct dump *d, char *p)
{
	char why[320];
	int ret = path_norm(p, why, sizeof(why));

	return ret ? refuse(d, ret, "%s", why) : 0;
}

/* Queue a dump of path (NULL: everything) to target t (NULL: the
 * configuration's pools). 0 or -ENOMEM. */
static int request_queue(struct dump *d, const char *path,
			 const struct dump_target *t)
{
	struct dump_req *r, **pp;

	r = calloc(1, sizeof(*r));
	if (!r || (path && !(r->path = strdup(path)))) {
		free(r);
		return -ENOMEM;
	}
	if (t)
		r->target = *t;
	pthread_mutex_lock(&d->mu);
	for (pp = &d->reqs; *pp; pp = &(*pp)->next)
		;
	*pp = r;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	return 0;
}

void dump_requests_free(struct dump *d)
{
	while (d->reqs) {
		struct dump_req *r = d->reqs;
		d->reqs = r->next;
		free(r->path);
		free(r);
	}
}

/* Queue "now p/nm" when nm is a subdirectory of fd (the directory p).
 * 1 when queued, 0 when nm is no directory, or -errno. */
static int each_one(struct dump *d, int fd, const char *p, const char *nm)
{
	char sub[PATH_MAX];
	struct stat st;
	int ret;

	if (!strcmp(nm, ".") || !strcmp(nm, "..") ||
	    fstatat(fd, nm, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISDIR(st.st_mode))
		return 0;
	if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", p, *p ? "/" : "",
			     nm) >= sizeof(sub))
		return refuse(d, -EINVAL, "each: path too long");
	ret = request_queue(d, sub, NULL);
	return ret < 0 ? ret : 1;
}

/* "each PATH": one queued dump per immediate subdirectory of PATH, in
 * name order. */
static int request_each(struct dump *d, char *p)
{
	struct dirent **names = NULL;
	int fd, n, queued = 0, ret;

	ret = path_check(d, p);
	if (ret)
		return ret;
	fd = dump_staged_opendir(d, p);
	if (fd == -ELOOP)
		return refuse(d, -ELOOP,
			      "each: '%s': a symlink is on its way in staging/ "
			      "(symlinks are never followed)",
			      p);
	if (fd < 0)
		return refuse(d, fd == -ENOTDIR ? -ENOTDIR : -ENOENT,
			      "each: '%s' is not a directory in staging/", p);
	n = scandirat(fd, ".", &names, NULL, alphasort);
	if (n < 0) {
		ret = refuse(d, -errno, "each: cannot list '%s': %s", p,
			     strerror(errno));
		goto out_close;
	}
	for (int i = 0; i < n; i++) {
		if (ret >= 0) {
			ret = each_one(d, fd, p, names[i]->d_name);
			queued += ret > 0;
		}
		free(names[i]);
	}
	free(names);
	ret = ret < 0 ? ret : 0;
	if (!ret && !queued)
		ret = refuse(d, -ENODATA, "each: '%s' has no subdirectory", p);
out_close:
	close(fd);
	return ret;
}

/* "resume": dumps paused after failures go on. */
static int request_resume(struct dump *d)
{
	pthread_mutex_lock(&d->mu);
	d->paused = 0;
	d->fails = 0;
	d->wait_until = 0;
	d->retry_after = 0;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	return 0;
}

/* "now" (path NULL) or "now PATH" (to target t, may be NULL): queued,
 * unless there is nothing at all to dump. */
static int request_now(struct dump *d, const char *path,
		       const struct dump_target *t)
{
	int none;

	pthread_mutex_lock(&d->mu);
	none = !path && !d->dirty && !d->running && d->staged_files == 0 &&
	       d->pending_entries == 0 && d->nwriters == 0 &&
	       d->elig_files == 0;
	pthread_mutex_unlock(&d->mu);
	if (none)
		return refuse(d, -ENODATA, "nothing staged to dump");
	return request_queue(d, path, t);
}

/* "now [to LABEL,...|pool POOL,...] PATH": the target parsed, PATH
 * checked and normalised in place ("" or "/" is the whole of staging/),
 * the target checked against what PATH holds, then queued. */
static int request_now_path(struct dump *d, char *arg)
{
	struct dump_target t;
	char why[320];
	struct stat st;
	int ret;

	if (!*arg)
		return refuse(d, -EINVAL,
			      "'now ' without a path; usage: now | now PATH");
	ret = dump_target_parse(&arg, &t, d->fs->cfg.copies, why, sizeof(why));
	if (ret)
		return refuse(d, ret, "%s", why);
	ret = path_check(d, arg);
	if (ret)
		return ret;
	if (!arg[0] && t.kind != DUMP_TARGET_NONE)
		return refuse(d, -EINVAL,
			      "a tape or pool is named for a PATH under "
			      "staging/, not for all of it");
	if (!arg[0])
		return request_now(d, NULL, NULL);
	ret = dump_staged_lstat(d, arg, &st);
	if (ret == -ELOOP)
		return refuse(d, -ELOOP,
			      "'%s': a symlink is on its way in staging/ "
			      "(symlinks are never followed)",
			      arg);
	if (ret == -ENOTDIR)
		return refuse(d, -ENOTDIR,
			      "'%s': a file is on its way in staging/ where a "
			      "directory was expected",
			      arg);
	if (ret < 0)
		return refuse(d, -ENOENT, "'%s' is not in staging/", arg);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) &&
	    !S_ISLNK(st.st_mode))
		return refuse(
		    d, -EINVAL,
		    "'%s' is neither a file, a directory nor a symlink", arg);
	if (dump_large_is(d, &st))
		return refuse(d, -EFBIG,
			      "'%s' (%llu bytes) is larger than any tape takes "
			      "(too_large): it stays staged",
			      arg, (unsigned long long)st.st_size);
	ret = dump_target_check(d, &t, arg, why, sizeof(why));
	if (ret)
		return refuse(d, ret, "now %s: %s", arg, why);
	return request_now(d, arg, &t);
}

static int request_unknown(struct dump *d, const char *buf)
{
	char shown[64];
	size_t k;

	for (k = 0; k < sizeof(shown) - 1 && buf[k]; k++)
		shown[k] = (buf[k] < 0x20 || buf[k] == 0x7f) ? '?' : buf[k];
	shown[k] = 0;
	return refuse(d, -EINVAL,
		      "unknown request '%s%s'; usage: now | now [to LABEL,...|"
		      "pool POOL,...] PATH | each "
		      "PATH | resume",
		      shown, buf[k] ? "..." : "");
}

/* PATH of "now PATH" or "each PATH" (normalised) is in staging/ and, for
 * each (dir set), a directory. */
static int path_there(struct dump *d, const char *p, int dir, char *why,
		      size_t whylen)
{
	struct stat st;

	int ret;

	if (!*p)
		return 0; /* staging/ itself */
	ret = dump_staged_lstat(d, p, &st);
	if (ret == -ELOOP) {
		snprintf(why, whylen,
			 "'%.200s': a symlink is on its way in staging/ "
			 "(symlinks are never followed)",
			 p);
		return -ELOOP;
	}
	if (ret == -ENOTDIR) {
		snprintf(why, whylen,
			 "'%.200s': a file is on its way in staging/ where a "
			 "directory was expected",
			 p);
		return -ENOTDIR;
	}
	if (ret < 0) {
		snprintf(why, whylen, "'%.200s' is not in staging/", p);
		return -ENOENT;
	}
	if (dir && !S_ISDIR(st.st_mode)) {
		snprintf(why, whylen,
			 "each: '%.200s' is not a directory in staging/", p);
		return -ENOTDIR;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) &&
	    !S_ISLNK(st.st_mode)) {
		snprintf(why, whylen,
			 "'%.200s' is neither a file, a directory nor a "
			 "symlink",
			 p);
		return -EINVAL;
	}
	return 0;
}

int dump_request_check(struct dump *d, const char *line, char *why,
		       size_t whylen)
{
	struct dump_target t;
	char *buf, *arg;
	size_t n = strlen(line);
	int ret = -EINVAL;

	if (!d)
		return -ENODEV;
	if (n > PATH_MAX + 16) {
		snprintf(why, whylen, "request too long (%zu bytes)", n);
		return -EINVAL;
	}
	buf = strdup(line);
	if (!buf)
		return -ENOMEM;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = 0;
	arg = !strncmp(buf, "now ", 4)	  ? buf + 4
	      : !strncmp(buf, "each ", 5) ? buf + 5
					  : NULL;
	if (!strcmp(buf, "resume") || !strcmp(buf, "now"))
		ret = 0;
	else if (!arg)
		snprintf(why, whylen,
			 "unknown request; usage: now | now [to LABEL,...|pool "
			 "POOL,...] PATH | each PATH "
			 "| resume");
	else if (!*arg)
		snprintf(why, whylen, "'%.5s' without a path", buf);
	else if (buf[0] == 'n' &&
		 (ret = dump_target_parse(&arg, &t, d->fs->cfg.copies, why,
					  whylen)))
		; /* why says it */
	else if (!(ret = path_norm(arg, why, whylen)))
		ret = path_there(d, arg, buf[0] == 'e', why, whylen);
	free(buf);
	return ret;
}

int dump_request(struct dump *d, const char *line)
{
	char *buf;
	size_t n;
	int ret;

	if (!d)
		return -ENODEV;
	n = strlen(line);
	if (n > PATH_MAX + 16)
		return refuse(
		    d, -EINVAL,
		    "request too long (%zu bytes); usage: now | now PATH", n);
	buf = strdup(line);
	if (!buf)
		return -ENOMEM;
	if (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	if (n && buf[n - 1] == '\r')
		buf[--n] = 0;
	if (!strcmp(buf, "resume"))
		ret = request_resume(d);
	else if (!strncmp(buf, "each ", 5))
		ret = request_each(d, buf + 5);
	else if (!strcmp(buf, "now"))
		ret = request_now(d, NULL, NULL);
	else if (!strncmp(buf, "now ", 4))
		ret = request_now_path(d, buf + 4);
	else
		ret = request_unknown(d, buf);
	free(buf);
	return ret;
}
