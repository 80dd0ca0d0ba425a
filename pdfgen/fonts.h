/* fonts.h — find and open the fonts (fontconfig + HarfBuzz).
 * In: a style (regular, bold, italic, bold italic), the text's language and
 *     script, and a code point.
 * Out: the Font to draw it with: the face for the script (Noto Sans Arabic,
 *     Noto Sans Devanagari, Noto Sans CJK SC/TC/JP/KR by language — the
 *     regional glyph forms — or Noto Sans for everything else, all found
 *     through fontconfig) when it has the character, otherwise the first
 *     face in fontconfig's fallback order for that style that has it,
 *     otherwise NULL — the caller reports the character and its position.
 *     A face fontconfig names for a family asked for by name that cannot
 *     be loaded or maps no character (a damaged file) is an error naming
 *     the file, and no other face stands in for it.
 * Faces are opened once per FontSet and shared by every document built
 * with it (a process builds many sheets with one FontSet). */
#ifndef PDFGEN_FONTS_H
#define PDFGEN_FONTS_H

#include <hb.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum FontStyle {
    STYLE_REGULAR,
    STYLE_BOLD,
    STYLE_ITALIC,
    STYLE_BOLD_ITALIC,
    STYLE_COUNT
} FontStyle;

typedef struct Font {
    char *path;
    unsigned face_index;
    hb_blob_t *blob;   /* whole font file */
    hb_face_t *face;
    hb_font_t *hb;     /* scale == upem, so positions come out in font units */
    unsigned upem;
    char *postscript_name; /* from the name table, for /BaseFont */
    /* metrics in font units, for the PDF FontDescriptor and line spacing */
    int ascender, descender, line_gap, cap_height;
    int bbox[4];
    double italic_angle;
    bool fixed_pitch, serif, italic, bold;
    bool cff;  /* PostScript (CFF) outlines, e.g. Noto Sans CJK; else TrueType */
    /* What hb-subset starts from: for a CFF font, a face holding only the
     * tables the subset needs (fonts.c); NULL: face itself. */
    hb_face_t *subset_face;
    unsigned id; /* index within its FontSet: stable ordering for output */
} Font;

typedef struct FontSet FontSet;

/* Opens the primary family for each style ("Noto Sans" unless the
 * family argument names another).  Reports and returns NULL when the
 * primary regular face cannot be found. */
FontSet *fontset_open(const char *family);
void fontset_free(FontSet *set);

const Font *fontset_primary(FontSet *set, FontStyle style);

/* Calls visit(path, context) for every font file fontconfig offers (a
 * collection once per face), as the configuration fontset_open looks in
 * sees them; for the manifest's digest of the installed fonts.  Returns 0,
 * or -1 when fontconfig cannot list them. */
int fonts_each_installed(void (*visit)(const char *path, void *context), void *context);
/* The font to draw code point cp in the given style, for text in language
 * lang (BCP 47) and script (the run's resolved script), or NULL when no
 * installed font has it. */
const Font *fontset_font_for(FontSet *set, FontStyle style, const char *lang, hb_script_t script,
                             uint32_t cp);

/* Does the font map cp to a real glyph? */
bool font_has(const Font *font, uint32_t cp);

/* Advance of glyph gid in font units (the font's own, unshaped). */
int font_glyph_advance(const Font *font, uint32_t gid);

#endif
