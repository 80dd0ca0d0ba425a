/* pdf_pack.c — object streams and a cross-reference stream.  See
 * pdf_pack.h.
 *
 * The file is assembled in memory and written with one fwrite.  Layout:
 * header, the stream objects in number order, the object streams, and
 * last the cross-reference stream (which may be in no object stream).
 * /ID is a SHA-256 digest of the objects (see digest_entry). */
#include "pdf_pack.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "alloc.h"
#include "diag.h"
#include "pdf_buf.h"
#include "sha256.h"

/* Flate levels by kind (libdeflate's, 1 to 12), measured on the whole
 * default build (70 PDFs) and under callgrind (English and Japanese
 * sheets, glossaries and booklets): against zlib's 6 (9 for fonts, which
 * it made 0.1% smaller), these make every file smaller (0.8% in all) in
 * 5% fewer instructions; object streams need 8 for that (at 6 one
 * sheet grew), fonts gain nothing above 8, and 12 everywhere (3% smaller)
 * cost 80% more instructions. */
static const int flate_level[PACK_KINDS] = {
    [PACK_RAW] = 0, [PACK_CONTENT] = 6, [PACK_FONT] = 8, [PACK_CMAP] = 6, [PACK_OTHER] = 6,
};
enum {
    OBJSTM_LEVEL = 8,
    XREF_LEVEL = 9, /* a few hundred bytes */
    /* Objects per object stream: one stream per sheet compresses best;
     * booklets get a few, so a reader never inflates megabytes for one
     * object. */
    OBJSTM_MAX = 1000,
};

typedef struct {
    enum { ENTRY_NONE, ENTRY_OBJECT, ENTRY_STREAM } type;
    Buf bytes; /* the value, or the whole stream object from "<<" on */
    /* For /ID, a stream is its dictionary and the Adler-32 of its data,
     * which Flate computes anyway: hashing the compressed bytes took 2%
     * of a whole build. */
    size_t head_len;
    uint32_t adler;
} Entry;

enum { LEVELS = 13 }; /* libdeflate's 0 to 12 */

struct PdfPack {
    Entry *entries; /* [num - 1] */
    size_t count, cap;
    bool zlib_failed;
    /* one per level, made when first used: making one clears its tables */
    struct libdeflate_compressor *compressors[LEVELS];
};

PdfPack *pack_new(void) { return xcalloc(1, sizeof(PdfPack)); }

void pack_free(PdfPack *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->count; i++)
        buf_free(&p->entries[i].bytes);
    free(p->entries);
    for (int level = 0; level < LEVELS; level++)
        if (p->compressors[level])
            libdeflate_free_compressor(p->compressors[level]);
    free(p);
}

static Entry *entry(PdfPack *p, uint32_t num)
{
    size_t i = num ? num - 1u : 0;
    if (i >= p->cap) {
        size_t cap = p->cap ? p->cap : 256;
        while (cap <= i)
            cap *= 2;
        p->entries = xreallocarray(p->entries, cap, sizeof *p->entries);
        memset(p->entries + p->cap, 0, (cap - p->cap) * sizeof *p->entries);
        p->cap = cap;
    }
    if (i >= p->count)
        p->count = i + 1;
    Entry *e = &p->entries[i];
    buf_free(&e->bytes);
    e->head_len = 0;
    e->adler = 0;
    return e;
}

void pack_object(PdfPack *p, uint32_t num, const char *value, size_t len)
{
    Entry *e = entry(p, num);
    e->type = num ? ENTRY_OBJECT : ENTRY_NONE;
    buf_put(&e->bytes, value, len);
    /* A buffer starts at 4 KB; a booklet of a hundred sheets keeps 13,000
     * objects of a few dozen bytes until the file is written. */
    buf_fit(&e->bytes);
}

/* Appends data deflated at level to out (the zlib format, as
 * /FlateDecode is); false when it cannot. */
static bool deflate_into(PdfPack *p, Buf *out, const void *data, size_t len, int level)
{
    if (level < 1 || level >= LEVELS)
        return false;
    if (!p->compressors[level] && !(p->compressors[level] = libdeflate_alloc_compressor(level)))
        oom_abort();
    size_t bound = libdeflate_zlib_compress_bound(p->compressors[level], len);
    char *z = xmalloc(bound);
    size_t n = libdeflate_zlib_compress(p->compressors[level], data, len, z, bound);
    buf_put(out, z, n);
    free(z);
    return n > 0;
}

/* "<<dict/Filter/FlateDecode/Length n>>stream\n...\nendstream\n";
 * returns where the data starts in out. */
static size_t stream_object(PdfPack *p, Buf *out, const char *dict, size_t dict_len,
                            const void *data, size_t len, int level)
{
    Buf z = {0};
    if (level && len > UINT_MAX)
        p->zlib_failed = true;
    else if (level && !deflate_into(p, &z, data, len, level))
        p->zlib_failed = true;
    buf_str(out, "<<");
    buf_put(out, dict, dict_len);
    if (level)
        buf_str(out, "/Filter/FlateDecode");
    buf_str(out, "/Length ");
    buf_uint(out, level ? z.len : len);
    buf_str(out, ">>stream\n");
    size_t head = out->len;
    if (level)
        buf_put(out, z.data, z.len);
    else
        buf_put(out, data, len);
    buf_str(out, "\nendstream\n");
    buf_free(&z);
    return head;
}

void pack_stream(PdfPack *p, uint32_t num, const char *dict, size_t dict_len,
                 const void *data, size_t len, PackKind kind)
{
    Entry *e = entry(p, num);
    e->type = num ? ENTRY_STREAM : ENTRY_NONE;
    e->head_len = stream_object(p, &e->bytes, dict, dict_len, data, len, flate_level[kind]);
    e->adler = libdeflate_adler32(1, data, len);
    buf_fit(&e->bytes);
}

/* Where each object is: type 1 (offset) or 2 (object stream, index). */
typedef struct {
    unsigned type;
    uint64_t field2, field3;
} XrefRow;

static unsigned bytes_for(uint64_t v)
{
    unsigned n = 1;
    while (v >>= 8)
        n++;
    return n;
}

static void put_field(Buf *b, uint64_t v, unsigned width)
{
    for (unsigned i = width; i-- > 0;) {
        char c = (char)((v >> (8 * i)) & 0xFF);
        buf_put(b, &c, 1);
    }
}

static void obj_header(Buf *out, uint64_t num)
{
    buf_uint(out, num);
    buf_str(out, " 0 obj\n");
}

/* The non-stream objects first..last-1 as one object stream. */
static void write_objstm(PdfPack *p, Buf *out, const uint32_t *nums, size_t n, uint32_t stm,
                         XrefRow *rows)
{
    Buf head = {0}, body = {0};
    for (size_t i = 0; i < n; i++) {
        Entry *e = &p->entries[nums[i] - 1];
        if (i) {
            buf_put(&head, " ", 1);
            buf_put(&body, "\n", 1);
        }
        buf_uint(&head, nums[i]);
        buf_put(&head, " ", 1);
        buf_uint(&head, body.len);
        buf_put(&body, e->bytes.data, e->bytes.len);
        rows[nums[i]] = (XrefRow){2, stm, i};
    }
    buf_put(&head, "\n", 1);
    Buf dict = {0}, data = {0};
    buf_str(&dict, "/Type/ObjStm/N ");
    buf_uint(&dict, n);
    buf_str(&dict, "/First ");
    buf_uint(&dict, head.len);
    buf_put(&data, head.data, head.len);
    buf_put(&data, body.data, body.len);
    obj_header(out, stm);
    stream_object(p, out, dict.data, dict.len, data.data, data.len, OBJSTM_LEVEL);
    buf_str(out, "endobj\n");
    buf_free(&head);
    buf_free(&body);
    buf_free(&dict);
    buf_free(&data);
}

/* The rows, each prefixed with PNG's "Up" predictor: a byte minus the
 * one above it, which turns the slowly growing offsets into runs of
 * small numbers that Flate packs far tighter. */
static void xref_rows(Buf *data, const XrefRow *rows, size_t n, const unsigned w[3])
{
    size_t width = w[0] + w[1] + w[2];
    Buf plain = {0};
    for (size_t i = 0; i < n; i++) {
        put_field(&plain, rows[i].type, w[0]);
        put_field(&plain, rows[i].field2, w[1]);
        put_field(&plain, rows[i].field3, w[2]);
    }
    for (size_t i = 0; i < n; i++) {
        char up = 2;
        buf_put(data, &up, 1);
        for (size_t j = 0; j < width; j++) {
            unsigned char cur = (unsigned char)plain.data[i * width + j];
            unsigned char above = i ? (unsigned char)plain.data[(i - 1) * width + j] : 0;
            char c = (char)(unsigned char)(cur - above);
            buf_put(data, &c, 1);
        }
    }
    buf_free(&plain);
}

static void hex_id(Buf *b, const unsigned char *d, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    buf_put(b, "<", 1);
    for (size_t i = 0; i < n; i++) {
        char s[2] = {digits[d[i] >> 4], digits[d[i] & 15]};
        buf_put(b, s, 2);
    }
    buf_put(b, ">", 1);
}

/* Object num's part of /ID: every object, each with its number and
 * length so that no two documents run together the same way. */
static void digest_entry(Sha256 *sha, const Entry *e, uint32_t num)
{
    size_t len = e->type == ENTRY_STREAM ? e->head_len : e->bytes.len;
    unsigned char frame[16];
    for (int i = 0; i < 4; i++) {
        frame[i] = (unsigned char)(num >> (24 - 8 * i));
        frame[4 + i] = (unsigned char)(e->adler >> (24 - 8 * i));
    }
    for (int i = 0; i < 8; i++)
        frame[8 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
    sha256_update(sha, frame, sizeof frame);
    sha256_update(sha, e->bytes.data, len);
}

static int assemble(PdfPack *p, uint32_t root, uint32_t info, Buf *out)
{
    for (size_t i = 0; i < p->count; i++)
        if (p->entries[i].type == ENTRY_NONE) {
            diag_error(NULL, "pdf: object %zu was never written", i + 1);
            return -2;
        }
    /* Binary bytes on line 2 mark the file as binary for transfer tools. */
    buf_str(out, "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");
    size_t n_plain = 0;
    for (size_t i = 0; i < p->count; i++)
        n_plain += p->entries[i].type == ENTRY_OBJECT;
    size_t n_stm = (n_plain + OBJSTM_MAX - 1) / OBJSTM_MAX;
    size_t size = p->count + n_stm + 2; /* object 0 and the xref stream */
    XrefRow *rows = xcalloc(size, sizeof *rows);
    uint32_t *plain = xreallocarray(NULL, n_plain ? n_plain : 1, sizeof *plain);
    rows[0] = (XrefRow){0, 0, 0};
    Sha256 sha;
    sha256_init(&sha);
    size_t k = 0;
    for (size_t i = 0; i < p->count; i++) {
        Entry *e = &p->entries[i];
        digest_entry(&sha, e, (uint32_t)(i + 1));
        if (e->type == ENTRY_OBJECT) {
            plain[k++] = (uint32_t)(i + 1);
            continue;
        }
        rows[i + 1] = (XrefRow){1, out->len, 0};
        obj_header(out, i + 1);
        buf_put(out, e->bytes.data, e->bytes.len);
        buf_str(out, "endobj\n");
        buf_free(&e->bytes); /* a booklet's fonts are not held twice */
    }
    /* Equal shares, so no object stream is left nearly empty. */
    for (size_t s = 0, done = 0; s < n_stm; s++) {
        size_t n = (n_plain - done) / (n_stm - s);
        uint32_t stm = (uint32_t)(p->count + 1 + s);
        rows[stm] = (XrefRow){1, out->len, 0};
        write_objstm(p, out, plain + done, n, stm, rows);
        done += n;
    }
    uint32_t xref = (uint32_t)(size - 1);
    rows[xref] = (XrefRow){1, out->len, 0};
    uint64_t max2 = 0, max3 = 0;
    for (size_t i = 0; i < size; i++) {
        max2 = rows[i].field2 > max2 ? rows[i].field2 : max2;
        max3 = rows[i].field3 > max3 ? rows[i].field3 : max3;
    }
    const unsigned w[3] = {1, bytes_for(max2), bytes_for(max3)};
    unsigned char digest[SHA256_BYTES];
    sha256_final(&sha, digest);

    Buf dict = {0}, data = {0};
    buf_str(&dict, "/Type/XRef/Size ");
    buf_uint(&dict, size);
    buf_str(&dict, "/W[1 ");
    buf_uint(&dict, w[1]);
    buf_put(&dict, " ", 1);
    buf_uint(&dict, w[2]);
    buf_str(&dict, "]/Root ");
    buf_uint(&dict, root);
    buf_str(&dict, " 0 R/Info ");
    buf_uint(&dict, info);
    buf_str(&dict, " 0 R/ID[");
    hex_id(&dict, digest, 16);
    hex_id(&dict, digest, 16);
    buf_str(&dict, "]/DecodeParms<</Columns ");
    buf_uint(&dict, w[0] + w[1] + w[2]);
    buf_str(&dict, "/Predictor 12>>");
    xref_rows(&data, rows, size, w);
    size_t start = out->len;
    obj_header(out, xref);
    stream_object(p, out, dict.data, dict.len, data.data, data.len, XREF_LEVEL);
    buf_str(out, "endobj\nstartxref\n");
    buf_uint(out, start);
    buf_str(out, "\n%%EOF\n");
    buf_free(&dict);
    buf_free(&data);
    free(rows);
    free(plain);
    if (p->zlib_failed) {
        diag_error(NULL, "pdf: compression failed");
        return -2;
    }
    return 0;
}

int pack_write(PdfPack *p, uint32_t root, uint32_t info, FILE *f)
{
    Buf out = {0};
    int rc = assemble(p, root, info, &out);
    if (rc == 0) {
        errno = 0;
        if (fwrite(out.data, 1, out.len, f) != out.len) {
            if (!errno)
                errno = EIO;
            rc = -1;
        }
    }
    buf_free(&out);
    return rc;
}
