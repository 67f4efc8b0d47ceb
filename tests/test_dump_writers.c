/* tests/test_dump_writers.c - a `now` and the release of what was just
 * closed (dump_file_flushed, dump_writers_settle): the kernel's release
 * of a closed file reaches the daemon after close() returned, late on a
 * loaded machine, so `cp f staging/ && echo now > .dump` could find f
 * still open for writing and dump without it. The engine waits, before
 * the snapshot of a `now`, for the release of a file whose every writer
 * its user closed (flushed); a file a writer still holds is not waited
 * for, nor one written again after a flush.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/engine/dump.h"
#include "fs/engine/dump_int.h"
#include "fs/engine/tapefs.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static struct tapefs fs;
static struct dump d;

static void engine_make(void)
{
	memset(&fs, 0, sizeof(fs));
	memset(&d, 0, sizeof(d));
	pthread_mutex_init(&d.mu, NULL);
	pthread_cond_init(&d.cv, NULL);
	d.fs = &fs;
	d.started_up = 1;
}

static void engine_drop(void)
{
	dump_writers_free(&d);
	pthread_cond_destroy(&d.cv);
	pthread_mutex_destroy(&d.mu);
}

/* A handle of a file, opened for writing as the mount reports it. */
struct handle {
	const char *rel;
	int fd;
	struct stat st;
};

static void handle_open(struct handle *h, const char *rel)
{
	h->rel = rel;
	fx_make_file(rel, 1000, 1);
	h->fd = open(rel, O_WRONLY);
	CHECK(h->fd >= 0);
	CHECK_INT(fstat(h->fd, &h->st), 0);
	dump_file_opened(&d, rel, &h->st);
}

/* Its release, as the mount tells it (after a flush: -1 first). */
static void handle_release(struct handle *h, int flushed)
{
	if (flushed)
		dump_file_flushed(&d, &h->st, -1);
	dump_file_closed(&d, h->rel, h->fd, &h->st, DUMP_WRITE_DONE);
	close(h->fd);
}

/* The release of a flushed handle, late: after the `now` came. */
static void *late_release(void *arg)
{
	usleep(200000);
	handle_release(arg, 1);
	return NULL;
}

/* Closed by its user (flushed), released late: the wait ends with it
 * released, and the snapshot may take it. */
static void test_waits_for_release(void)
{
	struct handle h;
	pthread_t th;

	engine_make();
	handle_open(&h, "f1");
	dump_file_flushed(&d, &h.st, 1);
	CHECK_INT(dump_file_held(&d, &h.st, "f1", 0), 1);
	CHECK_INT(pthread_create(&th, NULL, late_release, &h), 0);
	dump_writers_settle(&d);
	CHECK_INT(dump_file_held(&d, &h.st, "f1", 0), 0);
	pthread_join(th, NULL);
	engine_drop();
}

/* Two handles, one closed by its user, one still open: the file is still
 * being written; no wait, it stays held back. The same once the open one
 * flushed and wrote again. */
static void test_open_writer_not_waited(void)
{
	struct handle a, b;

	engine_make();
	handle_open(&a, "f2");
	b = a;
	b.fd = open("f2", O_WRONLY);
	CHECK(b.fd >= 0);
	dump_file_opened(&d, "f2", &b.st);
	dump_file_flushed(&d, &a.st, 1);
	dump_writers_settle(&d);
	CHECK_INT(dump_file_held(&d, &a.st, "f2", 0), 1);
	dump_file_flushed(&d, &b.st, 1);
	dump_file_flushed(&d, &b.st, -1); /* written again */
	dump_writers_settle(&d);
	CHECK_INT(dump_file_held(&d, &a.st, "f2", 0), 1);
	handle_release(&a, 1);
	CHECK_INT(dump_file_held(&d, &b.st, "f2", 0), 1);
	handle_release(&b, 0);
	CHECK_INT(dump_file_held(&d, &b.st, "f2", 0), 0);
	dump_writers_settle(&d); /* no writer: nothing to wait for */
	engine_drop();
}

/* A stopping engine does not wait. */
static void test_stopping(void)
{
	struct handle h;

	engine_make();
	handle_open(&h, "f3");
	dump_file_flushed(&d, &h.st, 1);
	d.stopping = 1;
	dump_writers_settle(&d);
	CHECK_INT(dump_file_held(&d, &h.st, "f3", 0), 1);
	handle_release(&h, 1);
	engine_drop();
}

int main(void)
{
	RUN(test_waits_for_release);
	RUN(test_open_writer_not_waited);
	RUN(test_stopping);
	return check_done();
}
