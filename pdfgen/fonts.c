/* fonts.c — fontconfig finds the faces, HarfBuzz opens them.  See fonts.h. */
#include "fonts.h"

#include <ctype.h>
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <hb-ot.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alloc.h"
#include "cff.h"
#include "diag.h"

#define MAX_FONTS 64

/* A fallback answer remembered per (style, code point): most sheets ask
 * about the same handful of characters again and again. */
typedef struct FallbackEntry {
    uint32_t cp;
    FontStyle style;
    const Font *font; /* NULL: no font has it */
} FallbackEntry;

/* A configuration's faces that may have a family's name (faces_named). */
typedef struct FamilyFaces {
    FcConfig *config; /* NULL: the system's */
    char *family;
    FcFontSet *faces;
} FamilyFaces;

/* The face chosen for a script in a language, per style. */
typedef struct ScriptFace {
    hb_script_t script;
    char lang[16];
    FontStyle style;
    const Font *font; /* NULL: the script has no face of its own */
    bool unusable;    /* its face is damaged (reported): no other stands in */
} ScriptFace;

/* fontset_font_for's answers for one language, by character, style and
 * script: the same few hundred characters are asked for again and again,
 * and every answer is fixed once given (each step behind it is). */
enum { FONT_MEMO_SIZE = 1024 };
typedef struct FontMemo {
    uint32_t cp;
    hb_script_t script;
    FontStyle style;
    const Font *font; /* NULL: the slot is empty */
} FontMemo;

struct FontSet {
    /* The faces pdfgen asks for by name are looked up in a configuration
     * of the font folders and caches alone (fast_config); fontconfig's own
     * configuration, whose files cost more to parse than a sheet to lay
     * out, is loaded only when that finds nothing or when a character
     * needs fontconfig's fallback order.  NULL: there is no fast one. */
    FcConfig *fast;
    bool system_ready; /* FcInit has run */
    char *family;      /* the primary family's name */
    Font *fonts[MAX_FONTS]; /* every face opened, primary ones first */
    unsigned font_count;
    Font *primary[STYLE_COUNT];
    FcFontSet *fallback_order[STYLE_COUNT]; /* fontconfig's sort, lazily */
    FcPattern *style_pattern[STYLE_COUNT];
    FallbackEntry *cache;
    size_t cache_count, cache_cap;
    ScriptFace *script_faces;
    size_t script_face_count, script_face_cap;
    FamilyFaces *named;
    size_t named_count, named_cap;
    char memo_lang[16]; /* the language memo holds answers for */
    FontMemo *memo;
};

static const char *const style_names[STYLE_COUNT] = {"Regular", "Bold", "Italic",
                                                     "Bold Italic"};

static uint16_t be16(const char *p) { return (uint16_t)((unsigned char)p[0] << 8 | (unsigned char)p[1]); }
static uint32_t be32(const char *p) { return (uint32_t)be16(p) << 16 | be16(p + 2); }

static char *name_from_face(hb_face_t *face, hb_ot_name_id_t id)
{
    char buf[128];
    unsigned len = sizeof buf;
    if (hb_ot_name_get_utf8(face, id, HB_LANGUAGE_INVALID, &len, buf) == 0)
        return NULL;
    return xstrdup(buf);
}

/* PostScript names may only hold printable ASCII without delimiters; a PDF
 * /BaseFont built from anything else would be malformed. */
static char *safe_postscript_name(hb_face_t *face, const char *path)
{
    char *name = name_from_face(face, HB_OT_NAME_ID_POSTSCRIPT_NAME);
    if (!name) {
        const char *base = strrchr(path, '/');
        name = xstrdup(base ? base + 1 : path);
    }
    for (char *p = name; *p; p++)
        if (*p <= ' ' || *p > '~' || strchr("()<>[]{}/%#", *p))
            *p = '-';
    return name;
}

static void read_metrics(Font *font)
{
    hb_position_t v;
    if (hb_ot_metrics_get_position(font->hb, HB_OT_METRICS_TAG_HORIZONTAL_ASCENDER, &v))
        font->ascender = v;
    if (hb_ot_metrics_get_position(font->hb, HB_OT_METRICS_TAG_HORIZONTAL_DESCENDER, &v))
        font->descender = v;
    if (hb_ot_metrics_get_position(font->hb, HB_OT_METRICS_TAG_HORIZONTAL_LINE_GAP, &v))
        font->line_gap = v;
    font->cap_height = hb_ot_metrics_get_position(font->hb, HB_OT_METRICS_TAG_CAP_HEIGHT, &v)
                           ? v : font->ascender * 7 / 10;

    hb_blob_t *head = hb_face_reference_table(font->face, HB_TAG('h', 'e', 'a', 'd'));
    unsigned len;
    const char *d = hb_blob_get_data(head, &len);
    if (len >= 54) {
        for (int i = 0; i < 4; i++)
            font->bbox[i] = (int16_t)be16(d + 36 + 2 * i);
        font->bold = (be16(d + 44) & 1) != 0;
        font->italic = (be16(d + 44) & 2) != 0;
    }
    hb_blob_destroy(head);

    hb_blob_t *post = hb_face_reference_table(font->face, HB_TAG('p', 'o', 's', 't'));
    d = hb_blob_get_data(post, &len);
    if (len >= 16) {
        font->italic_angle = (int32_t)be32(d + 4) / 65536.0;
        font->fixed_pitch = be32(d + 12) != 0;
    }
    hb_blob_destroy(post);
}

/* hb-subset plans from every table the face has: a CJK face's cmap alone
 * costs milliseconds a subset, and its variation sequences (cmap format
 * 14) bring in glyphs the sheet never draws.  A CFF font is embedded as
 * its bare 'CFF ' table (pdf_fonts.c), so its subsets start from a face
 * holding only that table and maxp, which gives the planner the glyph
 * count (the subset CFF table is the same without head, hmtx or OS/2).
 * The face refers to the font's own table data: it costs no copy.  NULL
 * when the font lacks one of the two: subsets then start from the whole
 * face. */
static hb_face_t *cff_subset_face(hb_face_t *face)
{
    static const hb_tag_t tags[] = {HB_TAG('C', 'F', 'F', ' '), HB_TAG('m', 'a', 'x', 'p')};
    enum { N = sizeof tags / sizeof tags[0] };
    hb_blob_t *tables[N];
    bool complete = true;
    for (unsigned t = 0; t < N; t++) {
        tables[t] = hb_face_reference_table(face, tags[t]);
        complete &= hb_blob_get_length(tables[t]) > 0;
    }
    hb_face_t *subset_face = NULL;
    if (complete) {
        /* The builder fails only without memory. */
        subset_face = hb_face_builder_create();
        if (subset_face == hb_face_get_empty())
            oom_abort();
        for (unsigned t = 0; t < N; t++)
            if (!hb_face_builder_add_table(subset_face, tags[t], tables[t]))
                oom_abort();
    }
    for (unsigned t = 0; t < N; t++)
        hb_blob_destroy(tables[t]);
    return subset_face;
}

static Font *open_font(FontSet *set, const char *path, unsigned index)
{
    for (unsigned i = 0; i < set->font_count; i++)
        if (set->fonts[i]->face_index == index && strcmp(set->fonts[i]->path, path) == 0)
            return set->fonts[i];
    if (set->font_count == MAX_FONTS)
        return NULL;

    /* The faces of one collection file share its blob: one mapping of the
     * file, and the tables the faces share at one address. */
    hb_blob_t *blob = NULL;
    for (unsigned i = 0; i < set->font_count && !blob; i++)
        if (strcmp(set->fonts[i]->path, path) == 0)
            blob = hb_blob_reference(set->fonts[i]->blob);
    /* HarfBuzz says only "failed": a font file we can read that still
     * cannot be loaded means memory ran out (ulimit -v), and must not pass
     * for "no installed font has" this character. */
    if (!blob) {
        blob = hb_blob_create_from_file_or_fail(path);
        if (!blob && access(path, R_OK) == 0)
            oom_abort();
    }
    if (!blob)
        return NULL;
    hb_face_t *face = hb_face_create(blob, index);
    if (face == hb_face_get_empty())
        oom_abort();
    /* TrueType (glyf) or CID-keyed CFF outlines: the two the PDF writer
     * can embed.  A name-keyed CFF font (URW's Nimbus, say, which
     * fontconfig may offer as a fallback) and CFF2 (variable) fonts are
     * passed over, so the search goes on to a font that can be embedded. */
    hb_blob_t *glyf = hb_face_reference_table(face, HB_TAG('g', 'l', 'y', 'f'));
    hb_blob_t *cff = hb_face_reference_table(face, HB_TAG('C', 'F', 'F', ' '));
    int has_glyf = hb_blob_get_length(glyf) > 0, has_cff = 0;
    if (!has_glyf && hb_blob_get_length(cff) > 0) {
        unsigned len = 0;
        const char *data = hb_blob_get_data(cff, &len);
        uint16_t *cids = NULL;
        unsigned count = 0;
        has_cff = cff_cids(data, len, &cids, &count) == CFF_OK;
        free(cids);
    }
    hb_blob_destroy(glyf);
    hb_blob_destroy(cff);
    if (!hb_face_get_glyph_count(face) || !(has_glyf || has_cff)) {
        hb_face_destroy(face);
        hb_blob_destroy(blob);
        return NULL;
    }
    Font *font = xcalloc(1, sizeof *font);
    font->path = xstrdup(path);
    font->face_index = index;
    font->blob = blob;
    font->face = face;
    font->upem = hb_face_get_upem(face);
    font->hb = hb_font_create(face);
    if (font->hb == hb_font_get_empty())
        oom_abort();
    hb_font_set_scale(font->hb, (int)font->upem, (int)font->upem);
    font->cff = !has_glyf;
    font->postscript_name = safe_postscript_name(face, path);
    read_metrics(font);
    if (font->cff)
        font->subset_face = cff_subset_face(face);
    font->id = set->font_count;
    set->fonts[set->font_count++] = font;
    return font;
}

static void close_font(Font *font)
{
    if (font->subset_face)
        hb_face_destroy(font->subset_face);
    hb_font_destroy(font->hb);
    hb_face_destroy(font->face);
    hb_blob_destroy(font->blob);
    free(font->postscript_name);
    free(font->path);
    free(font);
}

/* The folders and caches of Debian's /etc/fonts/fonts.conf, without its
 * rules: those change what a family name matches only for families not
 * installed (aliases, substitutes), and open_family accepts nothing but
 * the family asked for. */
static const char fast_config_xml[] =
    "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"urn:fontconfig:fonts.dtd\">\n"
    "<fontconfig>"
    "<dir>/usr/share/fonts</dir><dir>/usr/local/share/fonts</dir>"
    "<dir prefix=\"xdg\">fonts</dir><dir>~/.fonts</dir>"
    "<cachedir>/var/cache/fontconfig</cachedir><cachedir prefix=\"xdg\">fontconfig</cachedir>"
    "<cachedir>~/.fontconfig</cachedir>"
    "</fontconfig>\n";

static FcConfig *fast;
static bool fast_tried;

/* The value of the first of the variables that point fontconfig at
 * another configuration, and in *name which it is; NULL when none is set. */
static const char *fontconfig_pointer(const char **name)
{
    static const char *const names[] = {"FONTCONFIG_FILE", "FONTCONFIG_PATH",
                                        "FONTCONFIG_SYSROOT"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const char *value = getenv(names[i]);
        if (value) {
            *name = names[i];
            return value;
        }
    }
    return NULL;
}

static void release_fast_config(void)
{
    if (fast)
        FcConfigDestroy(fast);
    fast = NULL;
}

/* A reference to the process's fast configuration, built on first use
 * (the manifest's font digest and fontset_open both need it, and reading
 * the caches costs as much as a sheet's hyphenation); the caller
 * releases it with FcConfigDestroy.  NULL when fontconfig is pointed at
 * another configuration (tests and users with private font set-ups: that
 * one is used, always) or when the fast one cannot be built. */
static FcConfig *fast_config(void)
{
    if (!fast_tried) {
        fast_tried = true;
        const char *name;
        if (fontconfig_pointer(&name))
            return NULL;
        FcConfig *config = FcConfigCreate();
        if (!config)
            oom_abort();
        if (!FcConfigParseAndLoadFromMemory(config, (const FcChar8 *)fast_config_xml, FcTrue) ||
            !FcConfigBuildFonts(config)) {
            FcConfigDestroy(config);
            return NULL;
        }
        if (atexit(release_fast_config) != 0)
            oom_abort();
        fast = config;
    }
    return fast ? FcConfigReference(fast) : NULL;
}

static bool system_config(FontSet *set)
{
    if (!set->system_ready && !FcInit())
        return false;
    set->system_ready = true;
    return true;
}

/* fontconfig's only way to fail building a pattern is running out of
 * memory, which the policy in alloc.h makes fatal.  config NULL: the
 * system's. */
static FcPattern *make_pattern(FcConfig *config, const char *family, FontStyle style)
{
    FcPattern *pattern = FcPatternCreate();
    if (!pattern)
        oom_abort();
    int bold = style == STYLE_BOLD || style == STYLE_BOLD_ITALIC;
    int italic = style == STYLE_ITALIC || style == STYLE_BOLD_ITALIC;
    if (!FcPatternAddString(pattern, FC_FAMILY, (const FcChar8 *)family) ||
        !FcPatternAddInteger(pattern, FC_WEIGHT, bold ? FC_WEIGHT_BOLD : FC_WEIGHT_REGULAR) ||
        !FcPatternAddInteger(pattern, FC_SLANT, italic ? FC_SLANT_ITALIC : FC_SLANT_ROMAN) ||
        !FcPatternAddBool(pattern, FC_SCALABLE, FcTrue) ||
        !FcConfigSubstitute(config, pattern, FcMatchPattern))
        oom_abort();
    FcDefaultSubstitute(pattern);
    return pattern;
}

/* Could fontconfig's matcher find name equal to family?  It compares
 * family names ignoring blanks and case (Unicode case, for non-ASCII
 * letters: such a name is kept in doubt).  sure: only a certain yes. */
static bool may_be_family(const char *name, const char *family, bool sure)
{
    for (;;) {
        while (*name == ' ')
            name++;
        while (*family == ' ')
            family++;
        if ((unsigned char)*name >= 0x80 || (unsigned char)*family >= 0x80)
            return !sure;
        if (tolower((unsigned char)*name) != tolower((unsigned char)*family))
            return false;
        if (!*name)
            return true;
        name++, family++;
    }
}

/* The faces of the configuration with a family name that may be family,
 * in the configuration's order: the only faces whose match
 * match_family can accept.  Listed once per FontSet. */
static FcFontSet *faces_named(FontSet *set, FcConfig *config, const char *family)
{
    for (size_t i = 0; i < set->named_count; i++)
        if (set->named[i].config == config && strcmp(set->named[i].family, family) == 0)
            return set->named[i].faces;
    FcFontSet *faces = FcFontSetCreate();
    if (!faces)
        oom_abort();
    static const FcSetName kinds[] = {FcSetSystem, FcSetApplication};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        FcFontSet *fonts = FcConfigGetFonts(config, kinds[k]);
        for (int i = 0; fonts && i < fonts->nfont; i++) {
            FcChar8 *name;
            for (int v = 0; FcPatternGetString(fonts->fonts[i], FC_FAMILY, v, &name) == FcResultMatch;
                 v++) {
                if (!may_be_family((const char *)name, family, false))
                    continue;
                FcPatternReference(fonts->fonts[i]);
                if (!FcFontSetAdd(faces, fonts->fonts[i]))
                    oom_abort();
                break;
            }
        }
    }
    if (set->named_count == set->named_cap) {
        set->named_cap = set->named_cap ? 2 * set->named_cap : 8;
        set->named = xreallocarray(set->named, set->named_cap, sizeof *set->named);
    }
    set->named[set->named_count++] = (FamilyFaces){config, xstrdup(family), faces};
    return faces;
}

/* Is the face, the best of faces_named for the pattern, the best of all
 * the configuration's faces, as FcFontMatch would find it?  fontconfig
 * ranks faces on file, format, variable, scalable, color, foundry and
 * charset before family: when the face scores nothing on those (it has
 * the pattern's first value, or no value) and has the family the pattern
 * names first, no face without that family can rank before it, and the
 * ones with it are all in faces_named, in the same order. */
static bool best_of_all(const FcPattern *pattern, const FcPattern *face, const char *family)
{
    FcChar8 *name;
    if (FcPatternGetString(pattern, FC_FAMILY, 0, &name) != FcResultMatch ||
        strcmp((const char *)name, family) != 0)
        return false;
    bool has_family = false;
    for (int v = 0; !has_family && FcPatternGetString(face, FC_FAMILY, v, &name) == FcResultMatch;
         v++)
        has_family = may_be_family((const char *)name, family, true);
    if (!has_family)
        return false;
    static const char *const before_family[] = {FC_FILE,   FC_FONTFORMAT, FC_VARIABLE, FC_SCALABLE,
                                                FC_COLOR,  FC_FOUNDRY,    FC_CHARSET};
    for (size_t i = 0; i < sizeof before_family / sizeof *before_family; i++) {
        FcValue wanted, got;
        if (FcPatternGet(pattern, before_family[i], 0, &wanted) != FcResultMatch ||
            FcPatternGet(face, before_family[i], 0, &got) == FcResultNoMatch)
            continue;
        bool equal = false;
        for (int v = 0; !equal && FcPatternGet(face, before_family[i], v, &got) == FcResultMatch;
             v++)
            equal = FcValueEqual(wanted, got);
        if (!equal)
            return false;
    }
    return true;
}

/* FcFontMatch(config, pattern), when its answer can have family's name:
 * matched against faces_named, which costs a few faces instead of every
 * installed one, unless that could give another answer.  NULL (result
 * not out of memory) when no face has the name. */
static FcPattern *match_named(FontSet *set, FcConfig *config, FcPattern *pattern,
                              const char *family, FcResult *result)
{
    FcFontSet *faces = faces_named(set, config, family);
    *result = FcResultNoMatch;
    if (faces->nfont == 0)
        return NULL;
    FcPattern *match = FcFontSetMatch(config, &faces, 1, pattern, result);
    FcChar8 *file = NULL;
    int index = 0;
    const FcPattern *face = NULL;
    if (match && FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch) {
        FcPatternGetInteger(match, FC_INDEX, 0, &index);
        for (int i = 0; i < faces->nfont && !face; i++) {
            FcChar8 *f;
            int x = 0;
            if (FcPatternGetString(faces->fonts[i], FC_FILE, 0, &f) == FcResultMatch &&
                strcmp((const char *)f, (const char *)file) == 0) {
                FcPatternGetInteger(faces->fonts[i], FC_INDEX, 0, &x);
                if (x == index)
                    face = faces->fonts[i];
            }
        }
    }
    if (face && best_of_all(pattern, face, family))
        return match;
    if (match)
        FcPatternDestroy(match);
    return FcFontMatch(config, pattern, result);
}

/* Why the face in file that fontconfig names for a family cannot be
 * used, or NULL.  Such a face is an error, never a missing family: a
 * Noto Sans Regular whose character map was garbage loaded, mapped
 * nothing, and fallback set every sheet in Bold and DejaVu Sans. */
static const char *unusable_face(const FontSet *set, const Font *font, const char *file)
{
    if (font)
        return font_has(font, ' ') ? NULL
                                   : "its character map (cmap) is damaged or maps no character";
    if (set->font_count == MAX_FONTS)
        return NULL;
    if (access(file, R_OK) != 0)
        return strerror(errno);
    return "it is damaged, or has no outlines pdfgen can embed (TrueType, or CID-keyed CFF)";
}

/* fontconfig always answers with *some* font; a substitute for the family
 * we asked for would silently change the look of every sheet, so the
 * answer must really be that family.  With exact_style, the weight and
 * slant must match too (a family without italics answers upright).
 * *unusable: the family's face is there but cannot be used (reported). */
static Font *match_family(FontSet *set, FcConfig *config, const char *family, FontStyle style,
                          int exact_style, bool *unusable)
{
    FcResult result;
    FcPattern *pattern = make_pattern(config, family, style);
    FcPattern *match = match_named(set, config, pattern, family, &result);
    FcPatternDestroy(pattern);
    if (!match && result == FcResultOutOfMemory)
        oom_abort();
    Font *font = NULL;
    FcChar8 *got_family = NULL, *file = NULL;
    int index = 0, weight = 0, slant = 0;
    if (match && FcPatternGetString(match, FC_FAMILY, 0, &got_family) == FcResultMatch &&
        strcasecmp((const char *)got_family, family) == 0 &&
        FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch) {
        FcPatternGetInteger(match, FC_INDEX, 0, &index);
        FcPatternGetInteger(match, FC_WEIGHT, 0, &weight);
        FcPatternGetInteger(match, FC_SLANT, 0, &slant);
        int want_bold = style == STYLE_BOLD || style == STYLE_BOLD_ITALIC;
        int want_italic = style == STYLE_ITALIC || style == STYLE_BOLD_ITALIC;
        if (!exact_style ||
            ((weight >= FC_WEIGHT_BOLD) == want_bold && (slant != FC_SLANT_ROMAN) == want_italic)) {
            font = open_font(set, (const char *)file, (unsigned)index);
            const char *why = unusable_face(set, font, (const char *)file);
            if (why) {
                diag_error(NULL, "font file '%s', fontconfig's '%s %s', cannot be used: %s; "
                           "reinstall it (on Debian: apt-get install --reinstall "
                           "fonts-noto-core) or remove it", (const char *)file, family,
                           style_names[style], why);
                font = NULL;
                *unusable = true;
            }
        }
    }
    if (match)
        FcPatternDestroy(match);
    return font;
}

/* The face of family in style: from the fast configuration, else from
 * the system's. */
static Font *open_family(FontSet *set, const char *family, FontStyle style, int exact_style,
                         bool *unusable)
{
    *unusable = false;
    Font *font =
        set->fast ? match_family(set, set->fast, family, style, exact_style, unusable) : NULL;
    if (!font && !*unusable && system_config(set))
        font = match_family(set, NULL, family, style, exact_style, unusable);
    return font;
}

FontSet *fontset_open(const char *family)
{
    if (!family)
        family = "Noto Sans";
    FontSet *set = xcalloc(1, sizeof *set);
    set->family = xstrdup(family);
    set->fast = fast_config();
    if (!set->fast && !system_config(set)) {
        diag_error(NULL, "fontconfig could not be initialised");
        fontset_free(set);
        return NULL;
    }
    bool unusable = false;
    for (int style = 0; style < STYLE_COUNT; style++) {
        bool this_one;
        set->primary[style] = open_family(set, family, (FontStyle)style, 1, &this_one);
        unusable |= this_one;
    }
    if (unusable) {
        fontset_free(set);
        return NULL;
    }
    if (!set->primary[STYLE_REGULAR]) {
        /* With fontconfig pointed elsewhere, installing the package is no
         * remedy: say where it looked. */
        const char *pointer, *value = fontconfig_pointer(&pointer);
        if (value)
            diag_error(NULL, "font '%s %s' not found (TrueType outlines needed) in the "
                             "fonts fontconfig was pointed at by %s='%s'",
                       family, style_names[STYLE_REGULAR], pointer, value);
        else
            diag_error(NULL, "font '%s %s' not found (TrueType outlines needed); "
                             "on Debian: apt-get install fonts-noto-core",
                       family, style_names[STYLE_REGULAR]);
        fontset_free(set);
        return NULL;
    }
    /* A missing bold or italic face is not fatal: the regular face stands in,
     * exactly as a word processor would. */
    for (int style = 1; style < STYLE_COUNT; style++)
        if (!set->primary[style])
            set->primary[style] = style == STYLE_BOLD_ITALIC && set->primary[STYLE_BOLD]
                                      ? set->primary[STYLE_BOLD]
                                      : set->primary[STYLE_REGULAR];
    return set;
}

void fontset_free(FontSet *set)
{
    if (!set)
        return;
    for (unsigned i = 0; i < set->font_count; i++)
        close_font(set->fonts[i]);
    for (int style = 0; style < STYLE_COUNT; style++) {
        if (set->fallback_order[style])
            FcFontSetDestroy(set->fallback_order[style]);
        if (set->style_pattern[style])
            FcPatternDestroy(set->style_pattern[style]);
    }
    for (size_t i = 0; i < set->named_count; i++) {
        FcFontSetDestroy(set->named[i].faces);
        free(set->named[i].family);
    }
    free(set->named);
    if (set->fast)
        FcConfigDestroy(set->fast);
    free(set->family);
    free(set->cache);
    free(set->script_faces);
    free(set->memo);
    free(set);
}

const Font *fontset_primary(FontSet *set, FontStyle style) { return set->primary[style]; }

int fonts_each_installed(void (*visit)(const char *path, void *context), void *context)
{
    /* The fast configuration when fontset_open would use it: listing
     * through the system's would load all of it, a fifth of a one-sheet
     * build. */
    FcConfig *config = fast_config();
    if (!config && !FcInit())
        return -1;
    /* Straight from the configuration's font sets, as FcFontList would
     * list every face, without building a pattern for each. */
    static const FcSetName kinds[] = {FcSetSystem, FcSetApplication};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        FcFontSet *fonts = FcConfigGetFonts(config, kinds[k]);
        for (int i = 0; fonts && i < fonts->nfont; i++) {
            FcChar8 *file;
            if (FcPatternGetString(fonts->fonts[i], FC_FILE, 0, &file) == FcResultMatch)
                visit((const char *)file, context);
        }
    }
    if (config)
        FcConfigDestroy(config);
    return 0;
}

bool font_has(const Font *font, uint32_t cp)
{
    hb_codepoint_t gid;
    return hb_font_get_nominal_glyph(font->hb, cp, &gid) && gid != 0;
}

/* Symbols the primary family lacks (the minus sign) come first from the
 * fallback families the Makefile installs, so a sheet looks and measures
 * the same wherever it is built, whatever else is installed; only then
 * from fontconfig's order over every installed font. */
static const char *const known_fallbacks[] = {"DejaVu Sans"};

static const Font *search_fallbacks(FontSet *set, FontStyle style, uint32_t cp)
{
    for (size_t k = 0; k < sizeof known_fallbacks / sizeof *known_fallbacks; k++) {
        bool unusable; /* reported; fontconfig's order goes on */
        const Font *font = open_family(set, known_fallbacks[k], style, 0, &unusable);
        if (font && font_has(font, cp))
            return font;
    }
    if (!set->fallback_order[style]) {
        FcResult result;
        if (!system_config(set)) {
            diag_error(NULL, "fontconfig could not be initialised");
            return NULL;
        }
        if (!set->style_pattern[style])
            set->style_pattern[style] = make_pattern(NULL, set->family, style);
        set->fallback_order[style] =
            FcFontSort(NULL, set->style_pattern[style], FcFalse, NULL, &result);
        /* With fonts installed (fontset_open found the primary family), an
         * empty answer can only mean fontconfig ran out of memory. */
        if (!set->fallback_order[style])
            oom_abort();
    }
    FcFontSet *order = set->fallback_order[style];
    for (int i = 0; i < order->nfont; i++) {
        FcCharSet *charset;
        FcChar8 *file;
        int index = 0;
        if (FcPatternGetCharSet(order->fonts[i], FC_CHARSET, 0, &charset) != FcResultMatch ||
            !FcCharSetHasChar(charset, cp) ||
            FcPatternGetString(order->fonts[i], FC_FILE, 0, &file) != FcResultMatch)
            continue;
        FcPatternGetInteger(order->fonts[i], FC_INDEX, 0, &index);
        const Font *font = open_font(set, (const char *)file, (unsigned)index);
        if (font && font_has(font, cp))
            return font;
    }
    return NULL;
}

/* Which CJK face: the language decides the regional glyph forms (the same
 * code point is drawn differently in Chinese, Japanese and Korean); for a
 * language that is not CJK, the script decides. */
static const char *cjk_family(const char *lang, hb_script_t script)
{
    if (strncmp(lang, "ja", 2) == 0)
        return "Noto Sans CJK JP";
    if (strncmp(lang, "ko", 2) == 0)
        return "Noto Sans CJK KR";
    if (strncmp(lang, "zh", 2) == 0)
        return strstr(lang, "Hant") || strstr(lang, "TW") || strstr(lang, "HK") || strstr(lang, "MO")
                   ? "Noto Sans CJK TC" : "Noto Sans CJK SC";
    if (script == HB_SCRIPT_HANGUL)
        return "Noto Sans CJK KR";
    if (script == HB_SCRIPT_HIRAGANA || script == HB_SCRIPT_KATAKANA)
        return "Noto Sans CJK JP";
    return "Noto Sans CJK SC";
}

/* The family for scripts Noto Sans itself does not cover. */
static const char *script_family(const char *lang, hb_script_t script)
{
    switch (script) {
    case HB_SCRIPT_ARABIC:
        return "Noto Sans Arabic";
    case HB_SCRIPT_DEVANAGARI:
        return "Noto Sans Devanagari";
    case HB_SCRIPT_HAN:
    case HB_SCRIPT_HIRAGANA:
    case HB_SCRIPT_KATAKANA:
    case HB_SCRIPT_HANGUL:
    case HB_SCRIPT_BOPOMOFO:
        return cjk_family(lang, script);
    default:
        return NULL;
    }
}

static const Font *script_face(FontSet *set, FontStyle style, const char *lang, hb_script_t script,
                               bool *unusable)
{
    *unusable = false;
    const char *family = script_family(lang, script);
    if (!family)
        return NULL;
    for (size_t i = 0; i < set->script_face_count; i++) {
        const ScriptFace *f = &set->script_faces[i];
        if (f->script == script && f->style == style && strcmp(f->lang, lang) == 0) {
            *unusable = f->unusable;
            return f->font;
        }
    }
    const Font *font = open_family(set, family, style, 0, unusable);
    if (set->script_face_count == set->script_face_cap) {
        set->script_face_cap = set->script_face_cap ? 2 * set->script_face_cap : 8;
        set->script_faces = xreallocarray(set->script_faces, set->script_face_cap,
                                          sizeof *set->script_faces);
    }
    ScriptFace *entry = &set->script_faces[set->script_face_count++];
    *entry = (ScriptFace){.script = script, .style = style, .font = font, .unusable = *unusable};
    snprintf(entry->lang, sizeof entry->lang, "%s", lang);
    return font;
}

/* The font has the character, narrower than an em. */
static bool proportional_in(const Font *font, uint32_t cp)
{
    hb_codepoint_t gid;
    return hb_font_get_nominal_glyph(font->hb, cp, &gid) && gid != 0 &&
           (unsigned)font_glyph_advance(font, gid) < font->upem;
}

static const Font *font_for(FontSet *set, FontStyle style, const char *lang, hb_script_t script,
                            uint32_t cp)
{
    bool unusable;
    const Font *font = script_face(set, style, lang, script, &unusable);
    if (font && font_has(font, cp))
        return font;
    /* The script's own face is damaged: another would set the text in a
     * face nobody chose (the caller reports the character). */
    if (unusable)
        return NULL;
    /* In Chinese, Japanese and Korean sheets, Latin letters, digits and
     * punctuation are set in the language's own CJK face, whose
     * proportional Latin is drawn to sit with its ideographs; it also
     * spares the sheet two more embedded fonts.  Not where the CJK face
     * draws the character full-width (quotes and dashes in Chinese): in a
     * Latin word that would be a gap.  The CJK faces have no italics:
     * italic text keeps the primary family's. */
    bool cjk = strncmp(lang, "zh", 2) == 0 || strncmp(lang, "ja", 2) == 0 ||
               strncmp(lang, "ko", 2) == 0;
    if (cjk && (style == STYLE_REGULAR || style == STYLE_BOLD)) {
        font = script_face(set, style, lang, HB_SCRIPT_HAN, &unusable);
        if (font && proportional_in(font, cp))
            return font;
    }
    if (font_has(set->primary[style], cp))
        return set->primary[style];
    /* Punctuation the Latin face lacks (a full-width bracket after
     * "HIF-2α") belongs to the language's own CJK face, not whichever CJK
     * face fontconfig sorts first: the regional forms differ. */
    if (cjk) {
        font = script_face(set, style, lang, HB_SCRIPT_HAN, &unusable);
        if (font && font_has(font, cp))
            return font;
    }
    for (size_t i = 0; i < set->cache_count; i++)
        if (set->cache[i].cp == cp && set->cache[i].style == style)
            return set->cache[i].font;
    font = search_fallbacks(set, style, cp);
    if (set->cache_count == set->cache_cap) {
        set->cache_cap = set->cache_cap ? 2 * set->cache_cap : 32;
        set->cache = xreallocarray(set->cache, set->cache_cap, sizeof *set->cache);
    }
    set->cache[set->cache_count++] = (FallbackEntry){cp, style, font};
    return font;
}

const Font *fontset_font_for(FontSet *set, FontStyle style, const char *lang, hb_script_t script,
                             uint32_t cp)
{
    /* a language too long to keep is not remembered */
    if (strlen(lang) >= sizeof set->memo_lang)
        return font_for(set, style, lang, script, cp);
    if (!set->memo)
        set->memo = xcalloc(FONT_MEMO_SIZE, sizeof *set->memo);
    if (strcmp(set->memo_lang, lang) != 0) {
        memset(set->memo, 0, FONT_MEMO_SIZE * sizeof *set->memo);
        strcpy(set->memo_lang, lang);
    }
    uint32_t h = (cp * 0x9E3779B1u) ^ ((uint32_t)script * 0x85EBCA6Bu) ^ (uint32_t)style;
    FontMemo *m = &set->memo[(h >> 16) % FONT_MEMO_SIZE];
    if (m->font && m->cp == cp && m->script == script && m->style == style)
        return m->font;
    const Font *font = font_for(set, style, lang, script, cp);
    if (font)
        *m = (FontMemo){cp, script, style, font};
    return font;
}

int font_glyph_advance(const Font *font, uint32_t gid)
{
    return hb_font_get_glyph_h_advance(font->hb, gid);
}
