/* sha256.h — SHA-256 (FIPS 180-4), for content digests, the manifest and
 * incremental builds.
 * In: bytes, in one piece or in parts.  Out: the 32-byte digest, or its 64
 * lowercase hex digits. */
#ifndef PDFGEN_SHA256_H
#define PDFGEN_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct Sha256 {
    uint32_t state[8];
    uint64_t length; /* bytes so far */
    unsigned char block[64];
    size_t used; /* bytes waiting in block */
} Sha256;

enum { SHA256_BYTES = 32, SHA256_HEX = 64 };

void sha256_init(Sha256 *ctx);
void sha256_update(Sha256 *ctx, const void *data, size_t size);
void sha256_final(Sha256 *ctx, unsigned char digest[SHA256_BYTES]);

/* One call: hex gets 64 lowercase hex digits and a terminating NUL. */
void sha256_hex(const void *data, size_t size, char hex[SHA256_HEX + 1]);
void sha256_to_hex(const unsigned char digest[SHA256_BYTES], char hex[SHA256_HEX + 1]);

#endif
