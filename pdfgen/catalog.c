/* catalog.c — the catalog page.  See catalog.h. */
#include "catalog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unicode/uldnames.h>
#include <unicode/uloc.h>
#include <unicode/ustring.h>

#include "alloc.h"
#include "arena.h"
#include "collate.h"
#include "review.h"
#include "diag.h"
#include "manifest.h"

void catalog_add(Catalog *catalog, const Language *language, const char *stem, size_t pages)
{
    if (catalog->count == catalog->cap) {
        catalog->cap = catalog->cap ? catalog->cap * 2 : 16;
        catalog->items = xreallocarray(catalog->items, catalog->cap, sizeof *catalog->items);
    }
    catalog->items[catalog->count++] = (CatalogItem){language, xstrdup(stem), pages};
}

void catalog_free(Catalog *catalog)
{
    for (size_t i = 0; i < catalog->count; i++)
        free(catalog->items[i].stem);
    free(catalog->items);
    *catalog = (Catalog){0};
}

static const CatalogItem *find(const Catalog *catalog, const Language *language, const char *stem)
{
    for (size_t i = 0; i < catalog->count; i++)
        if (catalog->items[i].language == language && strcmp(catalog->items[i].stem, stem) == 0)
            return &catalog->items[i];
    return NULL;
}

/* ---- names ------------------------------------------------------------- */

/* Does ICU have its own data for the language (not a fallback to another
 * language's, as for Haitian Creole)? */
static bool icu_knows(const char *icu_id)
{
    char language[16];
    UErrorCode status = U_ZERO_ERROR;
    uloc_getLanguage(icu_id, language, sizeof language, &status);
    if (U_FAILURE(status))
        return false;
    for (int32_t i = 0, n = uloc_countAvailable(); i < n; i++)
        if (strcmp(uloc_getAvailable(i), language) == 0)
            return true;
    return false;
}

/* The language's name in display_id's language, capitalized for a list
 * heading; NULL when ICU cannot say (reported). */
static char *display_name(Arena *arena, const char *icu_id, const char *display_id)
{
    UErrorCode status = U_ZERO_ERROR;
    UDisplayContext contexts[] = {UDISPCTX_CAPITALIZATION_FOR_UI_LIST_OR_MENU};
    ULocaleDisplayNames *names = uldn_openForContext(display_id, contexts, 1, &status);
    UChar name[128];
    int32_t n = U_SUCCESS(status) ? uldn_localeDisplayName(names, icu_id, name, 128, &status) : 0;
    if (names)
        uldn_close(names);
    char *out = NULL;
    if (U_SUCCESS(status) && status != U_STRING_NOT_TERMINATED_WARNING) {
        int32_t len = 0;
        u_strToUTF8(NULL, 0, &len, name, n, &status);
        status = U_ZERO_ERROR;
        out = arena_alloc(arena, (size_t)len + 1);
        u_strToUTF8(out, len + 1, NULL, name, n, &status);
    }
    if (U_FAILURE(status) || !out) {
        diag_error(NULL, "ICU: no display name for '%s' in '%s': %s", icu_id, display_id,
                   u_errorName(status));
        return NULL;
    }
    return out;
}

typedef struct Entry {
    const Language *language;
    const char *own_name, *english_name;
} Entry;

/* ---- HTML -------------------------------------------------------------- */

static void html(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* A path segment in a link: every byte but the unreserved ones of RFC 3986
 * percent-encoded, so a drug id with a space, '#', '?', '%' or '"' (the
 * content allows any that names a file) links to its file and cannot end
 * the attribute. */
static void url_segment(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr("-._~", c))
            fputc(c, f);
        else
            fprintf(f, "%%%02X", c);
    }
}

static const char STYLE[] =
    "body{margin:0;font-family:\"Noto Sans\",system-ui,sans-serif;line-height:1.5;"
    "color:#1a1c1f;background:#fff;font-size:1.05rem}\n"
    "header,main,footer{max-width:50rem;margin:0 auto;padding:0 1rem}\n"
    "header{padding-top:1rem}\n"
    "h1{color:#0a4d6b;font-size:1.6rem;line-height:1.25}\n"
    "h2{color:#0a4d6b;font-size:1.35rem;margin:0 0 .25rem}\n"
    "h2 .en{color:#4a4f55;font-size:1rem;font-weight:normal}\n"
    "a{color:#0a4d6b}\n"
    "nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}\n"
    "nav a{display:inline-block;padding:.25rem 0}\n"
    "section{border-top:1px solid #c9d2da;padding:1rem 0}\n"
    "section ul{padding-inline-start:1.25rem;margin:.5rem 0}\n"
    "section li{margin:.45rem 0}\n"
    ".meta{color:#4a4f55;font-size:.9rem;white-space:nowrap}\n"
    ".draft{background:#fff5d6;border:1px solid #c78f00;border-radius:4px;"
    "padding:.5rem .75rem;font-size:.95rem}\n"
    "footer{color:#4a4f55;font-size:.9rem;padding-bottom:2rem}\n"
    "@media print{body{font-size:11pt}nav{display:none}a{color:#000}"
    "section{break-inside:avoid}.draft{background:none}}\n";

/* "PDF, 3 pages, 36 KB": in English (the page's language), marked so on
 * a section in another language. */
static void meta(FILE *f, const Language *language, const CatalogItem *item, long bytes,
                 bool rtl)
{
    bool english = strcmp(language->code, "en") == 0;
    fprintf(f, " <span class=\"meta\"%s>(PDF, %zu %s, %ld&#160;KB)</span>",
            english ? "" : rtl ? " lang=\"en\" dir=\"ltr\"" : " lang=\"en\"", item->pages,
            item->pages == 1 ? "page" : "pages", (bytes + 512) / 1024);
}

/* text is in the section's language, or English when english_text. */
static bool pdf_link(FILE *f, const char *out_dir, const Language *language,
                     const CatalogItem *item, const char *text, bool english_text, bool rtl)
{
    struct stat st;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s.pdf", out_dir, language->code, item->stem);
    if (stat(path, &st) != 0) {
        diag_error(NULL, "catalog: cannot read '%s': %s", path, strerror(errno));
        return false;
    }
    fprintf(f, "<li><a href=\"%s/", language->code);
    url_segment(f, item->stem);
    fputs(".pdf\" type=\"application/pdf\"", f);
    if (english_text && strcmp(language->code, "en") != 0)
        fputs(rtl ? " lang=\"en\" dir=\"ltr\"" : " lang=\"en\"", f);
    fputs(">", f);
    html(f, text);
    fputs("</a>", f);
    meta(f, language, item, (long)st.st_size, rtl);
    fputs("</li>\n", f);
    return true;
}

static bool language_section(Arena *arena, FILE *f, const char *out_dir, const Entry *e,
                             const Catalog *catalog)
{
    const Language *language = e->language;
    const Strings *s = &language->strings;
    bool rtl = uloc_isRightToLeft(s->locale.utf8);
    bool english = strcmp(language->code, "en") == 0;
    fprintf(f, "<section id=\"%s\" lang=\"%s\"%s aria-labelledby=\"%s-name\">\n", language->code,
            language->code, rtl ? " dir=\"rtl\"" : "", language->code);
    fprintf(f, "<h2 id=\"%s-name\">", language->code);
    html(f, e->own_name);
    if (!english) {
        fprintf(f, " <span class=\"en\" lang=\"en\"%s>", rtl ? " dir=\"ltr\"" : "");
        html(f, e->english_name);
        fputs("</span>", f);
    }
    fputs("</h2>\n", f);
    /* The band's words, as on the PDFs: own language, English, notice. */
    ReviewStatus review = review_language_status(language);
    if (!review.source && (review.draft || review.stale)) {
        const Strings *en = language->source ? &language->source->strings : NULL;
        fprintf(f, "<p class=\"draft\" data-review=\"%s\">", review_status_name(&review));
        for (int stale = 1; stale >= 0; stale--) {
            if (!(stale ? review.stale : review.draft))
                continue;
            const Text *mine = stale ? &s->stale_band : &s->draft_band;
            const Text *theirs = en ? (stale ? &en->stale_band : &en->draft_band) : NULL;
            if (mine->utf8) {
                fputs("<strong>", f);
                html(f, mine->utf8);
                fputs("</strong><br>", f);
            }
            if (theirs && theirs->utf8) {
                fprintf(f, "<strong lang=\"en\"%s>", rtl ? " dir=\"ltr\"" : "");
                html(f, theirs->utf8);
                fputs("</strong><br>", f);
            }
        }
        if (review.draft && s->draft_notice.utf8)
            html(f, s->draft_notice.utf8);
        fputs("</p>\n", f);
    }
    fputs("<ul>\n", f);
    size_t n = language->drug_count;
    size_t *order = arena_array(arena, n ? n : 1, sizeof *order);
    if (collate_drugs(arena, language, order) != 0)
        return false;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const Drug *drug = &language->drugs[order[i]];
        const CatalogItem *item = find(catalog, language, drug->id.utf8);
        if (item)
            ok &= pdf_link(f, out_dir, language, item,
                           arena_printf(arena, "%s: %s", drug->name.utf8, s->sheet_title.utf8),
                           false, rtl);
    }
    const CatalogItem *glossary = find(catalog, language, "glossary");
    if (glossary)
        ok &= pdf_link(f, out_dir, language, glossary, language->glossary.title.utf8, false, rtl);
    const CatalogItem *booklet = find(catalog, language, "all");
    if (booklet)
        ok &= pdf_link(f, out_dir, language, booklet,
                       s->booklet.utf8 ? s->booklet.utf8 : "All sheets and the glossary in one PDF",
                       !s->booklet.utf8, rtl);
    fputs("</ul>\n</section>\n", f);
    return ok;
}

static bool write_page(Arena *arena, FILE *f, const Content *content, const Catalog *catalog,
                       const char *out_dir, const char *creator, Entry *entries, size_t count)
{
    const Language *en = NULL;
    for (size_t i = 0; i < count; i++)
        if (strcmp(entries[i].language->code, "en") == 0)
            en = entries[i].language;
    const char *title = en ? en->strings.sheet_title.utf8 : "Fact sheets";
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          f);
    html(f, title);
    fputs(" \xE2\x80\x94 fact sheets by language</title>\n<style>\n", f);
    fputs(STYLE, f);
    fputs("</style>\n</head>\n<body>\n<header>\n<h1>", f);
    html(f, title);
    fprintf(f, ": fact sheets in %zu languages</h1>\n", count);
    fputs("<p>One fact sheet per drug, a glossary (\xE2\x80\x9cWords to know\xE2\x80\x9d) and a "
          "booklet with all of them for printing, in every language. Every language but "
          "English is an unreviewed draft translation and says so.</p>\n"
          "<p>Languages are listed in alphabetical order of their English names. Each is "
          "named in its own language first, with its English name beside it. Within a "
          "language, the drugs are in that language\xE2\x80\x99s alphabetical order.</p>\n"
          "<nav aria-label=\"Languages\">\n<ul>\n", f);
    for (size_t i = 0; i < count; i++) {
        const Language *l = entries[i].language;
        bool rtl = uloc_isRightToLeft(l->strings.locale.utf8);
        fprintf(f, "<li><a href=\"#%s\" lang=\"%s\"%s>", l->code, l->code, rtl ? " dir=\"rtl\"" : "");
        html(f, entries[i].own_name);
        fputs("</a></li>\n", f);
    }
    fputs("</ul>\n</nav>\n</header>\n<main>\n", f);
    bool ok = true;
    for (size_t i = 0; i < count; i++)
        ok &= language_section(arena, f, out_dir, &entries[i], catalog);
    fputs("</main>\n<footer>\n<p>Made with ", f);
    html(f, creator);
    fputs(". PDF files open in any PDF reader; each is a tagged PDF for screen readers.</p>\n"
          "</footer>\n</body>\n</html>\n", f);
    (void)content;
    return ok;
}

int catalog_write(const Content *content, const Catalog *catalog, const char *out_dir,
                  const char *creator, unsigned file_mode)
{
    Arena arena = {0};
    size_t count = content->language_count;
    Entry *entries = arena_array(&arena, count ? count : 1, sizeof *entries);
    const char **english = arena_array(&arena, count ? count : 1, sizeof *english);
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        const Language *l = &content->languages[i];
        char id[64];
        UErrorCode status = U_ZERO_ERROR;
        uloc_forLanguageTag(l->code, id, sizeof id, NULL, &status);
        if (U_FAILURE(status)) {
            diag_error(NULL, "ICU: '%s' is no language tag: %s", l->code, u_errorName(status));
            ok = false;
            continue;
        }
        entries[i].language = l;
        entries[i].own_name = icu_knows(id) ? display_name(&arena, id, id)
                                            : l->strings.language_name.utf8;
        entries[i].english_name = display_name(&arena, id, "en");
        ok &= entries[i].own_name && entries[i].english_name;
        english[i] = entries[i].english_name ? entries[i].english_name : l->code;
    }
    size_t *order = arena_array(&arena, count ? count : 1, sizeof *order);
    if (ok)
        ok = collate_sort(&arena, "en", english, count, order) == 0;
    Entry *sorted = arena_array(&arena, count ? count : 1, sizeof *sorted);
    for (size_t i = 0; ok && i < count; i++)
        sorted[i] = entries[order[i]];

    char *final_path = arena_printf(&arena, "%s/index.html", out_dir);
    /* Made in memory first: a page that would not change is not written
     * (manifest_replace), so a build with nothing to do rewrites nothing. */
    char *page = NULL;
    size_t size = 0;
    FILE *f = ok ? open_memstream(&page, &size) : NULL;
    if (ok && !f)
        oom_abort();
    if (f) {
        ok = write_page(&arena, f, content, catalog, out_dir, creator, sorted, count);
        if (fclose(f) != 0)
            oom_abort();
        if (ok && manifest_replace(final_path, page, size, file_mode) != 0)
            ok = false;
        free(page);
    }
    arena_free(&arena);
    return ok ? 0 : -1;
}
