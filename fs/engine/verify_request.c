/* fs/engine/verify_request.c - the request grammar of `.verify`: one line
 * becomes a struct verify_req, or a refusal with its reason
 * (fs/engine/verify.h has the grammar). Labels are not looked up here: the
 * plan (verify_plan.c) does that.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/engine/verify_int.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Split line into words (in place in buf). Returns the count or -1 when
 * there are more than max. */
static int split_words(char *buf, char **w, int max)
{
	int n = 0;
	char *p = buf;

	for (;;) {
		while (is_blank(*p))
			p++;
		if (!*p)
			return n;
		if (n == max)
			return -1;
		w[n++] = p;
		while (*p && !is_blank(*p))
			p++;
		if (*p)
			*p++ = 0;
	}
}

static int parse_pct(const char *s, int *out)
{
	int v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1000)
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	if (v < 1 || v > 100)
		return -ERANGE;
	*out = v;
	return 0;
}

/* The labels of `tape LABEL...`, without repeats. */
static int parse_labels(char **w, int n, struct verify_req *q, char *why,
			size_t whylen)
{
	if (n < 1) {
		snprintf(why, whylen, "'tape' needs at least one label");
		return -EINVAL;
	}
	q->kind = VERIFY_TAPE;
	for (int i = 0; i < n; i++) {
		int dup = 0;

		if (strlen(w[i]) >= sizeof(q->labels[0])) {
			snprintf(why, whylen,
				 "unknown label '%.40s...' (too long)", w[i]);
			return -EINVAL;
		}
		for (int j = 0; j < q->nlabels; j++)
			dup |= !strcmp(q->labels[j], w[i]);
		if (!dup)
			strcpy(q->labels[q->nlabels++], w[i]);
	}
	return 0;
}

/* The request of words w[0..n), n >= 1. 0 or -EINVAL with the reason. */
static int parse_words(char **w, int n, struct verify_req *q, char *why,
		       size_t whylen)
{
	if (!strcmp(w[0], "all") || !strcmp(w[0], "unverified") ||
	    !strcmp(w[0], "cancel")) {
		if (n > 1) {
			snprintf(why, whylen, "'%s' takes no argument", w[0]);
			return -EINVAL;
		}
		q->kind = w[0][0] == 'a'   ? VERIFY_ALL
			  : w[0][0] == 'u' ? VERIFY_UNVERIFIED
					   : VERIFY_CANCEL;
		return 0;
	}
	if (!strcmp(w[0], "sample")) {
		if (n != 2) {
			snprintf(
			    why, whylen,
			    "'sample' takes one number, a percentage 1-100");
			return -EINVAL;
		}
		if (parse_pct(w[1], &q->pct)) {
			snprintf(why, whylen,
				 "sample: '%.16s%s' is not a percentage 1-100",
				 w[1], strlen(w[1]) > 16 ? "..." : "");
			return -EINVAL;
		}
		q->kind = VERIFY_SAMPLE;
		return 0;
	}
	if (!strcmp(w[0], "tape"))
		return parse_labels(w + 1, n - 1, q, why, whylen);
	snprintf(why, whylen, "unknown request '%.40s%s'", w[0],
		 strlen(w[0]) > 40 ? "..." : "");
	return -EINVAL;
}

/* A line no request may be: too long, or holding control characters. */
static int line_check(const char *line, size_t len, char *why, size_t whylen)
{
	if (len > VERIFY_LINE_MAX) {
		snprintf(why, whylen, "request too long (%zu bytes)", len);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && !is_blank((char)c)) || c == 0x7f) {
			snprintf(why, whylen,
				 "request holds a control character (byte %zu)",
				 i);
			return -EINVAL;
		}
	}
	return 0;
}

int verify_parse(const char *line, struct verify_req *q, char *why,
		 size_t whylen)
{
	char *buf = NULL, **w = NULL;
	int n, ret;

	memset(q, 0, sizeof(*q));
	ret = line_check(line, strlen(line), why, whylen);
	if (ret)
		return ret;
	buf = strdup(line);
	w = calloc(VERIFY_LABELS_MAX + 2, sizeof(*w));
	if (!buf || !w) {
		ret = -ENOMEM;
		snprintf(why, whylen, "out of memory");
		goto out_free;
	}
	ret = -EINVAL;
	n = split_words(buf, w, VERIFY_LABELS_MAX + 1);
	if (n == 0)
		snprintf(why, whylen, "empty request");
	else if (n < 0)
		snprintf(why, whylen, "too many words (at most %d labels)",
			 VERIFY_LABELS_MAX);
	else
		ret = parse_words(w, n, q, why, whylen);
out_free:
	free(w);
	free(buf);
	return ret;
}
