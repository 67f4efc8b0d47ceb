/* tapeio/mtx.c - the "mtx" changer backend (tapeio/mtx.h).
 *
 * The parser follows the printf()s of Status() in mtx 1.3.12's mtx.c:
 *   "  Storage Changer %s:%d Drives, %d Slots ( %d Import/Export )"
 *   "Data Transfer Element %d:Empty"
 *   "Data Transfer Element %d:Full (Storage Element %d Loaded)"
 *   "Data Transfer Element %d:Full (Unknown Storage Element Loaded)"
 *       each Full one optionally followed by ":VolumeTag = %s" and
 *       ":AlternateVolumeTag = %s"
 *   "      Storage Element %d%s:%s" with " IMPORT/EXPORT" or "", and
 *       "Full " or "Empty", optionally followed by ":VolumeTag=%s" and
 *       ":AlternateVolumeTag=%s"
 * Volume tags are the 36 bytes of the element descriptor with control
 * characters cut (mtxl.c copy_barcode()), so they carry the blanks that
 * pad the 32-byte tag: we strip them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tapeio/mtx.h"

#define MTX_OUT_MAX    (4u << 20) /* a 10 000-slot library prints ~700 KiB */
#define MTX_MAX_DRIVES 64

extern char **environ;

/* ---- parsing `mtx status` ------------------------------------------- */

/* Copy the tag at s (ends at ":AlternateVolumeTag" or end of line) into
 * dst without its trailing blanks. */
static void tag_copy(char dst[CHANGER_BARCODE_MAX], const char *s)
{
	const char *end = strstr(s, ":AlternateVolumeTag");
	size_t n = end ? (size_t)(end - s) : strlen(s);

	while (n && s[n - 1] == ' ')
		n--;
	if (n >= CHANGER_BARCODE_MAX)
		n = CHANGER_BARCODE_MAX - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
}

static int header_parse(const char *line, int *nd, int *ns, int *nie)
{
	const char *p = strstr(line, " Drives, "), *q;
	int n = 0;

	if (strncmp(line, "  Storage Changer ", 18) || !p)
		return -1;
	for (q = p; q > line && *q != ':'; q--)
		;
	if (*q != ':' ||
	    sscanf(q + 1, "%d Drives, %d Slots ( %d Import/Export )%n", nd, ns,
		   nie, &n) != 3 ||
	    q[1 + n] || *nd < 0 || *ns < 0 || *nie < 0 || *nie > *ns ||
	    *nd > MTX_MAX_DRIVES || *ns > 100000)
		return -1;
	return 0;
}

/* A drive line; its source slot must be one of the ns slots. */
static int drive_parse(const char *line, struct changer_elem *e, int want,
		       int ns)
{
	const char *p;
	int idx, n = 0, src;

	if (sscanf(line, "Data Transfer Element %d:%n", &idx, &n) != 1 || !n ||
	    idx != want)
		return -1;
	p = line + n;
	e->type = CHANGER_DRIVE;
	e->index = idx;
	if (strcmp(p, "Empty") == 0)
		return 0;
	n = 0;
	if (sscanf(p, "Full (Storage Element %d Loaded)%n", &src, &n) == 1 &&
	    n && src >= 1 && src <= ns) {
		e->source = src;
	} else if (strncmp(p, "Full (Unknown Storage Element Loaded)", 37) ==
		   0) {
		n = 37;
	} else {
		return -1;
	}
	e->full = 1;
	p += n;
	if (strncmp(p, ":VolumeTag = ", 13) == 0)
		tag_copy(e->barcode, p + 13);
	else if (*p && strncmp(p, ":AlternateVolumeTag = ", 22))
		return -1;
	return 0;
}

static int slot_parse(const char *line, struct changer_elem *e, int want)
{
	const char *p = line;
	int idx, n = 0;

	while (*p == ' ')
		p++;
	if (sscanf(p, "Storage Element %d%n", &idx, &n) != 1 || !n ||
	    idx != want)
		return -1;
	p += n;
	e->type = CHANGER_SLOT;
	e->index = idx;
	if (strncmp(p, " IMPORT/EXPORT", 14) == 0) {
		e->type = CHANGER_IE;
		p += 14;
	}
	if (strncmp(p, ":Full ", 6) == 0) {
		e->full = 1;
		p += 6;
	} else if (strncmp(p, ":Empty", 6) == 0) {
		p += 6;
	} else {
		return -1;
	}
	/* An empty slot may still report the tag it saw last: keep it out of
	 * the inventory, where a barcode means a cartridge. */
	if (strncmp(p, ":VolumeTag=", 11) == 0) {
		if (e->full)
			tag_copy(e->barcode, p + 11);
	} else if (*p && strncmp(p, ":AlternateVolumeTag=", 20)) {
		return -1;
	}
	return 0;
}

int mtx_status_parse(const char *text, struct changer_inv *inv, char *err,
		     size_t errlen)
{
	int nd = -1, ns = 0, nie = 0, lineno = 0, drives = 0, slots = 0;
	int ies = 0, ret = -EPROTO;
	char *copy, *line, *save = NULL;

	memset(inv, 0, sizeof(*inv));
	copy = strdup(text ? text : "");
	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		line[strcspn(line, "\r")] = 0;
		if (!line[strspn(line, " ")])
			continue;
		if (nd < 0) {
			if (header_parse(line, &nd, &ns, &nie))
				goto out_bad;
			inv->elems =
			    calloc((size_t)(nd + ns) + 1, sizeof(*inv->elems));
			if (!inv->elems) {
				ret = -ENOMEM;
				goto out_free;
			}
			inv->ndrives = nd;
			inv->nslots = ns;
			inv->nie = nie;
			inv->nelems = (size_t)(nd + ns);
			continue;
		}
		if (drives < nd) {
			if (drive_parse(line, &inv->elems[drives], drives, ns))
				goto out_bad;
			drives++;
			continue;
		}
		if (slots < ns) {
			struct changer_elem *e = &inv->elems[nd + slots];

			if (slot_parse(line, e, slots + 1))
				goto out_bad;
			ies += e->type == CHANGER_IE;
			slots++;
			continue;
		}
		goto out_bad;
	}
	if (nd < 0 || drives != nd || slots != ns || ies != nie) {
		snprintf(err, errlen, "unexpected mtx status output: %s",
			 nd < 0 ? "no 'Storage Changer' line"
				: "fewer elements than its header announces");
		goto out_fail;
	}
	free(copy);
	return 0;
out_bad:
	snprintf(err, errlen, "unexpected mtx status output, line %d: '%.120s'",
		 lineno, line);
out_fail:
	ret = -EPROTO;
out_free:
	free(copy);
	changer_inv_free(inv);
	return ret;
}

/* ---- what a failure means ------------------------------------------- */

static const struct {
	const char *text;
	int err;
} mtx_errors[] = {
    {"is not an sg device", -ENODEV},
    {"Source Element Address", -ENOMEDIUM}, /* ... %d is Empty */
    {"Data Transfer Element", -ENOMEDIUM},  /* ... %d is Empty */
    {"is Already Full", -EBUSY},	    /* Destination / Storage */
    {"Full (Storage Element", -EBUSY},	    /* Drive %d Full (...) */
    {"Drive needs offline before move", -EBUSY},
    {"argument '", -EINVAL}, /* Invalid/illegal <...> */
    {"Invalid source", -EINVAL},
    {"Invalid destination", -EINVAL},
    {"No Source for tape", -EINVAL},
    {"Do not know which slot", -EINVAL},
    {"No source specified", -EINVAL},
    {"No destination specified", -EINVAL},
};

/* The line of text containing s, without its newline, into buf. */
static void line_of(const char *text, const char *s, char *buf, size_t len)
{
	const char *b = s, *e = strchr(s, '\n');

	while (b > text && b[-1] != '\n')
		b--;
	if (!e)
		e = s + strlen(s);
	snprintf(buf, len, "%.*s", (int)(e - b), b);
}

int mtx_error_map(const char *text, char *reason, size_t len)
{
	const char *p, *last = NULL;

	if (!text)
		text = "";
	p = strstr(text, "cannot open SCSI device");
	if (p) {
		line_of(text, p, reason, len);
		return strstr(p, "Permission denied") ? -EACCES : -ENODEV;
	}
	for (size_t i = 0; i < sizeof(mtx_errors) / sizeof(mtx_errors[0]);
	     i++) {
		p = strstr(text, mtx_errors[i].text);
		if (p) {
			line_of(text, p, reason, len);
			return mtx_errors[i].err;
		}
	}
	/* The last line that is not a Request Sense dump is mtx's verdict. */
	for (p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "")
		if (strncmp(p, "mtx: Request Sense:", 19) && *p != '\n')
			last = p;
	if (last)
		line_of(text, last, reason, len);
	else
		snprintf(reason, len, "mtx failed without a message");
	if (strstr(text, "Sense Key=Not Ready") ||
	    strstr(text, "Sense Key=Unit Attention"))
		return -EAGAIN;
	if (strstr(text, "Additional Sense Code = 53")) {
		size_t n = strlen(reason);

		snprintf(reason + n, len - n,
			 " (medium removal prevented: "
			 "the drive holds its tape)");
		return -EBUSY;
	}
	if (strstr(text, "Usage:"))
		return -EINVAL;
	return -EIO;
}

/* ---- running mtx ---------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct buf {
	char *data;
	size_t len, cap;
};

/* Append what fd has; returns 1 at EOF, 0 otherwise, -errno on error. */
static int buf_fill(struct buf *b, int fd)
{
	char tmp[8192];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return 1;
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16384;
		char *d;

		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		if (cap > MTX_OUT_MAX)
			return -E2BIG;
		d = realloc(b->data, cap);
		if (!d)
			return -ENOMEM;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, tmp, (size_t)n);
	b->len += (size_t)n;
	b->data[b->len] = 0;
	return 0;
}

static int child_wait(pid_t pid, int *status)
{
	int wst;

	while (waitpid(pid, &wst, 0) < 0)
		if (errno != EINTR)
			return -errno;
	*status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
	return 0;
}

/* Read both pipes until EOF on both or the deadline. */
static int child_collect(int fo, int fe, struct buf *out, struct buf *err,
			 double deadline)
{
	struct pollfd pfd[2] = {{.fd = fo, .events = POLLIN},
				{.fd = fe, .events = POLLIN}};
	int ret;

	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		double left = deadline - now_s();

		if (left <= 0)
			return -ETIMEDOUT;
		ret = poll(pfd, 2, (int)(left * 1000) + 1);
		if (ret < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < 2 && ret > 0; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			ret = buf_fill(i ? err : out, pfd[i].fd);
			if (ret < 0)
				return ret;
			if (ret == 1)
				pfd[i].fd = -1;
			ret = 1;
		}
	}
	return 0;
}

int mtx_run(const char *prog, char *const argv[], double timeout_s, int *status,
	    char **out, char **err)
{
	struct buf bo = {0}, be = {0};
	posix_spawn_file_actions_t fa;
	int po[2] = {-1, -1}, pe[2] = {-1, -1}, ret;
	pid_t pid;

	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
		ret = -errno;
		goto out_close;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	if (strchr(prog, '/'))
		ret = posix_spawn(&pid, prog, &fa, NULL, argv, environ);
	else
		ret = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret) {
		ret = -ret;
		goto out_close;
	}
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	ret = child_collect(po[0], pe[0], &bo, &be, now_s() + timeout_s);
	if (ret)
		kill(pid, SIGKILL);
	if (child_wait(pid, status) && !ret)
		ret = -ECHILD;
	if (ret)
		goto out_close;
	*out = bo.data ? bo.data : strdup("");
	*err = be.data ? be.data : strdup("");
	bo.data = be.data = NULL;
	if (!*out || !*err) {
		free(*out);
		free(*err);
		ret = -ENOMEM;
	}
out_close:
	free(bo.data);
	free(be.data);
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	return ret;
}

/* ---- the changer backend -------------------------------------------- */

struct mtx_priv {
	char *prog; /* the mtx program */
	char *dev;  /* the changer's /dev/sgN */
	int ndrive_devs;
	char *drive_dev[MTX_MAX_DRIVES];
	double timeout_s, retry_pause_s;
	int retries;
};

static void pause_s(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s,
			      .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};

	while (s > 0 && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Run "mtx -f DEV args..." with the retries; *out gets stdout (caller
 * frees; may be NULL to drop it). */
static int mtx_exec(struct changer *c, char **out, const char *a1,
		    const char *a2, const char *a3)
{
	struct mtx_priv *m = c->priv;
	char *argv[] = {"mtx",	    "-f",	m->dev, (char *)a1,
			(char *)a2, (char *)a3, NULL};
	char *so, *se, reason[200];
	int ret, status;

	for (int attempt = 0;; attempt++) {
		ret = mtx_run(m->prog, argv, m->timeout_s, &status, &so, &se);
		if (ret == -ENOENT) {
			snprintf(c->err, sizeof(c->err),
				 "mtx: command not found ('%s')", m->prog);
			return ret;
		}
		if (ret == -ETIMEDOUT) {
			snprintf(c->err, sizeof(c->err),
				 "mtx %s: no answer after %.0f s (killed)", a1,
				 m->timeout_s);
			return ret;
		}
		if (ret) {
			snprintf(c->err, sizeof(c->err), "mtx %s: %s", a1,
				 strerror(-ret));
			return ret;
		}
		if (status == 0) {
			free(se);
			if (out)
				*out = so;
			else
				free(so);
			return 0;
		}
		ret = mtx_error_map(se, reason, sizeof(reason));
		free(so);
		free(se);
		if (ret != -EAGAIN || attempt >= m->retries)
			break;
		pause_s(m->retry_pause_s);
	}
	if (ret == -EAGAIN) {
		snprintf(c->err, sizeof(c->err),
			 "library not ready after %d tries: %s", m->retries + 1,
			 reason);
		return -EIO;
	}
	snprintf(c->err, sizeof(c->err), "%s", reason);
	return ret;
}

static int cm_inventory(struct changer *c, struct changer_inv *inv)
{
	char *out = NULL;
	int ret = mtx_exec(c, &out, "status", NULL, NULL);

	if (ret)
		return ret;
	ret = mtx_status_parse(out, inv, c->err, sizeof(c->err));
	free(out);
	return ret;
}

static void cm_free(struct mtx_priv *m)
{
	if (!m)
		return;
	free(m->prog);
	free(m->dev);
	for (int i = 0; i < m->ndrive_devs; i++)
		free(m->drive_dev[i]);
	free(m);
}

static void cm_close(struct changer *c)
{
	cm_free(c->priv);
	c->priv = NULL;
}

/* spec: "DEVICE" or "MTX DEVICE [DRIVE0 ...]" */
static int cm_spec_parse(struct mtx_priv *m, const char *spec)
{
	char *copy = strdup(spec), *tok, *save = NULL,
	     *toks[MTX_MAX_DRIVES + 2];
	int n = 0, ret = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, " \t", &save); tok && n < MTX_MAX_DRIVES + 2;
	     tok = strtok_r(NULL, " \t", &save))
		toks[n++] = tok;
	if (n == 0 || tok) {
		ret = -EINVAL;
		goto out;
	}
	m->prog = strdup(n == 1 ? "mtx" : toks[0]);
	m->dev = strdup(n == 1 ? toks[0] : toks[1]);
	for (int i = 2; i < n; i++)
		m->drive_dev[m->ndrive_devs++] = strdup(toks[i]);
	if (!m->prog || !m->dev)
		ret = -ENOMEM;
	for (int i = 0; i < m->ndrive_devs; i++)
		if (!m->drive_dev[i])
			ret = -ENOMEM;
out:
	free(copy);
	return ret;
}

static int cm_open(struct changer *c, const char *spec)
{
	struct mtx_priv *m = calloc(1, sizeof(*m));
	struct changer_inv inv;
	int ret;

	if (!m)
		return -ENOMEM;
	m->timeout_s = 900;
	m->retries = 3;
	m->retry_pause_s = 5;
	ret = cm_spec_parse(m, spec);
	if (ret == -EINVAL)
		snprintf(c->err, sizeof(c->err),
			 "changer mtx: bad spec '%s' (want 'MTX DEVICE "
			 "[DRIVE0 ...]' or 'DEVICE')",
			 spec);
	if (ret)
		goto out_free;
	c->priv = m;
	ret = cm_inventory(c, &inv);
	if (ret) {
		c->priv = NULL;
		goto out_free;
	}
	changer_inv_free(&inv);
	return 0;
out_free:
	cm_free(m);
	return ret;
}

int mtx_configure(struct changer *c, double timeout_s, int retries,
		  double retry_pause_s)
{
	struct mtx_priv *m;

	if (!c || c->ops != &changer_mtx_ops || timeout_s <= 0 || retries < 0 ||
	    retry_pause_s < 0)
		return -EINVAL;
	m = c->priv;
	m->timeout_s = timeout_s;
	m->retries = retries;
	m->retry_pause_s = retry_pause_s;
	return 0;
}

/* Say in our words what the robot refused, keeping mtx's own line. */
static int move_fail(struct changer *c, int ret, const char *src_kind, int src,
		     const char *dst_kind, int dst)
{
	char said[sizeof(c->err)];

	if (ret != -ENOMEDIUM && ret != -EBUSY)
		return ret;
	if (ret == -EBUSY && (strstr(c->err, "offline before move") ||
			      strstr(c->err, "removal prevented")))
		return ret;
	memcpy(said, c->err, sizeof(said));
	if (ret == -ENOMEDIUM)
		snprintf(c->err, sizeof(c->err), "%s %d is empty (%.180s)",
			 src_kind, src, said);
	else
		snprintf(c->err, sizeof(c->err), "%s %d is full (%.180s)",
			 dst_kind, dst, said);
	return ret;
}

static int cm_load(struct changer *c, int slot, int drive)
{
	char s[16], d[16];
	int ret;

	if (slot < 1 || drive < 0) {
		snprintf(c->err, sizeof(c->err), "no slot %d or drive %d", slot,
			 drive);
		return -EINVAL;
	}
	snprintf(s, sizeof(s), "%d", slot);
	snprintf(d, sizeof(d), "%d", drive);
	ret = mtx_exec(c, NULL, "load", s, d);
	return ret ? move_fail(c, ret, "slot", slot, "drive", drive) : 0;
}

static int cm_unload(struct changer *c, int drive, int slot)
{
	struct changer_inv inv;
	char s[16], d[16];
	int ret;

	if (slot < 0 || drive < 0) {
		snprintf(c->err, sizeof(c->err), "no slot %d or drive %d", slot,
			 drive);
		return -EINVAL;
	}
	if (slot == 0) {
		ret = cm_inventory(c, &inv);
		if (ret)
			return ret;
		if (drive >= inv.ndrives) {
			ret = -EINVAL;
			snprintf(c->err, sizeof(c->err),
				 "no drive %d (the library has %d)", drive,
				 inv.ndrives);
		} else if (!inv.elems[drive].full) {
			ret = -ENOMEDIUM;
			snprintf(c->err, sizeof(c->err), "drive %d is empty",
				 drive);
		} else if (!inv.elems[drive].source) {
			ret = -EINVAL;
			snprintf(c->err, sizeof(c->err),
				 "drive %d: the slot its cartridge came from "
				 "is unknown",
				 drive);
		}
		slot = ret ? 0 : inv.elems[drive].source;
		changer_inv_free(&inv);
		if (ret)
			return ret;
	}
	snprintf(s, sizeof(s), "%d", slot);
	snprintf(d, sizeof(d), "%d", drive);
	ret = mtx_exec(c, NULL, "unload", s, d);
	return ret ? move_fail(c, ret, "drive", drive, "slot", slot) : 0;
}

static int cm_transfer(struct changer *c, int from_slot, int to_slot)
{
	char a[16], b[16];
	int ret;

	if (from_slot < 1 || to_slot < 1) {
		snprintf(c->err, sizeof(c->err), "no slot %d or %d", from_slot,
			 to_slot);
		return -EINVAL;
	}
	snprintf(a, sizeof(a), "%d", from_slot);
	snprintf(b, sizeof(b), "%d", to_slot);
	ret = mtx_exec(c, NULL, "transfer", a, b);
	return ret ? move_fail(c, ret, "slot", from_slot, "slot", to_slot) : 0;
}

static int cm_drive_device(struct changer *c, int drive, char *buf, size_t len)
{
	struct mtx_priv *m = c->priv;
	int n;

	if (drive < 0 || drive >= m->ndrive_devs) {
		snprintf(c->err, sizeof(c->err),
			 "changer mtx: no device known for drive %d (name the "
			 "drives' /dev/nstN in the library's settings)",
			 drive);
		return -ENODEV;
	}
	n = snprintf(buf, len, "%s", m->drive_dev[drive]);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* "MTX DEVICE", as cm_open() takes it. */
static int cm_conf_spec(const struct changer_conf *cf, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s %s", cf->mtx ? cf->mtx : "mtx",
			 cf->path ? cf->path : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

const struct changer_ops changer_mtx_ops = {
    .name = "mtx",
    .open = cm_open,
    .conf_spec = cm_conf_spec,
    .close = cm_close,
    .inventory = cm_inventory,
    .load = cm_load,
    .unload = cm_unload,
    .transfer = cm_transfer,
    .drive_device = cm_drive_device,
};
