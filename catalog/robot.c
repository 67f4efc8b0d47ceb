/* catalog/robot.c - the robot's lock across the hosts of one catalog
 * (catalog_robot_lock(), catalog.h).
 *
 * A backend that names robot_lock SQL (a database server) takes it on a
 * connection of its own, opened at the first lock and kept: a session
 * lock lives as long as its connection, so a host that dies gives it
 * back with its connection. A connection found broken is opened again
 * once. Without such SQL (sqlite: one host), an flock(2) of CATALOG-robot:
 * the kernel gives it back when the process dies.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "catalog/internal.h"

/* The file lock beside the catalog, opened once. 0 or -errno. */
static int file_lock(struct catalog *cat)
{
	char *p;
	int ret;

	if (cat->robot_fd < 0) {
		if (asprintf(&p, "%s-robot", cat->path) < 0)
			return -ENOMEM;
		cat->robot_fd =
		    open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		ret = -errno;
		if (cat->robot_fd < 0)
			fprintf(stderr, "catalog: robot lock '%s': %s\n", p,
				strerror(errno));
		free(p);
		if (cat->robot_fd < 0)
			return ret;
	}
	while (flock(cat->robot_fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			ret = -errno;
			fprintf(stderr, "catalog: robot lock: %s\n",
				strerror(errno));
			return ret;
		}
	return 0;
}

/* The backend's lock on its connection (opened when needed). */
static int sql_lock(struct catalog *cat)
{
	int ret = 0;

	for (int tries = 0; tries < 2; tries++) {
		if (!cat->robot_conn)
			ret = cat_conn_open(&cat->robot_conn, cat->ops,
					    cat->path, 0);
		if (ret < 0)
			continue;
		ret = cat_exec_sql(cat->robot_conn, cat->ops->robot_lock);
		if (!ret)
			return 0;
		/* broken, perhaps: a new connection, once */
		cat_conn_close(cat->robot_conn);
		cat->robot_conn = NULL;
	}
	return ret;
}

int catalog_robot_lock(struct catalog *cat)
{
	int ret;

	pthread_mutex_lock(&cat->robot_lock);
	ret = cat->ops->robot_lock ? sql_lock(cat) : file_lock(cat);
	if (ret < 0)
		pthread_mutex_unlock(&cat->robot_lock);
	return ret;
}

void catalog_robot_unlock(struct catalog *cat)
{
	if (cat->ops->robot_lock) {
		/* a connection that fails here is closed: its session, and
		 * the lock, end with it */
		if (cat->robot_conn &&
		    cat_exec_sql(cat->robot_conn, cat->ops->robot_unlock) < 0) {
			cat_conn_close(cat->robot_conn);
			cat->robot_conn = NULL;
		}
	} else if (cat->robot_fd >= 0) {
		flock(cat->robot_fd, LOCK_UN);
	}
	pthread_mutex_unlock(&cat->robot_lock);
}

void cat_robot_close(struct catalog *cat)
{
	cat_conn_close(cat->robot_conn);
	cat->robot_conn = NULL;
	if (cat->robot_fd >= 0)
		close(cat->robot_fd);
	cat->robot_fd = -1;
}
