/* pdf_fonts.c — one FontUse per font the document draws with, and at the
 * end its PDF font: Type0/Identity-H over a CIDFont, subset and embedded.
 * In: the fonts of the text boxes, registered during validation (a font
 *     the writer cannot embed is reported before any output exists); the
 *     glyphs, widths and ToUnicode texts pdf_text.c recorded while writing
 *     the pages.
 * Out: each drawn font's dictionaries filled just before saving: the
 *     subset font program (hb-subset), its descriptor, /W and a ToUnicode
 *     CMap.  A CFF font is addressed by CID (cff.h), a TrueType font by
 *     glyph id; glyph_code says which. */
#include "pdf_fonts.h"

#include "alloc.h"
#include "cff.h"
#include "cmap_cut.h"
#include "diag.h"
#include "kept.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hb-subset.h>
#include <hb.h>

/* libharu arrays hold at most 32767 items: keep /W sub-arrays well below. */
#define MAX_W_RUN 8000
#define BFCHAR_BLOCK 100
/* libharu's limit for names (HPDF_LIMIT_MAX_NAME_LEN). */
#define MAX_NAME_LEN 127
/* /DW, in 1/1000 em: the width of every CJK ideograph, and PDF's default
 * for the key, which is therefore left out. */
#define DEFAULT_WIDTH 1000

const char *font_name(const Font *f)
{
    return f->postscript_name ? f->postscript_name : f->path ? f->path : "?";
}

int32_t to_1000em(const Font *f, int64_t units)
{
    return (int32_t)div_round(units * 1000, f->upem);
}

/* The font files (path and face) whose CIDs were found equal to their
 * glyph ids, for the process: reading the 65,535 CIDs of a CJK face took
 * 1% of a whole build, once per document. */
typedef struct IdentityFace {
    char *path;
    unsigned face_index;
} IdentityFace;
static IdentityFace *identity_faces;
static size_t identity_face_count;

static void free_identity_faces(void)
{
    for (size_t i = 0; i < identity_face_count; i++)
        free(identity_faces[i].path);
    free(identity_faces);
    identity_faces = NULL;
    identity_face_count = 0;
}

static bool known_identity(const Font *f)
{
    for (size_t i = 0; i < identity_face_count; i++)
        if (identity_faces[i].face_index == f->face_index &&
            strcmp(identity_faces[i].path, f->path) == 0)
            return true;
    return false;
}

static void remember_identity(const Font *f)
{
    if (!f->path)
        return;
    static bool hooked;
    kept_free_at_exit(&hooked, free_identity_faces);
    identity_faces =
        xreallocarray(identity_faces, identity_face_count + 1, sizeof *identity_faces);
    identity_faces[identity_face_count++] = (IdentityFace){xstrdup(f->path), f->face_index};
}

/* Reads the font's charset; keeps the map only when some CID differs from
 * its glyph id. */
static int cff_prepare(FontUse *fu)
{
    const Font *f = fu->font;
    if (f->path && known_identity(f)) {
        fu->cff = true;
        return 0;
    }
    hb_blob_t *blob = hb_face_reference_table(f->face, HB_TAG('C', 'F', 'F', ' '));
    unsigned len;
    const char *data = hb_blob_get_data(blob, &len);
    uint16_t *cids;
    unsigned count;
    CffStatus st = cff_cids(data, len, &cids, &count);
    hb_blob_destroy(blob);
    if (st == CFF_NO_MEMORY)
        oom_abort();
    if (st == CFF_NOT_CID_KEYED) {
        diag_error(NULL, "pdf: font %s: CFF fonts that are not CID-keyed are not "
                   "supported", font_name(f));
        return -1;
    }
    if (st != CFF_OK || count != fu->glyph_count) {
        free(cids);
        diag_error(NULL, "pdf: font %s: malformed CFF table", font_name(f));
        return -1;
    }
    fu->cff = true;
    bool identity = true;
    for (unsigned gid = 0; gid < count && identity; gid++)
        identity = cids[gid] == gid;
    if (identity) {
        free(cids);
        remember_identity(f);
        return 0;
    }
    bool twice;
    unsigned char *set = cid_set(cids, count, &twice);
    free(set);
    if (!set || twice) {
        free(cids);
        if (!set)
            oom_abort();
        /* the PDF could not tell the two glyphs apart */
        diag_error(NULL, "pdf: font %s: CFF charset gives two glyphs one CID",
                   font_name(f));
        return -1;
    }
    fu->cids = cids;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Registration, during validation (pdf.c) */

FontUse *font_use(FontUses *w, const Font *f)
{
    for (size_t i = 0; i < w->font_count; i++)
        if (w->fonts[i].font == f)
            return &w->fonts[i];
    return NULL;
}

static MapLayer *add_layer(FontUse *fu, size_t font_index);

static size_t glyph_pages(const FontUse *fu) { return fu->glyph_count / GLYPH_PAGE + 1; }

static FontUse *font_use_add(FontUses *w, const Font *f)
{
    if (w->font_count == w->font_cap) {
        size_t cap = w->font_cap ? w->font_cap * 2 : 4;
        w->fonts = xreallocarray(w->fonts, cap, sizeof *w->fonts);
        w->font_cap = cap;
    }
    FontUse *fu = &w->fonts[w->font_count];
    memset(fu, 0, sizeof *fu);
    fu->font = f;
    fu->glyph_count = hb_face_get_glyph_count(f->face);
    fu->glyphs = xcalloc(glyph_pages(fu), sizeof *fu->glyphs);
    fu->index = w->font_count;
    add_layer(fu, fu->index);
    w->font_count++;
    return fu;
}

static bool is_truetype(const Font *f)
{
    hb_blob_t *glyf = hb_face_reference_table(f->face, HB_TAG('g', 'l', 'y', 'f'));
    bool yes = hb_blob_get_length(glyf) > 0;
    hb_blob_destroy(glyf);
    return yes;
}

int register_font(FontUses *w, const Font *f, FontUse **out)
{
    if (!f || !f->face || !f->hb || f->upem == 0) {
        diag_error(NULL, "pdf: text box without a font");
        return -1;
    }
    if ((*out = font_use(w, f)))
        return 0;
    if (!f->cff && !is_truetype(f)) {
        diag_error(NULL, "pdf: font %s has neither TrueType nor CFF outlines",
                   font_name(f));
        return -1;
    }
    *out = font_use_add(w, f);
    return f->cff ? cff_prepare(*out) : 0;
}

/* ------------------------------------------------------------------ */
/* Use, while the pages are written */

/* A bfchar destination may hold at most 512 bytes; longer cluster text is
 * left to ActualText alone. */
#define MAX_MAP_UNITS 256

GlyphUse *font_first_use(FontUse *fu, uint32_t gid)
{
    GlyphUse **page = &fu->glyphs[gid / GLYPH_PAGE];
    if (!*page)
        *page = xcalloc(GLYPH_PAGE, sizeof **page);
    GlyphUse *u = &(*page)[gid % GLYPH_PAGE];
    if (!u->used) {
        u->used = true;
        u->width = to_1000em(fu->font, font_glyph_advance(fu->font, gid));
        if (fu->used_count == fu->used_cap) {
            fu->used_cap = fu->used_cap ? fu->used_cap * 2 : 256;
            fu->used = xreallocarray(fu->used, fu->used_cap, sizeof *fu->used);
        }
        fu->used[fu->used_count++] = gid;
    }
    return u;
}

static bool map_equals(const FontUse *fu, const GlyphMap *g, const U16 *t)
{
    if (g->len != t->len)
        return false;
    if (t->len == 1) /* most glyphs: one character */
        return fu->map.units[g->off] == t->units[0];
    return memcmp(fu->map.units + g->off, t->units, t->len * sizeof *t->units) == 0;
}

static void map_assign(FontUse *fu, GlyphMap *g, const U16 *t)
{
    size_t need = fu->map.len + t->len;
    if (need > UINT32_MAX)
        oom_abort();
    if (need > fu->map.cap) {
        size_t cap = fu->map.cap ? fu->map.cap : 1024;
        while (cap < need)
            cap *= 2;
        fu->map.units = xreallocarray(fu->map.units, cap, sizeof *fu->map.units);
        fu->map.cap = cap;
    }
    memcpy(fu->map.units + fu->map.len, t->units, t->len * sizeof *t->units);
    g->off = (uint32_t)fu->map.len;
    g->len = (uint16_t)t->len;
    fu->map.len = need;
}

static MapLayer *add_layer(FontUse *fu, size_t font_index)
{
    fu->layers = xreallocarray(fu->layers, fu->layer_count + 1, sizeof *fu->layers);
    MapLayer *l = &fu->layers[fu->layer_count];
    memset(l, 0, sizeof *l);
    l->maps = xcalloc(glyph_pages(fu), sizeof *l->maps);
    if (fu->layer_count == 0)
        snprintf(l->key, sizeof l->key, "P%zu", font_index);
    else
        snprintf(l->key, sizeof l->key, "P%zu_%u", font_index, fu->layer_count);
    fu->layer_count++;
    return l;
}

/* Layer l's entry for gid, its page made if need be. */
static GlyphMap *map_slot(MapLayer *l, uint32_t gid)
{
    GlyphMap **page = &l->maps[gid / GLYPH_PAGE];
    if (!*page)
        *page = xcalloc(GLYPH_PAGE, sizeof **page);
    return &(*page)[gid % GLYPH_PAGE];
}

unsigned font_map_glyph(FontUse *fu, uint32_t gid, const U16 *text)
{
    font_use_glyph(fu, gid);
    if (text->len == 0 || text->len > MAX_MAP_UNITS)
        return 0;
    for (unsigned l = 0; l < fu->layer_count; l++) {
        GlyphMap *g = map_slot(&fu->layers[l], gid);
        if (g->len && !map_equals(fu, g, text))
            continue;
        if (!g->len)
            map_assign(fu, g, text);
        return l;
    }
    MapLayer *l = add_layer(fu, fu->index);
    map_assign(fu, map_slot(l, gid), text);
    return fu->layer_count - 1;
}

const char *font_layer_key(const FontUse *fu, unsigned layer)
{
    return fu->layers[layer].key;
}

int font_resource(FontUses *w, FontUse *fu, unsigned layer, PdfObj page, size_t page_no)
{
    MapLayer *l = &fu->layers[layer];
    if (!l->type0) {
        l->type0 = pdfo_late_dict(w->doc); /* filled in by font_uses_write */
        if (pdfo_check(w->doc, "font", !l->type0))
            return -1;
    }
    if (l->on_page == page_no)
        return 0;
    PdfObj fonts = pdfo_page_fonts(w->doc, page);
    l->on_page = page_no;
    return pdfo_check(w->doc, "font resources", !fonts || pdfo_put(fonts, l->key, l->type0));
}

void font_uses_free(FontUses *w)
{
    for (size_t i = 0; i < w->font_count; i++) {
        FontUse *fu = &w->fonts[i];
        size_t pages = glyph_pages(fu);
        for (size_t p = 0; p < pages; p++)
            free(fu->glyphs[p]);
        free(fu->glyphs);
        free(fu->used);
        free(fu->cids);
        for (unsigned l = 0; l < fu->layer_count; l++) {
            for (size_t p = 0; p < pages; p++)
                free(fu->layers[l].maps[p]);
            free(fu->layers[l].maps);
        }
        free(w->fonts[i].layers);
        u16_free(&w->fonts[i].map);
    }
    free(w->fonts);
    buf_free(&w->scratch);
    w->fonts = NULL;
    w->font_count = w->font_cap = 0;
}

/* ------------------------------------------------------------------ */
/* Fonts, filled once all pages are written */

/* Same glyph set, same tag: the output stays reproducible while two
 * different subsets of one font in one reader do not collide. */
static int by_gid(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void subset_tag(const FontUse *fu, char *tag)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (const char *p = font_name(fu->font); *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3u;
    /* the glyph ids in ascending order */
    uint32_t *gids = xreallocarray(NULL, fu->used_count + 1, sizeof *gids);
    if (fu->used_count) {
        memcpy(gids, fu->used, fu->used_count * sizeof *gids);
        qsort(gids, fu->used_count, sizeof *gids, by_gid);
    }
    for (size_t k = 0; k < fu->used_count; k++) {
        uint32_t gid = gids[k];
        h = (h ^ (gid & 0xFF)) * 0x100000001b3u;
        h = (h ^ (gid >> 8)) * 0x100000001b3u;
    }
    free(gids);
    for (int i = 0; i < 6; i++) {
        tag[i] = (char)('A' + h % 26);
        h /= 26;
    }
}

static const hb_tag_t truetype_keep[] = {
    HB_TAG('g', 'l', 'y', 'f'), HB_TAG('l', 'o', 'c', 'a'), HB_TAG('h', 'e', 'a', 'd'),
    HB_TAG('h', 'h', 'e', 'a'), HB_TAG('h', 'm', 't', 'x'), HB_TAG('m', 'a', 'x', 'p'),
    HB_TAG('c', 'm', 'a', 'p'), HB_TAG('O', 'S', '/', '2'), HB_TAG('p', 'o', 's', 't'),
};

static hb_subset_input_t *subset_input(const FontUse *fu)
{
    hb_subset_input_t *in = hb_subset_input_create_or_fail();
    if (!in)
        return NULL;
    hb_set_t *glyphs = hb_subset_input_glyph_set(in);
    hb_set_add(glyphs, 0);
    for (size_t k = 0; k < fu->used_count; k++)
        hb_set_add(glyphs, fu->used[k]);
    hb_set_t *drop = hb_subset_input_set(in, HB_SUBSET_SETS_DROP_TABLE_TAG);
    /* Only what the PDF reads is kept.  A CFF font is embedded as its bare
     * 'CFF ' table; every other table would be subset for nothing (its
     * subsets start from a face holding little else: Font.subset_face,
     * fonts.c).  A TrueType font program
     * under a CIDFont needs six tables (PDF 32000 9.9); cmap, OS/2 and post
     * are kept too because some readers' font loaders insist on them.
     * Names and layout tables go: the latter would also drag in every
     * glyph reachable by substitution. */
    hb_tag_t tags[64];
    unsigned offset = 0, count;
    do {
        count = sizeof tags / sizeof tags[0];
        hb_face_get_table_tags(fu->font->face, offset, &count, tags);
        for (unsigned i = 0; i < count; i++) {
            bool keep = fu->cff && tags[i] == HB_TAG('C', 'F', 'F', ' ');
            for (size_t k = 0; !fu->cff && k < sizeof truetype_keep / sizeof truetype_keep[0]; k++)
                keep |= tags[i] == truetype_keep[k];
            if (!keep)
                hb_set_add(drop, tags[i]);
        }
        offset += count;
    } while (count == sizeof tags / sizeof tags[0]);
    /* TrueType keeps the used glyphs (plus .notdef) under their original
     * ids, so the content written earlier stays valid and /CIDToGIDMap is
     * /Identity; the padding compresses away.  A CFF font's content is in
     * CIDs, which survive renumbering, and retained ids would cost an empty
     * charstring per skipped glyph: 65,535 in a CJK face.  Subroutines
     * shared by a few hundred glyphs save less than their indexes cost:
     * inlined, a CJK sheet's font is 5-10% smaller after Flate. */
    hb_subset_input_set_flags(in, fu->cff ? HB_SUBSET_FLAGS_NO_HINTING |
                                                HB_SUBSET_FLAGS_DESUBROUTINIZE
                                          : HB_SUBSET_FLAGS_RETAIN_GIDS |
                                                HB_SUBSET_FLAGS_NO_HINTING);
    return in;
}

/* hb-subset keeps a CID-keyed font's CIDs, and the content depends on it:
 * checked, so that a change in HarfBuzz shows up as an error rather than
 * as wrong glyphs. */
static bool subset_keeps_cids(const FontUse *fu, const char *data, unsigned len)
{
    uint16_t *cids;
    unsigned count;
    if (cff_cids(data, len, &cids, &count) != CFF_OK)
        return false;
    bool twice;
    unsigned char *set = cid_set(cids, count, &twice);
    free(cids);
    bool ok = set != NULL;
    for (size_t k = 0; k < fu->used_count && ok; k++)
        ok = fu->used[k] == 0 || cid_in(set, glyph_code(fu, fu->used[k]));
    free(set);
    return ok;
}

/* The font program to embed: the whole subset font for TrueType, the bare
 * 'CFF ' table for CFF (FontFile3 /CIDFontType0C; poppler 22.12 draws
 * wrong glyphs from FontFile3 /OpenType). */
/* The kept glyphs as one flag a glyph: cmap_cut asks about every mapping
 * of the font. */
typedef struct KeptGlyphs {
    uint8_t *kept;
    unsigned count;
} KeptGlyphs;

static bool is_kept(unsigned gid, void *context)
{
    const KeptGlyphs *k = context;
    return gid < k->count && k->kept[gid];
}

/* What a TrueType subset starts from: the tables subset_input keeps, the
 * cmap cut down to the glyphs kept (cmap_cut.h), so that hb-subset does
 * not read every mapping of the font for the few it keeps.  The other
 * tables are the font's own data.  NULL: subset from the whole face. */
static hb_face_t *cut_cmap_face(const Font *f, hb_set_t *glyphs)
{
    hb_blob_t *cmap = hb_face_reference_table(f->face, HB_TAG('c', 'm', 'a', 'p'));
    unsigned len;
    const char *data = hb_blob_get_data(cmap, &len);
    KeptGlyphs k = {xcalloc(hb_face_get_glyph_count(f->face) + 1, 1),
                    hb_face_get_glyph_count(f->face)};
    for (hb_codepoint_t gid = HB_SET_VALUE_INVALID; hb_set_next(glyphs, &gid);)
        if (gid < k.count)
            k.kept[gid] = 1;
    size_t cut_len = 0;
    char *cut =
        len ? cmap_cut((const unsigned char *)data, len, k.count, is_kept, &k, &cut_len) : NULL;
    free(k.kept);
    hb_blob_destroy(cmap);
    if (!cut)
        return NULL;
    /* On failure HarfBuzz frees cut itself: only memory can fail here. */
    hb_blob_t *cut_blob =
        hb_blob_create_or_fail(cut, (unsigned)cut_len, HB_MEMORY_MODE_WRITABLE, cut, free);
    hb_face_t *face = hb_face_builder_create();
    if (!cut_blob || face == hb_face_get_empty())
        oom_abort();
    bool complete = true;
    for (size_t t = 0; t < sizeof truetype_keep / sizeof truetype_keep[0]; t++) {
        hb_blob_t *table = truetype_keep[t] == HB_TAG('c', 'm', 'a', 'p')
                               ? hb_blob_reference(cut_blob)
                               : hb_face_reference_table(f->face, truetype_keep[t]);
        complete &= hb_blob_get_length(table) > 0;
        if (!hb_face_builder_add_table(face, truetype_keep[t], table))
            oom_abort();
        hb_blob_destroy(table);
    }
    hb_blob_destroy(cut_blob);
    if (!complete) {
        hb_face_destroy(face);
        return NULL;
    }
    return face;
}

/* The subsets made last, kept for the process by font file and glyphs: a
 * third of a whole build's subsets repeat one made before (the glyphs of
 * the draft notice, of a fallback face's two or three characters, of a
 * sheet again in its booklet), and each costs hb-subset a plan over the
 * whole font. */
enum { SUBSETS_KEPT = 32 };
typedef struct KeptSubset {
    char *path;
    unsigned face_index;
    hb_codepoint_t *gids; /* ascending */
    unsigned count;
    hb_blob_t *blob;
} KeptSubset;
static KeptSubset subsets_kept[SUBSETS_KEPT];
static KeptRing subsets_ring;

static void free_kept_subset(KeptSubset *k)
{
    free(k->path);
    free(k->gids);
    hb_blob_destroy(k->blob);
}

static void free_subsets_kept(void)
{
    for (size_t i = 0; i < subsets_ring.count; i++)
        free_kept_subset(&subsets_kept[i]);
    subsets_ring.count = subsets_ring.next = 0;
}

/* The glyph set, ascending, in *gids (the caller frees); its size. */
static unsigned set_gids(const hb_set_t *set, hb_codepoint_t **gids)
{
    unsigned n = hb_set_get_population(set), k = 0;
    *gids = xreallocarray(NULL, n ? n : 1, sizeof **gids);
    for (hb_codepoint_t g = HB_SET_VALUE_INVALID; k < n && hb_set_next(set, &g);)
        (*gids)[k++] = g;
    return k;
}

static KeptSubset *kept_subset(const Font *f, const hb_codepoint_t *gids, unsigned n)
{
    for (size_t i = 0; i < subsets_ring.count; i++) {
        KeptSubset *k = &subsets_kept[i];
        if (k->count == n && k->face_index == f->face_index && strcmp(k->path, f->path) == 0 &&
            memcmp(k->gids, gids, n * sizeof *gids) == 0)
            return k;
    }
    return NULL;
}

/* Keeps blob (a reference of its own) and gids (taken over). */
static void keep_subset(const Font *f, hb_codepoint_t *gids, unsigned n, hb_blob_t *blob)
{
    bool evict;
    size_t i = kept_slot(&subsets_ring, SUBSETS_KEPT, free_subsets_kept, &evict);
    if (evict)
        free_kept_subset(&subsets_kept[i]);
    subsets_kept[i] = (KeptSubset){xstrdup(f->path), f->face_index, gids, n,
                                   hb_blob_reference(blob)};
}

static hb_blob_t *subset_font(const FontUse *fu)
{
    hb_subset_input_t *in = subset_input(fu);
    if (!in)
        return NULL;
    const Font *f = fu->font;
    hb_codepoint_t *gids = NULL;
    unsigned gid_count = 0;
    if (f->path) {
        gid_count = set_gids(hb_subset_input_glyph_set(in), &gids);
        KeptSubset *k = kept_subset(f, gids, gid_count);
        if (k) {
            free(gids);
            hb_subset_input_destroy(in);
            return hb_blob_reference(k->blob);
        }
    }
    hb_face_t *cut = fu->cff ? NULL : cut_cmap_face(f, hb_subset_input_glyph_set(in));
    hb_face_t *face = hb_subset_or_fail(cut ? cut : f->subset_face ? f->subset_face : f->face, in);
    if (cut)
        hb_face_destroy(cut);
    hb_subset_input_destroy(in);
    if (!face) {
        free(gids);
        return NULL;
    }
    hb_blob_t *blob = fu->cff ? hb_face_reference_table(face, HB_TAG('C', 'F', 'F', ' '))
                              : hb_face_reference_blob(face);
    hb_face_destroy(face);
    unsigned len;
    const char *data = hb_blob_get_data(blob, &len);
    if (len == 0 || (fu->cff && !subset_keeps_cids(fu, data, len))) {
        free(gids);
        hb_blob_destroy(blob);
        return NULL;
    }
    if (gids)
        keep_subset(f, gids, gid_count, blob);
    return blob;
}

static PdfObj font_file(FontUses *w, const FontUse *fu)
{
    hb_blob_t *blob = subset_font(fu);
    if (!blob) {
        diag_error(NULL, "pdf: hb-subset failed for font %s", font_name(fu->font));
        return NULL;
    }
    unsigned len;
    const char *data = hb_blob_get_data(blob, &len);
    PdfObj s = pdfo_stream(w->doc, true);
    bool bad = !s || pdfo_stream_write(w->doc, s, data, len) != 0;
    if (!bad && fu->cff)
        bad = pdfo_put_name(s, "Subtype", "CIDFontType0C") != 0;
    else if (!bad)
        bad = pdfo_put_int(s, "Length1", (int32_t)len) != 0;
    hb_blob_destroy(blob);
    if (pdfo_check(w->doc, "font file", bad))
        return NULL;
    return s;
}

/* StemV is not stored in TrueType fonts; this estimate from the weight
 * class is the one many PDF producers use. */
static int stem_v(const Font *f)
{
    double weight = hb_style_get_value(f->hb, HB_STYLE_TAG_WEIGHT);
    if (!(weight > 0))
        weight = f->bold ? 700 : 400;
    return 50 + (int)(weight * weight / 4225.0);
}

static PdfObj font_descriptor(FontUses *w, const FontUse *fu, const char *name,
                                 PdfObj file)
{
    const Font *f = fu->font;
    PdfObj d = pdfo_indirect_dict(w->doc);
    if (!d)
        return NULL;
    int flags = 4 /* symbolic: glyphs beyond the standard Latin set */;
    flags |= f->fixed_pitch ? 1 : 0;
    flags |= f->serif ? 2 : 0;
    flags |= f->italic ? 64 : 0;
    PdfObj bbox = pdfo_array(w->doc);
    bool bad = !bbox;
    for (int i = 0; i < 4 && bbox; i++)
        bad |= pdfo_push_int(bbox, to_1000em(f, f->bbox[i])) != 0;
    bad |= pdfo_put_name(d, "Type", "FontDescriptor") != 0;
    bad |= pdfo_put_name(d, "FontName", name) != 0;
    bad |= pdfo_put_int(d, "Flags", flags) != 0;
    bad |= pdfo_put(d, "FontBBox", bbox) != 0;
    bad |= pdfo_put_real(d, "ItalicAngle", f->italic_angle) != 0;
    bad |= pdfo_put_int(d, "Ascent", to_1000em(f, f->ascender)) != 0;
    bad |= pdfo_put_int(d, "Descent", to_1000em(f, f->descender)) != 0;
    bad |= pdfo_put_int(d, "CapHeight",
                               to_1000em(f, f->cap_height ? f->cap_height : f->ascender)) != 0;
    /* no /XHeight: optional, and only for readers that substitute a font
     * not embedded */
    bad |= pdfo_put_int(d, "StemV", stem_v(f)) != 0;
    bad |= pdfo_put(d, fu->cff ? "FontFile3" : "FontFile2", file) != 0;
    return bad ? NULL : d;
}

/* /W as "first [w w w ...]" over runs of consecutive codes.  Glyphs as
 * wide as /DW need no entry: in CJK text that is nearly all of them. */
static PdfObj widths(FontUses *w, const FontUse *fu)
{
    PdfObj list = pdfo_array(w->doc);
    PdfObj run = NULL;
    unsigned prev = 0, run_len = 0;
    bool bad = !list;
    for (unsigned gid = 1; gid < fu->glyph_count && !bad; gid++) {
        const GlyphUse *page = fu->glyphs[gid / GLYPH_PAGE];
        if (!page) { /* none of its glyphs drawn */
            run = NULL;
            gid |= GLYPH_PAGE - 1;
            continue;
        }
        const GlyphUse *u = &page[gid % GLYPH_PAGE];
        if (!u->used || u->width == DEFAULT_WIDTH) {
            run = NULL;
            continue;
        }
        unsigned code = glyph_code(fu, gid);
        if (!run || code != prev + 1 || run_len == MAX_W_RUN) {
            run = pdfo_array(w->doc);
            bad |= pdfo_push_int(list, (int32_t)code) != 0;
            bad |= pdfo_push(list, run) != 0;
            run_len = 0;
        }
        bad |= pdfo_push_int(run, u->width) != 0;
        prev = code;
        run_len++;
    }
    return bad ? NULL : list;
}

static PdfObj cid_system_info(FontUses *w)
{
    PdfObj d = pdfo_dict(w->doc);
    if (!d)
        return NULL;
    bool bad = pdfo_put(d, "Registry", pdfo_ascii(w->doc, "Adobe")) != 0;
    bad |= pdfo_put(d, "Ordering", pdfo_ascii(w->doc, "Identity")) != 0;
    bad |= pdfo_put_int(d, "Supplement", 0) != 0;
    return bad ? NULL : d;
}

static PdfObj cid_font(FontUses *w, const FontUse *fu, const char *name,
                          PdfObj descriptor)
{
    PdfObj d = pdfo_indirect_dict(w->doc);
    if (!d)
        return NULL;
    bool bad = pdfo_put_name(d, "Type", "Font") != 0;
    /* A CFF font finds its glyphs by CID through its own charset. */
    bad |= pdfo_put_name(d, "Subtype", fu->cff ? "CIDFontType0" : "CIDFontType2") != 0;
    bad |= pdfo_put_name(d, "BaseFont", name) != 0;
    bad |= pdfo_put(d, "CIDSystemInfo", cid_system_info(w)) != 0;
    bad |= pdfo_put(d, "FontDescriptor", descriptor) != 0;
    bad |= pdfo_put(d, "W", widths(w, fu)) != 0;
    if (!fu->cff)
        bad |= pdfo_put_name(d, "CIDToGIDMap", "Identity") != 0;
    return bad ? NULL : d;
}

static const char cmap_head[] =
    "/CIDInit /ProcSet findresource begin\n"
    "12 dict begin\n"
    "begincmap\n"
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
    "/CMapName /Adobe-Identity-UCS def\n"
    "/CMapType 2 def\n"
    "1 begincodespacerange\n"
    "<0000> <FFFF>\n"
    "endcodespacerange\n";

static const char cmap_tail[] =
    "endcmap\n"
    "CMapName currentdict /CMap defineresource pop\n"
    "end\n"
    "end\n";

/* One code's entry in a ToUnicode CMap: the text in a FontUse's pool. */
typedef struct CodeText {
    unsigned code;
    const uint16_t *units;
    uint16_t len;
} CodeText;

/* A ToUnicode CMap shared by every Type0 font (any font, any layer)
 * whose entries agree with it wherever both map a code: Noto Sans
 * Regular, Bold and Italic number their common glyphs alike, and a CJK
 * face's weights share their CIDs, so a sheet needs one or two CMaps
 * instead of one per font, each a fifth of a kilobyte of boilerplate
 * after Flate.  Readers look a code up only in the CMap of the font that
 * shows it, so the entries of the others change nothing for it. */
typedef struct CMapGroup {
    CodeText *entries; /* ascending codes */
    size_t count;
    PdfObj stream;
} CMapGroup;

static int cmp_code(const void *a, const void *b)
{
    unsigned x = ((const CodeText *)a)->code, y = ((const CodeText *)b)->code;
    return (x > y) - (x < y);
}

/* The layer's entries, ascending by code; *count set. */
static CodeText *layer_entries(const FontUse *fu, const MapLayer *l, size_t *count)
{
    /* A glyph mapped is a glyph used (font_map_glyph). */
    CodeText *e = xreallocarray(NULL, fu->used_count + 1, sizeof *e);
    size_t n = 0;
    for (unsigned gid = 1; gid < fu->glyph_count; gid++) {
        const GlyphMap *page = l->maps[gid / GLYPH_PAGE];
        if (!page) {
            gid |= GLYPH_PAGE - 1;
            continue;
        }
        const GlyphMap *g = &page[gid % GLYPH_PAGE];
        if (g->len)
            e[n++] = (CodeText){glyph_code(fu, gid), fu->map.units + g->off, g->len};
    }
    if (fu->cids)
        qsort(e, n, sizeof *e, cmp_code);
    *count = n;
    return e;
}

static bool same_text(const CodeText *a, const CodeText *b)
{
    return a->len == b->len && memcmp(a->units, b->units, a->len * sizeof *a->units) == 0;
}

/* Whether the two say the same wherever both map a code. */
static bool agrees(const CodeText *a, size_t na, const CodeText *b, size_t nb)
{
    for (size_t i = 0, j = 0; i < na && j < nb;) {
        if (a[i].code < b[j].code) {
            i++;
        } else if (a[i].code > b[j].code) {
            j++;
        } else {
            if (!same_text(&a[i], &b[j]))
                return false;
            i++;
            j++;
        }
    }
    return true;
}

static void merge_into(CMapGroup *g, const CodeText *b, size_t nb)
{
    CodeText *u = xreallocarray(NULL, g->count + nb + 1, sizeof *u);
    size_t i = 0, j = 0, n = 0;
    while (i < g->count || j < nb) {
        if (j == nb || (i < g->count && g->entries[i].code < b[j].code)) {
            u[n++] = g->entries[i++];
        } else if (i == g->count || b[j].code < g->entries[i].code) {
            u[n++] = b[j++];
        } else {
            u[n++] = g->entries[i++];
            j++;
        }
    }
    free(g->entries);
    g->entries = u;
    g->count = n;
}

/* How many entries from i on can share one bfrange line: their codes and
 * their texts (one UTF-16 unit each) both count up by one, and neither
 * crosses into another last byte, which a bfrange cannot.  Only for text
 * below U+0100: Ghostscript 10.0 drops the high byte of a bfrange's
 * destination (Cyrillic came out as ASCII punctuation). */
static size_t run_from(const CodeText *e, size_t count, size_t i)
{
    if (e[i].len != 1 || e[i].units[0] > 0xFF)
        return 1;
    unsigned code = e[i].code, unit = e[i].units[0];
    size_t n = 1;
    for (; i + n < count; n++) {
        const CodeText *h = &e[i + n];
        if (h->len != 1 || h->code != code + n || h->units[0] != unit + n ||
            ((code + n) & 0xFF) == 0 || ((unit + n) & 0xFF) == 0)
            break;
    }
    return n;
}

typedef struct {
    size_t first, n;
} MapRun;

static void cmap_block(const CodeText *e, const MapRun *runs, size_t count, bool ranges, Buf *b)
{
    for (size_t i = 0; i < count; i += BFCHAR_BLOCK) {
        size_t n = count - i < BFCHAR_BLOCK ? count - i : BFCHAR_BLOCK;
        buf_uint(b, n);
        buf_str(b, ranges ? " beginbfrange\n" : " beginbfchar\n");
        for (size_t k = i; k < i + n; k++) {
            const CodeText *t = &e[runs[k].first];
            buf_str(b, "<");
            buf_hex4(b, t->code);
            if (ranges) {
                buf_str(b, "> <");
                buf_hex4(b, t->code + (unsigned)runs[k].n - 1);
            }
            buf_str(b, "> <");
            buf_u16_hex(b, t->units, t->len);
            buf_str(b, ">\n");
        }
        buf_str(b, ranges ? "endbfrange\n" : "endbfchar\n");
    }
}

/* Runs of two or more codes (a Latin alphabet, digits) as bfranges,
 * about a seventh smaller after Flate; the rest as bfchars. */
static void cmap_text(const CodeText *e, size_t count, Buf *b)
{
    MapRun *chars = xreallocarray(NULL, count + 1, sizeof *chars);
    MapRun *ranges = xreallocarray(NULL, count + 1, sizeof *ranges);
    size_t n_chars = 0, n_ranges = 0;
    for (size_t i = 0; i < count;) {
        size_t n = run_from(e, count, i);
        if (n >= 2)
            ranges[n_ranges++] = (MapRun){i, n};
        else
            chars[n_chars++] = (MapRun){i, 1};
        i += n;
    }
    buf_str(b, cmap_head);
    cmap_block(e, chars, n_chars, false, b);
    cmap_block(e, ranges, n_ranges, true, b);
    buf_str(b, cmap_tail);
    free(chars);
    free(ranges);
}

static PdfObj to_unicode(FontUses *w, const CMapGroup *g)
{
    Buf *b = &w->scratch;
    b->len = 0;
    cmap_text(g->entries, g->count, b);
    PdfObj s = pdfo_stream(w->doc, true);
    if (!s || pdfo_stream_write(w->doc, s, b->data, b->len) != 0)
        return NULL;
    return s;
}

/* Every drawn layer's /ToUnicode: the first CMap it agrees with, in the
 * order of fonts and layers (so the output is reproducible), else one of
 * its own. */
static int share_to_unicode(FontUses *w)
{
    size_t layers = 0;
    for (size_t i = 0; i < w->font_count; i++)
        layers += w->fonts[i].layer_count;
    CMapGroup *groups = xreallocarray(NULL, layers + 1, sizeof *groups);
    size_t *member = xreallocarray(NULL, layers + 1, sizeof *member);
    size_t group_count = 0, k = 0;
    for (size_t i = 0; i < w->font_count; i++)
        for (unsigned l = 0; l < w->fonts[i].layer_count; l++, k++) {
            if (!w->fonts[i].layers[l].type0)
                continue;
            size_t n;
            CodeText *e = layer_entries(&w->fonts[i], &w->fonts[i].layers[l], &n);
            size_t g = 0;
            while (g < group_count && !agrees(groups[g].entries, groups[g].count, e, n))
                g++;
            if (g == group_count)
                groups[group_count++] = (CMapGroup){0};
            merge_into(&groups[g], e, n);
            member[k] = g;
            free(e);
        }
    int bad = 0;
    for (size_t g = 0; g < group_count && !bad; g++)
        bad = !(groups[g].stream = to_unicode(w, &groups[g]));
    k = 0;
    for (size_t i = 0; i < w->font_count; i++)
        for (unsigned l = 0; l < w->fonts[i].layer_count; l++, k++)
            if (!bad && w->fonts[i].layers[l].type0)
                bad |= pdfo_put(w->fonts[i].layers[l].type0, "ToUnicode",
                                groups[member[k]].stream) != 0;
    for (size_t g = 0; g < group_count; g++)
        free(groups[g].entries);
    free(groups);
    free(member);
    return pdfo_check(w->doc, "font", bad);
}

/* TAG+PostScriptName, keeping only what a PostScript name may contain. */
static void base_font_name(const FontUse *fu, char name[MAX_NAME_LEN + 1])
{
    subset_tag(fu, name);
    size_t n = 6;
    name[n++] = '+';
    const char *ps = fu->font->postscript_name ? fu->font->postscript_name : "Font";
    for (; *ps && n < MAX_NAME_LEN; ps++)
        if (*ps > 0x20 && *ps < 0x7F && !strchr("[](){}<>/%#", *ps))
            name[n++] = *ps;
    name[n] = '\0';
}

/* One CIDFont and font program per font; a Type0 font over it per map
 * layer, each with its own ToUnicode (see font_map_glyph). */
static int fill_font(FontUses *w, const FontUse *fu)
{
    char name[MAX_NAME_LEN + 1];
    base_font_name(fu, name);
    PdfObj file = font_file(w, fu);
    if (!file)
        return -1; /* reported */
    PdfObj desc = font_descriptor(w, fu, name, file);
    PdfObj cid = desc ? cid_font(w, fu, name, desc) : NULL;
    if (pdfo_check(w->doc, "font", !cid))
        return -1;
    for (unsigned i = 0; i < fu->layer_count; i++) {
        const MapLayer *l = &fu->layers[i];
        if (!l->type0)
            continue;
        PdfObj t0 = l->type0;
        PdfObj descendants = pdfo_array(w->doc);
        bool bad = !descendants || pdfo_push(descendants, cid) != 0;
        bad |= pdfo_put_name(t0, "Type", "Font") != 0;
        bad |= pdfo_put_name(t0, "Subtype", "Type0") != 0;
        bad |= pdfo_put_name(t0, "BaseFont", name) != 0;
        bad |= pdfo_put_name(t0, "Encoding", "Identity-H") != 0;
        bad |= pdfo_put(t0, "DescendantFonts", descendants) != 0;
        if (pdfo_check(w->doc, "font", bad))
            return -1;
    }
    return 0;
}

int font_uses_write(FontUses *w)
{
    for (size_t i = 0; i < w->font_count; i++)
        if (w->fonts[i].layers[0].type0 && fill_font(w, &w->fonts[i]))
            return -1;
    return share_to_unicode(w);
}
