/* fs/ns/ns_root.c - the top-level files: README, .status, .status.json and
 * the .dump control file, with the dump engine's lines of .status: every
 * text of the dump engine, rendered from its figures (dump_stats).
 * .metrics and .library.svg are fs/ns/ns_metrics.c and fs/ns/ns_svg.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "fs/engine/dump.h"
#include "fs/engine/recall.h"
#include "fs/engine/verify.h"
#include "tapeio/changer.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "fs/ns/ns_local.h"
#include "fs/engine/tapefs.h"

/* The text as it reads, not as clang-format would wrap it. */
/* clang-format off */
static const char readme_text[] =
"tapefs - a tape archive as a file system\n"
"\n"
"Copy files into staging/; they are written to tape as tar archives (one\n"
"copy per pool, on different drives at once) and then appear under archive/\n"
"and tapes/. Reading an archived file recalls it from tape. Everything else\n"
"is a plain file: cat it, or echo a request into it.\n"
"\n"
"NAMESPACE\n"
"  README          this text\n"
"  .status         live status, one \"key: value\" per line: drives, one\n"
"                  line per drive, dump, staged_files, staged_bytes,\n"
"                  verify, recall_queue, tapes_scratch, errors\n"
"  .status.json    the status for machines: one JSON object, numbers as\n"
"                  numbers (schema in docs/status.md); the mount owner's\n"
"                  and root's only\n"
"  .metrics        the same figures in the Prometheus text format\n"
"                  (tapefs_* metrics, for node_exporter's textfile\n"
"                  collector)\n"
"  .dump           control: start a dump (see below); read: pending files\n"
"                  and bytes, thresholds, the current and the last dump\n"
"  .verify         control: start a verification run (see below); read:\n"
"                  the current or last run and the grammar\n"
"  .recall         control: recall files ahead of reading them (see below);\n"
"                  read: the queue per tape and recent results\n"
"  .library        control of the tape library: inventory, export, label\n"
"                  (see below); read: the last results and the grammar\n"
"  .library.svg    a picture of the library: drives, every slot, each\n"
"                  tape in its pool's colour with its fill and marks (BAD\n"
"                  copies, label refused, full)\n"
"  staging/        read-write: what you put here goes to tape. A file is\n"
"                  eligible when its last writer closes it; after its dump\n"
"                  is committed on every copy it leaves staging/\n"
"  archive/        read-only: every path ever dumped (latest version), with\n"
"                  owner, mode and times from the catalog\n"
"  tapes/          one directory per tape of the catalog (in the library\n"
"                  or not)\n"
"  tapes/LABEL/    read-only, one directory per tape:\n"
"    .status       the tape's pool, state, location, serial, bytes used\n"
"                  and free, archives, verification\n"
"    .ctl          control: close, reopen, retire, location, serial\n"
"    NNNN/         tape file NNNN (0001, 0002, ...): one archive, holding\n"
"                  its members under their staging/ paths\n"
"  verify/RUN/     results of verification run RUN: summary, failures,\n"
"                  one file per tape (OK|BAD|UNREADABLE md5 path);\n"
"                  verify/latest points at the newest run\n"
"  drives/N        drive N: state, tape, position, job, progress\n"
"\n"
"CONTROL FILES (one request per line, at most 4095 bytes; writable by the\n"
"mount owner and root; a write is checked whole before any of it is\n"
"applied: a malformed request fails the write with EINVAL, nothing of it is\n"
"done, and reading the file, or .status, says why)\n"
"  echo now > .dump            dump everything eligible in staging/ now\n"
"  echo 'now PATH' > .dump     dump only staging/PATH (a file, or a\n"
"                              directory's whole subtree) as one archive\n"
"  echo 'now to LABEL,LABEL PATH' > .dump\n"
"                              the same, on these very tapes (one per copy;\n"
"                              one archive or none: a tape without room for\n"
"                              it is refused at once)\n"
"  echo 'now pool POOL,POOL PATH' > .dump\n"
"                              the same, to these pools (one per copy)\n"
"  echo 'each PATH' > .dump    one archive per subdirectory of staging/PATH\n"
"  echo resume > .dump         go on after dumps paused (3 failed dumps in a\n"
"                              row; .status: dump_paused). A dump whose pool\n"
"                              has only closed, retired or full tapes waits\n"
"                              for a tape (.status: dump_waiting)\n"
"  echo all > .verify          verify every copy of every archive\n"
"  echo 'tape LABEL...' > .verify   every copy on these tapes\n"
"  echo unverified > .verify   copies never verified\n"
"  echo 'sample PCT' > .verify PCT% (1-100) of the members of every archive,\n"
"                              at random, at least one per archive\n"
"  echo cancel > .verify       stop the running verification\n"
"  echo close > tapes/L/.ctl   no more appends to tape L (EALREADY if closed)\n"
"  echo reopen > tapes/L/.ctl  closed -> open (EPERM if retired)\n"
"  echo retire > tapes/L/.ctl  never written again, still readable\n"
"                              (close/retire of a tape a dump is writing:\n"
"                              EBUSY, nothing changed)\n"
"  echo 'location TEXT' > tapes/L/.ctl   where it is: shelf, offsite box\n"
"  echo 'serial TEXT' > tapes/L/.ctl     the cartridge's serial number\n"
"  echo inventory > .library   ask the library what it holds: new\n"
"                              cartridges join the catalog (blank ones whose\n"
"                              barcode starts with a pool's name are labelled\n"
"                              for it), missing tapes become 'out of library'.\n"
"                              Runs in the background; cat .library\n"
"  echo 'export L' > .library  move tape L to an empty import/export\n"
"                              slot (EBUSY while a dump writes it); cat\n"
"                              .library shows the result\n"
"  echo 'label S BARCODE POOL' > .library   label the cartridge in slot S\n"
"                              by hand (a library without a barcode reader):\n"
"                              a blank tape gets a label and becomes a\n"
"                              scratch tape of POOL; cat .library shows the\n"
"                              result\n"
"  find archive/run-7 > .recall   recall ahead of reading: one path per line,\n"
"                              archive/PATH, PATH, tapes/LABEL/NNNN/PATH or a\n"
"                              full path; a directory means every file below\n"
"                              it. Files are read in tape order into the\n"
"                              recall cache; the queue survives a restart\n"
"  echo 'priority N PATH' > .recall   the same with priority N (0..9): its\n"
"                              tape goes first at the next tape change\n"
"  echo 'cancel PATH' > .recall    take queued requests of PATH back\n"
"  echo 'release PATH' > .recall   drop the cached copies of PATH now\n"
"\n"
"READING ARCHIVED FILES\n"
"  Reading a file under archive/ or tapes/ returns its bytes from the recall\n"
"  cache, recalling it from tape first when needed (the read waits). An open\n"
"  with O_NONBLOCK of a file not in the cache fails with EAGAIN. A read of\n"
"  a byte range recalls only the 4 MiB chunks holding it (once the file has\n"
"  chunk digests). stat, ls and getfattr never touch a tape; st_blocks\n"
"  counts the cached bytes, so du shows what is online. Extended attributes\n"
"  of archived files:\n"
"    user.tapefs.md5        MD5 of the content\n"
"    user.tapefs.state      archived | verified | recalling | cached\n"
"    user.tapefs.dmstate    DMF's states: OFL | UNM | PAR | DUL\n"
"    user.tapefs.copies     LABEL:FILENO:BLOCK of every copy, comma separated\n"
"                           (where is a file: getfattr -n user.tapefs.copies\n"
"                           archive/PATH)\n"
"    user.tapefs.archived   time the dump was committed\n"
"  Files in staging/ have user.tapefs.state too: staged, or dumping while\n"
"  the dump being written holds them (dmstate REG, MIG).\n"
"\n"
"RESTORING WITHOUT TAPEFS\n"
"  Tape file 0 is a label archive; files 1..N are pax tar archives written\n"
"  in records of the configured block size (@BLOCKSIZE@ bytes on this mount:\n"
"  tar's -b counts 512-byte blocks). To restore archive N of a tape by hand:\n"
"    mt -f /dev/nst0 rewind; mt -f /dev/nst0 fsf N\n"
"    tar -b @BLOCKS@ -xf /dev/nst0\n"
"  (archives written with another block size: tar -b with that size / 512;\n"
"  the label's block_size= line says which)\n"
"\n"
"Unmount with: fusermount3 -u MOUNTPOINT (pending work resumes at the next\n"
"mount; nothing staged is lost).\n";
/* clang-format on */

/* The text with this mount's block size in the restore commands. */
static int readme_render(struct tapefs *fs, const char *rel, struct strbuf *out)
{
	const char *s = readme_text, *at;

	(void)rel;
	while ((at = strchr(s, '@'))) {
		strbuf_add(out, s, (size_t)(at - s));
		if (!strncmp(at, "@BLOCKSIZE@", 11)) {
			strbuf_addf(out, "%u", fs->cfg.block_size);
			s = at + 11;
		} else if (!strncmp(at, "@BLOCKS@", 8)) {
			strbuf_addf(out, "%u", fs->cfg.block_size / 512);
			s = at + 8;
		} else {
			strbuf_add(out, "@", 1);
			s = at + 1;
		}
	}
	strbuf_add(out, s, strlen(s));
	return strbuf_oom(out) ? -ENOMEM : 0;
}

static int readme_getattr(struct tapefs *fs, const char *rel,
			  struct ns_attr *out)
{
	if (*rel)
		return -ENOTDIR;
	out->kind = NS_TEXT;
	out->st.st_mode = 0444;
	ns_size_by_render(fs, &ns_readme, rel, out);
	return 0;
}

const struct ns_provider ns_readme = {
    .name = "README",
    .getattr = readme_getattr,
    .render = readme_render,
};

/* Dynamic files are rendered again at open and read with direct_io, so
 * readers read to EOF whatever the size said; the size is given all the
 * same for tools that trust it (tail). */
static int text_getattr(struct tapefs *fs, const char *rel, struct ns_attr *out)
{
	(void)fs;
	if (*rel)
		return -ENOTDIR;
	out->kind = NS_TEXT;
	out->st.st_mode = 0444;
	return 0;
}

static int status_getattr(struct tapefs *fs, const char *rel,
			  struct ns_attr *out)
{
	int ret = text_getattr(fs, rel, out);

	if (!ret)
		ns_size_by_render(fs, &ns_status, rel, out);
	return ret;
}

/* .status.json holds every error message whole: for the mount owner
 * and root only (what .status shows other readers leaves them out). */
static int status_json_getattr(struct tapefs *fs, const char *rel,
			       struct ns_attr *out)
{
	int ret = text_getattr(fs, rel, out);

	out->st.st_mode = 0400;
	if (!ret)
		ns_size_by_render(fs, &ns_status_json, rel, out);
	return ret;
}

static int status_render_ns(struct tapefs *fs, const char *rel,
			    struct strbuf *out)
{
	(void)rel;
	return status_render(fs, out);
}

static int status_render_for_ns(struct tapefs *fs, const char *rel,
				const struct ns_reader *who, struct strbuf *out)
{
	(void)rel;
	return status_render_for(fs, who, out);
}

static int status_json_ns(struct tapefs *fs, const char *rel,
			  struct strbuf *out)
{
	(void)rel;
	return status_render_json(fs, out);
}

const struct ns_provider ns_status = {
    .name = ".status",
    .getattr = status_getattr,
    .render = status_render_ns,
    .render_for = status_render_for_ns,
};

const struct ns_provider ns_status_json = {
    .name = ".status.json",
    .getattr = status_json_getattr,
    .render = status_json_ns,
};

static int dump_render_ns(struct tapefs *fs, const char *rel,
			  struct strbuf *out);

static int dump_getattr(struct tapefs *fs, const char *rel, struct ns_attr *out)
{
	struct ns_provider p = {.render = dump_render_ns};

	if (*rel)
		return -ENOTDIR;
	out->kind = NS_CONTROL;
	out->st.st_mode = 0644;
	ns_size_by_render(fs, &p, rel, out);
	return 0;
}

/* "2026-11-21 20:51:07" in local time. */
static void fmt_when(char *buf, size_t len, time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* "KEY: N (a, b, c...): not dumped until written again" when staged files
 * are held back after a failed write. */
static void dump_render_failed(const struct dump_stats *st, const char *key,
			       struct strbuf *out)
{
	if (!st->write_failed)
		return;
	strbuf_addf(out,
		    "%s: %llu (%s%s): a write failed; not dumped until "
		    "written again\n",
		    key, (unsigned long long)st->write_failed,
		    st->write_failed_names,
		    st->write_failed > DUMP_FAILED_SHOWN ? ", ..." : "");
}

/* "KEY: N (a (N bytes), ...): larger than any tape takes (M bytes); stays
 * staged" when staged files can never be dumped. */
static void dump_render_large(const struct dump_stats *st, const char *key,
			      struct strbuf *out)
{
	if (!st->too_large)
		return;
	strbuf_addf(out,
		    "%s: %llu (%s%s): larger than any tape takes (%llu "
		    "bytes); stays staged\n",
		    key, (unsigned long long)st->too_large, st->too_large_names,
		    st->too_large > DUMP_FAILED_SHOWN ? ", ..." : "",
		    (unsigned long long)st->too_large_limit);
}

/* The dump being written, and what is pending and staged. */
static void dump_render_current(const struct dump_stats *st, struct strbuf *out)
{
	char b[32];

	if (st->running) {
		status_human_bytes(st->current_bytes, b, sizeof(b));
		strbuf_addf(out,
			    "current: dump %lld, %llu files, %s, %d%%, tapes "
			    "%s\n",
			    (long long)st->current_id,
			    (unsigned long long)st->current_files, b,
			    st->percent,
			    st->current_tapes[0] ? st->current_tapes : "-");
	}
	strbuf_addf(out, "pending_files: %llu\n",
		    (unsigned long long)st->eligible_files);
	strbuf_addf(out, "pending_bytes: %llu\n",
		    (unsigned long long)st->eligible_bytes);
	strbuf_addf(out, "staged_files: %llu\n",
		    (unsigned long long)st->staged_files);
	strbuf_addf(out, "staged_bytes: %llu\n",
		    (unsigned long long)st->staged_bytes);
	dump_render_failed(st, "write_failed", out);
	dump_render_large(st, "too_large", out);
}

/* What reading `.dump` shows: state, the current dump, pending and staged
 * figures, thresholds, the last dump, the last error (it may name a
 * staged path: for a reader who sees everything), waiting or paused, and
 * the grammar. */
static int dump_render(struct tapefs *fs, int all, struct strbuf *out)
{
	const struct tapefs_config *c = &fs->cfg;
	/* atomic: SIGHUP's reload changes them (fs/reload.h) */
	uint64_t bytes = __atomic_load_n(&c->dump_bytes, __ATOMIC_RELAXED);
	uint64_t files = __atomic_load_n(&c->dump_files, __ATOMIC_RELAXED);
	unsigned idle = __atomic_load_n(&c->dump_idle, __ATOMIC_RELAXED);
	struct dump_stats st;
	char a[32], t[32];

	dump_stats(fs->dump, &st);
	strbuf_addf(out, "state: %s\n", st.running ? "running" : "idle");
	dump_render_current(&st, out);
	status_human_bytes(bytes, a, sizeof(a));
	strbuf_addf(out, "thresholds: bytes %llu (%s) files %llu idle %us\n",
		    (unsigned long long)bytes, a, (unsigned long long)files,
		    idle);
	strbuf_addf(out, "copies: %d\n", c->copies);
	strbuf_addf(out, "dumps_committed: %llu\n",
		    (unsigned long long)st.dumps_committed);
	if (st.last_id) {
		fmt_when(t, sizeof(t), st.last_time);
		status_human_bytes(st.last_bytes, a, sizeof(a));
		strbuf_addf(
		    out,
		    "last_dump: %lld committed %s files %llu bytes "
		    "%llu (%s) tapes %s\n",
		    (long long)st.last_id, t, (unsigned long long)st.last_files,
		    (unsigned long long)st.last_bytes, a, st.last_tapes);
	} else {
		strbuf_addf(out, "last_dump: none\n");
	}
	if (st.last_error[0] && all) {
		fmt_when(t, sizeof(t), st.last_error_time);
		strbuf_addf(out, "last_error: %s %s\n", t, st.last_error);
	}
	if (st.cut_note[0])
		strbuf_addf(out, "last_cut: %s\n", st.cut_note);
	if (st.waiting[0])
		strbuf_addf(out, "waiting: %s\n", st.waiting);
	if (st.paused)
		strbuf_addf(out,
			    "paused: after %d failed dumps in a row "
			    "(last_error says why); echo resume > .dump\n",
			    st.fails);
	strbuf_addf(out,
		    "usage: echo now > .dump | echo \"now PATH\" > .dump | "
		    "echo \"now to LABEL,... PATH\" > .dump | "
		    "echo \"now pool POOL,... PATH\" > .dump | "
		    "echo \"each PATH\" > .dump | echo resume > .dump "
		    "(PATH relative to staging/)\n");
	return strbuf_oom(out) ? -ENOMEM : 0;
}

static int dump_render_for(struct tapefs *fs, const char *rel,
			   const struct ns_reader *who, struct strbuf *out)
{
	(void)rel;
	if (!fs->dump) {
		strbuf_addf(out, "state: unavailable (no dump engine)\n");
		return 0;
	}
	return dump_render(fs, !who || who->all, out);
}

static int dump_render_ns(struct tapefs *fs, const char *rel,
			  struct strbuf *out)
{
	return dump_render_for(fs, rel, NULL, out);
}

void ns_dump_status(struct tapefs *fs, const struct ns_reader *who,
		    struct strbuf *out)
{
	struct dump_stats st;
	char a[32];

	if (!fs->dump) {
		strbuf_addf(out, "dump: unavailable\n");
		return;
	}
	dump_stats(fs->dump, &st);
	if (st.running)
		strbuf_addf(out, "dump: running %d%%\n", st.percent);
	else
		strbuf_addf(out, "dump: idle\n");
	strbuf_addf(out, "staged_files: %llu\n",
		    (unsigned long long)st.staged_files);
	status_human_bytes(st.staged_bytes, a, sizeof(a));
	strbuf_addf(out, "staged_bytes: %s\n", a);
	dump_render_failed(&st, "staged_write_failed", out);
	dump_render_large(&st, "staged_too_large", out);
	strbuf_addf(out, "dumps_committed: %llu\n",
		    (unsigned long long)st.dumps_committed);
	if (st.last_error[0] && (!who || who->all))
		strbuf_addf(out, "dump_error: %s\n", st.last_error);
	if (st.waiting[0])
		strbuf_addf(out, "dump_waiting: %s\n", st.waiting);
	if (st.paused)
		strbuf_addf(out,
			    "dump_paused: after %d failed dumps in a row; "
			    "echo resume > .dump\n",
			    st.fails);
}

static int dump_check(struct tapefs *fs, const char *rel, const char *line,
		      char *why, size_t whylen)
{
	(void)rel;
	if (!fs->dump) {
		snprintf(why, whylen, "no dump engine in this mount");
		return -EOPNOTSUPP;
	}
	return dump_request_check(fs->dump, line, why, whylen);
}

static int dump_control(struct tapefs *fs, const char *rel, const char *line)
{
	(void)rel;
	if (!fs->dump) {
		tapefs_error(fs, ".dump: no dump engine in this build");
		return -EOPNOTSUPP;
	}
	/* the engine keeps the reason of a refusal for .dump and .status */
	return dump_request(fs->dump, line);
}

const struct ns_provider ns_dump_ctl = {
    .name = ".dump",
    .getattr = dump_getattr,
    .render = dump_render_ns,
    .render_for = dump_render_for,
    .check = dump_check,
    .control = dump_control,
};
