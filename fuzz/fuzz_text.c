/* fuzz_text.c — libFuzzer harness for the text path: any UTF-8 string as
 * a paragraph, shaped (text_shape_by: NFC, bidi, scripts, fonts, HarfBuzz,
 * ICU breaks, between words or phrases) and broken into lines (paragraph_break, paragraph_set) in every language's
 * locale and fonts, in each of the four styles, at a normal measure and at
 * one narrower than any glyph.
 *
 * Input the content loader would refuse (invalid UTF-8, NUL and other
 * control characters, more than its value limit) is skipped: the text path
 * is only ever handed what the loader let through. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "content.h"
#include "diag.h"
#include "fonts.h"
#include "paragraph.h"
#include "text.h"

#ifndef PDFGEN_ROOT
#define PDFGEN_ROOT "."
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FontSet *fonts;
static Shaper **shapers;
static size_t shaper_count;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    Content *content = content_load(PDFGEN_ROOT "/content");
    fonts = fontset_open(NULL);
    if (!content || !fonts || diag_error_count()) {
        fprintf(stderr, "fuzz_text: cannot load %s/content or the fonts\n", PDFGEN_ROOT);
        exit(1);
    }
    shapers = xcalloc(content->language_count, sizeof *shapers);
    for (size_t i = 0; i < content->language_count; i++) {
        Shaper *s = shaper_open(fonts, content->languages[i].strings.locale.utf8);
        if (s)
            shapers[shaper_count++] = s;
    }
    content_free(content);
    return 0;
}

/* What content.c accepts: well-formed UTF-8 (no surrogates, nothing past
 * U+10FFFF, shortest form), no C0 but tab and newline, no DEL, no C1. */
static int acceptable(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        uint32_t cp;
        size_t len;
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F)
                return 0;
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
        else return 0;
        if (i + len > n)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp <= 0x9F))
            return 0;
        i += len;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 32768 || !acceptable(data, size))
        return 0;
    char *utf8 = xstrndup((const char *)data, size);
    SourcePos pos = {"fuzz", 1, 1};
    for (size_t i = 0; i < shaper_count; i++) {
        Arena arena = {0};
        TextPiece piece = {.utf8 = utf8, .style = (FontStyle)((size + i) % STYLE_COUNT),
                           .pos = pos, .keep_whole = size % 3 == 0};
        /* a heading's breaks between phrases (Japanese) for every other input */
        ShapedText *text = text_shape_by(shapers[i], &arena, &piece, 1,
                                         i % 2 ? DIRECTION_FROM_TEXT : DIRECTION_OF_DOCUMENT,
                                         size % 2 ? TEXT_BY_PHRASES : TEXT_BY_WORDS);
        if (text) {
            paragraph_break(&arena, text, 12, 300);
            paragraph_break(&arena, text, 12, 0.5);
            /* Knuth-Plass, justified and hyphenated, and ragged */
            SetOptions justified = {.justify = true}, ragged = {.justify = false};
            paragraph_set(&arena, text, 12, 300, &justified);
            paragraph_set(&arena, text, 12, 40, &justified);
            paragraph_set(&arena, text, 12, 300, &ragged);
        }
        arena_free(&arena);
    }
    free(utf8);
    diag_reset();
    return 0;
}
