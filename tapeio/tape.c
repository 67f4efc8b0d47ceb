/* tapeio/tape.c - backend choice and the thin dispatchers of tape.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tapeio/st.h"
#include "tapeio/tape.h"
#include "tapeio/vtape.h"

const struct tape_ops *tape_backend(const char *name)
{
	if (!name)
		return NULL;
	if (strcmp(name, "vtape") == 0)
		return &vtape_ops;
	if (strcmp(name, "st") == 0)
		return &st_ops;
	return NULL;
}

int tape_open(struct tape **out, const struct tape_ops *ops, const char *dev,
	      int mode)
{
	struct tape *t;
	int ret;

	if (!ops || !dev || (mode != TAPE_RDONLY && mode != TAPE_RDWR))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->ops = ops;
	t->mode = mode;
	t->dev = strdup(dev);
	if (!t->dev) {
		ret = -ENOMEM;
		goto out_free;
	}
	ret = ops->open(t, dev, mode);
	if (ret < 0)
		goto out_free;
	*out = t;
	return 0;

out_free:
	free(t->dev);
	free(t);
	return ret;
}

int tape_close(struct tape *t)
{
	int ret;

	if (!t)
		return 0;
	ret = t->ops->close(t);
	free(t->dev);
	free(t);
	return ret;
}

ssize_t tape_read(struct tape *t, void *buf, size_t len)
{
	return t->ops->read(t, buf, len);
}

ssize_t tape_write(struct tape *t, const void *buf, size_t len)
{
	return t->ops->write(t, buf, len);
}

int tape_weof(struct tape *t, unsigned count)
{
	return t->ops->weof(t, count);
}

int tape_fsf(struct tape *t, unsigned count)
{
	return t->ops->fsf(t, count);
}

int tape_bsf(struct tape *t, unsigned count)
{
	return t->ops->bsf(t, count);
}

int tape_fsr(struct tape *t, unsigned count)
{
	return t->ops->fsr(t, count);
}

int tape_bsr(struct tape *t, unsigned count)
{
	return t->ops->bsr(t, count);
}

int tape_rewind(struct tape *t)
{
	return t->ops->rewind(t);
}

int tape_eom(struct tape *t)
{
	return t->ops->eom(t);
}

int tape_locate(struct tape *t, uint64_t lblock)
{
	return t->ops->locate(t, lblock);
}

int tape_tell(struct tape *t, uint64_t *lblock)
{
	return t->ops->tell(t, lblock);
}

int tape_status(struct tape *t, struct tape_status *st)
{
	return t->ops->status(t, st);
}

int tape_space(struct tape *t, struct tape_space *sp)
{
	if (!t->ops->space)
		return -EOPNOTSUPP;
	return t->ops->space(t, sp);
}

int tape_counters(struct tape *t, struct tape_counters *c)
{
	return t->ops->counters(t, c);
}

int tape_offline(struct tape *t)
{
	return t->ops->offline(t);
}

/* Relative spacing from where the drive says it is, as an operator would
 * with mt: forward with fsf, backward with bsf + fsf (bsf stops on the BOT
 * side of the filemark), to file 0 by rewind. When the position is unknown,
 * rewind first. */
int tape_goto_file(struct tape *t, unsigned fileno)
{
	struct tape_status st;
	int ret;

	if (fileno == 0)
		return tape_rewind(t);
	ret = tape_status(t, &st);
	if (ret < 0)
		return ret;
	if (st.file < 0 || st.block < 0) {
		ret = tape_rewind(t);
		if (ret < 0)
			return ret;
		return tape_fsf(t, fileno);
	}
	if ((unsigned long)st.file == fileno && st.block == 0)
		return 0;
	if ((unsigned long)st.file < fileno)
		return tape_fsf(t, fileno - (unsigned)st.file);
	ret = tape_bsf(t, (unsigned)st.file - fileno + 1);
	if (ret < 0)
		return ret;
	return tape_fsf(t, 1);
}

/* End of data is known to st only once a read has met it (blank check:
 * -EIO, then MTIOCGET says EOD); vtape knows it at once. */
int tape_at_eod(struct tape *t, size_t max_record)
{
	size_t len = max_record ? max_record : 256 * 1024;
	struct tape_status st;
	ssize_t n;
	void *buf;
	int ret;

	ret = tape_status(t, &st);
	if (ret < 0)
		return ret;
	if (st.eod)
		return 1;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	n = tape_read(t, buf, len);
	free(buf);
	if (n >= 0 || n == -ENOMEM)
		return 0; /* a record (perhaps longer than len) or a filemark */
	if (n != -EIO)
		return (int)n;
	ret = tape_status(t, &st);
	if (ret < 0)
		return ret;
	return st.eod ? 1 : -EIO;
}
