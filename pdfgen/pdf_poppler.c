/* pdf_poppler.c — what poppler needs to extract pdfgen's text in reading
 * order.  Matched to poppler 22.12 (Debian 12: libpoppler126, the
 * pdftotext, Evince and Okular of that release): its TextOutputDev puts a
 * line in reading order by its own character type table, not by the
 * Unicode bidi algorithm, reads a whole page in the direction of the
 * majority of its letters, and takes a marked-content span's text as it
 * stands.  Each workaround below says which of these it answers.  The
 * marks it adds are formatting characters only (RLM, LRM): no reader gets
 * other words from them, and readers that run the bidi algorithm
 * themselves read the same text either way.  Revisit when poppler
 * changes: tests/integration.py's round trips on the Arabic sheets fail
 * first.  See pdf_poppler.h. */
#include "pdf_poppler.h"

#include <string.h>

#include <hb.h>
#include <unicode/utf8.h>

/* poppler (22.12) puts a line in reading order by character type alone,
 * over the text as it stands on the page from left to right.  Its types
 * (UnicodeTypeTable.cc) are right-to-left letters, left-to-right letters,
 * "numbers" (digits, Arabic-Indic ones too, and also # $ % + , - . / :
 * and the Arabic comma) and neutrals (the rest: spaces, brackets, quotes,
 * bullets, Arabic vowel marks).  On a page it reads right to left it goes
 * from the right end: a right-to-left piece runs leftwards up to a
 * left-to-right letter or a number, and from there a left-to-right piece
 * runs leftwards over everything but right-to-left letters and comes out
 * as it stands.  So a character set right to left that stands just left
 * of a left-to-right letter or a number (comes right after it in the
 * text) ends up in that piece, on the wrong side: the space after a full
 * stop ("مؤهل. في" came out "مؤهل .في"), or the bracket after a Latin
 * word ("(NETs)" came out "()NETs").  Such a character, and only such a
 * one, is given the ActualText RLM + itself + RLM: the marks are
 * right-to-left characters of their own, invisible and without meaning
 * beyond saying that this stands in right-to-left text, and they end the
 * piece there.  Every mark is also in the text viewers search (a space
 * between two Arabic words with marks around it would make a two-word
 * search fail), so spaces and punctuation with right-to-left letters on
 * both sides carry none.  A line of a left-to-right paragraph on a
 * right-to-left sheet ending in a bracket or quote gets LRM marks there
 * for a like reason ("(Islet Cell Tumors)" came out ")… (Islet Cell
 * Tumors").  Extractors that apply the bidi algorithm themselves read the
 * same text either way. */

/* poppler's character types (see RLM). */
typedef enum PopplerType { PT_NEUTRAL, PT_LTR, PT_RTL, PT_NUMBER } PopplerType;

/* The first code point of t with a script of its own decides. */
bool poppler_is_rtl_text(const U16 *t)
{
    hb_unicode_funcs_t *uf = hb_unicode_funcs_get_default();
    for (size_t i = 0; i < t->len; i++) {
        uint32_t cp = t->units[i];
        if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < t->len)
            cp = 0x10000 + ((cp - 0xD800) << 10) + (t->units[++i] - 0xDC00);
        hb_script_t script = hb_unicode_script(uf, cp);
        if (script != HB_SCRIPT_COMMON && script != HB_SCRIPT_INHERITED &&
            script != HB_SCRIPT_UNKNOWN)
            return hb_script_get_horizontal_direction(script) == HB_DIRECTION_RTL;
    }
    return false;
}

/* Reverses by code point: surrogate pairs stay in order. */
static void reverse_text(U16 *t)
{
    for (size_t a = 0, b = t->len; a + 1 < b; a++, b--) {
        uint16_t x = t->units[a];
        t->units[a] = t->units[b - 1];
        t->units[b - 1] = x;
    }
    for (size_t i = 0; i + 1 < t->len; i++)
        if (t->units[i] >= 0xDC00 && t->units[i] < 0xE000 && t->units[i + 1] >= 0xD800 &&
            t->units[i + 1] < 0xDC00) {
            uint16_t x = t->units[i];
            t->units[i] = t->units[i + 1];
            t->units[++i] = x;
        }
}

/* Lam + alef as one glyph: the presentation form (U+FEF5, FEF7, FEF9,
 * FEFB; NFKC gives the two letters back, in logical order), or 0. */
static uint16_t lam_alef_form(const U16 *t)
{
    if (t->len != 2 || t->units[0] != 0x0644)
        return 0;
    switch (t->units[1]) {
    case 0x0622: return 0xFEF5; /* alef with madda above */
    case 0x0623: return 0xFEF7; /* alef with hamza above */
    case 0x0625: return 0xFEF9; /* alef with hamza below */
    case 0x0627: return 0xFEFB;
    default: return 0;
    }
}

/* Right-to-left glyphs are in visual order, and so extractors read them:
 * mupdf outputs them so, poppler reverses each line to logical order, and
 * either takes a glyph's or a span's text along as it stands, so
 * "logical" text for one glyph or cluster would come out backwards
 * (poppler 22.12: lam-alef as alef-lam, every vowel mark before its
 * letter).  Such text is therefore written in visual order, except that
 * lam-alef becomes its presentation form, which reads right either way. */
void poppler_rtl_cluster_text(U16 *t, bool single_glyph)
{
    if (t->len < 2 || !poppler_is_rtl_text(t))
        return;
    uint16_t form = single_glyph ? lam_alef_form(t) : 0;
    if (form) {
        t->units[0] = form;
        t->len = 1;
    } else {
        reverse_text(t);
    }
}

/* Neither a letter nor a mark of some script: punctuation, spaces and
 * digits, Arabic-Indic ones and the Arabic comma and separators included
 * (poppler moves them too). */
static bool is_weak(uint32_t cp)
{
    if (cp == RLM || cp == LRM)
        return false;
    if ((cp >= 0x0660 && cp <= 0x066C) || (cp >= 0x06F0 && cp <= 0x06F9) || cp == 0x060C ||
        cp == 0x061B)
        return true;
    hb_script_t sc = hb_unicode_script(hb_unicode_funcs_get_default(), cp);
    return sc == HB_SCRIPT_COMMON || sc == HB_SCRIPT_UNKNOWN;
}

bool poppler_has_weak(const U16 *t)
{
    for (size_t i = 0; i < t->len; i++)
        if (is_weak(t->units[i]))
            return true;
    return false;
}

/* Weak throughout, digits aside (poppler keeps a digit with the text on
 * its left by itself). */
bool poppler_all_weak_not_digits(const U16 *t)
{
    hb_unicode_funcs_t *uf = hb_unicode_funcs_get_default();
    for (size_t i = 0; i < t->len; i++)
        if (!is_weak(t->units[i]) || hb_unicode_general_category(uf, t->units[i]) ==
                                         HB_UNICODE_GENERAL_CATEGORY_DECIMAL_NUMBER)
            return false;
    return t->len > 0;
}

/* The "numbers" of poppler 22.12's type table (as in libpoppler.so.126),
 * in the blocks a sheet may use next to right-to-left text. */
static bool poppler_number(uint32_t cp)
{
    static const uint32_t ranges[][2] = {
        {0x0023, 0x0025}, {0x002B, 0x003A}, {0x00A0, 0x00A0}, {0x00A2, 0x00A5},
        {0x00B0, 0x00B3}, {0x00B9, 0x00B9}, {0x0604, 0x060C}, {0x0659, 0x066C},
        {0x06F0, 0x06F9}, {0x2030, 0x2034}, {0x2044, 0x2044}, {0x2070, 0x2070},
        {0x2072, 0x207B}, {0x2080, 0x208B}, {0x208F, 0x20B1}, {0x2212, 0x2213},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++)
        if (cp >= ranges[i][0] && cp <= ranges[i][1])
            return true;
    return false;
}

static PopplerType poppler_type(uint32_t cp)
{
    if (poppler_number(cp))
        return PT_NUMBER;
    if (cp == RLM)
        return PT_RTL;
    if (cp == LRM)
        return PT_LTR;
    hb_unicode_funcs_t *uf = hb_unicode_funcs_get_default();
    hb_unicode_general_category_t gc = hb_unicode_general_category(uf, cp);
    bool letter = gc == HB_UNICODE_GENERAL_CATEGORY_DECIMAL_NUMBER ||
                  (gc >= HB_UNICODE_GENERAL_CATEGORY_LOWERCASE_LETTER &&
                   gc <= HB_UNICODE_GENERAL_CATEGORY_UPPERCASE_LETTER);
    if (!letter)
        return PT_NEUTRAL;
    hb_script_t sc = hb_unicode_script(uf, cp);
    bool rtl_block = (cp >= 0x0590 && cp <= 0x08FF) || (cp >= 0xFB1D && cp <= 0xFDFF) ||
                     (cp >= 0xFE70 && cp <= 0xFEFF); /* tatweel is Common */
    if (rtl_block || hb_script_get_horizontal_direction(sc) == HB_DIRECTION_RTL)
        return PT_RTL;
    return PT_LTR;
}


/* mark + t + mark */
void poppler_fence(U16 *t, uint16_t mark)
{
    u16_push(t, mark);
    u16_push(t, mark);
    memmove(t->units + 1, t->units, (t->len - 2) * sizeof *t->units);
    t->units[0] = mark;
}

/* A character past ASCII as poppler weighs it: 1 strong left to right,
 * -1 right to left, 0 neither.  Out of line, so that the ASCII the
 * tally mostly sees costs no call. */
static int __attribute__((noinline)) strong_weight(uint32_t cp)
{
    hb_unicode_funcs_t *uf = hb_unicode_funcs_get_default();
    hb_unicode_general_category_t gc = hb_unicode_general_category(uf, cp);
    hb_script_t sc = hb_unicode_script(uf, cp);
    if (gc < HB_UNICODE_GENERAL_CATEGORY_LOWERCASE_LETTER ||
        gc > HB_UNICODE_GENERAL_CATEGORY_UPPERCASE_LETTER || sc == HB_SCRIPT_COMMON ||
        sc == HB_SCRIPT_INHERITED || sc == HB_SCRIPT_UNKNOWN)
        return 0;
    return hb_script_get_horizontal_direction(sc) == HB_DIRECTION_RTL ? -1 : 1;
}

/* Tallies the page's strong characters as poppler weighs them. */
void poppler_count_strong(long *balance, const U16 *t)
{
    for (size_t i = 0; i < t->len; i++) {
        uint32_t cp = t->units[i];
        if (cp == RLM) {
            (*balance)--;
            continue;
        }
        if (cp == LRM) {
            (*balance)++;
            continue;
        }
        if (cp < 0x80) {
            /* ASCII: its letters are Latin, the rest neither script's */
            if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
                (*balance)++;
            continue;
        }
        *balance += strong_weight(cp);
    }
}

bool poppler_rtl_letters_around(const char *text, uint32_t len, uint32_t begin, uint32_t end)
{
    if (begin == 0 || end >= len)
        return false;
    UChar32 before, after;
    int32_t at = (int32_t)begin;
    U8_PREV(text, 0, at, before);
    at = (int32_t)end;
    U8_NEXT(text, at, (int32_t)len, after);
    return before >= 0 && after >= 0 && poppler_type((uint32_t)before) == PT_RTL &&
           poppler_type((uint32_t)after) == PT_RTL;
}

uint16_t poppler_presentation_form(const U16 *t)
{
    return lam_alef_form(t);
}
