/* diag.c — error reporting.  See diag.h.
 *
 * Hostile content can produce errors by the hundred thousand (a file of
 * unknown keys) or the same error once per sheet (a character no font has
 * in strings.yaml or references.yaml, which every sheet prints).  So each
 * report is
 *   - dropped when the very same line (place and words) was printed before;
 *   - counted but not printed past MAX_PER_KIND of one kind (the same
 *     message format) in one file, or past MAX_SHOWN in all;
 * and diag_flush() then says how many were left out.  Every character that
 * could move the cursor, clear the screen or split the line (C0, DEL, C1,
 * bytes that are not UTF-8) is printed escaped, since file names and keys
 * come from the content. */
#include "diag.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

enum { MAX_PER_KIND = 10, MAX_SHOWN = 1000 };

typedef struct Kind {
    const char *file; /* a SourcePos file (compared by address) or NULL */
    const char *fmt;  /* the message format names the kind */
    unsigned long shown, hidden;
} Kind;

static unsigned error_count;
static unsigned long shown_total, hidden_total;
static Kind *kinds; /* in order of first report */
static size_t kind_count, kind_cap;
static size_t *kind_slots; /* open addressing into kinds, +1; 0 = empty */
static size_t kind_mask;
static uint64_t *seen; /* hashes of the lines printed; 0 = empty */
static int werror;
static DiagObserver *observer;
static void *observer_ctx;
static int observer_quiet;
static size_t seen_count, seen_mask;

static uint64_t hash_mix(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211u;
    return h;
}

static void grow_kinds(void)
{
    size_t n = kind_mask ? (kind_mask + 1) * 2 : 64;
    free(kind_slots);
    kind_slots = xcalloc(n, sizeof *kind_slots);
    kind_mask = n - 1;
    for (size_t k = 0; k < kind_count; k++) {
        uint64_t h = hash_mix(hash_mix(1469598103934665603u, &kinds[k].file, sizeof kinds[k].file),
                              &kinds[k].fmt, sizeof kinds[k].fmt);
        size_t i = (size_t)h & kind_mask;
        while (kind_slots[i])
            i = (i + 1) & kind_mask;
        kind_slots[i] = k + 1;
    }
}

static Kind *kind_of(const char *file, const char *fmt)
{
    if ((kind_count + 1) * 2 > kind_mask + 1)
        grow_kinds();
    uint64_t h = hash_mix(hash_mix(1469598103934665603u, &file, sizeof file), &fmt, sizeof fmt);
    size_t i = (size_t)h & kind_mask;
    for (; kind_slots[i]; i = (i + 1) & kind_mask) {
        Kind *k = &kinds[kind_slots[i] - 1];
        if (k->file == file && k->fmt == fmt)
            return k;
    }
    if (kind_count == kind_cap) {
        kind_cap = kind_cap ? kind_cap * 2 : 64;
        kinds = xreallocarray(kinds, kind_cap, sizeof *kinds);
    }
    kinds[kind_count] = (Kind){file, fmt, 0, 0};
    kind_slots[i] = ++kind_count;
    return &kinds[kind_count - 1];
}

/* Adds h to the printed lines; returns 0 if it was there already. */
static int first_time(uint64_t h)
{
    if (!h)
        h = 1;
    if ((seen_count + 1) * 2 > seen_mask + 1) {
        size_t n = seen_mask ? (seen_mask + 1) * 2 : 256;
        uint64_t *bigger = xcalloc(n, sizeof *bigger);
        for (size_t j = 0; seen && j <= seen_mask; j++) {
            if (!seen[j])
                continue;
            size_t i = (size_t)seen[j] & (n - 1);
            while (bigger[i])
                i = (i + 1) & (n - 1);
            bigger[i] = seen[j];
        }
        free(seen);
        seen = bigger;
        seen_mask = n - 1;
    }
    size_t i = (size_t)h & seen_mask;
    for (; seen[i]; i = (i + 1) & seen_mask)
        if (seen[i] == h)
            return 0;
    seen[i] = h;
    seen_count++;
    return 1;
}

/* Length of the well-formed UTF-8 character at s (at most n bytes), or 0. */
static size_t utf8_length(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 && s[0] >= 0xC2 ? 2
               : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 && s[0] <= 0xF4 ? 4 : 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

void diag_write_escaped(FILE *f, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n = strlen(text);
    for (size_t i = 0; i < n;) {
        size_t len = utf8_length(s + i, n - i);
        if (len == 1 && (s[i] < 0x20 || s[i] == 0x7F)) {
            const char *named = s[i] == '\n' ? "\\n" : s[i] == '\t' ? "\\t"
                              : s[i] == '\r' ? "\\r" : s[i] == 0x1B ? "\\e" : NULL;
            if (named)
                fputs(named, f);
            else
                fprintf(f, "\\x%02X", s[i]);
        } else if (len == 2 && s[i] == 0xC2 && s[i + 1] < 0xA0) {
            fprintf(f, "\\u%04X", s[i + 1]); /* C1 controls, U+0080..U+009F */
        } else if (len == 0) {
            fprintf(f, "\\x%02X", s[i]);
            len = 1;
        } else {
            fwrite(s + i, 1, len, f);
        }
        i += len;
    }
}

void diag_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vnote(fmt, ap);
    va_end(ap);
}

/* The message, formatted into memory the caller frees. */
static char *vformat(const char *fmt, va_list args) PDFGEN_PRINTF(1, 0);
static char *vformat(const char *fmt, va_list args)
{
    va_list ap;
    va_copy(ap, args);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *message = xmalloc(n > 0 ? (size_t)n + 1 : 1);
    va_copy(ap, args);
    vsnprintf(message, n > 0 ? (size_t)n + 1 : 1, fmt, ap);
    va_end(ap);
    return message;
}

void diag_vnote(const char *fmt, va_list args)
{
    char *message = vformat(fmt, args);
    fputs("pdfgen: ", stderr);
    diag_write_escaped(stderr, message);
    fputc('\n', stderr);
    free(message);
}

static void put_count(FILE *f, unsigned long n)
{
    /* 99,990: grouped, so a large count reads at a glance. */
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%lu", n);
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            fputc(',', f);
        fputc(digits[i], f);
    }
}

/* One report: to the observer, and to stderr unless the observer keeps it. */
static void emit(const SourcePos *pos, int error, const char *message)
{
    if (observer)
        observer(observer_ctx, pos, error, message);
    if (observer && observer_quiet)
        return;
    if (pos && pos->file) {
        diag_write_escaped(stderr, pos->file);
        fprintf(stderr, ":%u:%u: %s: ", pos->line, pos->col, error ? "error" : "warning");
    } else {
        fprintf(stderr, "pdfgen: %s: ", error ? "error" : "warning");
    }
    diag_write_escaped(stderr, message);
    fputc('\n', stderr);
}

void diag_error(const SourcePos *pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_verror(pos, fmt, ap);
    va_end(ap);
}

void diag_verror(const SourcePos *pos, const char *fmt, va_list args)
{
    va_list ap;
    va_copy(ap, args);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *message = xmalloc((size_t)n + 1);
    va_copy(ap, args);
    vsnprintf(message, (size_t)n + 1, fmt, ap);
    va_end(ap);
    error_count++;

    const char *file = pos && pos->file ? pos->file : NULL;
    uint64_t h = hash_mix(1469598103934665603u, message, (size_t)n);
    if (file) {
        h = hash_mix(h, file, strlen(file) + 1);
        h = hash_mix(h, &pos->line, sizeof pos->line);
        h = hash_mix(h, &pos->col, sizeof pos->col);
    }
    if (first_time(h)) {
        Kind *kind = kind_of(file, fmt);
        if (kind->shown >= MAX_PER_KIND || shown_total >= MAX_SHOWN) {
            kind->hidden++;
            hidden_total++;
        } else {
            kind->shown++;
            shown_total++;
            emit(pos, 1, message);
        }
    }
    free(message);
}

/* The kind's name for the summary: its format's fixed words up to the first
 * parenthesis, e.g. "unknown key" for "unknown key '%.*s%s'%s (expected…". */
static void put_kind_name(FILE *f, const char *fmt)
{
    char name[80];
    size_t len = 0;
    for (const char *p = fmt; *p && *p != '(' && *p != ';' && len + 1 < sizeof name; p++) {
        if (*p == '%') {
            p++;
            while (*p && !strchr("sduxXclfgz%", *p))
                p++;
            if (*p == 'z' || *p == 'l')
                p++;
            if (!*p)
                break;
            continue;
        }
        if (p[0] == 'U' && p[1] == '+' && p[2] == '%') {
            p++; /* "U+%04X": the code point is not part of the kind */
            continue;
        }
        if (*p == '\'' || (*p == ' ' && (len == 0 || name[len - 1] == ' ')))
            continue;
        name[len++] = *p;
    }
    while (len && name[len - 1] == ' ')
        len--;
    name[len] = '\0';
    if (len)
        fprintf(f, " '%s'", name);
}

void diag_flush(void)
{
    /* One line per kind that went over its limit, but not a thousand of
     * them when the total limit hid errors of many kinds: the rest go into
     * one last line. */
    enum { MAX_SUMMARIES = 20 };
    unsigned long rest = hidden_total;
    size_t lines = 0;
    for (size_t k = 0; k < kind_count; k++) {
        if (!kinds[k].hidden)
            continue;
        if (lines++ < MAX_SUMMARIES) {
            fputs("pdfgen: error: ... and ", stderr);
            put_count(stderr, kinds[k].hidden);
            fputs(" more", stderr);
            put_kind_name(stderr, kinds[k].fmt);
            fputs(kinds[k].hidden == 1 ? " error" : " errors", stderr);
            if (kinds[k].file) {
                fputs(" in ", stderr);
                diag_write_escaped(stderr, kinds[k].file);
            }
            fputc('\n', stderr);
            rest -= kinds[k].hidden;
        }
        kinds[k].hidden = 0;
    }
    if (rest) {
        fputs("pdfgen: error: ... and ", stderr);
        put_count(stderr, rest);
        fputs(rest == 1 ? " more error\n" : " more errors\n", stderr);
    }
    hidden_total = 0;
}

void diag_warning(const SourcePos *pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vwarning(pos, fmt, ap);
    va_end(ap);
}

void diag_vwarning(const SourcePos *pos, const char *fmt, va_list args)
{
    if (werror) {
        diag_verror(pos, fmt, args);
        return;
    }
    char *message = vformat(fmt, args);
    emit(pos, 0, message);
    free(message);
}

void diag_set_werror(int on) { werror = on; }

void diag_observe(DiagObserver *fn, void *ctx, int quiet)
{
    observer = fn;
    observer_ctx = ctx;
    observer_quiet = quiet;
}

unsigned diag_error_count(void) { return error_count; }

unsigned diag_distinct_count(void) { return (unsigned)seen_count; }

void diag_reset(void)
{
    error_count = 0;
    shown_total = hidden_total = 0;
    free(kinds);
    free(kind_slots);
    free(seen);
    kinds = NULL;
    kind_slots = NULL;
    seen = NULL;
    kind_count = kind_cap = kind_mask = seen_count = seen_mask = 0;
}
