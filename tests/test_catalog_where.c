/* tests/test_catalog_where.c - what the catalog setting names (a file or
 * a PostgreSQL URI) and how it is printed: never with a password, in the
 * user part or as a parameter, however it is written; a path as it is;
 * bytes that are not printable never reach a log line; the output always
 * fits its buffer.
 */
#include <string.h>

#include "catalog/catalog.h"
#include "tests/check.h"

static const char *show(const char *where)
{
	static char buf[CATALOG_WHERE_PRINT_MAX];

	return catalog_where_print(where, buf, sizeof(buf));
}

static void test_kind(void)
{
	CHECK_INT(catalog_kind_of("/srv/tapefs/catalog.db"), CATALOG_KIND_FILE);
	CHECK_INT(catalog_kind_of("catalog.db"), CATALOG_KIND_FILE);
	CHECK_INT(catalog_kind_of(NULL), CATALOG_KIND_FILE);
	/* a relative path that merely looks like one */
	CHECK_INT(catalog_kind_of("postgresql:/x"), CATALOG_KIND_FILE);
	CHECK_INT(catalog_kind_of("postgresql://db1/tapefs"),
		  CATALOG_KIND_POSTGRESQL);
	CHECK_INT(catalog_kind_of("postgres://db1/tapefs"),
		  CATALOG_KIND_POSTGRESQL);
	CHECK_INT(catalog_kind_of("PostgreSQL://db1/tapefs"),
		  CATALOG_KIND_POSTGRESQL);
	CHECK_STR(catalog_kind_name(CATALOG_KIND_FILE), "sqlite");
	CHECK_STR(catalog_kind_name(CATALOG_KIND_POSTGRESQL), "postgresql");
	CHECK_INT(catalog_kind_available(CATALOG_KIND_FILE), 1);
	CHECK_INT(catalog_kind_available(CATALOG_KIND_POSTGRESQL), 1);
}

static void test_masked(void)
{
	CHECK_STR(show("/srv/tapefs/cat.db"), "/srv/tapefs/cat.db");
	CHECK_STR(show("postgresql://db1/tapefs"), "postgresql://db1/tapefs");
	CHECK_STR(show("postgresql://tapefs@db1/tapefs"),
		  "postgresql://tapefs@db1/tapefs");
	CHECK_STR(show("postgresql://tapefs:s3cret@db1:5432/tapefs"),
		  "postgresql://tapefs:***@db1:5432/tapefs");
	CHECK_STR(show("postgres://u:p@h/d?sslmode=require"),
		  "postgres://u:***@h/d?sslmode=require");
	/* an empty password still says one is set */
	CHECK_STR(show("postgresql://u:@h/d"), "postgresql://u:***@h/d");
	/* as a parameter, in any case, percent-encoded, among others */
	CHECK_STR(show("postgresql:///tapefs?host=/run/pg&password=s3cret"),
		  "postgresql:///tapefs?host=/run/pg&password=***");
	CHECK_STR(show("postgresql://h/d?PassWord=s3cret&sslmode=require"),
		  "postgresql://h/d?PassWord=***&sslmode=require");
	CHECK_STR(show("postgresql://h/d?pass%77ord=s3cret"),
		  "postgresql://h/d?pass%77ord=***");
	CHECK_STR(show("postgresql://h/d?password"),
		  "postgresql://h/d?password");
}

/* A password written without its '@', '/' or '?' percent-encoded: none
 * of it shows, whatever else is hidden with it. */
static void test_unencoded(void)
{
	static const char *const uris[] = {
	    "postgresql://u:p@ss@h/d",  "postgresql://u:p/ss@h/d",
	    "postgresql://u:p?ss@h/d",  "postgresql://u:p:ss@h/d",
	    "postgresql://u:p&ss=x@h/d", "postgresql://u:ss@h/d?x=@",
	};

	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		const char *s = show(uris[i]);

		CHECK(!strstr(s, "ss"));
		CHECK(!strncmp(s, "postgresql://u:***@", 19));
	}
}

static void test_bounds(void)
{
	char small[16], one[1];
	char ctl[] = "/srv/cat\n\033[2J.db";

	CHECK_STR(catalog_where_print("postgresql://u:secret@host/db", small,
				      sizeof(small)),
		  "postgresql://u:");
	CHECK_STR(catalog_where_print("postgresql://u:secret@h/d", one,
				      sizeof(one)),
		  "");
	CHECK_STR(show(ctl), "/srv/cat??[2J.db");
	CHECK_STR(show("postgresql://u:x@h\t/d"), "postgresql://u:***@h?/d");
	CHECK_STR(catalog_where_print(NULL, small, sizeof(small)), "");
}

int main(void)
{
	test_kind();
	test_masked();
	test_unencoded();
	test_bounds();
	return check_done();
}
