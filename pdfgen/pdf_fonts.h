/* pdf_fonts.h — the fonts of one PDF: what was drawn with each, and at
 * the end each as Type0/Identity-H over a CIDFont, subset and embedded.
 * In: the Fonts of the text boxes (registered before any output exists,
 *     so a font the writer cannot embed is reported first); while the
 *     pages are written, each glyph shown and the text it stands for.
 * Out: font_uses_write fills every drawn font's dictionaries just before
 *     saving: the subset font program (hb-subset), its descriptor, /W
 *     from the font's own advances and a ToUnicode CMap (one CMap
 *     serves every font whose entries agree with it).  A CFF font is
 *     addressed by CID (cff.h), a TrueType font by glyph id; glyph_code
 *     says which.
 * Calls pdf_objects.h and pdf_buf.h only. */
#ifndef PDFGEN_PDF_FONTS_H
#define PDFGEN_PDF_FONTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fonts.h"
#include "pdf_buf.h"
#include "pdf_objects.h"

/* What this document did with one glyph id of a font. */
typedef struct GlyphUse {
    bool used;
    int32_t width; /* /W entry: the font's own advance, 1/1000 em */
} GlyphUse;

/* A ToUnicode entry: FontUse.map.units[off, off + len); len 0: none. */
typedef struct GlyphMap {
    uint32_t off;
    uint16_t len;
} GlyphMap;

/* One glyph may stand for different text in different places (a bracket
 * mirrored in Arabic text, a vowel sign's width variant in two
 * conjuncts), but a ToUnicode map gives it one.  So a font has layers:
 * Type0 fonts over the same CIDFont and font program, each with its own
 * ToUnicode; a glyph is shown through the first layer whose entry for it
 * is its text, or free.  Readers that go glyph by glyph then read the
 * right text everywhere, without needing ActualText. */
/* Per-glyph records come in pages of GLYPH_PAGE glyph ids, each made
 * when one of its glyphs is first drawn: a CJK face has 65,535 glyph
 * ids, a sheet draws a few hundred, and zeroing and scanning arrays of
 * them all took 3% of a build. */
enum { GLYPH_PAGE = 256 };

typedef struct MapLayer {
    GlyphMap **maps;   /* glyph_count / GLYPH_PAGE + 1 pages, NULL until used */
    PdfObj type0;      /* NULL until drawn with */
    char key[16];      /* resource name; not F<n>, which libharu hands out */
    size_t on_page;    /* 1 + last page whose /Font holds it, 0 = none */
} MapLayer;

typedef struct FontUse {
    const Font *font;
    size_t index;      /* in FontUses: names its resources */
    MapLayer *layers;  /* at least one */
    unsigned layer_count;
    unsigned glyph_count;
    GlyphUse **glyphs; /* glyph_count / GLYPH_PAGE + 1 pages, NULL until used */
    /* The glyph ids in use (GlyphUse.used), in no particular order: a CJK
     * face has 65,535 glyphs, a sheet uses a few hundred. */
    uint32_t *used;
    size_t used_count, used_cap;
    /* A CFF font's text carries CIDs, a TrueType font's glyph ids.  cids
     * maps glyph id to CID when the two differ (NULL: they are equal, as
     * in Noto Sans CJK, or the font is TrueType). */
    bool cff;
    uint16_t *cids;
    U16 map;           /* pool of ToUnicode texts */
} FontUse;

typedef struct FontUses {
    PdfDoc *doc;
    FontUse *fonts;
    size_t font_count, font_cap;
    Buf scratch;
} FontUses;

const char *font_name(const Font *f);
int32_t to_1000em(const Font *f, int64_t units);

/* Registration: 0, or -1 (reported) for a font that cannot be embedded. */
int register_font(FontUses *uses, const Font *f, FontUse **out);
FontUse *font_use(FontUses *uses, const Font *f);
/* What the content, /W and ToUnicode call glyph gid. */
static inline unsigned glyph_code(const FontUse *fu, uint32_t gid)
{
    return fu->cids ? fu->cids[gid] : gid;
}
/* A layer of the font in the page's resources (made on first use). */
int font_resource(FontUses *uses, FontUse *fu, unsigned layer, PdfObj page, size_t page_no);
const char *font_layer_key(const FontUse *fu, unsigned layer);

/* Marks gid used, with its width: font_use_glyph, inline for a glyph
 * already used (asked of every glyph shown, twice). */
GlyphUse *font_first_use(FontUse *fu, uint32_t gid);
static inline GlyphUse *font_use_glyph(FontUse *fu, uint32_t gid)
{
    GlyphUse *page = fu->glyphs[gid / GLYPH_PAGE];
    if (page && page[gid % GLYPH_PAGE].used)
        return &page[gid % GLYPH_PAGE];
    return font_first_use(fu, gid);
}
/* Marks gid used as standing for text; returns the layer to show it
 * through (0 for empty text, which gets no entry). */
unsigned font_map_glyph(FontUse *fu, uint32_t gid, const U16 *text);

int font_uses_write(FontUses *uses);
void font_uses_free(FontUses *uses);

#endif
