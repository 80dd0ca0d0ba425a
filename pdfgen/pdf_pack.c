/* pdf_pack.c — object streams and a cross-reference stream.  See
 * pdf_pack.h.
 *
 * The file is written as the objects come.  Layout: header, the stream
 * objects in the order they were handed over, each object stream once
 * enough objects wait for it (a document handed over at once has its
 * streams in number order and its object streams after them), and last
 * the cross-reference stream (which may be in no object stream).  /ID is
 * a SHA-256 digest of the objects in the order handed over (see
 * digest_entry). */
#include "pdf_pack.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "alloc.h"
#include "kept.h"
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

/* One object on its way into the file: the value, or the whole stream
 * object from "<<" on.  For /ID, a stream is its dictionary and the
 * Adler-32 of its data, which Flate computes anyway: hashing the
 * compressed bytes took 2% of a whole build. */
typedef struct {
    Buf bytes;
    size_t head_len;
    uint32_t adler;
} Entry;

/* Where each object is: type 1 (offset) or 2 (object stream, index);
 * type 0: not written (yet). */
typedef struct {
    uint64_t field2;
    uint32_t field3;
    uint8_t type;
} XrefRow;

/* A row as kept until the end, in 8 bytes (a booklet has a hundred
 * objects a sheet): the type in the top two bits; an offset, or an object
 * stream's number and the index in it (at most 2 * OBJSTM_MAX). */
typedef uint64_t Row;

static Row row_pack(XrefRow r)
{
    return (uint64_t)r.type << 62 |
           (r.type == 2 ? r.field2 << 16 | r.field3 : r.field2 & ((UINT64_C(1) << 62) - 1));
}

static XrefRow row_unpack(Row r)
{
    unsigned type = (unsigned)(r >> 62);
    uint64_t v = r & ((UINT64_C(1) << 62) - 1);
    if (type == 2)
        return (XrefRow){v >> 16, (uint32_t)(v & 0xFFFF), 2};
    return (XrefRow){v, 0, (uint8_t)type};
}

enum { LEVELS = 13 }; /* libdeflate's 0 to 12 */

struct PdfPack {
    FILE *f;
    uint64_t offset; /* bytes written so far */
    bool write_failed, zlib_failed;
    int write_errno;
    Row *rows; /* [num], num <= count */
    size_t count, row_cap;
    /* Non-stream objects waiting for an object stream: their numbers, and
     * their values one after the other. */
    uint32_t *waiting;
    size_t *waiting_at; /* where each starts in values */
    size_t waiting_count, waiting_cap;
    Buf values;
    Sha256 sha;
};

/* One compressor per level for the whole process, made when first used
 * (making one clears its tables: some 32,000 instructions, and memory
 * touched anew).  A compressor keeps nothing from one call to the next,
 * so every document of a build shares them; pdfgen runs its jobs in
 * processes, not threads. */
static struct libdeflate_compressor *compressors[LEVELS];

static void free_compressors(void)
{
    for (int level = 0; level < LEVELS; level++) {
        if (compressors[level])
            libdeflate_free_compressor(compressors[level]);
        compressors[level] = NULL;
    }
}

static struct libdeflate_compressor *compressor(int level)
{
    static bool hooked;
    if (!compressors[level]) {
        kept_free_at_exit(&hooked, free_compressors);
        if (!(compressors[level] = libdeflate_alloc_compressor(level)))
            oom_abort();
    }
    return compressors[level];
}

static void put(PdfPack *p, const void *data, size_t len)
{
    if (!p->write_failed && len && fwrite(data, 1, len, p->f) != len) {
        p->write_failed = true;
        p->write_errno = errno ? errno : EIO;
    }
    p->offset += len;
}

PdfPack *pack_new(FILE *f)
{
    PdfPack *p = xcalloc(1, sizeof *p);
    p->f = f;
    sha256_init(&p->sha);
    /* Binary bytes on line 2 mark the file as binary for transfer tools. */
    static const char header[] = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
    put(p, header, sizeof header - 1);
    return p;
}

void pack_free(PdfPack *p)
{
    if (!p)
        return;
    free(p->rows);
    free(p->waiting);
    free(p->waiting_at);
    buf_free(&p->values);
    free(p);
}

static Row *row(PdfPack *p, uint32_t num)
{
    if (num >= p->row_cap) {
        size_t cap = p->row_cap ? p->row_cap : 256;
        while (cap <= num)
            cap *= 2;
        p->rows = xreallocarray(p->rows, cap, sizeof *p->rows);
        memset(p->rows + p->row_cap, 0, (cap - p->row_cap) * sizeof *p->rows);
        p->row_cap = cap;
    }
    if (num > p->count)
        p->count = num;
    return &p->rows[num];
}

/* Object num's part of /ID: every object, each with its number and
 * length so that no two documents run together the same way. */
static void digest_entry(Sha256 *sha, const Entry *e, uint32_t num, bool stream)
{
    size_t len = stream ? e->head_len : e->bytes.len;
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

void pack_object(PdfPack *p, uint32_t num, const char *value, size_t len)
{
    if (!num)
        return;
    *row(p, num) = row_pack((XrefRow){0, 0, 2}); /* its object stream is told later */
    Entry e = {.bytes = {.data = (char *)value, .len = len}};
    digest_entry(&p->sha, &e, num, false);
    if (p->waiting_count == p->waiting_cap) {
        p->waiting_cap = p->waiting_cap ? p->waiting_cap * 2 : 256;
        p->waiting = xreallocarray(p->waiting, p->waiting_cap, sizeof *p->waiting);
        p->waiting_at = xreallocarray(p->waiting_at, p->waiting_cap, sizeof *p->waiting_at);
    }
    p->waiting[p->waiting_count] = num;
    p->waiting_at[p->waiting_count++] = p->values.len;
    buf_put(&p->values, value, len);
}

/* Appends data deflated at level to out (the zlib format, as
 * /FlateDecode is); false when it cannot. */
static bool deflate_into(Buf *out, const void *data, size_t len, int level)
{
    if (level < 1 || level >= LEVELS)
        return false;
    struct libdeflate_compressor *c = compressor(level);
    size_t bound = libdeflate_zlib_compress_bound(c, len);
    buf_grow(out, bound);
    size_t n = libdeflate_zlib_compress(c, data, len, out->data + out->len, bound);
    out->len += n;
    return n > 0;
}

/* The font programs compressed last, kept for the process with what they
 * compressed to: a font subset comes back byte for byte (pdf_fonts.c
 * keeps the subsets for that: the same glyphs of a face in the sheets of
 * one language, the draft notice's few glyphs), mostly within the next
 * few documents, and compressing it again took a tenth of Flate's time in
 * a whole build.  Eight of them (each kept twice, as it is and
 * compressed) hold most repeats for under a megabyte. */
enum { DEFLATED_KEPT = 8 };
typedef struct KeptDeflate {
    int level;
    void *data; /* what was compressed */
    size_t len;
    Buf z;      /* what it compressed to */
} KeptDeflate;
static KeptDeflate deflated_kept[DEFLATED_KEPT];
static KeptRing deflated_ring;

static void free_kept_deflate(KeptDeflate *k)
{
    free(k->data);
    buf_free(&k->z);
}

static void free_deflated_kept(void)
{
    for (size_t i = 0; i < deflated_ring.count; i++)
        free_kept_deflate(&deflated_kept[i]);
    deflated_ring.count = deflated_ring.next = 0;
}

/* deflate_into, through the kept font programs. */
static bool deflate_kept_into(Buf *out, const void *data, size_t len, int level)
{
    for (size_t i = 0; i < deflated_ring.count; i++) {
        const KeptDeflate *k = &deflated_kept[i];
        if (k->level == level && k->len == len && memcmp(k->data, data, len) == 0) {
            buf_put(out, k->z.data, k->z.len);
            return true;
        }
    }
    Buf z = {0};
    if (!deflate_into(&z, data, len, level)) {
        buf_free(&z);
        return false;
    }
    buf_put(out, z.data, z.len);
    bool evict;
    size_t i = kept_slot(&deflated_ring, DEFLATED_KEPT, free_deflated_kept, &evict);
    if (evict)
        free_kept_deflate(&deflated_kept[i]);
    void *copy = xmalloc(len ? len : 1);
    if (len)
        memcpy(copy, data, len);
    buf_fit(&z);
    deflated_kept[i] = (KeptDeflate){level, copy, len, z};
    return true;
}

/* "<<dict/Filter/FlateDecode/Length n>>stream\n...\nendstream\n";
 * returns where the data starts in out.  keep: the data may come again
 * (a font program), so its compression is kept. */
static size_t stream_object(PdfPack *p, Buf *out, const char *dict, size_t dict_len,
                            const void *data, size_t len, int level, bool keep)
{
    Buf z = {0};
    if (level && len > UINT_MAX)
        p->zlib_failed = true;
    else if (level && !(keep ? deflate_kept_into : deflate_into)(&z, data, len, level))
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

static void obj_header(Buf *out, uint64_t num)
{
    buf_uint(out, num);
    buf_str(out, " 0 obj\n");
}

void pack_stream(PdfPack *p, uint32_t num, const char *dict, size_t dict_len,
                 const void *data, size_t len, PackKind kind)
{
    if (!num)
        return;
    Entry e = {0};
    e.head_len =
        stream_object(p, &e.bytes, dict, dict_len, data, len, flate_level[kind], kind == PACK_FONT);
    e.adler = libdeflate_adler32(1, data, len);
    digest_entry(&p->sha, &e, num, true);
    *row(p, num) = row_pack((XrefRow){p->offset, 0, 1});
    Buf head = {0};
    obj_header(&head, num);
    put(p, head.data, head.len);
    put(p, e.bytes.data, e.bytes.len);
    put(p, "endobj\n", 7);
    buf_free(&head);
    buf_free(&e.bytes);
}

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

/* The waiting objects first..first+n-1 as object stream stm. */
static void write_objstm(PdfPack *p, size_t first, size_t n, uint32_t stm)
{
    Buf head = {0}, body = {0};
    for (size_t i = 0; i < n; i++) {
        size_t k = first + i;
        size_t at = p->waiting_at[k];
        size_t end = k + 1 < p->waiting_count ? p->waiting_at[k + 1] : p->values.len;
        if (i) {
            buf_put(&head, " ", 1);
            buf_put(&body, "\n", 1);
        }
        buf_uint(&head, p->waiting[k]);
        buf_put(&head, " ", 1);
        buf_uint(&head, body.len);
        buf_put(&body, p->values.data + at, end - at);
        *row(p, p->waiting[k]) = row_pack((XrefRow){stm, (uint32_t)i, 2});
    }
    buf_put(&head, "\n", 1);
    Buf dict = {0}, data = {0}, out = {0};
    buf_str(&dict, "/Type/ObjStm/N ");
    buf_uint(&dict, n);
    buf_str(&dict, "/First ");
    buf_uint(&dict, head.len);
    buf_put(&data, head.data, head.len);
    buf_put(&data, body.data, body.len);
    *row(p, stm) = row_pack((XrefRow){p->offset, 0, 1});
    obj_header(&out, stm);
    stream_object(p, &out, dict.data, dict.len, data.data, data.len, OBJSTM_LEVEL, false);
    buf_str(&out, "endobj\n");
    put(p, out.data, out.len);
    buf_free(&head);
    buf_free(&body);
    buf_free(&dict);
    buf_free(&data);
    buf_free(&out);
}

bool pack_objects_full(const PdfPack *p) { return p->waiting_count >= OBJSTM_MAX; }

/* Equal shares, so no object stream is left nearly empty. */
void pack_flush_objects(PdfPack *p, uint32_t (*number)(void *ctx), void *ctx)
{
    size_t n_stm = (p->waiting_count + OBJSTM_MAX - 1) / OBJSTM_MAX;
    uint32_t *nums = xreallocarray(NULL, n_stm ? n_stm : 1, sizeof *nums);
    for (size_t s = 0; s < n_stm; s++)
        nums[s] = number(ctx);
    for (size_t s = 0, done = 0; s < n_stm; s++) {
        size_t n = (p->waiting_count - done) / (n_stm - s);
        write_objstm(p, done, n, nums[s]);
        done += n;
    }
    free(nums);
    p->waiting_count = 0;
    p->values.len = 0;
}

/* The object streams pack_finish writes: numbered after every object. */
static uint32_t next_number(void *ctx)
{
    PdfPack *p = ctx;
    uint32_t num = (uint32_t)(p->count + 1);
    row(p, num);
    return num;
}

/* The rows, each prefixed with PNG's "Up" predictor: a byte minus the
 * one above it, which turns the slowly growing offsets into runs of
 * small numbers that Flate packs far tighter. */
static void xref_rows(Buf *data, const Row *rows, size_t n, const unsigned w[3])
{
    size_t width = w[0] + w[1] + w[2];
    Buf plain = {0};
    for (size_t i = 0; i < n; i++) {
        XrefRow r = row_unpack(rows[i]);
        put_field(&plain, r.type, w[0]);
        put_field(&plain, r.field2, w[1]);
        put_field(&plain, r.field3, w[2]);
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

int pack_finish(PdfPack *p, uint32_t root, uint32_t info)
{
    for (size_t i = 1; i <= p->count; i++)
        if (row_unpack(p->rows[i]).type == 0) {
            diag_error(NULL, "pdf: object %zu was never written", i);
            return -2;
        }
    pack_flush_objects(p, next_number, p);
    uint32_t xref = (uint32_t)(p->count + 1);
    *row(p, xref) = row_pack((XrefRow){p->offset, 0, 1});
    size_t size = p->count + 1; /* with object 0 */
    uint64_t max2 = 0, max3 = 0;
    for (size_t i = 0; i < size; i++) {
        XrefRow r = row_unpack(p->rows[i]);
        max2 = r.field2 > max2 ? r.field2 : max2;
        max3 = r.field3 > max3 ? r.field3 : max3;
    }
    const unsigned w[3] = {1, bytes_for(max2), bytes_for(max3)};
    unsigned char digest[SHA256_BYTES];
    sha256_final(&p->sha, digest);

    Buf dict = {0}, data = {0}, out = {0};
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
    xref_rows(&data, p->rows, size, w);
    uint64_t start = p->offset;
    obj_header(&out, xref);
    stream_object(p, &out, dict.data, dict.len, data.data, data.len, XREF_LEVEL, false);
    buf_str(&out, "endobj\nstartxref\n");
    buf_uint(&out, start);
    buf_str(&out, "\n%%EOF\n");
    put(p, out.data, out.len);
    buf_free(&dict);
    buf_free(&data);
    buf_free(&out);
    if (p->zlib_failed) {
        diag_error(NULL, "pdf: compression failed");
        return -2;
    }
    if (p->write_failed) {
        errno = p->write_errno;
        return -1;
    }
    return 0;
}
