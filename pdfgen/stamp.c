/* stamp.c — rewrite the digest lines of a translated file.  See stamp.h.
 *
 * The file is edited as lines, guided by libyaml's marks of each source:
 * entry (content.c keeps them), so comments, quoting and layout anywhere
 * else survive byte for byte. */
/* realpath() is X/Open, beyond the POSIX level the Makefile asks for. */
#define _XOPEN_SOURCE 700
#include "stamp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "file_read.h"
#include "replace.h"
#include "content.h"
#include "diag.h"
#include "review.h"

typedef struct Line {
    const char *start;
    size_t len; /* including its line break, if any */
} Line;

/* The byte offset of 1-based character column col in the line. */
static size_t byte_of_column(const Line *line, unsigned col)
{
    size_t at = 0;
    for (unsigned c = 1; c < col && at < line->len; c++) {
        at++;
        while (at < line->len && ((unsigned char)line->start[at] & 0xC0) == 0x80)
            at++;
    }
    return at;
}

static const ReviewField *wanted_field(const ReviewField *fields, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

/* The bytes [from, to) of the line that are the digest's value, quotes
 * included.  False unless they are all of it: a block scalar (| or >) or
 * a value going on to the next lines would leave lines behind. */
static bool value_token(const Line *line, const SourceDigest *d, size_t *from, size_t *to)
{
    size_t at = byte_of_column(line, d->digest.pos.col), end = at;
    char quote = at < line->len && (line->start[at] == '"' || line->start[at] == '\'')
                     ? line->start[at]
                     : 0;
    bool whole;
    if (quote) {
        for (end = at + 1; end < line->len; end++) {
            if (quote == '"' && line->start[end] == '\\')
                end++;
            else if (quote == '\'' && line->start[end] == '\'' && end + 1 < line->len &&
                     line->start[end + 1] == '\'')
                end++;
            else if (line->start[end] == quote)
                break;
        }
        whole = end < line->len;
        end += whole;
    } else {
        while (end < line->len && !strchr(" \t\r\n#", line->start[end]))
            end++;
        whole = end - at == strlen(d->digest.utf8) &&
                memcmp(line->start + at, d->digest.utf8, end - at) == 0;
    }
    *from = at;
    *to = end;
    return whole;
}

static int write_replacing(const char *link, const char *data, size_t size)
{
    /* A symbolic link keeps pointing at the file, rewritten where it is:
     * renaming over the link would leave the file as it was. */
    char *path = realpath(link, NULL);
    struct stat st;
    int rc = path && stat(path, &st) == 0
                 ? replace_file(path, data, size, st.st_mode & 07777, ".stamp.", true)
                 : -1;
    int err = errno;
    free(path);
    errno = err;
    return rc;
}

static int stamp_file(const char *path, const Review *review, const ReviewField *fields,
                      size_t field_count)
{
    size_t size = 0;
    char *text = file_read(path, &size);
    if (!text) {
        diag_error(&(SourcePos){path, 1, 1}, "cannot read the file to stamp it: %s",
                   strerror(errno));
        return 1;
    }
    size_t line_count = 0, cap = 64;
    Line *lines = xcalloc(cap, sizeof *lines);
    for (size_t at = 0; at < size;) {
        const char *nl = memchr(text + at, '\n', size - at);
        size_t len = nl ? (size_t)(nl - (text + at)) + 1 : size - at;
        if (line_count == cap)
            lines = xreallocarray(lines, cap *= 2, sizeof *lines);
        lines[line_count++] = (Line){text + at, len};
        at += len;
    }
    /* Per line: NULL to keep it, else what replaces it ("" deletes it). */
    char **replace = xcalloc(line_count + 1, sizeof *replace);
    bool *done = xcalloc(field_count + 1, sizeof *done);
    unsigned changed = 0, removed = 0, added = 0, last_line = 0, indent = 2;
    const SourceDigest *last = NULL; /* the entry on the block's last line */
    int failed = 0;
    if (review->source_pos.file) {
        const Line *first = &lines[review->source_pos.line - 1];
        if (first->start[byte_of_column(first, review->source_pos.col)] == '{') {
            diag_error(&review->source_pos, "'source' is a flow mapping ({...}); pdfgen stamp "
                       "rewrites one 'field: digest' line per field");
            failed = 1;
        }
        indent = review->source_pos.col - 1;
    }
    for (size_t k = 0; k < review->source_count && !failed; k++) {
        const SourceDigest *d = &review->sources[k];
        if (d->digest.pos.line != d->field.pos.line || d->field.pos.line > line_count) {
            diag_error(&d->field.pos, "the digest of '%s' is not on its field's line; "
                       "pdfgen stamp rewrites one 'field: digest' line per field",
                       d->field.utf8);
            failed = 1;
            break;
        }
        unsigned ln = d->field.pos.line;
        if (ln > last_line) {
            last_line = ln;
            last = d;
        }
        const ReviewField *want = wanted_field(fields, field_count, d->field.utf8);
        if (want) {
            done[want - fields] = true;
            if (strcmp(d->digest.utf8, want->digest) == 0)
                continue;
        }
        size_t from, to;
        if (!value_token(&lines[ln - 1], d, &from, &to)) {
            diag_error(&d->digest.pos, "the digest of '%s' is not one plain or quoted value "
                       "on its field's line; pdfgen stamp rewrites one 'field: digest' line "
                       "per field", d->field.utf8);
            failed = 1;
            break;
        }
        if (!want) {
            replace[ln - 1] = xstrdup("");
            removed++;
            continue;
        }
        /* the value's token, quotes included, gives way to the new digest */
        const Line *line = &lines[ln - 1];
        size_t n = from + REVIEW_DIGEST_HEX + (line->len - to);
        char *out = xmalloc(n + 1);
        memcpy(out, line->start, from);
        memcpy(out + from, want->digest, REVIEW_DIGEST_HEX);
        memcpy(out + from + REVIEW_DIGEST_HEX, line->start + to, line->len - to);
        out[n] = '\0';
        replace[ln - 1] = out;
        changed++;
    }
    /* New fields go after the last entry's line: its value must end there. */
    size_t missing = 0;
    for (size_t i = 0; i < field_count; i++)
        missing += !done[i];
    size_t last_from, last_to;
    if (!failed && missing && last && !value_token(&lines[last_line - 1], last, &last_from,
                                                   &last_to)) {
        diag_error(&last->digest.pos, "the digest of '%s' is not one plain or quoted value "
                   "on its field's line; pdfgen stamp rewrites one 'field: digest' line "
                   "per field", last->field.utf8);
        failed = 1;
    }
    if (!failed) {
        /* New fields: after the block's last line, or a new block at the end. */
        size_t extra_cap = 64, extra_len = 0;
        char *extra = xmalloc(extra_cap);
        bool new_block = !review->source_pos.file;
        /* The lines added end as the file's do: a CRLF file stays CRLF. */
        const Line *model = last_line ? &lines[last_line - 1] : line_count ? &lines[0] : NULL;
        const char *eol = model && model->len >= 2 && model->start[model->len - 2] == '\r' &&
                                  model->start[model->len - 1] == '\n'
                              ? "\r\n"
                              : "\n";
        if (new_block && size && text[size - 1] != '\n')
            extra_len += (size_t)snprintf(extra + extra_len, extra_cap - extra_len, "%s", eol);
        if (new_block) {
            static const char head[] = "# The English each field was translated from (digests; "
                                       "'pdfgen stamp' writes them).";
            while (extra_len + sizeof head + sizeof "\r\nsource:\r\n" > extra_cap)
                extra = xrealloc(extra, extra_cap *= 2);
            extra_len += (size_t)snprintf(extra + extra_len, extra_cap - extra_len,
                                          "%s%ssource:%s", head, eol, eol);
        }
        for (size_t i = 0; i < field_count; i++) {
            if (done[i])
                continue;
            size_t need = indent + strlen(fields[i].name) + REVIEW_DIGEST_HEX + 5;
            while (extra_len + need + 1 > extra_cap)
                extra = xrealloc(extra, extra_cap *= 2);
            extra_len += (size_t)snprintf(extra + extra_len, extra_cap - extra_len, "%*s%s: %s%s",
                                          (int)indent, "", fields[i].name, fields[i].digest, eol);
            added++;
        }
        if (!added)
            extra_len = 0;
        size_t out_cap = size + extra_len + 3, out_len = 0;
        for (size_t i = 0; i < line_count; i++)
            if (replace[i])
                out_cap += strlen(replace[i]);
        char *out = xmalloc(out_cap);
        for (size_t i = 0; i < line_count; i++) {
            const char *src = replace[i] ? replace[i] : lines[i].start;
            size_t len = replace[i] ? strlen(replace[i]) : lines[i].len;
            memcpy(out + out_len, src, len);
            out_len += len;
            if (!new_block && added && i + 1 == last_line) {
                /* a last line without a line break gets one first */
                if (out_len && out[out_len - 1] != '\n')
                    for (const char *e = eol; *e; e++)
                        out[out_len++] = *e;
                memcpy(out + out_len, extra, extra_len);
                out_len += extra_len;
            }
        }
        if (new_block && added) {
            memcpy(out + out_len, extra, extra_len);
            out_len += extra_len;
        }
        if ((changed || removed || added) && write_replacing(path, out, out_len) != 0) {
            diag_error(&(SourcePos){path, 1, 1}, "cannot rewrite the file: %s", strerror(errno));
            failed = 1;
        } else if (changed || removed || added) {
            printf("%s: %u digest%s updated, %u added, %u removed\n", path, changed,
                   changed == 1 ? "" : "s", added, removed);
        } else {
            printf("%s: up to date\n", path);
        }
        free(out);
        free(extra);
    }
    for (size_t i = 0; i < line_count; i++)
        free(replace[i]);
    free(replace);
    free(done);
    free(lines);
    free(text);
    return failed;
}

static int stamp_one(const Language *language, ReviewFileKind kind,
                     const Drug *drug, const char *path, const Review *review)
{
    ReviewField *fields;
    size_t count = review_english_fields(language, kind, drug, &fields);
    int failed = stamp_file(path, review, fields, count);
    review_fields_free(fields, count);
    return failed;
}

int stamp_translation(const Content *content, const char *code, const char *drug_id)
{
    const Language *language = content_language(content, code);
    if (!language || !content_language(content, "en") || strcmp(code, "en") == 0) {
        diag_error(NULL, "stamp: '%s' is not a translation (English is the source)", code);
        return 1;
    }
    int failures = 0;
    if (!drug_id)
        failures += stamp_one(language, REVIEW_STRINGS, NULL,
                              language->strings.language.pos.file, &language->strings.review);
    for (size_t d = 0; d < language->drug_count; d++) {
        const Drug *drug = &language->drugs[d];
        if (!drug_id || strcmp(drug_id, drug->id.utf8) == 0)
            failures += stamp_one(language, REVIEW_DRUG, drug, drug->id.pos.file,
                                  &drug->review);
    }
    if (!drug_id && language->glossary.file)
        failures += stamp_one(language, REVIEW_GLOSSARY, NULL, language->glossary.file,
                              &language->glossary.review);
    return failures;
}
