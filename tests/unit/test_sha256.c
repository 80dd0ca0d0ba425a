/* Unit tests for sha256.c: the FIPS 180-4 example vectors, a message
 * that crosses the padding boundary, and parts fed in any split giving the
 * one-call digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sha256.h"

static void check(const char *message, size_t size, const char *expected)
{
    char hex[SHA256_HEX + 1];
    sha256_hex(message, size, hex);
    assert_string_equal(hex, expected);
}

static void test_known_vectors(void **state)
{
    (void)state;
    check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check(two_blocks, strlen(two_blocks),
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_million_a(void **state)
{
    (void)state;
    char *a = malloc(1000000);
    assert_non_null(a);
    memset(a, 'a', 1000000);
    check(a, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

/* 55, 56 and 64 bytes: the lengths where the padding needs a second block. */
static void test_split_updates_match_one_call(void **state)
{
    (void)state;
    unsigned char data[200];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    size_t sizes[] = {0, 1, 55, 56, 63, 64, 65, 119, 128, 200};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        char whole[SHA256_HEX + 1], parts[SHA256_HEX + 1];
        sha256_hex(data, sizes[s], whole);
        for (size_t cut = 0; cut <= sizes[s]; cut += 13) {
            Sha256 ctx;
            unsigned char digest[SHA256_BYTES];
            sha256_init(&ctx);
            sha256_update(&ctx, data, cut);
            sha256_update(&ctx, data + cut, sizes[s] - cut);
            sha256_final(&ctx, digest);
            sha256_to_hex(digest, parts);
            assert_string_equal(parts, whole);
        }
    }
    char hex[SHA256_HEX + 1];
    unsigned char fifty_six[56];
    memset(fifty_six, 'a', sizeof fifty_six);
    sha256_hex(fifty_six, sizeof fifty_six, hex);
    assert_string_equal(hex, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_vectors),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_split_updates_match_one_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
