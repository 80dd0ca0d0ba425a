/* Unit tests for glossary.c's term search: glossary_linker_find must find
 * exactly what ICU's usearch finds (usearch_first with the language's
 * collator at primary strength, the search the linker used to run for
 * every text): the expected links on tricky inputs (case, accents,
 * decomposed accents, soft hyphens, plurals, terms inside longer words,
 * kana, Hangul, Han, Arabic, Devanagari), and usearch itself as the
 * oracle on every glossary text of content/ and on generated texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unicode/ucol.h>
#include <unicode/usearch.h>
#include <unicode/ustring.h>

#include "content.h"
#include "glossary.h"

/* usearch as the linker used to call it; the pattern as search_pattern
 * makes it (the term without its parenthesis). */
static int oracle(const char *locale, const char *term, const char *text, size_t *begin,
                  size_t *end)
{
    size_t n = strcspn(term, "(");
    const char *full_paren = strstr(term, "\xEF\xBC\x88");
    if (full_paren && (size_t)(full_paren - term) < n)
        n = (size_t)(full_paren - term);
    while (n > 0 && term[n - 1] == ' ')
        n--;
    UChar pattern[512], text16[4096];
    int32_t plen = 0, tlen = 0;
    UErrorCode status = U_ZERO_ERROR;
    u_strFromUTF8(pattern, 512, &plen, term, (int32_t)n, &status);
    u_strFromUTF8(text16, 4096, &tlen, text, -1, &status);
    assert_true(U_SUCCESS(status));
    if (plen == 0 || tlen == 0)
        return 0;
    UCollator *coll = ucol_open(locale, &status);
    ucol_setStrength(coll, UCOL_PRIMARY);
    UStringSearch *search =
        usearch_openFromCollator(pattern, plen, text16, tlen, coll, NULL, &status);
    assert_true(U_SUCCESS(status));
    int32_t at = usearch_first(search, &status);
    int32_t len = usearch_getMatchedLength(search);
    usearch_close(search);
    ucol_close(coll);
    if (U_FAILURE(status) || at == USEARCH_DONE || len <= 0)
        return 0;
    char utf8[8192];
    int32_t b = 0, e = 0;
    status = U_ZERO_ERROR;
    u_strToUTF8(utf8, sizeof utf8, &b, text16, at, &status);
    u_strToUTF8(utf8, sizeof utf8, &e, text16, at + len, &status);
    assert_true(U_SUCCESS(status));
    *begin = (size_t)b;
    *end = (size_t)e;
    return 1;
}

/* A language of one locale whose glossary holds the given terms. */
static Language language_of(const char *locale, const char *const *terms, size_t count)
{
    Language language = {0};
    language.code = (char *)locale;
    language.strings.locale.utf8 = (char *)locale;
    language.glossary.file = "glossary.yaml";
    language.glossary.term_count = count;
    language.glossary.terms = calloc(count ? count : 1, sizeof *language.glossary.terms);
    assert_non_null(language.glossary.terms);
    for (size_t i = 0; i < count; i++)
        language.glossary.terms[i].term.utf8 = (char *)terms[i];
    return language;
}

/* The linker's and usearch's match agree; returns the matched text
 * ("" for none) in out. */
static void agree(GlossaryLinker *linker, const char *locale, size_t term, const char *term_text,
                  const char *text, char *out, size_t cap)
{
    size_t b = 0, e = 0, ob = 0, oe = 0;
    int found = glossary_linker_find(linker, term, text, &b, &e);
    int expected = oracle(locale, term_text, text, &ob, &oe);
    if (found != expected || (found && (b != ob || e != oe))) {
        fprintf(stderr, "%s: '%s' in '%s': linker %d [%zu,%zu), usearch %d [%zu,%zu)\n", locale,
                term_text, text, found, b, e, expected, ob, oe);
        fail();
    }
    if (out)
        snprintf(out, cap, "%.*s", found ? (int)(e - b) : 0, found ? text + b : "");
}

typedef struct Case {
    const char *locale, *term, *text, *expected; /* expected: the link's text, "" none */
} Case;

static const Case cases[] = {
    /* case and the parenthesis left out */
    {"en-US", "Chemotherapy (chemo)", "Before CHEMOTHERAPY starts, ask.", "CHEMOTHERAPY"},
    {"en-US", "Chemotherapy (chemo)", "chemo only", ""},
    /* inside a longer word and plurals: usearch knows no words */
    {"en-US", "Dose", "Take two doses a day.", "dose"},
    {"en-US", "Dose", "An overdose is rare.", "dose"},
    {"en-US", "side effect", "Side-effects and side effects.", "side effect"},
    /* a soft hyphen inside is ignored, one after is left out */
    {"en-US", "chemotherapy", "chemo\xC2\xADtherapy works", "chemo\xC2\xADtherapy"},
    {"en-US", "chemo", "chemo\xC2\xAD", "chemo"},
    /* accents: ignored, precomposed or combining (taken along) */
    {"es-US", "Angiogénesis", "la ANGIOGENESIS del tumor", "ANGIOGENESIS"},
    {"es-US", "angiogenesis", "la angiogénesis", "angiogénesis"},
    {"es-US", "angiogenesis", "la angiogene\xCC\x81sis.", "angiogene\xCC\x81sis"},
    {"es-US", "dosis", "la dosi\xCC\x81s diaria", "dosi\xCC\x81s"},
    /* but ñ is its own letter in Spanish */
    {"es-US", "pequeno", "un tumor pequeño", ""},
    {"fr", "effet secondaire", "Les effets secondaires", ""},
    {"fr", "Effet indésirable", "un EFFET INDESIRABLE grave", "EFFET INDESIRABLE"},
    {"vi", "ung thư", "bệnh UNG THƯ gan", "UNG THƯ"},
    {"vi", "ung thư", "bệnh ung thu gan", ""},
    {"ru", "Приём", "ПРИЕМ лекарства", "ПРИЕМ"},
    {"ru", "йод", "иод", ""},
    /* an expansion: ß is ss at primary strength */
    {"en-US", "strasse", "Hauptstraße 5", "straße"},
    {"en-US", "ss", "Straße", "ß"},
    /* kana: katakana and hiragana alike; ー after kana (a context) */
    {"ja", "がん", "ガン細胞", "ガン"},
    {"ja", "チロシンキナーゼ", "チロシンキナーゼ阻害薬です", "チロシンキナーゼ"},
    {"ja", "キナ", "キナーゼ", "キナ"},
    {"ja", "ナー", "キナーゼ", "ナー"},
    {"ja", "ーゼ", "\xE3\x82\x99ｰゼ", "ｰゼ"},
    {"ja", "アテ", "カーテン", "ーテ"}, /* ー after カ weighs as ア */
    {"ja", "チロシンキナーゼ", "チロシンキナーゼ", "チロシンキナーゼ"},
    {"ja", "化学療法（抗がん剤治療）", "標準的な化学療法の薬", "化学療法"},
    {"zh-Hans", "靶向药物", "这是一种靶向药物。", "靶向药物"},
    {"zh-Hant", "標靶藥物", "這是一種標靶藥物。", "標靶藥物"},
    {"ko", "암", "암세포를 공격합니다", "암"},
    {"ko", "표적 치료제", "표적치료제", ""},
    /* Arabic: the article before, marks taken along */
    {"ar", "سرطان", "علاج السرطان", "سرطان"},
    {"ar", "سرطان", "علاج السَّرَطان.", "سَّرَطان"},
    /* Hindi: a plural's vowel sign stays out of the link (usearch's
     * mid-cluster end) */
    {"hi", "कैंसर", "कैंसरों के इलाज", "कैंसर"},
    {"hi", "दवा", "दवाएं लें", "दवा"},
    {"hi", "दवा", "दवाई", "दवा"},
    {"tl", "gamot", "mga GAMOT na", "GAMOT"},
    {"tl", "an", "ang gamot", "an"},
};

static void tricky_inputs_link_as_usearch_does(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const Case *c = &cases[i];
        Language language = language_of(c->locale, &c->term, 1);
        GlossaryLinker *linker = glossary_linker_open(&language);
        assert_non_null(linker);
        char got[512];
        agree(linker, c->locale, 0, c->term, c->text, got, sizeof got);
        if (strcmp(got, c->expected) != 0) {
            fprintf(stderr, "%s: '%s' in '%s': '%s', expected '%s'\n", c->locale, c->term,
                    c->text, got, c->expected);
            fail();
        }
        glossary_linker_close(linker);
        free(language.glossary.terms);
    }
}

/* Every term in every glossary text (term, definition, intro, title) of
 * every language, and in the texts from a few places on. */
static void content_glossaries_link_as_usearch_does(void **state)
{
    (void)state;
    Content *content = content_load("content");
    assert_non_null(content);
    for (size_t l = 0; l < content->language_count; l++) {
        const Language *language = &content->languages[l];
        const Glossary *g = &language->glossary;
        if (!g->file)
            continue;
        const char *locale = language->strings.locale.utf8;
        GlossaryLinker *linker = glossary_linker_open(language);
        assert_non_null(linker);
        size_t text_count = 2 * g->term_count + 2;
        const char **texts = calloc(text_count, sizeof *texts);
        assert_non_null(texts);
        for (size_t i = 0; i < g->term_count; i++) {
            texts[2 * i] = g->terms[i].term.utf8;
            texts[2 * i + 1] = g->terms[i].definition.utf8;
        }
        texts[2 * g->term_count] = g->intro.utf8;
        texts[2 * g->term_count + 1] = g->title.utf8;
        for (size_t x = 0; x < text_count; x++) {
            if (!texts[x])
                continue;
            size_t len = strlen(texts[x]);
            for (size_t from = 0; from < len; from += 17) {
                while (from < len && ((unsigned char)texts[x][from] & 0xC0) == 0x80)
                    from++;
                for (size_t t = 0; t < g->term_count; t++)
                    agree(linker, locale, t, g->terms[t].term.utf8, texts[x] + from, NULL, 0);
            }
        }
        free(texts);
        glossary_linker_close(linker);
    }
    content_free(content);
}

/* Texts made of pieces that test usearch's edges: expansions, marks
 * before and after, ignorables, contexts, clusters. */
static void generated_texts_link_as_usearch_does(void **state)
{
    (void)state;
    static const struct {
        const char *locale;
        const char *terms[4];
        const char *pieces[16];
    } sets[] = {
        {"en-US",
         {"ss", "dose", "a b", "e"},
         {"ss", "ß", "dose", "DOSE", "e\xCC\x81", "\xCC\x81", "\xC2\xAD", " ", "\xC2\xA0", "s",
          "ﬁ", "-", "\xE2\x80\x8D", "a", "b", "é"}},
        {"hi",
         {"कैंसर", "दवा", "क", "र"},
         {"कैंसर", "ों", "ो", "ं", "दवा", "ई", "क", "़", "्", "ष", "र", " ", "ि", "ा", "क़", "\xC2\xAD"}},
        {"ja",
         {"がん", "キナーゼ", "カ", "あ"},
         {"がん", "ガン", "キナ", "ー", "ゼ", "カ", "か", "あ", "ア", "ゝ", "ヽ", "゙", "。", "ｶ", "癌", "ｰ"}},
        {"ar",
         {"سرطان", "دواء", "ال", "لا"},
         {"سرطان", "ال", "َ", "ّ", "ـ", "دواء", "ﻻ", "لا", "ة", "ت", " ", "أ", "ا", "ى", "ي", "ء"}},
        {"ko",
         {"암", "치료", "ㅏ", "아"},
         {"암", "치료", "\xE1\x84\x8B", "\xE1\x85\xA1", "\xE1\x86\xB7", "아", "ㅏ", " ", "ㅁ", "제", "암세포", "\xC2\xAD", "ᄋ", "ᅡ", "ᆷ", "-"}},
        {"es-US",
         {"niño", "n", "ch", "ll"},
         {"n", "ñ", "\xCC\x83", "i", "o", "ch", "c", "h", "l", "ll", "Ñ", " ", "N", "\xC2\xAD", "ó", "o\xCC\x81"}},
        {"ja",
         {"アテ", "ナー", "ーゼ", "かあ"},
         {"カ", "ー", "テ", "ン", "ア", "あ", "か", "ナ", "ゼ", "ゝ", "ゞ", "ヽ", "ヾ", "ｰ", "ｶ", "゙"}},
        {"en-US",
         {"fi", "mg", "1/2", "n"},
         {"ﬁ", "fi", "㎎", "mg", "½", "1/2", "1⁄2", "ŉ", "ʼn", "n", "เก", "ก", "à½³", "Ⅻ", "ǅ", "â"}},
        {"zh-Hans",
         {"靶向药", "药", "A", "药物"},
         {"靶", "向", "药", "物", "藥", "Ａ", "a", "A", "，", " ", "〇", "â", "々", "药物", "靶向", "𠀀"}},
        {"ru",
         {"йод", "ёж", "и", "е"},
         {"й", "и", "Ì", "ё", "е", "Ì", "Й", "од", "ж", "Ё", " ", "Â­", "о", "д", "ї", "i"}},
        {"vi",
         {"ư", "ung thư", "u", "ă"},
         {"u", "ư", "\xCC\x9B", "ung", " ", "thư", "thu", "ă", "a", "\xCC\x86", "ạ", "\xCC\xA3", "Ư", "Ă", "ê", "e"}},
    };
    unsigned seed = 12345;
    for (size_t s = 0; s < sizeof sets / sizeof *sets; s++) {
        Language language = language_of(sets[s].locale, sets[s].terms, 4);
        GlossaryLinker *linker = glossary_linker_open(&language);
        assert_non_null(linker);
        size_t piece_count = 0;
        while (piece_count < 16 && sets[s].pieces[piece_count])
            piece_count++;
        for (int round = 0; round < 5000; round++) {
            char text[256] = "";
            int pieces = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 7;
            for (int p = 0; p < pieces; p++) {
                seed = seed * 1103515245u + 12345u;
                strcat(text, sets[s].pieces[(seed >> 16) % piece_count]);
            }
            for (size_t t = 0; t < 4; t++)
                agree(linker, sets[s].locale, t, sets[s].terms[t], text, NULL, 0);
        }
        glossary_linker_close(linker);
        free(language.glossary.terms);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tricky_inputs_link_as_usearch_does),
        cmocka_unit_test(content_glossaries_link_as_usearch_does),
        cmocka_unit_test(generated_texts_link_as_usearch_does),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
