/* tapeio/md5.c - streaming MD5 through OpenSSL EVP (tapeio/md5.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "tapeio/md5.h"

/* EVP_MD_fetch() once: an implicit fetch per digest costs a lookup. */
static EVP_MD *md5_md;
static pthread_once_t md5_once = PTHREAD_ONCE_INIT;

static void md5_fetch(void)
{
	md5_md = EVP_MD_fetch(NULL, "MD5", NULL);
}

int md5_init(struct md5 *m)
{
	EVP_MD_CTX *ctx;

	m->ctx = NULL;
	pthread_once(&md5_once, md5_fetch);
	if (!md5_md)
		return -EIO;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (!EVP_DigestInit_ex(ctx, md5_md, NULL)) {
		EVP_MD_CTX_free(ctx);
		return -EIO;
	}
	m->ctx = ctx;
	return 0;
}

void md5_update(struct md5 *m, const void *buf, size_t len)
{
	if (len)
		EVP_DigestUpdate(m->ctx, buf, len);
}

int md5_final(struct md5 *m, char hex[MD5_HEX_SIZE])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0, i;

	if (!EVP_DigestFinal_ex(m->ctx, d, &dlen) || dlen != 16)
		return -EIO;
	for (i = 0; i < 16; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[32] = '\0';
	if (!EVP_DigestInit_ex(m->ctx, md5_md, NULL))
		return -EIO;
	return 0;
}

void md5_release(struct md5 *m)
{
	EVP_MD_CTX_free(m->ctx);
	m->ctx = NULL;
}

int md5_buf(const void *buf, size_t len, char hex[MD5_HEX_SIZE])
{
	struct md5 m;
	int ret = md5_init(&m);

	if (ret)
		return ret;
	md5_update(&m, buf, len);
	ret = md5_final(&m, hex);
	md5_release(&m);
	return ret;
}

int md5_fd(int fd, char hex[MD5_HEX_SIZE], uint64_t *bytes)
{
	enum { CHUNK = 64 << 10 }; /* stays in L2 between read() and hash */
	uint64_t total = 0;
	struct md5 m;
	char *buf;
	ssize_t r;
	int ret;

	buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	ret = md5_init(&m);
	if (ret)
		goto out_free;
	for (;;) {
		r = read(fd, buf, CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto out_release;
		}
		if (r == 0)
			break;
		md5_update(&m, buf, (size_t)r);
		total += (uint64_t)r;
	}
	ret = md5_final(&m, hex);
	if (!ret && bytes)
		*bytes = total;
out_release:
	md5_release(&m);
out_free:
	free(buf);
	return ret;
}

int md5_hex_valid(const char *s)
{
	int i;

	for (i = 0; i < 32; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[32] == '\0';
}
