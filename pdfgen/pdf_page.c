/* pdf_page.c — a page's boxes into its content stream.  See pdf_page.h.
 * Right-to-left text is written so that extractors (poppler above all)
 * read it in logical order: see pdf_poppler.c and draw_direction_marker. */
#include "pdf_page.h"

#include "alloc.h"
#include "diag.h"
#include "kept.h"
#include "pdf_fonts.h"
#include "pdf_glyphtext.h"
#include "pdf_poppler.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hb.h>
#include <stdio.h>

struct Writer {
    PdfDoc *doc;
    FontUses *fonts;
    Tags *tags;
    bool rtl_doc;        /* the sheet's language is written right to left */
    long strong_balance; /* the page's left-to-right less right-to-left letters so far */
    Buf out;             /* operators not yet in the page's content stream */
    U16 text;            /* scratch: one cluster's text */
    uint32_t *clusters;
    bool *seen;
    size_t clusters_cap;
    size_t cluster_next; /* where the next unit's cluster likely is in clusters */
    hb_buffer_t *reshape; /* scratch for pdf_glyphtext.c */
    uint32_t *cps;       /* scratch: one unit's code points */
    size_t *owner;       /* ... the glyph each stands for */
    size_t cp_count, cp_cap;
    size_t *order;       /* scratch, per glyph of the unit */
    U16 *own;            /* ... the text each stands for */
    unsigned *layer;     /* ... and the font layer that says so */
    size_t glyph_cap;
    /* the font partition_remembered last asked font_id about */
    const Font *memo_font;
    uint32_t memo_font_id;
    struct PlainGlyph *plain; /* PLAIN_SLOTS of them (see plain_glyph) */
    size_t *unit_start;  /* a right-to-left span's units, visual order */
    int64_t *unit_pen;   /* ... and where each starts (font units) */
    size_t unit_cap;
    /* content-stream state of the current page */
    PdfObj page;
    size_t page_no; /* 1-based */
    const FontUse *tf_font; /* the Tf in effect: font, layer and size */
    unsigned tf_layer;
    int64_t tf_size;
    int64_t rgb[3];
    bool rgb_valid;
    /* Content text: the text object open for the TEXT leaves' boxes (one
     * from the first to whatever is not content text), the leaf being
     * written (its sequence, one MCID, covers its lines on the page), and
     * whether a marked-content sequence of it is open. */
    bool in_text;
    const Node *text_leaf;
    bool marked;
};


/* ------------------------------------------------------------------ */
/* Text: one TJ stream per span, positions kept exact */

/* The pen as shaped (font units) and as the viewer will place it
 * (micro-em: 1/1000 of a TJ unit), so every adjustment is computed from
 * absolute positions and rounding never accumulates. */
typedef struct Tj {
    Buf *b;
    const Font *font;
    double size;
    int64_t size_milli; /* size as Tf writes it */
    bool in_array, in_string;
    int64_t pen;   /* font units: where the next cluster starts */
    int64_t shown; /* micro-em */
    int64_t rise;  /* Ts in effect, milli-points */
    int64_t tc;    /* Tc in effect, milli-points */
    /* Content of a TEXT leaf is marked inside the text object, sequence
     * by sequence, never nested: a cluster that needs ActualText gets a
     * sequence (and MCID) of its own that carries it, because poppler
     * 22.12 ends the enclosing sequence at a nested one's EMC (its
     * -struct-text then loses the rest of the line).  Artifacts (leaf
     * NULL) are marked around the text object by the page instead. */
    Tags *tags;
    const Node *leaf;
    Writer *w;
    FontUse *fu;
} Tj;

static void tj_close(Tj *t)
{
    if (t->in_string)
        buf_str(t->b, ")");
    if (t->in_array)
        buf_str(t->b, "]TJ\n");
    t->in_string = t->in_array = false;
}

/* Ts and Tc are operators of their own, so the TJ array is closed first. */
static void tj_set(Tj *t, int64_t *state, int64_t value, const char *op)
{
    if (*state == value)
        return;
    tj_close(t);
    buf_milli(t->b, value);
    buf_str(t->b, op);
    *state = value;
}

static int64_t font_units_to_micro_em(const Tj *t, int64_t units)
{
    return div_round(units * 1000000, t->font->upem);
}

/* A glyph moved by x_offset (a mark, typically) ends its advance away from
 * where the next glyph starts.  Extractors such as poppler read that gap
 * as a word space, so character spacing stretches the glyph's own advance
 * to end exactly at end (font units).  Returns Tc in milli-points. */
static int64_t end_spacing(const Tj *t, int64_t start, int32_t width, int64_t end)
{
    return to_milli((double)(font_units_to_micro_em(t, end) - start - (int64_t)width * 1000) *
                    t->size / 1e6);
}

/* A glyph's two-byte code in a literal string: raw bytes, a seventh
 * smaller after Flate than hex digits.  The delimiters and backslash are
 * escaped, and CR too, which a reader would take for a line end and read
 * as LF. */
static bool needs_escape(unsigned char c)
{
    static const bool escaped[256] = {['('] = true, [')'] = true, ['\\'] = true, ['\r'] = true};
    return escaped[c];
}

static void code_bytes(Buf *b, unsigned code)
{
    unsigned char bytes[2] = {(unsigned char)(code >> 8), (unsigned char)code};
    if (!needs_escape(bytes[0]) && !needs_escape(bytes[1])) { /* nearly every code */
        buf_put(b, (const char *)bytes, 2);
        return;
    }
    char out[4];
    size_t n = 0;
    for (int i = 0; i < 2; i++) {
        if (bytes[i] == '(' || bytes[i] == ')' || bytes[i] == '\\')
            out[n++] = '\\';
        if (bytes[i] == '\r') {
            out[n++] = '\\';
            out[n++] = 'r';
        } else {
            out[n++] = (char)bytes[i];
        }
    }
    buf_put(b, out, n);
}

/* Shows glyph g with its pen at pen (font units); natural_end says
 * whether it may end where its own advance takes it or must be stretched
 * to end. */
static void tj_glyph(Tj *t, const Glyph *g, unsigned code, int32_t width, int64_t pen,
                     int64_t end, bool natural_end)
{
    int64_t want = font_units_to_micro_em(t, pen + g->x_offset);
    /* (on the baseline and unstretched, as most glyphs are, the floating
     * point below comes to 0) */
    tj_set(t, &t->rise,
           g->y_offset ? to_milli((double)g->y_offset * t->size / t->font->upem) : 0, " Ts\n");
    tj_set(t, &t->tc, natural_end ? 0 : end_spacing(t, want, width, end), " Tc\n");
    int64_t adjust = t->shown - want; /* TJ numbers move the pen left */
    if (!t->in_array) {
        buf_str(t->b, "[");
        t->in_array = true;
    }
    if (adjust) {
        if (t->in_string)
            buf_str(t->b, ")");
        t->in_string = false;
        buf_milli(t->b, adjust);
    }
    if (!t->in_string) {
        buf_str(t->b, "(");
        t->in_string = true;
    }
    code_bytes(t->b, code);
    t->shown = want + (int64_t)width * 1000 + (t->tc ? to_milli((double)t->tc / t->size) : 0);
}

/* The text state the next span assumes. */
static void tj_end(Tj *t)
{
    tj_close(t);
    tj_set(t, &t->rise, 0, " Ts\n");
    tj_set(t, &t->tc, 0, " Tc\n");
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The span's distinct cluster values, ascending, so that "the next larger
 * cluster" is found the same way for LTR and RTL runs. */
static int sort_clusters(Writer *w, const GlyphSpan *s, size_t *count)
{
    size_t n = s->glyph_count;
    if (n > w->clusters_cap) {
        w->clusters = xreallocarray(w->clusters, n, sizeof *w->clusters);
        w->seen = xreallocarray(w->seen, n, sizeof *w->seen);
        w->clusters_cap = n;
    }
    bool sorted = true;
    for (size_t i = 0; i < n; i++) {
        w->clusters[i] = s->glyphs[i].cluster;
        sorted &= i == 0 || w->clusters[i - 1] <= w->clusters[i];
    }
    if (!sorted)
        qsort(w->clusters, n, sizeof *w->clusters, cmp_u32);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || w->clusters[u - 1] != w->clusters[i])
            w->clusters[u++] = w->clusters[i];
    memset(w->seen, 0, u * sizeof *w->seen);
    *count = u;
    return 0;
}

static size_t cluster_index(const uint32_t *c, size_t n, uint32_t v)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (c[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* cluster_index, trying first the slot after the last unit's: units come
 * in cluster order, left to right, so the search is rarely needed (and
 * the try, made for every glyph, costs no call). */
static inline size_t cluster_index_from(const uint32_t *c, size_t n, uint32_t v, size_t guess)
{
    if (guess < n && c[guess] <= v && (guess + 1 == n || c[guess + 1] > v))
        return guess;
    return cluster_index(c, n, v);
}




static void end_marked(Tj *t)
{
    if (!t->w->marked)
        return;
    tj_close(t);
    buf_str(t->b, "EMC\n");
    t->w->marked = false;
}

/* Opens a marked-content sequence of the leaf's element: "/P<</MCID 4",
 * left for the caller to add to and close with ">>BDC".  tag: the tag
 * before the properties, the element's type unless given (poppler reads
 * ActualText only in a sequence tagged Span). */
static int begin_marked(Tj *t, const char *tag)
{
    int mcid = tags_mcid(t->tags, t->leaf);
    if (mcid < 0)
        return -1;
    buf_str(t->b, "/");
    buf_str(t->b, tag ? tag : node_kind_name(node_element(t->leaf)->kind));
    buf_str(t->b, "<</MCID ");
    buf_uint(t->b, (uint64_t)mcid);
    return 0;
}

static int open_marked(Tj *t)
{
    tj_close(t);
    if (begin_marked(t, NULL))
        return -1;
    buf_str(t->b, ">>BDC\n");
    t->w->marked = true;
    return 0;
}

/* Before plain glyphs of tagged content: a sequence is open.  Asked for
 * every glyph, so the answer "it is" costs no call. */
static inline int ensure_marked(Tj *t)
{
    return !t->leaf || t->w->marked ? 0 : open_marked(t);
}

static int begin_actual_text(Tj *t, const U16 *text)
{
    tj_close(t);
    if (t->leaf) {
        end_marked(t);
        if (begin_marked(t, "Span"))
            return -1;
        buf_str(t->b, "/ActualText");
    } else {
        buf_str(t->b, "/Span<</ActualText");
    }
    if (text->len) {
        buf_str(t->b, "<FEFF");
        buf_u16_hex(t->b, text->units, text->len);
        buf_str(t->b, ">");
    } else {
        buf_str(t->b, "()");
    }
    buf_str(t->b, ">>BDC\n");
    return 0;
}






/* poppler puts a marked-content span's text at its first glyph's origin,
 * rise included, and ends it where its last glyph ends.  So a cluster that
 * carries ActualText starts with a glyph that sits at the pen on the
 * baseline, if it has one (its base: right to left, the marks come first
 * and a raised one would make the text a stray word above the line). */
static size_t lead_glyph(const Glyph *g, size_t i, size_t j)
{
    for (size_t l = i; l < j; l++)
        if (g[l].x_advance != 0 && g[l].x_offset == 0 && g[l].y_offset == 0)
            return l;
    return i;
}

/* Shows g with its pen at pen; stretched, it ends at end instead of where
 * its advance takes it. */
/* Tf for layer of the span's font, when another is in effect (Tf
 * persists across text objects). */
static int select_font(Writer *w, Buf *b, FontUse *fu, unsigned layer, double size)
{
    int64_t milli = to_milli(size);
    if (w->tf_font == fu && w->tf_layer == layer && w->tf_size == milli)
        return 0;
    if (font_resource(w->fonts, fu, layer, w->page, w->page_no))
        return -1;
    buf_str(b, "/");
    buf_str(b, font_layer_key(fu, layer));
    buf_str(b, " ");
    buf_milli(b, milli);
    buf_str(b, " Tf\n");
    w->tf_font = fu;
    w->tf_layer = layer;
    w->tf_size = milli;
    return 0;
}

/* Shows g, whose code and /W width the caller knows, through layer. */
static int show_coded(Tj *t, const Glyph *g, unsigned layer, unsigned code, int32_t width,
                      int64_t pen, bool stretch, int64_t end)
{
    Writer *w = t->w;
    if (w->tf_font != t->fu || w->tf_layer != layer || w->tf_size != t->size_milli) {
        tj_close(t);
        if (select_font(w, t->b, t->fu, layer, t->size))
            return -1;
    }
    tj_glyph(t, g, code, width, pen, stretch ? end : pen + g->x_advance,
             g->x_offset == 0 && !stretch);
    return 0;
}

static int show_glyph(Tj *t, const Glyph *g, unsigned layer, int64_t pen, bool stretch,
                      int64_t end)
{
    return show_coded(t, g, layer, glyph_code(t->fu, g->gid),
                      font_use_glyph(t->fu, g->gid)->width, pen, stretch, end);
}

static bool only_spaces(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ')
            return false;
    return true;
}

/* Whether a span is set right to left: its bidi level says, as text.c
 * resolved it. */
static bool span_is_rtl(const Page *p, size_t k)
{
    return p->boxes[k].u.text.level & 1;
}

static size_t cluster_end(const GlyphSpan *s, size_t i)
{
    size_t j = i + 1;
    while (j < s->glyph_count && s->glyphs[j].cluster == s->glyphs[i].cluster)
        j++;
    return j;
}

static bool takes_no_room(const GlyphSpan *s, size_t i, size_t j)
{
    for (; i < j; i++)
        if (s->glyphs[i].x_advance != 0)
            return false;
    return true;
}

/* The glyphs extracted as one: a cluster, and with it the marks that the
 * shaper made clusters of their own (HarfBuzz's character cluster
 * levels).  poppler takes a zero-width glyph that starts within 0.1 em of
 * the next for a duplicate and breaks the word there ("दे खभाल"), and a
 * raised one for a line of its own, but reads them right inside their
 * base's ActualText.  The base comes before its marks in logical order:
 * right to left, they precede it on the page. */
static size_t unit_end(const GlyphSpan *s, size_t i, bool rtl)
{
    size_t n = s->glyph_count, j = cluster_end(s, i);
    if (rtl) {
        while (j < n && takes_no_room(s, i, j)) {
            i = j;
            j = cluster_end(s, j);
        }
    } else {
        /* (a next glyph with an advance ends the unit: most do) */
        while (j < n && s->glyphs[j].x_advance == 0 && takes_no_room(s, j, cluster_end(s, j)))
            j = cluster_end(s, j);
    }
    return j;
}

/* The text glyphs [i, j) of s stand for, in w->text as poppler is to read
 * it in ActualText (see poppler_rtl_cluster_text), without bidi controls;
 * [*begin, *end): its bytes in s->text.  sort_clusters(s) must have been
 * called. */
static int unit_text(Writer *w, const GlyphSpan *s, size_t i, size_t j, size_t nclusters,
                     uint32_t *begin, uint32_t *end)
{
    const Glyph *g = s->glyphs;
    uint32_t lo = g[i].cluster, hi = g[i].cluster;
    for (size_t l = i + 1; l < j; l++) {
        lo = g[l].cluster < lo ? g[l].cluster : lo;
        hi = g[l].cluster > hi ? g[l].cluster : hi;
    }
    size_t k = cluster_index_from(w->clusters, nclusters, lo, w->cluster_next);
    size_t k_hi = hi == lo ? k : cluster_index_from(w->clusters, nclusters, hi, k);
    w->cluster_next = k_hi + 1;
    *end = k_hi + 1 < nclusters ? w->clusters[k_hi + 1] : s->text_end;
    *begin = lo;
    if (*end - lo == 1 && (unsigned char)s->text[lo] < 0x80) { /* most units: one ASCII character */
        w->text.len = 0;
        u16_push(&w->text, (unsigned char)s->text[lo]);
    } else if (!u16_from_utf8(&w->text, s->text + lo, *end - lo, true)) {
        diag_error(NULL, "pdf: invalid UTF-8 in text at byte %u", lo);
        return -1;
    }
    /* A cluster split into two runs (unusual shaping) must not be
     * extracted twice: its second run stands for nothing. */
    if (w->seen[k]) {
        w->text.len = 0;
        *begin = *end;
    }
    for (; k <= k_hi; k++)
        w->seen[k] = true;
    if (s->level & 1)
        poppler_rtl_cluster_text(&w->text, j - i == 1);
    return 0;
}

static bool only_spaces_u16(const U16 *t)
{
    for (size_t i = 0; i < t->len; i++)
        if (t->units[i] != ' ')
            return false;
    return t->len > 0;
}

/* A unit of a left-to-right span gets LRM marks (see pdf_poppler.c). */
static bool wants_lrm(const Writer *w, const GlyphSpan *s, uint32_t end)
{
    return w->rtl_doc && only_spaces(s->text + end, s->line_end - end) &&
           poppler_all_weak_not_digits(&w->text);
}

/* A unit of a right-to-left span is fenced with RLM marks when poppler
 * would move it to the neighbouring left-to-right piece (see
 * pdf_poppler.c): every one that holds a space, punctuation or a digit,
 * except a space between two right-to-left letters, which poppler keeps
 * where it is (and fenced, it would make a two-word search fail). */
static bool rtl_fence(const Writer *w, const GlyphSpan *s, size_t i, size_t j, uint32_t end)
{
    if (!poppler_has_weak(&w->text))
        return false;
    if (!only_spaces_u16(&w->text))
        return true;
    uint32_t lo = s->glyphs[i].cluster;
    for (size_t l = i + 1; l < j; l++)
        lo = s->glyphs[l].cluster < lo ? s->glyphs[l].cluster : lo;
    return !poppler_rtl_letters_around(s->text, s->line_end, lo, end);
}

/* A unit of several code points (a conjunct, a ligature) costs
 * glyphtext_partition one shaping per code point, and Devanagari repeats
 * its conjuncts, so its answer is remembered: owner and order depend on
 * the font, the code points, and each glyph's id and whether it takes
 * room (glyphtext_silent).  The key and answer are kept in data: n code
 * points, m glyphs (id, and 1 << 31 when without advance), then n owners
 * and m showing places.  The memos are kept for the process (kept.h): a
 * language's glossary and booklet show the conjuncts its sheets showed
 * before them, and a booklet's parts one another's.  Fonts are told
 * apart by file and face (font_id), which outlive any one Font. */
typedef struct PartitionMemo {
    uint32_t font; /* index in PartitionMemos.fonts */
    uint64_t hash;
    size_t at; /* in data */
    uint32_t n, m;
} PartitionMemo;

typedef struct MemoFont {
    char *path;
    unsigned face_index;
} MemoFont;

typedef struct PartitionMemos {
    PartitionMemo *memos;
    size_t count, cap;
    uint32_t *slots; /* open addressing: 1 + index into memos, 0 free */
    size_t slot_count;
    uint32_t *data;  /* every memo's key and answer, one after another */
    size_t data_len, data_cap;
    MemoFont *fonts;
    size_t font_count, font_cap;
    bool hooked;
} PartitionMemos;

static PartitionMemos kept_memos;

enum {
    MEMO_MAX = 32,    /* glyphtext_partition shapes again up to 32 code points */
    MEMO_KEPT = 4096, /* then the memos start again: a whole build keeps a few hundred */
};

static void free_kept_memos(void)
{
    PartitionMemos *pm = &kept_memos;
    free(pm->memos);
    free(pm->slots);
    free(pm->data);
    for (size_t f = 0; f < pm->font_count; f++)
        free(pm->fonts[f].path);
    free(pm->fonts);
    *pm = (PartitionMemos){.hooked = pm->hooked};
}

/* The font's index in kept_memos.fonts, the last one asked for
 * remembered by the writer (whose fonts outlive it). */
static uint32_t font_id(Writer *w, const Font *font)
{
    PartitionMemos *pm = &kept_memos;
    if (w->memo_font == font)
        return w->memo_font_id;
    size_t f = 0;
    while (f < pm->font_count &&
           (pm->fonts[f].face_index != font->face_index || strcmp(pm->fonts[f].path, font->path)))
        f++;
    if (f == pm->font_count) {
        kept_free_at_exit(&pm->hooked, free_kept_memos);
        if (pm->font_count == pm->font_cap) {
            pm->font_cap = pm->font_cap ? 2 * pm->font_cap : 16;
            pm->fonts = xreallocarray(pm->fonts, pm->font_cap, sizeof *pm->fonts);
        }
        pm->fonts[pm->font_count++] = (MemoFont){xstrdup(font->path), font->face_index};
    }
    w->memo_font = font;
    w->memo_font_id = (uint32_t)f;
    return w->memo_font_id;
}

static uint32_t glyph_key(const Glyph *g)
{
    return g->gid | (g->x_advance == 0 ? UINT32_C(1) << 31 : 0);
}

static uint64_t memo_hash(uint32_t font, const uint32_t *cps, size_t n, const Glyph *g, size_t m)
{
    uint64_t h = 0xcbf29ce484222325u ^ font; /* FNV-1a */
    for (size_t k = 0; k < n; k++)
        h = (h ^ cps[k]) * 0x100000001b3u;
    h = (h ^ 0xFFFFFFFFu) * 0x100000001b3u;
    for (size_t k = 0; k < m; k++)
        h = (h ^ glyph_key(&g[k])) * 0x100000001b3u;
    return h;
}

static bool memo_matches(const PartitionMemos *pm, const PartitionMemo *e, uint32_t font,
                         uint64_t h, const uint32_t *cps, size_t n, const Glyph *g, size_t m)
{
    if (e->hash != h || e->font != font || e->n != n || e->m != m)
        return false;
    const uint32_t *d = pm->data + e->at;
    if (memcmp(d, cps, n * sizeof *cps) != 0)
        return false;
    for (size_t k = 0; k < m; k++)
        if (d[n + k] != glyph_key(&g[k]))
            return false;
    return true;
}

static void memo_insert_slot(PartitionMemos *pm, uint64_t h, uint32_t index)
{
    size_t mask = pm->slot_count - 1, slot = (size_t)h & mask;
    while (pm->slots[slot])
        slot = (slot + 1) & mask;
    pm->slots[slot] = index + 1;
}

static void memo_add(Writer *w, uint32_t font, uint64_t h, const uint32_t *cps, size_t n,
                     const Glyph *g, size_t m)
{
    PartitionMemos *pm = &kept_memos;
    if (pm->count == MEMO_KEPT) {
        pm->count = pm->data_len = 0;
        memset(pm->slots, 0, pm->slot_count * sizeof *pm->slots);
    }
    if (2 * (pm->count + 1) > pm->slot_count) {
        size_t count = pm->slot_count ? 2 * pm->slot_count : 256;
        free(pm->slots);
        pm->slots = xcalloc(count, sizeof *pm->slots);
        pm->slot_count = count;
        for (size_t e = 0; e < pm->count; e++)
            memo_insert_slot(pm, pm->memos[e].hash, (uint32_t)e);
    }
    if (pm->count == pm->cap) {
        pm->cap = pm->cap ? 2 * pm->cap : 128;
        pm->memos = xreallocarray(pm->memos, pm->cap, sizeof *pm->memos);
    }
    size_t need = pm->data_len + 2 * (n + m);
    if (need > pm->data_cap) {
        pm->data_cap = need > 2 * pm->data_cap ? need : 2 * pm->data_cap;
        pm->data = xreallocarray(pm->data, pm->data_cap, sizeof *pm->data);
    }
    uint32_t *d = pm->data + pm->data_len;
    memcpy(d, cps, n * sizeof *cps);
    for (size_t k = 0; k < m; k++)
        d[n + k] = glyph_key(&g[k]);
    for (size_t k = 0; k < n; k++)
        d[n + m + k] = w->owner[k] == NO_GLYPH ? UINT32_MAX : (uint32_t)w->owner[k];
    for (size_t k = 0; k < m; k++)
        d[2 * n + m + k] = (uint32_t)w->order[k];
    pm->memos[pm->count] = (PartitionMemo){.font = font, .hash = h, .at = pm->data_len,
                                           .n = (uint32_t)n, .m = (uint32_t)m};
    memo_insert_slot(pm, h, (uint32_t)pm->count);
    pm->count++;
    pm->data_len = need;
}

/* glyphtext_partition of the unit into w->owner and w->order, from
 * memory when the same unit came before. */
static void partition_remembered(Writer *w, const Font *font, size_t n, const Glyph *g, size_t m)
{
    const PartitionMemos *pm = &kept_memos;
    if (n < 2 || n > MEMO_MAX || m > MEMO_MAX) {
        glyphtext_partition(w->reshape, font, w->cps, n, g, m, w->owner, NULL, w->order);
        return;
    }
    uint32_t id = font_id(w, font);
    uint64_t h = memo_hash(id, w->cps, n, g, m);
    if (pm->slot_count) {
        size_t mask = pm->slot_count - 1;
        for (size_t slot = (size_t)h & mask; pm->slots[slot]; slot = (slot + 1) & mask) {
            const PartitionMemo *e = &pm->memos[pm->slots[slot] - 1];
            if (!memo_matches(pm, e, id, h, w->cps, n, g, m))
                continue;
            const uint32_t *answer = pm->data + e->at + n + m;
            for (size_t k = 0; k < n; k++)
                w->owner[k] = answer[k] == UINT32_MAX ? NO_GLYPH : answer[k];
            for (size_t k = 0; k < m; k++)
                w->order[k] = answer[n + k];
            return;
        }
    }
    glyphtext_partition(w->reshape, font, w->cps, n, g, m, w->owner, NULL, w->order);
    memo_add(w, id, h, w->cps, n, g, m);
}

/* Shares the unit's text out over its glyphs (pdf_glyphtext.h) and
 * records each glyph's share as its ToUnicode entry, so that readers that
 * go glyph by glyph read the text.  Returns whether the unit needs
 * ActualText all the same: several glyphs (poppler would misplace marks
 * and reordered vowel signs), an entry the glyph already has for other
 * text, or right-to-left text of more than one character on one glyph
 * (poppler would reverse it) that has no presentation form. */
static bool share_unit(Writer *w, FontUse *fu, const GlyphSpan *s, size_t i, size_t j,
                       uint32_t begin, uint32_t end)
{
    size_t m = j - i, n = 0;
    const unsigned char *p = (const unsigned char *)s->text + begin;
    size_t left = end - begin;
    if (left + 1 > w->cp_cap) {
        w->cps = xreallocarray(w->cps, left + 1, sizeof *w->cps);
        w->owner = xreallocarray(w->owner, left + 1, sizeof *w->owner);
        w->cp_cap = left + 1;
    }
    while (left) {
        size_t k = utf8_decode(p, left, &w->cps[n]);
        if (!k)
            break; /* validated before: cannot happen */
        n++;
        p += k;
        left -= k;
    }
    if (m > w->glyph_cap) {
        w->order = xreallocarray(w->order, m, sizeof *w->order);
        w->own = xreallocarray(w->own, m, sizeof *w->own);
        w->layer = xreallocarray(w->layer, m, sizeof *w->layer);
        memset(w->own + w->glyph_cap, 0, (m - w->glyph_cap) * sizeof *w->own);
        w->glyph_cap = m;
    }
    for (size_t g = 0; g < m; g++)
        w->own[g].len = 0;
    w->cp_count = n;
    partition_remembered(w, fu->font, n, s->glyphs + i, m);
    for (size_t k = 0; k < n; k++)
        if (w->owner[k] != NO_GLYPH)
            u16_push(&w->own[w->owner[k]], w->cps[k]);
    bool rtl = s->level & 1, wrap = w->text.len == 0;
    /* Left to right, glyphs side by side need no ActualText: shown left
     * to right with their texts dealt out in that order, every reader
     * reads them as written.  poppler takes a mark (no advance, or moved
     * off the pen) for a duplicate and breaks the word there, and reads
     * right-to-left clusters its own way: those keep it. */
    for (size_t g = 0; g < m && !wrap; g++) {
        const Glyph *gl = &s->glyphs[i + g];
        wrap = m > 1 && (rtl ||
                         ((gl->x_advance == 0 || gl->x_offset || gl->y_offset) &&
                          !glyphtext_silent(fu->font, gl)));
    }
    for (size_t g = 0; g < m; g++) {
        U16 *own = &w->own[g];
        if (rtl && own->len > 1) {
            uint16_t form = poppler_presentation_form(own);
            if (form) {
                own->units[0] = form;
                own->len = 1;
            } else if (poppler_is_rtl_text(own)) {
                wrap = true;
            }
        }
    }
    return wrap;
}

/* Do the shown glyphs' texts, one after the other, give the unit's text
 * (its code points that some glyph stands for, in order)? */
static bool reads_as_written(const Writer *w, size_t shown)
{
    size_t next = 0; /* the next code point some glyph stands for */
    for (size_t o = 0; o < shown; o++)
        for (size_t k = 0; k < w->cp_count; k++) {
            if (w->owner[k] != w->order[o])
                continue;
            while (next < w->cp_count && w->owner[next] == NO_GLYPH)
                next++;
            if (k != next)
                return false;
            next++;
        }
    while (next < w->cp_count && w->owner[next] == NO_GLYPH)
        next++;
    return next == w->cp_count;
}

/* Deals the unit's text out again in showing order: the runs of code
 * points that one glyph stands for, in the order written, one run to each
 * glyph shown and the rest to the last; a long run is split when there
 * are more glyphs than runs.  Glyph by glyph, it then reads as written
 * (a reph and vowel sign on one glyph around the consonant, say). */
static void deal_in_runs(Writer *w, size_t shown)
{
    size_t start[64], stop[64], runs = 0;
    for (size_t k = 0; k < w->cp_count && runs < 64; k++) {
        if (w->owner[k] == NO_GLYPH)
            continue;
        if (runs && stop[runs - 1] == k && w->owner[k] == w->owner[k - 1]) {
            stop[runs - 1] = k + 1;
            continue;
        }
        start[runs] = k;
        stop[runs++] = k + 1;
    }
    while (runs < shown && runs < 64) {
        size_t longest = 0;
        for (size_t r = 1; r < runs; r++)
            if (stop[r] - start[r] > stop[longest] - start[longest])
                longest = r;
        if (stop[longest] - start[longest] < 2)
            break;
        for (size_t r = runs; r > longest + 1; r--) {
            start[r] = start[r - 1];
            stop[r] = stop[r - 1];
        }
        start[longest + 1] = start[longest] + 1;
        stop[longest + 1] = stop[longest];
        stop[longest] = start[longest] + 1;
        runs++;
    }
    for (size_t o = 0; o < shown; o++) {
        U16 *t = &w->own[w->order[o]];
        t->len = 0;
        size_t last = o + 1 == shown ? runs : o + 1;
        for (size_t r = o; r < last && r < runs; r++)
            for (size_t k = start[r]; k < stop[r]; k++)
                if (w->owner[k] != NO_GLYPH)
                    u16_push(t, w->cps[k]);
    }
}

/* The unit's glyphs in showing order (w->order, shown of them): glyphs
 * that draw nothing left out (they stand for no text and would only need
 * a ToUnicode entry of their own) unless nothing else is there; for
 * ActualText, the first glyph on the baseline in visual order first,
 * since poppler puts the span's text at its first glyph's origin and
 * takes words apart where that leaves a gap (a pre-base vowel sign, then,
 * goes before its consonant).  When the glyphs' texts then do not read as
 * written, they are dealt out again (deal_in_runs); each glyph then shows
 * through the font layer whose ToUnicode says so (pdf_fonts.h). */
static size_t showing_order(Writer *w, FontUse *fu, const GlyphSpan *s, size_t i, size_t j,
                            bool wrap)
{
    const Glyph *g = s->glyphs;
    size_t m = j - i, shown = 0;
    for (size_t o = 0; o < m; o++)
        if (m == 1 || !glyphtext_silent(fu->font, &g[i + w->order[o]]))
            w->order[shown++] = w->order[o];
    if (shown == 0)
        w->order[shown++] = 0;
    if (!wrap) {
        /* without ActualText poppler reads a word's glyphs left to right */
        shown = 0;
        for (size_t o = 0; o < m; o++)
            if (m == 1 || !glyphtext_silent(fu->font, &g[i + o]))
                w->order[shown++] = o;
        if (shown == 0)
            w->order[shown++] = 0;
    }
    size_t lead = lead_glyph(g, i, j) - i;
    if (wrap && w->order[0] != lead)
        for (size_t o = 1; o < shown; o++)
            if (w->order[o] == lead) {
                for (; o > 0; o--)
                    w->order[o] = w->order[o - 1];
                w->order[0] = lead;
                break;
            }
    if (!reads_as_written(w, shown))
        deal_in_runs(w, shown);
    for (size_t k = 0; k < m; k++)
        w->layer[k] = font_map_glyph(fu, g[i + k].gid, &w->own[k]);
    return shown;
}

/* What a plain unit's glyph came to (see emit_plain_run), by font,
 * glyph and character: its layer (font_map_glyph), code and /W width, and
 * the character's weight in poppler's tally.  Direct mapped; an entry
 * stays right for the whole document, since a glyph's ToUnicode entry in
 * a layer never changes once made.  Fonts are told apart by their index:
 * FontUses may move them when a booklet's part brings a new one. */
typedef struct PlainGlyph {
    uint32_t gid; /* 0: empty (validate lets no glyph 0 through) */
    uint32_t font;
    uint16_t unit;
    int8_t weight;
    unsigned layer, code;
    int32_t width;
} PlainGlyph;

enum { PLAIN_SLOTS = 1024 }; /* a page of CJK draws a few hundred distinct glyphs */

/* unit: the character, in the BMP (w->text is left holding it) */
static const PlainGlyph *plain_glyph(Writer *w, FontUse *fu, uint32_t gid, uint16_t unit)
{
    /* (multiplied, so that a Latin glyph id and its character, which
     * differ by a constant, and a glyph in the bold and regular faces
     * land apart) */
    uint32_t h = gid * 0x9E3779B1u ^ unit * 0x85EBCA6Bu ^ (uint32_t)fu->index * 0xC2B2AE35u;
    PlainGlyph *e = &w->plain[(h >> 16) % PLAIN_SLOTS];
    if (e->gid == gid && e->unit == unit && e->font == fu->index)
        return e;
    w->text.len = 0;
    u16_push(&w->text, unit);
    long weight = 0;
    poppler_count_strong(&weight, &w->text);
    *e = (PlainGlyph){.gid = gid, .font = (uint32_t)fu->index, .unit = unit,
                      .weight = (int8_t)weight, .layer = font_map_glyph(fu, gid, &w->text),
                      .code = glyph_code(fu, gid), .width = font_use_glyph(fu, gid)->width};
    return e;
}

/* tj_glyph for a glyph on the baseline at pen (font units), where the
 * string open in the TJ array already takes it, after a number if it is
 * kerned: no rise, no character spacing, a code that needs no escape.
 * Returns false, having written nothing, when tj_glyph is needed. */
static inline bool tj_append(Tj *t, unsigned code, int32_t width, int64_t pen)
{
    unsigned char bytes[2] = {(unsigned char)(code >> 8), (unsigned char)code};
    if (!t->in_string || t->rise || t->tc || needs_escape(bytes[0]) || needs_escape(bytes[1]))
        return false;
    int64_t want = font_units_to_micro_em(t, pen);
    if (t->shown != want) {
        buf_str(t->b, ")");
        buf_milli(t->b, t->shown - want);
        buf_str(t->b, "(");
    }
    buf_put(t->b, (const char *)bytes, 2);
    t->shown = want + (int64_t)width * 1000;
    return true;
}

/* Most units are one glyph for one character that is not a
 * default-ignorable, left to right on a left-to-right sheet: for those
 * share_unit, showing_order and the marks for poppler (emit_cluster)
 * would come to the character as the glyph's text, no ActualText and the
 * glyph at the pen.  So the run of them from glyph *at on is shown here,
 * a unit at a time without that machinery (unit_end and unit_text, for
 * one glyph), and *at moved past it; the first unit that is not plain
 * is left to emit_cluster.  s is left to right, the sheet too. */
static int emit_plain_run(Writer *w, Tj *t, FontUse *fu, const GlyphSpan *s, size_t *at,
                          size_t nclusters)
{
    const Glyph *g = s->glyphs;
    size_t n = s->glyph_count;
    for (size_t i = *at; i < n; *at = ++i) {
        uint32_t c = g[i].cluster;
        /* the glyph a unit of its own: the next is of another cluster, and
         * no mark (which would join the unit, see unit_end) */
        if (i + 1 < n && (g[i + 1].cluster == c || g[i + 1].x_advance == 0))
            return 0;
        size_t k = cluster_index_from(w->clusters, nclusters, c, w->cluster_next);
        if (w->seen[k]) /* the cluster's text was shown before: see unit_text */
            return 0;
        uint32_t end = k + 1 < nclusters ? w->clusters[k + 1] : s->text_end;
        uint32_t cp = (unsigned char)s->text[c];
        if (end - c != 1 || cp >= 0x80) { /* most units: one ASCII character */
            /* one code point of the BMP that the shaper keeps (a bidi
             * control is ignorable too); invalid UTF-8 is for unit_text
             * to report */
            if (utf8_decode((const unsigned char *)s->text + c, end - c, &cp) != end - c ||
                cp >= 0x10000 || glyphtext_ignorable(cp))
                return 0;
        }
        w->cluster_next = k + 1;
        w->seen[k] = true;
        if (ensure_marked(t))
            return -1;
        const PlainGlyph *e = plain_glyph(w, fu, g[i].gid, (uint16_t)cp);
        w->strong_balance += e->weight;
        int64_t pen = t->pen;
        t->pen += g[i].x_advance;
        bool same_font = w->tf_font == fu && w->tf_layer == e->layer &&
                         w->tf_size == t->size_milli;
        if (same_font && g[i].x_offset == 0 && g[i].y_offset == 0 &&
            tj_append(t, e->code, e->width, pen))
            continue;
        if (show_coded(t, &g[i], e->layer, e->code, e->width, pen, false, t->pen))
            return -1;
    }
    return 0;
}

/* Glyphs [i, j) are extracted as one (see unit_end): shown in the order
 * their texts are written, each at its own place; ActualText around them
 * where share_unit says so, or where poppler needs marks (see
 * pdf_poppler.c). */
static int emit_cluster(Writer *w, Tj *t, FontUse *fu, const GlyphSpan *s,
                        size_t i, size_t j, size_t nclusters, bool rtl)
{
    const Glyph *g = s->glyphs;
    uint32_t begin, end;
    if (unit_text(w, s, i, j, nclusters, &begin, &end))
        return -1;
    bool wrap = share_unit(w, fu, s, i, j, begin, end);
    /* Marks for poppler; the ToUnicode entries stay plain.  On a
     * left-to-right sheet every weak character set right to left gets
     * them. */
    if (rtl ? (w->rtl_doc ? rtl_fence(w, s, i, j, end) : poppler_has_weak(&w->text))
            : wants_lrm(w, s, end)) {
        poppler_fence(&w->text, rtl ? RLM : LRM);
        wrap = true;
    }
    poppler_count_strong(&w->strong_balance, &w->text);
    if (wrap ? begin_actual_text(t, &w->text) : ensure_marked(t))
        return -1;
    size_t m = j - i, shown = showing_order(w, fu, s, i, j, wrap);
    int64_t cluster_end = t->pen;
    for (size_t l = i; l < j; l++)
        cluster_end += g[l].x_advance;
    for (size_t o = 0; o < shown; o++) {
        size_t l = i + w->order[o];
        int64_t pen = t->pen;
        for (size_t v = i; v < l; v++)
            pen += g[v].x_advance;
        /* The last one shown ends where the cluster ends: poppler takes
         * the span's extent from it. */
        bool stretch = o + 1 == shown && m > 1 && pen + g[l].x_advance != cluster_end;
        if (show_glyph(t, &g[l], w->layer[l - i], pen, stretch, cluster_end))
            return -1;
    }
    t->pen = cluster_end;
    if (wrap) {
        /* poppler takes the span's extent from its last glyph, minus the
         * Tc in effect at EMC: reset first, or the stretch is lost. */
        tj_close(t);
        tj_set(t, &t->tc, 0, " Tc\n");
        buf_str(t->b, "EMC\n");
    }
    return 0;
}

/* The hyphen the line breaking added, drawn at the pen.  Its ToUnicode
 * entry is a soft hyphen (U+00AD), what it is: readers that go glyph by
 * glyph and screen readers get the whole word.  poppler joins a word
 * across lines only at a hyphen-minus, so ActualText says "-" for it. */
static int emit_hyphen(Tj *t, FontUse *fu, const GlyphSpan *s)
{
    U16 text = {0};
    u16_push(&text, 0x00AD);
    unsigned layer = font_map_glyph(fu, s->hyphen_gid, &text);
    text.len = 0;
    u16_push(&text, '-');
    int rc = begin_actual_text(t, &text);
    u16_free(&text);
    if (rc)
        return -1;
    Glyph g = {.gid = s->hyphen_gid, .x_advance = s->hyphen_advance};
    int64_t pen = t->pen;
    t->pen += s->hyphen_advance;
    if (show_glyph(t, &g, layer, pen, false, t->pen))
        return -1;
    tj_close(t);
    buf_str(t->b, "EMC\n");
    return 0;
}

static int emit_glyphs(Writer *w, Tj *t, FontUse *fu, const GlyphSpan *s, bool rtl)
{
    size_t nclusters, n = s->glyph_count;
    if (sort_clusters(w, s, &nclusters))
        return -1;
    if (!rtl) {
        for (size_t i = 0, j; i < n; i = j) {
            if (!w->rtl_doc && emit_plain_run(w, t, fu, s, &i, nclusters))
                return -1;
            if (i == n)
                break;
            j = unit_end(s, i, rtl);
            if (emit_cluster(w, t, fu, s, i, j, nclusters, rtl))
                return -1;
        }
        if (s->hyphen && emit_hyphen(t, fu, s))
            return -1;
        tj_end(t);
        return 0;
    }
    /* Right to left, the units are shown in logical order, each at its
     * own place, the pen jumping leftwards: readers that take text in the
     * order it is drawn (poppler's -struct-text, screen readers walking the
     * structure tree) then read it as it is written, and the page looks
     * the same. */
    int64_t pen = t->pen;
    size_t units = 0;
    for (size_t i = 0; i < n; i = unit_end(s, i, rtl))
        units++;
    if (units > w->unit_cap) {
        w->unit_start = xreallocarray(w->unit_start, units, sizeof *w->unit_start);
        w->unit_pen = xreallocarray(w->unit_pen, units, sizeof *w->unit_pen);
        w->unit_cap = units;
    }
    size_t u = 0;
    for (size_t i = 0, j; i < n; i = j, u++) {
        j = unit_end(s, i, rtl);
        w->unit_start[u] = i;
        w->unit_pen[u] = pen;
        for (size_t l = i; l < j; l++)
            pen += s->glyphs[l].x_advance;
    }
    while (u-- > 0) {
        size_t i = w->unit_start[u], j = u + 1 < units ? w->unit_start[u + 1] : n;
        t->pen = w->unit_pen[u];
        if (emit_cluster(w, t, fu, s, i, j, nclusters, rtl))
            return -1;
    }
    t->pen = pen;
    tj_end(t);
    return 0;
}


/* rg persists across text objects, so it is only written when it
 * changes (Tf likewise: select_font). */
static void text_colour(Writer *w, const GlyphSpan *s)
{
    Buf *b = &w->out;
    int64_t rgb[3] = {to_milli(s->color.r), to_milli(s->color.g), to_milli(s->color.b)};
    if (!w->rgb_valid || memcmp(rgb, w->rgb, sizeof rgb) != 0) {
        for (int i = 0; i < 3; i++) {
            buf_milli(b, rgb[i]);
            buf_str(b, " ");
        }
        buf_str(b, "rg\n");
        memcpy(w->rgb, rgb, sizeof rgb);
        w->rgb_valid = true;
    }
}

/* Appends the operators collected in w->out to the page's content stream. */
static int flush_to_page(Writer *w)
{
    Buf *b = &w->out;
    int rc = pdfo_check(w->doc, "page content", pdfo_page_write(w->doc, w->page, b->data, b->len));
    b->len = 0;
    return rc;
}

static void rgb(Buf *b, Color c, const char *op)
{
    buf_num(b, c.r);
    buf_str(b, " ");
    buf_num(b, c.g);
    buf_str(b, " ");
    buf_num(b, c.b);
    buf_str(b, op);
}

static void point(Buf *b, double x, double y)
{
    buf_num(b, x);
    buf_str(b, " ");
    buf_num(b, y);
    buf_str(b, " ");
}

static void curve(Buf *b, double x1, double y1, double x2, double y2, double x3, double y3)
{
    point(b, x1, y1);
    point(b, x2, y2);
    point(b, x3, y3);
    buf_str(b, "c\n");
}

/* A rectangle, its corners rounded by quarter circles when r->radius. */
static void draw_rect(Writer *w, const RectBox *r)
{
    Buf *b = &w->out;
    bool stroke = r->line_width > 0;
    if (!r->fill && !stroke)
        return;
    if (r->fill)
        rgb(b, r->fill_color, " rg\n");
    if (stroke) {
        rgb(b, r->stroke, " RG\n");
        buf_num(b, r->line_width);
        buf_str(b, " w\n");
    }
    double x0 = r->x, y0 = r->y, x1 = r->x + r->width, y1 = r->y + r->height;
    double rad = r->radius;
    if (rad > r->width / 2)
        rad = r->width / 2;
    if (rad > r->height / 2)
        rad = r->height / 2;
    if (rad > 0) {
        double k = rad * 0.5522847498; /* Bezier handle for a quarter circle */
        point(b, x0 + rad, y0);
        buf_str(b, "m\n");
        point(b, x1 - rad, y0);
        buf_str(b, "l\n");
        curve(b, x1 - rad + k, y0, x1, y0 + rad - k, x1, y0 + rad);
        point(b, x1, y1 - rad);
        buf_str(b, "l\n");
        curve(b, x1, y1 - rad + k, x1 - rad + k, y1, x1 - rad, y1);
        point(b, x0 + rad, y1);
        buf_str(b, "l\n");
        curve(b, x0 + rad - k, y1, x0, y1 - rad + k, x0, y1 - rad);
        point(b, x0, y0 + rad);
        buf_str(b, "l\n");
        curve(b, x0, y0 + rad - k, x0 + rad - k, y0, x0 + rad, y0);
        buf_str(b, "h\n");
    } else {
        point(b, x0, y0);
        point(b, r->width, r->height);
        buf_str(b, "re\n");
    }
    buf_str(b, r->fill && stroke ? "B\n" : r->fill ? "f\n" : "S\n");
    w->rgb_valid = false; /* the text's fill colour is no longer current */
}

/* Ends the marked content of a leaf's text; its text object stays open
 * for the next leaf's. */
static void end_leaf(Writer *w)
{
    if (w->marked)
        buf_str(&w->out, "EMC\n");
    w->marked = false;
    w->text_leaf = NULL;
}

/* Ends the text object of content text, and its marked content. */
static void end_text(Writer *w)
{
    end_leaf(w);
    if (w->in_text)
        buf_str(&w->out, "ET\n");
    w->in_text = false;
}

/* Box k of page p; leaf: the TEXT node it is content of, NULL for an
 * artifact.  Content text goes into the open text object of content text
 * (opened here, ended by end_text); an artifact gets one of its own. */
static int draw_text(Writer *w, const Page *p, size_t k, const Node *leaf)
{
    const GlyphSpan *s = &p->boxes[k].u.text;
    if (s->glyph_count == 0)
        return 0;
    bool rtl = span_is_rtl(p, k);
    FontUse *fu = font_use(w->fonts, s->font);
    Buf *b = &w->out;
    if (!leaf || !w->in_text) {
        buf_str(b, "BT\n");
        w->in_text = leaf != NULL;
    }
    w->text_leaf = leaf;
    text_colour(w, s);
    buf_str(b, "1 0 0 1 ");
    buf_num(b, s->x);
    buf_str(b, " ");
    buf_num(b, s->y);
    buf_str(b, " Tm\n");
    Tj t = {.b = b, .font = fu->font, .size = s->size, .size_milli = to_milli(s->size),
            .tags = w->tags, .leaf = leaf, .w = w, .fu = fu};
    if (emit_glyphs(w, &t, fu, s, rtl))
        return -1;
    if (!leaf)
        buf_str(b, "ET\n");
    return 0;
}

/* poppler (22.12) reads a whole page in one direction, that of the
 * majority of its letters (RLM and LRM count).  On a right-to-left sheet a
 * page that is mostly Latin citations would be read left to right, and
 * every Arabic line on it would come out in visual order, words and all.
 * So such a page ends with one invisible glyph (a space, no ink, in render
 * mode 3) whose ActualText holds enough RLMs to tip the balance, with a
 * margin because poppler may classify a few characters differently from
 * HarfBuzz, placed at the right end of the page's first right-to-left
 * line.  It is an artifact: no part of the content, so screen readers and
 * the structure tree skip it, while poppler's text extraction, which reads
 * artifacts too, still counts its marks. */
enum { DIRECTION_MARGIN = 16 };

static int draw_direction_marker(Writer *w, const Page *p)
{
    long balance = w->strong_balance;
    const GlyphSpan *anchor = NULL;
    for (size_t i = 0; i < p->box_count && !anchor; i++) {
        const GlyphSpan *s = &p->boxes[i].u.text;
        size_t n = s->glyph_count;
        if (p->boxes[i].kind == BOX_TEXT && n > 1 && (s->level & 1))
            anchor = s;
    }
    if (!anchor || balance < -DIRECTION_MARGIN)
        return 0;
    hb_codepoint_t gid;
    if (!hb_font_get_nominal_glyph(anchor->font->hb, ' ', &gid))
        return 0;
    FontUse *fu = font_use(w->fonts, anchor->font);
    int64_t adv = 0;
    for (size_t i = 0; i < anchor->glyph_count; i++)
        adv += anchor->glyphs[i].x_advance;
    U16 space = {0};
    u16_push(&space, ' ');
    unsigned layer = font_map_glyph(fu, gid, &space);
    u16_free(&space);
    Buf *b = &w->out;
    buf_str(b, "/Artifact BMC\nBT\n");
    text_colour(w, anchor);
    if (select_font(w, b, fu, layer, anchor->size))
        return -1;
    buf_str(b, "3 Tr\n1 0 0 1 ");
    buf_num(b, anchor->x + (double)adv * anchor->size / anchor->font->upem);
    buf_str(b, " ");
    buf_num(b, anchor->y);
    buf_str(b, " Tm\n/Span<</ActualText<FEFF");
    for (long i = 0; i <= balance + DIRECTION_MARGIN; i++)
        buf_hex4(b, RLM);
    buf_str(b, ">>>BDC\n<");
    unsigned code = glyph_code(fu, gid);
    buf_hex4(b, code);
    buf_str(b, ">Tj\nEMC\n0 Tr\nET\nEMC\n");
    return flush_to_page(w);
}

/* ---- marked content ----------------------------------------------------- */

/* Artifacts say what they are: page furniture is pagination, decoration
 * is layout. */
static void begin_artifact(Buf *b, const Node *node)
{
    if (node && node->kind == NODE_ARTIFACT && node->furniture == FURNITURE_HEAD)
        buf_str(b, "/Artifact<</Type/Pagination/Subtype/Header>>BDC\n");
    else if (node && node->kind == NODE_ARTIFACT)
        buf_str(b, "/Artifact<</Type/Pagination/Subtype/Footer>>BDC\n");
    else
        buf_str(b, "/Artifact<</Type/Layout>>BDC\n");
}

/* A figure's drawing (rectangles that are content, not decoration): one
 * marked-content sequence of the Figure element per run of its boxes. */
static bool figure_content(const Box *box)
{
    return box->kind == BOX_RECT && !box->artifact && box->node &&
           box->node->kind == NODE_FIGURE;
}

/* A run of a figure's modules (flow.c's draw_figure: one rectangle per
 * run of dark modules in a row) in module units: a QR code's few hundred
 * rectangles then cost a few digits each instead of four decimals.  Each
 * is filled on its own, as before: poppler snaps a lone rectangle to whole
 * pixels, which keeps the code crisp, but anti-aliases one path of many.
 * Runs of the same columns in consecutive rows are one rectangle (a
 * fifth fewer): its edges are the runs' outer edges and snap to the same
 * pixels, and the edges between the runs, snapped to one pixel boundary
 * from both sides, left no gap to fill.  Returns how many boxes from i it
 * drew: 0 when they are not plain filled rectangles on the figure's grid,
 * to be drawn one by one. */
typedef struct ModuleRect {
    unsigned col, row, width, height; /* in modules; row: the lowest */
} ModuleRect;

static size_t draw_module_grid(Writer *w, const Page *p, size_t i)
{
    const Box *first = &p->boxes[i];
    const Node *figure = first->node;
    if (!figure || figure->modules_per_side == 0)
        return 0;
    double module = figure->figure_size / (figure->modules_per_side + 8);
    size_t end = i;
    double x0 = first->u.rect.x, y0 = first->u.rect.y;
    for (; end < p->box_count && figure_content(&p->boxes[end]) &&
           p->boxes[end].node == figure;
         end++) {
        const RectBox *r = &p->boxes[end].u.rect;
        if (r->radius > 0 || r->line_width > 0 || !r->fill ||
            memcmp(&r->fill_color, &first->u.rect.fill_color, sizeof r->fill_color) != 0 ||
            fabs(r->height - module) > 1e-9)
            return 0;
        x0 = fmin(x0, r->x);
        y0 = fmin(y0, r->y);
    }
    unsigned side = figure->modules_per_side;
    for (size_t k = i; k < end; k++) {
        const RectBox *r = &p->boxes[k].u.rect;
        double cols = (r->x - x0) / module, rows = (r->y - y0) / module, width = r->width / module;
        if (fabs(cols - round(cols)) > 1e-6 || fabs(rows - round(rows)) > 1e-6 ||
            fabs(width - round(width)) > 1e-6 || round(cols) >= side)
            return 0;
    }
    /* The runs come a row at a time; a run continues the rectangle that
     * starts at its column if that one ends on the row above, as wide. */
    ModuleRect *rects = xreallocarray(NULL, end - i, sizeof *rects);
    size_t *open = xcalloc(side, sizeof *open); /* 1 + index into rects */
    size_t count = 0;
    for (size_t k = i; k < end; k++) {
        const RectBox *r = &p->boxes[k].u.rect;
        unsigned col = (unsigned)round((r->x - x0) / module);
        unsigned row = (unsigned)round((r->y - y0) / module);
        unsigned width = (unsigned)round(r->width / module);
        ModuleRect *above = open[col] ? &rects[open[col] - 1] : NULL;
        if (above && above->row == row + 1 && above->width == width) {
            above->row = row;
            above->height++;
        } else {
            rects[count++] = (ModuleRect){col, row, width, 1};
            open[col] = count;
        }
    }
    free(open);
    Buf *b = &w->out;
    /* The module to a micro-point: over 40 modules, milli-points would
     * drift by a hundredth of a point. */
    char scale[32];
    snprintf(scale, sizeof scale, "%.6f", module);
    buf_str(b, "q\n");
    buf_str(b, scale);
    buf_str(b, " 0 0 ");
    buf_str(b, scale);
    buf_str(b, " ");
    point(b, x0, y0);
    buf_str(b, "cm\n");
    rgb(b, first->u.rect.fill_color, " rg\n");
    for (size_t k = 0; k < count; k++) {
        buf_uint(b, rects[k].col);
        buf_str(b, " ");
        buf_uint(b, rects[k].row);
        buf_str(b, " ");
        buf_uint(b, rects[k].width);
        buf_str(b, " ");
        buf_uint(b, rects[k].height);
        buf_str(b, " re f\n");
    }
    free(rects);
    buf_str(b, "Q\n");
    w->rgb_valid = false;
    return end - i;
}

static int begin_figure(Writer *w, const Node *figure)
{
    int mcid = tags_mcid(w->tags, figure);
    if (mcid < 0)
        return -1;
    char s[64];
    snprintf(s, sizeof s, "/Figure<</MCID %d>>BDC\n", mcid);
    buf_str(&w->out, s);
    return 0;
}


/* ---- links --------------------------------------------------------------- */

/* The extent of a text box: its advance, and the font's ascent and
 * descent around the baseline. */
static void span_extent(const GlyphSpan *s, double *x0, double *y0, double *x1, double *y1)
{
    int64_t adv = 0;
    for (size_t i = 0; i < s->glyph_count; i++)
        adv += s->glyphs[i].x_advance;
    double scale = s->size / s->font->upem;
    *x0 = s->x;
    *x1 = s->x + (double)adv * scale;
    *y0 = s->y + s->font->descender * scale;
    *y1 = s->y + s->font->ascender * scale;
}

static const Node *link_of(const Box *box)
{
    if (box->kind != BOX_TEXT || box->artifact || !box->node || !box->node->parent)
        return NULL;
    return box->node->parent->kind == NODE_LINK ? box->node->parent : NULL;
}

/* Link areas in whole points, rounded outwards: a point more of area is
 * no loss, and libharu would write each real with five decimals. */
static int32_t out_lo(double v) { return (int32_t)floor(v); }
static int32_t out_hi(double v) { return (int32_t)ceil(v); }

/* One annotation for a link's text on this page: a quadrilateral per line
 * (a URL broken over two lines is one link), /Rect around them all; a link
 * on one line is its /Rect alone, which readers take when there are no
 * QuadPoints. */
static int write_link(Writer *w, const Page *p, const Node *link, PdfObj annots)
{
    double qx0[64], qy0[64], qx1[64], qy1[64], base[64];
    size_t quads = 0;
    for (size_t i = 0; i < p->box_count; i++) {
        if (link_of(&p->boxes[i]) != link || p->boxes[i].u.text.glyph_count == 0)
            continue;
        double x0, y0, x1, y1;
        span_extent(&p->boxes[i].u.text, &x0, &y0, &x1, &y1);
        size_t q = 0;
        while (q < quads && base[q] != p->boxes[i].u.text.y)
            q++;
        if (q == quads) {
            if (quads == 64)
                continue;
            base[q] = p->boxes[i].u.text.y;
            qx0[q] = x0, qy0[q] = y0, qx1[q] = x1, qy1[q] = y1;
            quads++;
        }
        qx0[q] = x0 < qx0[q] ? x0 : qx0[q];
        qx1[q] = x1 > qx1[q] ? x1 : qx1[q];
        qy0[q] = y0 < qy0[q] ? y0 : qy0[q];
        qy1[q] = y1 > qy1[q] ? y1 : qy1[q];
    }
    if (quads == 0)
        return 0;
    PdfDoc *d = w->doc;
    PdfObj annot = pdfo_indirect_dict(d), rect = pdfo_array(d);
    PdfObj quad = quads > 1 ? pdfo_array(d) : NULL;
    PdfObj border = pdfo_array(d), action = pdfo_dict(d);
    double rx0 = qx0[0], ry0 = qy0[0], rx1 = qx1[0], ry1 = qy1[0];
    int bad = !annot || !rect || (quads > 1 && !quad) || !border || !action;
    for (size_t q = 0; q < quads; q++) {
        rx0 = qx0[q] < rx0 ? qx0[q] : rx0;
        ry0 = qy0[q] < ry0 ? qy0[q] : ry0;
        rx1 = qx1[q] > rx1 ? qx1[q] : rx1;
        ry1 = qy1[q] > ry1 ? qy1[q] : ry1;
        /* upper left, upper right, lower left, lower right, as readers
         * expect them in practice */
        int32_t pts[8] = {out_lo(qx0[q]), out_hi(qy1[q]), out_hi(qx1[q]), out_hi(qy1[q]),
                          out_lo(qx0[q]), out_lo(qy0[q]), out_hi(qx1[q]), out_lo(qy0[q])};
        for (int k = 0; k < 8 && quad; k++)
            bad |= pdfo_push_int(quad, pts[k]);
    }
    int32_t r[4] = {out_lo(rx0), out_lo(ry0), out_hi(rx1), out_hi(ry1)};
    for (int k = 0; k < 4; k++)
        bad |= pdfo_push_int(rect, r[k]);
    for (int k = 0; k < 3; k++)
        bad |= pdfo_push_int(border, 0);
    bad |= pdfo_put_name(annot, "Type", "Annot");
    bad |= pdfo_put_name(annot, "Subtype", "Link");
    bad |= pdfo_put(annot, "Rect", rect);
    if (quad)
        bad |= pdfo_put(annot, "QuadPoints", quad);
    bad |= pdfo_put(annot, "Border", border);
    bad |= pdfo_put_int(annot, "F", 4); /* printed */
    bad |= pdfo_put_text(d, annot, "Contents", link->alt ? link->alt : link->uri);
    if (link->uri) {
        bad |= pdfo_put_name(action, "S", "URI");
        bad |= pdfo_put(action, "URI", pdfo_ascii(d, link->uri));
    } else { /* an anchor in this document: pdf.c writes the named destinations */
        bad |= pdfo_put_name(action, "S", "GoTo");
        bad |= pdfo_put(action, "D", pdfo_ascii(d, link->dest ? link->dest : ""));
    }
    bad |= pdfo_put(annot, "A", action); /* no /P: optional, and /Annots says the page */
    bad |= pdfo_push(annots, annot);
    if (pdfo_check(d, "link", bad))
        return -1;
    return tags_annotation(w->tags, link, annot);
}

/* Every link with text on the page, in reading order; the page then has
 * /Annots and, for keyboard users, tabs in structure order. */
static int write_links(Writer *w, const Page *p)
{
    PdfObj annots = NULL;
    for (size_t i = 0; i < p->box_count; i++) {
        const Node *link = link_of(&p->boxes[i]);
        bool first = link != NULL;
        for (size_t j = 0; j < i && first; j++)
            first = link_of(&p->boxes[j]) != link;
        if (!first)
            continue;
        if (!annots) {
            annots = pdfo_array(w->doc);
            if (pdfo_check(w->doc, "links", !annots || pdfo_put(w->page, "Annots", annots) ||
                                                pdfo_put_name(w->page, "Tabs", "S")))
                return -1;
        }
        if (write_link(w, p, link, annots))
            return -1;
    }
    return 0;
}

/* ---- the page ------------------------------------------------------------ */

Writer *page_writer_new(PdfDoc *doc, FontUses *fonts, Tags *tags, bool rtl_doc)
{
    Writer *w = xcalloc(1, sizeof *w);
    w->doc = doc;
    w->fonts = fonts;
    w->tags = tags;
    w->rtl_doc = rtl_doc;
    w->reshape = hb_buffer_create();
    if (!hb_buffer_allocation_successful(w->reshape))
        oom_abort();
    w->plain = xcalloc(PLAIN_SLOTS, sizeof *w->plain);
    return w;
}

void page_writer_free(Writer *w)
{
    if (!w)
        return;
    buf_free(&w->out);
    u16_free(&w->text);
    free(w->clusters);
    free(w->seen);
    hb_buffer_destroy(w->reshape);
    free(w->cps);
    free(w->owner);
    free(w->order);
    for (size_t g = 0; g < w->glyph_cap; g++)
        u16_free(&w->own[g]);
    free(w->own);
    free(w->layer);
    free(w->plain);
    free(w->unit_start);
    free(w->unit_pen);
    free(w);
}

int page_write(Writer *w, const Document *doc, size_t index)
{
    const Page *p = &doc->pages[index];
    w->page = pdfo_add_page(w->doc, doc->width, doc->height);
    if (pdfo_check(w->doc, "page", !w->page) || tags_page(w->tags, w->page))
        return -1;
    w->page_no++; /* in the whole document, of which doc may be a part */
    w->strong_balance = 0;
    w->tf_font = NULL;
    w->rgb_valid = false;
    w->out.len = 0;
    /* Artifacts are marked around their drawing, runs of one kind in one
     * sequence; content text marks itself (see Tj). */
    const Node *open = NULL;
    bool is_open = false;
    for (size_t i = 0; i < p->box_count; i++) {
        const Box *box = &p->boxes[i];
        if (box->kind == BOX_TEXT && box->u.text.glyph_count == 0)
            continue;
        bool artifact = box->artifact || !box->node;
        bool figure = figure_content(box); /* marked like artifacts, as the Figure's */
        if (w->in_text && (artifact || box->kind != BOX_TEXT))
            end_text(w);
        else if (w->in_text && box->node != w->text_leaf)
            end_leaf(w);
        if (is_open && (!(artifact || figure) || box->node != open)) {
            buf_str(&w->out, "EMC\n");
            is_open = false;
        }
        if ((artifact || figure) && !is_open) {
            if (figure && begin_figure(w, box->node))
                return -1;
            if (!figure)
                begin_artifact(&w->out, box->node);
            open = box->node;
            is_open = true;
        }
        size_t grid;
        if (box->kind == BOX_TEXT) {
            if (draw_text(w, p, i, artifact ? NULL : box->node))
                return -1;
        } else if (figure && (grid = draw_module_grid(w, p, i)) > 0) {
            i += grid - 1;
        } else {
            draw_rect(w, &box->u.rect);
        }
    }
    end_text(w);
    if (is_open)
        buf_str(&w->out, "EMC\n");
    if (flush_to_page(w))
        return -1;
    if (w->rtl_doc && draw_direction_marker(w, p))
        return -1;
    return write_links(w, p);
}
