/* fs/config.c - ini parsing (libinih) into struct tapefs_config.
 *
 * What libinih leaves to us, so that the file means what docs/config.md
 * says: a '#' after a blank ends the value as ';' does (libinih takes only
 * ';' inline, and Debian builds it so), a key set twice is refused with
 * both lines, a line longer than libinih's buffer is refused on its own
 * line (libinih would read its tail as the next line), and an error about
 * a key that is missing names the line of its section (or the last line).
 */
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "fs/config.h"
#include "fs/pseudofs.h"

#define GiB (1024ULL * 1024 * 1024)

struct parse_ctx {
	struct tapefs_config *cfg;
	FILE *f;
	char *dir;     /* directory of the config file, absolute */
	int line;      /* line the reader returned last */
	int err_line;  /* first error's line, 0 = none */
	char err[512]; /* first error's reason */
	int copies_line, pools_line, changer_line, tape_line, drives_line;
	int drive_ids_line;
	int catalog_line, staging_line, cache_line, backup_line;
	/* the first line of each section's header, for missing keys */
	int tapefs_line, dump_line, library_line;
	int indented;	   /* the line read last starts with a blank */
	char last_key[48]; /* the key handled last */
	int no_backup;	   /* catalog_backup = none */
};

void config_defaults(struct tapefs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cache_size = 10 * GiB;
	cfg->block_size = 256 * 1024;
	cfg->copies = 2;
	cfg->verify_sample = 100;
	cfg->dump_bytes = 10 * GiB;
	cfg->dump_files = 10000;
	cfg->dump_idle = 300;
	cfg->log_level = LOG_INFO;
	cfg->dir_keep = 86400;
	cfg->recall_per_tape = 64;
	cfg->catalog_backups = 7;
	cfg->snap_secs = 24 * 3600;
	cfg->lease_secs = TAPEFS_LEASE_DEFAULT;
}

void config_release(struct tapefs_config *cfg)
{
	free(cfg->path);
	free(cfg->catalog);
	free(cfg->catalog_shown);
	free(cfg->catalog_tmp);
	free(cfg->staging);
	free(cfg->cache);
	free(cfg->catalog_backup);
	for (int i = 0; i < TAPEFS_MAX_POOLS; i++)
		free(cfg->pools[i]);
	free(cfg->changer);
	free(cfg->changer_spec);
	free(cfg->mtx);
	free(cfg->tape);
	free(cfg->host);
	for (int i = 0; i < TAPEFS_MAX_DRIVES; i++)
		free(cfg->drive_dev[i]);
	free(cfg->keys);
	memset(cfg, 0, sizeof(*cfg));
}

int config_line(const struct tapefs_config *cfg, const char *key)
{
	for (int i = 0; i < cfg->nkeys; i++)
		if (!strcmp(cfg->keys[i].name, key))
			return cfg->keys[i].line;
	return 0;
}

int config_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	while (*end == ' ' || *end == '\t') /* "10 GB" */
		end++;
	switch (*end) {
	case 'k':
	case 'K':
		mult = 1024ULL;
		end++;
		break;
	case 'm':
	case 'M':
		mult = 1024ULL * 1024;
		end++;
		break;
	case 'g':
	case 'G':
		mult = GiB;
		end++;
		break;
	case 't':
	case 'T':
		mult = GiB * 1024;
		end++;
		break;
	default:
		break;
	}
	if (mult > 1 && *end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end)
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

static int parse_uint(const char *s, unsigned long long max,
		      unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int fail(struct parse_ctx *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct parse_ctx *c, int line, const char *fmt, ...)
{
	va_list ap;

	if (c->err_line || c->err[0])
		return 0;
	c->err_line = line;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return 0;
}

/* A path from the file: absolute as is, else relative to the file's dir. */
static char *resolve_path(const struct parse_ctx *c, const char *v)
{
	char *p;

	if (v[0] == '/')
		return strdup(v);
	if (asprintf(&p, "%s/%s", c->dir, v) < 0)
		return NULL;
	return p;
}

static int set_str(struct parse_ctx *c, char **slot, const char *v, int path)
{
	char *s;

	if (!*v)
		return fail(c, c->line, "empty value");
	s = path ? resolve_path(c, v) : strdup(v);
	if (!s)
		return fail(c, c->line, "out of memory");
	free(*slot);
	*slot = s;
	return 1;
}

static int set_pools(struct parse_ctx *c, const char *v)
{
	struct tapefs_config *cfg = c->cfg;
	char *dup = strdup(v), *save = NULL, *tok;
	int n = 0, ret = 1;

	if (!dup)
		return fail(c, c->line, "out of memory");
	for (int i = 0; i < TAPEFS_MAX_POOLS; i++) {
		free(cfg->pools[i]);
		cfg->pools[i] = NULL;
	}
	for (tok = strtok_r(dup, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		size_t len = strlen(tok);
		while (len && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
			tok[--len] = 0;
		if (!len || len > 15 || strchr(tok, '/')) {
			ret = fail(
			    c, c->line,
			    "pools: bad pool name '%s' (1-15 chars, no '/')",
			    tok);
			goto out;
		}
		if (!strncmp(tok, "CLN", 3)) {
			ret = fail(c, c->line,
				   "pools: pool name '%s': barcodes starting "
				   "with CLN are cleaning cartridges",
				   tok);
			goto out;
		}
		if (n == TAPEFS_MAX_POOLS) {
			ret = fail(c, c->line, "pools: more than %d pools",
				   TAPEFS_MAX_POOLS);
			goto out;
		}
		for (int i = 0; i < n; i++)
			if (strcmp(cfg->pools[i], tok) == 0) {
				ret =
				    fail(c, c->line,
					 "pools: pool '%s' listed twice", tok);
				goto out;
			}
		cfg->pools[n] = strdup(tok);
		if (!cfg->pools[n]) {
			ret = fail(c, c->line, "out of memory");
			goto out;
		}
		n++;
	}
	if (!n)
		ret = fail(c, c->line, "pools: no pool named");
	cfg->npools = n;
	c->pools_line = c->line;
out:
	free(dup);
	return ret;
}

/* N (a number > 0, *secs = 0 and *n = N when plain is allowed) or N
 * with s, m, h or d (a time: *secs). 0, or -1 when v is neither. */
static int parse_secs(const char *v, int plain, unsigned *n, unsigned *secs)
{
	static const struct {
		char unit;
		unsigned secs;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	char num[24], unit = 0, extra;
	unsigned long long u;

	if (sscanf(v, "%23[0-9]%c%c", num, &unit, &extra) > 2 ||
	    parse_uint(num, 1000000, &u) || u == 0 || (!unit && !plain))
		return -1;
	*secs = 0;
	if (!unit) {
		*n = (unsigned)u;
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (unit == units[i].unit && u <= UINT_MAX / units[i].secs) {
			*secs = (unsigned)u * units[i].secs;
			return 0;
		}
	return -1;
}

/* catalog_to_tape = never | N (dumps) | N with s, m, h or d (a time). */
static int set_snap(struct parse_ctx *c, const char *v)
{
	struct tapefs_config *cfg = c->cfg;

	cfg->snap_dumps = cfg->snap_secs = 0;
	if (!strcmp(v, "never"))
		return 1;
	if (parse_secs(v, 1, &cfg->snap_dumps, &cfg->snap_secs) == 0)
		return 1;
	return fail(c, c->line,
		    "catalog_to_tape: '%s' must be never, a number of dumps "
		    "(50) or a time (12h, 7d; units s, m, h, d)",
		    v);
}

/* The [tapefs] keys of deletes: allow_delete, repack_below. */
static int handle_tapefs_life(struct parse_ctx *c, const char *k, const char *v)
{
	unsigned long long u;

	if (!strcmp(k, "allow_delete")) {
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return fail(c, c->line,
				    "allow_delete: '%s' is not yes or no", v);
		c->cfg->allow_delete = !strcmp(v, "yes");
		return 1;
	}
	if (!strcmp(k, "repack_below")) {
		if (parse_uint(v, 99, &u))
			return fail(c, c->line,
				    "repack_below: '%s' must be a percentage "
				    "from 0 (never) to 99",
				    v);
		c->cfg->repack_below = (unsigned)u;
		return 1;
	}
	return fail(c, c->line, "unknown key '%s' in [tapefs]", k);
}

/* catalog = a file (a path) or a server's URI, kept as written: a URI is
 * never shown whole, not even in the refusal of one. */
static int set_catalog(struct parse_ctx *c, const char *v)
{
	enum catalog_kind kind = catalog_kind_of(v);
	char shown[CATALOG_WHERE_PRINT_MAX];

	c->catalog_line = c->line;
	if (kind == CATALOG_KIND_FILE)
		return set_str(c, &c->cfg->catalog, v, 1);
	if (!catalog_kind_available(kind))
		return fail(c, c->line,
			    "catalog = %s: this tapefs has no %s backend "
			    "(a catalog file is the only kind it opens)",
			    catalog_where_print(v, shown, sizeof(shown)),
			    catalog_kind_name(kind));
	return set_str(c, &c->cfg->catalog, v, 0);
}

static int handle_tapefs(struct parse_ctx *c, const char *k, const char *v)
{
	struct tapefs_config *cfg = c->cfg;
	unsigned long long u;
	uint64_t sz;

	if (!strcmp(k, "catalog"))
		return set_catalog(c, v);
	if (!strcmp(k, "staging")) {
		c->staging_line = c->line;
		return set_str(c, &cfg->staging, v, 1);
	}
	if (!strcmp(k, "cache")) {
		c->cache_line = c->line;
		return set_str(c, &cfg->cache, v, 1);
	}
	if (!strcmp(k, "cache_size")) {
		if (config_parse_size(v, &sz) || sz == 0)
			return fail(c, c->line,
				    "cache_size: '%s' is not a size (e.g. 10G)",
				    v);
		cfg->cache_size = sz;
		return 1;
	}
	if (!strcmp(k, "block_size")) {
		if (config_parse_size(v, &sz) || sz < 512 ||
		    sz > 16 * 1024 * 1024 || sz % 512)
			return fail(c, c->line,
				    "block_size: '%s' must be a multiple of "
				    "512 from 512 to 16M",
				    v);
		cfg->block_size = (uint32_t)sz;
		return 1;
	}
	if (!strcmp(k, "copies")) {
		if (parse_uint(v, TAPEFS_MAX_POOLS, &u) || u < 1)
			return fail(c, c->line, "copies: '%s' must be 1 to %d",
				    v, TAPEFS_MAX_POOLS);
		cfg->copies = (int)u;
		c->copies_line = c->line;
		return 1;
	}
	if (!strcmp(k, "pools"))
		return set_pools(c, v);
	if (!strcmp(k, "log_level")) {
		int level = tapefs_log_level_parse(v);

		if (level < 0)
			return fail(c, c->line,
				    "log_level: '%s' is not err, warning, "
				    "notice, info or debug",
				    v);
		cfg->log_level = level;
		return 1;
	}
	if (!strcmp(k, "catalog_backup")) {
		c->no_backup = !strcmp(v, "none");
		if (c->no_backup) {
			free(cfg->catalog_backup);
			cfg->catalog_backup = NULL;
			return 1;
		}
		c->backup_line = c->line;
		return set_str(c, &cfg->catalog_backup, v, 1);
	}
	if (!strcmp(k, "catalog_backups")) {
		if (parse_uint(v, 10000, &u) || u < 1)
			return fail(c, c->line,
				    "catalog_backups: '%s' must be 1 to 10000",
				    v);
		cfg->catalog_backups = (unsigned)u;
		return 1;
	}
	if (!strcmp(k, "catalog_to_tape"))
		return set_snap(c, v);
	return handle_tapefs_life(c, k, v);
}

static int handle_dump(struct parse_ctx *c, const char *k, const char *v)
{
	struct tapefs_config *cfg = c->cfg;
	unsigned long long u;
	uint64_t sz;

	if (!strcmp(k, "bytes")) {
		if (config_parse_size(v, &sz) || sz == 0)
			return fail(c, c->line,
				    "bytes: '%s' is not a size (e.g. 50G)", v);
		cfg->dump_bytes = sz;
		return 1;
	}
	if (!strcmp(k, "files")) {
		if (parse_uint(v, UINT64_MAX, &u) || u == 0)
			return fail(c, c->line,
				    "files: '%s' must be a number > 0", v);
		cfg->dump_files = u;
		return 1;
	}
	if (!strcmp(k, "idle")) {
		if (parse_uint(v, UINT_MAX, &u))
			return fail(c, c->line,
				    "idle: '%s' must be seconds (0 = never)",
				    v);
		cfg->dump_idle = (unsigned)u;
		return 1;
	}
	if (!strcmp(k, "dir_keep")) {
		if (parse_uint(v, UINT_MAX, &u))
			return fail(
			    c, c->line,
			    "dir_keep: '%s' must be seconds (0 = never)", v);
		cfg->dir_keep = (unsigned)u;
		return 1;
	}
	return fail(c, c->line, "unknown key '%s' in [dump]", k);
}

static int handle_verify(struct parse_ctx *c, const char *k, const char *v)
{
	if (!strcmp(k, "repair")) {
		if (strcmp(v, "auto") && strcmp(v, "no"))
			return fail(c, c->line,
				    "repair: '%s' is not auto or no", v);
		c->cfg->verify_repair_auto = !strcmp(v, "auto");
		return 1;
	}
	if (!strcmp(k, "every")) {
		unsigned n;

		c->cfg->verify_every = 0;
		if (!strcmp(v, "never") ||
		    parse_secs(v, 0, &n, &c->cfg->verify_every) == 0)
			return 1;
		return fail(c, c->line,
			    "every: '%s' must be never or a time (180d, 12h; "
			    "units s, m, h, d)",
			    v);
	}
	if (!strcmp(k, "sample")) {
		unsigned long long u;

		if (parse_uint(v, 100, &u) || u < 1)
			return fail(c, c->line,
				    "sample: '%s' must be a percentage from 1 "
				    "to 100",
				    v);
		c->cfg->verify_sample = (unsigned)u;
		return 1;
	}
	return fail(c, c->line, "unknown key '%s' in [verify]", k);
}

static int handle_recall(struct parse_ctx *c, const char *k, const char *v)
{
	unsigned long long u;

	if (!strcmp(k, "inflight_per_tape")) {
		if (parse_uint(v, 1000000, &u))
			return fail(c, c->line,
				    "inflight_per_tape: '%s' must be a number "
				    "(0 = no limit)",
				    v);
		c->cfg->recall_per_tape = (unsigned)u;
		return 1;
	}
	return fail(c, c->line, "unknown key '%s' in [recall]", k);
}

/* [library] drive_ids = 2,3: the changer's numbers of the drives this
 * host drives, 0 to TAPEFS_MAX_DRIVES-1, each once, kept ascending. */
static int set_drive_ids(struct parse_ctx *c, const char *v)
{
	struct tapefs_config *cfg = c->cfg;
	char seen[TAPEFS_MAX_DRIVES] = {0};
	const char *p = v;
	int n = 0;

	for (;;) {
		unsigned long long u;
		char num[24];
		size_t len;

		while (*p == ' ' || *p == '\t')
			p++;
		len = strcspn(p, ", \t");
		if (!len || len >= sizeof(num))
			return fail(c, c->line,
				    "drive_ids: '%s' must be drive numbers "
				    "0 to %d, comma separated (2,3)",
				    v, TAPEFS_MAX_DRIVES - 1);
		memcpy(num, p, len);
		num[len] = 0;
		if (parse_uint(num, TAPEFS_MAX_DRIVES - 1, &u))
			return fail(c, c->line,
				    "drive_ids: '%s' is not a drive number "
				    "(0 to %d)",
				    num, TAPEFS_MAX_DRIVES - 1);
		if (seen[u])
			return fail(c, c->line,
				    "drive_ids: drive %llu is listed twice", u);
		seen[u] = 1;
		n++;
		p += len;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (*p++ != ',')
			return fail(c, c->line,
				    "drive_ids: '%s' must be drive numbers "
				    "0 to %d, comma separated (2,3)",
				    v, TAPEFS_MAX_DRIVES - 1);
	}
	n = 0;
	for (int i = 0; i < TAPEFS_MAX_DRIVES; i++)
		if (seen[i])
			cfg->drive_id[n++] = i;
	cfg->drive_ids_set = n;
	c->drive_ids_line = c->line;
	return 1;
}

/* [library] lease = 30s: seconds (a plain number, or with s or m) a
 * host's leases run without a beat, TAPEFS_LEASE_MIN to
 * TAPEFS_LEASE_MAX: shorter than 2 s a loaded host misses its own beats
 * (every third of it), longer than an hour the work of a dead host waits
 * that long. */
static int set_lease(struct parse_ctx *c, const char *v)
{
	unsigned n = 0, secs = 0;

	if (parse_secs(v, 1, &n, &secs) == 0 && !secs)
		secs = n;
	if (!secs || secs < TAPEFS_LEASE_MIN || secs > TAPEFS_LEASE_MAX)
		return fail(c, c->line,
			    "lease: '%s' must be %d to %d seconds (30s; "
			    "or minutes: 5m)",
			    v, TAPEFS_LEASE_MIN, TAPEFS_LEASE_MAX);
	c->cfg->lease_secs = secs;
	return 1;
}

static int handle_library(struct parse_ctx *c, const char *k, const char *v)
{
	struct tapefs_config *cfg = c->cfg;
	unsigned long long u;

	if (!strcmp(k, "changer")) {
		if (strcmp(v, "vlib") && strcmp(v, "mtx") && strcmp(v, "none"))
			return fail(c, c->line,
				    "changer: '%s' is not vlib, mtx or none",
				    v);
		c->changer_line = c->line;
		return set_str(c, &cfg->changer, v, 0);
	}
	if (!strcmp(k, "path"))
		/* a vlib directory is a path; an mtx device is absolute */
		return set_str(c, &cfg->changer_spec, v, 1);
	if (!strcmp(k, "mtx"))
		return set_str(c, &cfg->mtx, v, 0);
	if (!strcmp(k, "tape")) {
		if (strcmp(v, "vtape") && strcmp(v, "st"))
			return fail(c, c->line, "tape: '%s' is not vtape or st",
				    v);
		c->tape_line = c->line;
		return set_str(c, &cfg->tape, v, 0);
	}
	if (!strcmp(k, "drives")) {
		if (parse_uint(v, TAPEFS_MAX_DRIVES, &u) || u < 1)
			return fail(c, c->line, "drives: '%s' must be 1 to %d",
				    v, TAPEFS_MAX_DRIVES);
		cfg->ndrives = (int)u;
		c->drives_line = c->line;
		return 1;
	}
	if (!strcmp(k, "drive_ids"))
		return set_drive_ids(c, v);
	if (!strcmp(k, "host")) {
		/* the name this host joins the catalog under: its rule */
		if (!catalog_host_name_valid(v))
			return fail(c, c->line,
				    "host: '%s' must be 1 to 63 letters, digits, "
				    "'.', '-' or '_'",
				    v);
		cfg->host_set = 1;
		return set_str(c, &cfg->host, v, 0);
	}
	if (!strcmp(k, "lease"))
		return set_lease(c, v);
	if (!strncmp(k, "drive", 5) && k[5]) {
		if (parse_uint(k + 5, TAPEFS_MAX_DRIVES - 1, &u))
			return fail(c, c->line,
				    "'%s': drive number must be 0 to %d", k,
				    TAPEFS_MAX_DRIVES - 1);
		return set_str(c, &cfg->drive_dev[u], v, 1);
	}
	return fail(c, c->line, "unknown key '%s' in [library]", k);
}

/* Remember where section.name was set; a key set twice is refused. */
static int key_seen(struct parse_ctx *c, const char *section, const char *name)
{
	struct tapefs_config *cfg = c->cfg;
	struct tapefs_config_key *k;
	char full[sizeof(k->name)];

	snprintf(full, sizeof(full), "%s.%s", section, name);
	for (int i = 0; i < cfg->nkeys; i++)
		if (!strcmp(cfg->keys[i].name, full))
			return fail(
			    c, c->line,
			    "'%s' in [%s] is set twice: lines %d and %d", name,
			    section, cfg->keys[i].line, c->line);
	k = realloc(cfg->keys, (size_t)(cfg->nkeys + 1) * sizeof(*k));
	if (!k)
		return fail(c, c->line, "out of memory");
	cfg->keys = k;
	snprintf(k[cfg->nkeys].name, sizeof(k->name), "%s", full);
	k[cfg->nkeys++].line = c->line;
	return 1;
}

/* The value without a '#' comment: a '#' after a blank starts one, as a
 * ';' does for libinih (a '#' inside a word, "run#7", stays). The blanks
 * before it go too. Returns a copy to free, or NULL (no memory). */
static char *strip_comment(const char *value)
{
	char *v = strdup(value), *p;
	size_t n;

	if (!v)
		return NULL;
	for (p = v; *p; p++)
		if (*p == '#' && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
			*p = 0;
			break;
		}
	n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		v[--n] = 0;
	return v;
}

static int dispatch(struct parse_ctx *c, const char *section, const char *name,
		    const char *v)
{
	if (!strcmp(section, "tapefs"))
		return handle_tapefs(c, name, v);
	if (!strcmp(section, "dump"))
		return handle_dump(c, name, v);
	if (!strcmp(section, "library"))
		return handle_library(c, name, v);
	if (!strcmp(section, "verify"))
		return handle_verify(c, name, v);
	if (!strcmp(section, "recall"))
		return handle_recall(c, name, v);
	if (!*section)
		return fail(c, c->line, "key '%s' outside a section", name);
	return fail(c, c->line, "unknown section [%s]", section);
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse_ctx *c = user;
	char *v;
	int ret;

	if (c->err[0])
		return 0; /* the first error is the one reported */
	/* libinih reads an indented line after a key as more of its value
	 * and calls again with the same name */
	if (c->indented && !strcmp(name, c->last_key))
		return fail(c, c->line,
			    "an indented line continues the value of '%s': "
			    "remove the indentation",
			    name);
	snprintf(c->last_key, sizeof(c->last_key), "%s", name);
	if (*section && !key_seen(c, section, name))
		return 0;
	v = strip_comment(value);
	if (!v)
		return fail(c, c->line, "out of memory");
	ret = dispatch(c, section, name, v);
	free(v);
	return ret;
}

/* A section header's line: the first of each known section is kept. */
static void note_section(struct parse_ctx *c, const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	if (!strncmp(line, "[tapefs]", 8) && !c->tapefs_line)
		c->tapefs_line = c->line;
	else if (!strncmp(line, "[dump]", 6) && !c->dump_line)
		c->dump_line = c->line;
	else if (!strncmp(line, "[library]", 9) && !c->library_line)
		c->library_line = c->line;
}

/* fgets that counts lines, so that errors found after a key was accepted
 * can still name the line it came from. A line longer than libinih's
 * buffer (num) is an error on that line; its tail is skipped. */
static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *c = stream;
	char *r = fgets(str, num, c->f);
	size_t n;
	int ch;

	if (!r)
		return NULL;
	c->line++;
	c->indented = r[0] == ' ' || r[0] == '\t';
	note_section(c, r);
	n = strlen(r);
	if (n && r[n - 1] != '\n' && !feof(c->f)) {
		fail(c, c->line, "line longer than %d characters", num - 3);
		while ((ch = fgetc(c->f)) != EOF && ch != '\n')
			;
	}
	return r;
}

/* ---- staging, cache and the catalog's directory ---------------------- */

/* Append component t to the canonical path out (room for it), taking
 * "." and ".." by name. */
static void canon_add(char *out, const char *t)
{
	char *last = strrchr(out, '/');

	if (!strcmp(t, "."))
		return;
	if (!strcmp(t, "..")) {
		if (last == out)
			out[1] = 0; /* "/.." is "/" */
		else
			*last = 0;
		return;
	}
	if (strcmp(out, "/"))
		strcat(out, "/");
	strcat(out, t);
}

/* path (absolute) as the kernel will find it: the realpath() of its
 * longest existing part, then the rest (not there yet, so no symlink in
 * it) component by component. malloc'd, or NULL (errno). */
static char *canon_path(const char *path)
{
	char *head = strdup(path), *real = NULL, *out, *rest, *save, *t;
	size_t cut = strlen(path);

	if (!head)
		return NULL;
	while (!(real = realpath(head, NULL)) && errno == ENOENT) {
		char *slash = strrchr(head, '/');

		if (!slash)
			break;
		cut = (size_t)(slash - head);
		if (slash == head) {
			real = strdup("/");
			break;
		}
		*slash = 0;
	}
	free(head);
	rest = real ? strdup(path + cut) : NULL;
	out = rest ? malloc(strlen(real) + strlen(rest) + 2) : NULL;
	if (out) {
		strcpy(out, real);
		for (t = strtok_r(rest, "/", &save); t;
		     t = strtok_r(NULL, "/", &save))
			canon_add(out, t);
	}
	free(rest);
	free(real);
	return out;
}

/* 1 when a is b or lies below it. */
static int path_within(const char *a, const char *b)
{
	size_t n = strlen(b);

	if (!strcmp(b, "/"))
		return 1;
	return !strncmp(a, b, n) && (a[n] == 0 || a[n] == '/');
}

struct place {
	const char *key; /* for the message */
	char *path;	 /* canonical */
	int line;	 /* of its key, 0 = the default */
	int backup;	 /* it is catalog_backup */
};

/* x and y must differ and y may not lie within x; nor x within y when
 * both_ways. Fails naming the later of their lines. */
static int place_check(struct parse_ctx *c, const struct place *x,
		       const struct place *y, int both_ways)
{
	int line = x->line > y->line ? x->line : y->line;
	const char *why =
	    y->backup ? "catalog_backup may be neither in staging nor in the "
			"cache, nor they in it"
		      : "staging, cache and the catalog's directory must be "
			"distinct, none inside another";

	if (!strcmp(x->path, y->path))
		return fail(c, line, "%s '%s' is also the %s (%s)", y->key,
			    y->path, x->key, why);
	if (path_within(y->path, x->path))
		return fail(c, line, "%s '%s' is inside the %s '%s' (%s)",
			    y->key, y->path, x->key, x->path, why);
	if (both_ways && path_within(x->path, y->path))
		return fail(c, line, "%s '%s' is inside the %s '%s' (%s)",
			    x->key, x->path, y->key, y->path, why);
	return 1;
}

/* The catalog's backups (the daemon writes there and deletes its own old
 * ones) lie neither in staging nor in the cache, nor they in it: a backup
 * in staging/ would be dumped, or replaced by a user. */
static int backup_place_check(struct parse_ctx *c, const struct place *stg,
			      const struct place *cache)
{
	struct place bk = {
	    "catalog_backup directory",
	    c->cfg->catalog_backup ? canon_path(c->cfg->catalog_backup) : NULL,
	    c->backup_line, 1};
	int ret = 1;

	if (!c->cfg->catalog_backup)
		return 1;
	if (!bk.path)
		return fail(c, bk.line, "cannot resolve catalog_backup: %s",
			    strerror(errno));
	ret = place_check(c, stg, &bk, 1);
	if (ret)
		ret = place_check(c, cache, &bk, 1);
	free(bk.path);
	return ret;
}

/* The daemon deletes in staging/ (what was dumped) and in the cache (its
 * own files): neither may reach the other nor the catalog. Staging and
 * the cache may lie inside the catalog's directory (the usual layout:
 * all three side by side in one directory). */
static int check_places(struct parse_ctx *c)
{
	struct tapefs_config *cfg = c->cfg;
	struct place stg = {"staging directory", canon_path(cfg->staging),
			    c->staging_line, 0};
	struct place cache = {"cache directory", canon_path(cfg->cache),
			      c->cache_line, 0};
	int file = catalog_kind_of(cfg->catalog) == CATALOG_KIND_FILE;
	struct place cat = {"catalog's directory",
			    canon_path(file ? cfg->catalog : cfg->cache),
			    c->catalog_line, 0};
	char *slash;
	int ret;

	if (!stg.path || !cache.path || !cat.path) {
		ret = fail(c, 0, "cannot resolve staging, cache or catalog: %s",
			   strerror(errno));
		goto out;
	}
	slash = strrchr(cat.path, '/'); /* the catalog file's directory */
	if (slash == cat.path)
		slash[1] = 0;
	else
		*slash = 0;
	ret = place_check(c, &stg, &cache, 1);
	if (ret && file) /* a server's catalog has no directory here */
		ret = place_check(c, &stg, &cat, 0);
	if (ret && file)
		ret = place_check(c, &cache, &cat, 0);
	if (ret)
		ret = backup_place_check(c, &stg, &cache);
out:
	free(stg.path);
	free(cache.path);
	free(cat.path);
	return ret;
}

/* The line to name for a problem with a key: where it was set, else the
 * header of its section, else the last line of the file (where it would
 * be added). */
static int where(const struct parse_ctx *c, int key_line, int section_line)
{
	if (key_line)
		return key_line;
	return section_line ? section_line : c->line;
}

/* staging, cache and catalog: never on a pseudo file system. */
static int check_dirs(struct parse_ctx *c)
{
	const struct tapefs_config *cfg = c->cfg;
	const struct {
		const char *key, *path;
	} dirs[] = {
	    {"catalog", cfg->catalog},
	    {"staging", cfg->staging},
	    {"cache", cfg->cache},
	};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char key[32];
		const char *fs;

		if (catalog_kind_of(dirs[i].path) != CATALOG_KIND_FILE)
			continue; /* a server's catalog: not on this disk */
		fs = pseudofs_of(dirs[i].path);

		snprintf(key, sizeof(key), "tapefs.%s", dirs[i].key);
		if (fs)
			return fail(
			    c, where(c, config_line(cfg, key), c->tapefs_line),
			    "%s = %s is on %s, a pseudo file system: "
			    "it needs a disk",
			    dirs[i].key, dirs[i].path, fs);
	}
	return 1;
}

/* What lives beside a catalog file: its backups' default directory and
 * its temporary files. A server's catalog has no directory here: its
 * backups need catalog_backup (or none), its temporary files go to the
 * cache's tapefs-tmp/. */
static int catalog_places(struct parse_ctx *c)
{
	struct tapefs_config *cfg = c->cfg;
	char shown[CATALOG_WHERE_PRINT_MAX];
	int dir_len = (int)(strrchr(cfg->catalog, '/') - cfg->catalog);
	int r;

	catalog_where_print(cfg->catalog, shown, sizeof(shown));
	if (!(cfg->catalog_shown = strdup(shown)))
		return fail(c, 0, "out of memory");
	if (catalog_kind_of(cfg->catalog) == CATALOG_KIND_FILE) {
		r = asprintf(&cfg->catalog_tmp, "%.*s", dir_len > 0 ? dir_len : 1,
			     cfg->catalog);
		if (r >= 0 && !cfg->catalog_backup && !c->no_backup)
			r = asprintf(&cfg->catalog_backup, "%.*s/catalog-backups",
				     dir_len, cfg->catalog);
	} else {
		if (!cfg->catalog_backup && !c->no_backup)
			return fail(c, where(c, c->catalog_line, c->tapefs_line),
				    "catalog = %s is not a file: set "
				    "catalog_backup (a directory for its "
				    "backups, sqlite files; on a disk every "
				    "host reaches) or catalog_backup = none",
				    shown);
		r = asprintf(&cfg->catalog_tmp, "%s/tapefs-tmp", cfg->cache);
	}
	if (r < 0) {
		cfg->catalog_tmp = NULL;
		return fail(c, 0, "out of memory");
	}
	return 1;
}

/* drives = N and drive_ids agree (drive_ids = 0,..,N-1), and every
 * driveN names one of the drives used; fills cfg->drive_id. 1 or 0
 * (failed). */
static int check_drive_keys(struct parse_ctx *c)
{
	struct tapefs_config *cfg = c->cfg;
	int n = cfg->drive_ids_set;

	if (n && cfg->ndrives &&
	    (cfg->ndrives != n || cfg->drive_id[n - 1] != n - 1))
		return fail(c,
			    c->drives_line > c->drive_ids_line
				? c->drives_line
				: c->drive_ids_line,
			    "drives = %d (drives 0 to %d) and drive_ids "
			    "disagree: give one of them",
			    cfg->ndrives, cfg->ndrives - 1);
	if (!n)
		for (int i = 0; i < cfg->ndrives; i++)
			cfg->drive_id[i] = i;
	else
		cfg->ndrives = n;
	for (int i = 0; i < TAPEFS_MAX_DRIVES; i++) {
		char key[32];
		int used = !cfg->ndrives;

		for (int k = 0; k < cfg->ndrives && !used; k++)
			used = cfg->drive_id[k] == i;
		if (!cfg->drive_dev[i] || used)
			continue;
		snprintf(key, sizeof(key), "library.drive%d", i);
		if (cfg->drive_ids_set)
			return fail(c, where(c, config_line(cfg, key), 0),
				    "drive%d is set but is not in drive_ids",
				    i);
		return fail(c, where(c, config_line(cfg, key), 0),
			    "drive%d is set but drives = %d", i,
			    cfg->ndrives);
	}
	return 1;
}

/* host: the machine's name when the file gives none. 1 or 0 (failed). */
static int set_host(struct parse_ctx *c)
{
	struct tapefs_config *cfg = c->cfg;
	char name[256];

	if (cfg->host)
		return 1;
	if (gethostname(name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "localhost");
	name[sizeof(name) - 1] = 0;
	name[strcspn(name, ".")] = 0; /* the short name */
	if (!catalog_host_name_valid(name))
		return fail(c, c->library_line,
			    "this machine's name '%.64s' cannot name it: set "
			    "'host' in [library]",
			    name);
	if (!(cfg->host = strdup(name)))
		return fail(c, 0, "out of memory");
	return 1;
}

static int validate(struct parse_ctx *c)
{
	struct tapefs_config *cfg = c->cfg;

	if (!cfg->catalog && !(cfg->catalog = resolve_path(c, "catalog.db")))
		return fail(c, 0, "out of memory");
	if (!cfg->staging && !(cfg->staging = resolve_path(c, "staging")))
		return fail(c, 0, "out of memory");
	if (!cfg->cache && !(cfg->cache = resolve_path(c, "cache")))
		return fail(c, 0, "out of memory");
	if (!catalog_places(c))
		return 0;
	if (!check_places(c))
		return 0;
	if (!cfg->npools) {
		static const char *const names[] = {"A", "B", "C", "D",
						    "E", "F", "G", "H"};
		for (int i = 0; i < cfg->copies; i++)
			if (!(cfg->pools[i] = strdup(names[i])))
				return fail(c, 0, "out of memory");
		cfg->npools = cfg->copies;
	}
	if (cfg->npools < cfg->copies)
		return fail(
		    c, where(c, c->copies_line, c->pools_line),
		    "copies = %d needs as many pools, %d listed in 'pools'",
		    cfg->copies, cfg->npools);
	if (!cfg->changer && !(cfg->changer = strdup("none")))
		return fail(c, 0, "out of memory");
	if (!cfg->mtx && !(cfg->mtx = strdup("mtx")))
		return fail(c, 0, "out of memory");
	if (!cfg->tape && !(cfg->tape = strdup(
				strcmp(cfg->changer, "vlib") ? "st" : "vtape")))
		return fail(c, 0, "out of memory");
	if (strcmp(cfg->changer, "none") && !cfg->changer_spec)
		return fail(c, c->changer_line,
			    "changer = %s needs 'path' in [library]",
			    cfg->changer);
	if (!strcmp(cfg->changer, "none")) {
		if (!cfg->drive_dev[0])
			return fail(c,
				    where(c, c->changer_line, c->library_line),
				    "changer = none%s needs 'drive0' (the "
				    "drive's device) in [library]",
				    c->changer_line ? "" : " (the default)");
		if (!cfg->ndrives && !cfg->drive_ids_set)
			cfg->ndrives = 1;
		if (cfg->drive_ids_set &&
		    (cfg->drive_ids_set != 1 || cfg->drive_id[0] != 0))
			return fail(c, c->drive_ids_line,
				    "changer = none drives exactly one drive "
				    "(drive_ids = 0)");
		if (cfg->ndrives > 1)
			return fail(c, c->drives_line,
				    "changer = none drives exactly one drive");
	}
	if (!check_drive_keys(c) || !set_host(c))
		return 0;
	return check_dirs(c);
}

static char *dir_of(const char *path)
{
	char *abs = realpath(path, NULL), *slash;

	if (!abs)
		return NULL;
	slash = strrchr(abs, '/');
	if (slash == abs)
		slash[1] = 0;
	else
		*slash = 0;
	return abs;
}

int config_load(struct tapefs_config *cfg, const char *path, char *err,
		size_t errlen)
{
	struct parse_ctx c = {.cfg = cfg};
	int ret = -EINVAL, rc;

	config_defaults(cfg);
	c.f = fopen(path, "r");
	if (!c.f) {
		ret = -errno;
		snprintf(err, errlen, "%s:0: cannot read: %s", path,
			 strerror(errno));
		return ret;
	}
	c.dir = dir_of(path);
	cfg->path = realpath(path, NULL);
	if (!c.dir || !cfg->path) {
		ret = -errno;
		snprintf(err, errlen, "%s:0: %s", path, strerror(errno));
		goto out_free;
	}
	rc = ini_parse_stream(reader, &c, handler, &c);
	if (rc > 0 && !c.err[0]) {
		c.err_line = rc;
		snprintf(c.err, sizeof(c.err),
			 "syntax error (want [section] or key = value)");
	} else if (rc < 0 && !c.err[0]) {
		snprintf(c.err, sizeof(c.err), "cannot parse (out of memory)");
	}
	if (!c.err[0])
		validate(&c);
	if (c.err[0]) {
		snprintf(err, errlen, "%s:%d: %s", path, c.err_line, c.err);
		goto out_free;
	}
	ret = 0;
	goto out_close;
out_free:
	config_release(cfg);
out_close:
	free(c.dir);
	fclose(c.f);
	return ret;
}
