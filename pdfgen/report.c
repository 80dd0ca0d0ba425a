/* report.c — context for diagnostics, and check's JSON.  See report.h. */
#include "report.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "review.h"

typedef struct Item {
    char *file, *message, *language, *drug, *field;
    unsigned line, col;
    bool error;
} Item;

typedef struct Collector {
    bool on;
    const char *content_dir;
    Item *items;
    size_t count, cap;
    /* the context of the report_diag call under way */
    const char *language, *drug, *field;
} Collector;

static Collector collector;

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* "<content>/<lang>/<drug>.yaml": its language and drug, when the file
 * names them. */
static void context_from_file(Item *item, const char *file)
{
    size_t n = strlen(collector.content_dir);
    while (n && collector.content_dir[n - 1] == '/')
        n--;
    if (strncmp(file, collector.content_dir, n) != 0 || file[n] != '/')
        return;
    const char *lang = file + n + 1, *slash = strchr(lang, '/');
    if (!slash || strchr(slash + 1, '/'))
        return;
    item->language = xstrndup(lang, (size_t)(slash - lang));
    const char *name = slash + 1;
    size_t len = strlen(name);
    if (len > 5 && strcmp(name + len - 5, ".yaml") == 0 && strcmp(name, "strings.yaml") != 0 &&
        strcmp(name, "glossary.yaml") != 0)
        item->drug = xstrndup(name, len - 5);
}

static void collect(void *ctx, const SourcePos *pos, int error, const char *message)
{
    (void)ctx;
    if (collector.count == collector.cap) {
        collector.cap = collector.cap ? collector.cap * 2 : 64;
        collector.items = xreallocarray(collector.items, collector.cap, sizeof *collector.items);
    }
    Item *item = &collector.items[collector.count++];
    *item = (Item){.message = xstrdup(message), .error = error != 0};
    if (pos && pos->file) {
        item->file = xstrdup(pos->file);
        item->line = pos->line;
        item->col = pos->col;
    }
    if (collector.language || collector.drug || collector.field) {
        item->language = dup_or_null(collector.language);
        item->drug = dup_or_null(collector.drug);
        item->field = dup_or_null(collector.field);
    } else if (item->file) {
        context_from_file(item, item->file);
    }
}

void report_diag(ReportSeverity severity, const SourcePos *pos, const char *language,
                 const char *drug, const char *field, const char *fmt, ...)
{
    collector.language = language;
    collector.drug = drug;
    collector.field = field;
    va_list ap;
    va_start(ap, fmt);
    if (severity == REPORT_ERROR)
        diag_verror(pos, fmt, ap);
    else
        diag_vwarning(pos, fmt, ap);
    va_end(ap);
    collector.language = collector.drug = collector.field = NULL;
}

void report_json_start(const char *content_dir)
{
    collector = (Collector){.on = true, .content_dir = content_dir};
    diag_observe(collect, NULL, 1);
}

/* A JSON string; bytes that are not UTF-8 become U+FFFD. */
static void json_string(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t len = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 && *p >= 0xC2 ? 2
                   : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 && *p <= 0xF4 ? 4 : 0;
        for (size_t i = 1; i < len; i++)
            if ((p[i] & 0xC0) != 0x80)
                len = 0;
        /* nor overlong forms, UTF-16 surrogates or beyond U+10FFFF (a
         * folder's name can be any bytes): strict readers refuse them */
        if ((len == 3 && ((*p == 0xE0 && p[1] < 0xA0) || (*p == 0xED && p[1] > 0x9F))) ||
            (len == 4 && ((*p == 0xF0 && p[1] < 0x90) || (*p == 0xF4 && p[1] > 0x8F))))
            len = 0;
        if (len == 0) {
            fputs("\\ufffd", f);
            p++;
        } else if (*p == '"' || *p == '\\') {
            fprintf(f, "\\%c", *p++);
        } else if (*p < 0x20 || *p == 0x7F) {
            fprintf(f, "\\u%04x", *p++);
        } else {
            fwrite(p, 1, len, f);
            p += len;
        }
    }
    fputc('"', f);
}

static void json_status(FILE *f, const ReviewStatus *st)
{
    fputs("\"status\":", f);
    json_string(f, review_status_name(st));
    fputs(",\"reviewer\":", f);
    json_string(f, st->reviewer);
    fputs(",\"date\":", f);
    if (st->date.year > 0)
        fprintf(f, "\"%04d-%02d-%02d\"", st->date.year, st->date.month, st->date.day);
    else
        fputs("null", f);
}

int report_json_finish(FILE *f, const Content *content)
{
    diag_observe(NULL, NULL, 0);
    size_t errors = 0;
    for (size_t i = 0; i < collector.count; i++)
        errors += collector.items[i].error;
    fprintf(f, "{\"version\":1,\"errors\":%zu,\"warnings\":%zu,\"diagnostics\":[", errors,
            collector.count - errors);
    for (size_t i = 0; i < collector.count; i++) {
        const Item *it = &collector.items[i];
        fputs(i ? ",\n {\"file\":" : "\n {\"file\":", f);
        json_string(f, it->file);
        if (it->file)
            fprintf(f, ",\"line\":%u,\"column\":%u", it->line, it->col);
        else
            fputs(",\"line\":null,\"column\":null", f);
        fprintf(f, ",\"severity\":\"%s\",\"message\":", it->error ? "error" : "warning");
        json_string(f, it->message);
        fputs(",\"language\":", f);
        json_string(f, it->language);
        fputs(",\"drug\":", f);
        json_string(f, it->drug);
        fputs(",\"field\":", f);
        json_string(f, it->field);
        fputc('}', f);
    }
    fputs("],\n\"languages\":[", f);
    for (size_t l = 0; content && l < content->language_count; l++) {
        const Language *language = &content->languages[l];
        ReviewStatus st = review_language_status(language);
        fputs(l ? ",\n {\"code\":" : "\n {\"code\":", f);
        json_string(f, language->code);
        fputc(',', f);
        json_status(f, &st);
        fputs(",\"sheets\":[", f);
        for (size_t d = 0; d < language->drug_count; d++) {
            ReviewStatus sheet = review_sheet_status(language, &language->drugs[d]);
            fputs(d ? ",{\"drug\":" : "{\"drug\":", f);
            json_string(f, language->drugs[d].id.utf8);
            fputc(',', f);
            json_status(f, &sheet);
            fputc('}', f);
        }
        fputs("],\"glossary\":", f);
        if (language->glossary.file) {
            ReviewStatus g = review_glossary_status(language);
            fputc('{', f);
            json_status(f, &g);
            fputc('}', f);
        } else {
            fputs("null", f);
        }
        fputc('}', f);
    }
    fputs("]}\n", f);
    for (size_t i = 0; i < collector.count; i++) {
        Item *it = &collector.items[i];
        free(it->file);
        free(it->message);
        free(it->language);
        free(it->drug);
        free(it->field);
    }
    free(collector.items);
    collector = (Collector){0};
    return ferror(f) ? -1 : 0;
}
