/* tapeio/md5.h - streaming MD5 (OpenSSL EVP), as every member's checksum
 * is computed while its bytes stream to or from tape.
 *
 * MD5 serves here to detect corruption on tape, not as a security
 * measure: it is what the catalog, `md5sum` and operators compare.
 *
 * A digest is reported as 32 lower-case hex characters plus NUL.
 */
#ifndef TAPEFS_MD5_H
#define TAPEFS_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MD5_HEX_SIZE 33 /* 32 hex digits + NUL */
#define MD5_EMPTY    "d41d8cd98f00b204e9800998ecf8427e" /* MD5 of no bytes */

/* One running digest. Owns an EVP context: md5_release() frees it. */
struct md5 {
	void *ctx; /* EVP_MD_CTX * */
};

/* Start a digest. Returns 0 or -ENOMEM. */
int md5_init(struct md5 *m);

/* Add len bytes. Never fails once md5_init() succeeded. */
void md5_update(struct md5 *m, const void *buf, size_t len);

/* Write the digest of everything added since md5_init() (or the last
 * md5_final()) to hex, and start over: the same struct md5 can hash the
 * next stream without another md5_init(). Returns 0 or -EIO. */
int md5_final(struct md5 *m, char hex[MD5_HEX_SIZE]);

/* Free the context; m may be zeroed or already released. */
void md5_release(struct md5 *m);

/* One-shot helpers. md5_fd() reads fd from its current offset to EOF and
 * stores the byte count in *bytes (if not NULL). Return 0 or -errno. */
int md5_buf(const void *buf, size_t len, char hex[MD5_HEX_SIZE]);
int md5_fd(int fd, char hex[MD5_HEX_SIZE], uint64_t *bytes);

/* 1 when s is 32 lower-case hex digits followed by NUL, else 0. */
int md5_hex_valid(const char *s);

#endif
