/* fuzz_content.c — libFuzzer harness for the content loader: any bytes as
 * any content file.  A small content tree (references.yaml, English and
 * Arabic, copied from content/) is written to a temporary folder once; each
 * input's first byte picks the file it stands in for, the rest is written
 * there, the tree is loaded and freed, and the file is put back. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "content.h"
#include "diag.h"
#include "file_read.h"

#ifndef PDFGEN_ROOT
#define PDFGEN_ROOT "."
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const files[] = {
    "references.yaml",  "en/strings.yaml",     "en/sunitinib.yaml", "en/everolimus.yaml",
    "ar/strings.yaml",  "ar/sunitinib.yaml",   "ar/everolimus.yaml",
};
enum { FILE_COUNT = sizeof files / sizeof files[0] };

static char root[64];
static char *original[FILE_COUNT];
static size_t original_len[FILE_COUNT];

static char *slurp(const char *path, size_t *len)
{
    char *bytes = file_read(path, len);
    if (!bytes) {
        perror(path);
        exit(1);
    }
    return bytes;
}

static void put(const char *rel, const void *data, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* The temporary tree goes when the fuzzer exits (libFuzzer calls exit). */
static void remove_tree(void)
{
    char path[128];
    for (int i = 0; i < FILE_COUNT; i++) {
        snprintf(path, sizeof path, "%s/%s", root, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/en", root);
    rmdir(path);
    snprintf(path, sizeof path, "%s/ar", root);
    rmdir(path);
    rmdir(root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    atexit(remove_tree);
    snprintf(root, sizeof root, "/tmp/pdfgen-fuzz-content-%ld", (long)getpid());
    char path[256];
    mkdir(root, 0700);
    snprintf(path, sizeof path, "%s/en", root);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/ar", root);
    mkdir(path, 0700);
    for (int i = 0; i < FILE_COUNT; i++) {
        snprintf(path, sizeof path, "%s/content/%s", PDFGEN_ROOT, files[i]);
        original[i] = slurp(path, &original_len[i]);
        put(files[i], original[i], original_len[i]);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned which = data[0] % FILE_COUNT;
    put(files[which], data + 1, size - 1);
    Content *content = content_load(root);
    content_free(content);
    diag_reset();
    put(files[which], original[which], original_len[which]);
    return 0;
}
