/* review.c — review status and source digests.  See review.h.
 *
 * Each translated file is compared with its English counterpart through a
 * View: one Entry per field English or the translation has, with the
 * English digest as it is now.  Status, `check`'s report and the release
 * gate all read the same Views, so they cannot disagree. */
#include "review.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "alloc.h"
#include "kept.h"
#include "content.h"
#include "diag.h"
#include "hash.h"
#include "report.h"
#include "sha256.h"

/* ---- digests ---------------------------------------------------------- */

char *review_normalize(const char *utf8)
{
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2 *nfc = unorm2_getNFCInstance(&status);
    int32_t len = (int32_t)strlen(utf8), ulen = 0;
    UChar *u = xcalloc((size_t)len + 1, sizeof *u);
    UChar *n = xcalloc((size_t)len * 3 + 1, sizeof *n);
    int32_t nlen = 0;
    if (U_SUCCESS(status))
        u_strFromUTF8(u, len + 1, &ulen, utf8, len, &status);
    if (U_SUCCESS(status))
        nlen = unorm2_normalize(nfc, u, ulen, n, len * 3 + 1, &status);
    char *out = xmalloc((size_t)nlen * 3 + 1);
    int32_t olen = 0;
    if (U_SUCCESS(status))
        u_strToUTF8(out, nlen * 3 + 1, &olen, n, nlen, &status);
    free(u);
    free(n);
    if (status == U_MEMORY_ALLOCATION_ERROR)
        oom_abort();
    if (U_FAILURE(status)) { /* content.c lets through only valid UTF-8 */
        free(out);
        out = xstrdup(utf8);
        olen = len;
    }
    /* Whitespace runs to one space, trimmed: reflowing YAML is no change. */
    size_t w = 0;
    for (int32_t r = 0; r < olen; r++) {
        bool space = out[r] == ' ' || out[r] == '\t' || out[r] == '\n' || out[r] == '\r';
        if (!space)
            out[w++] = out[r];
        else if (w && out[w - 1] != ' ')
            out[w++] = ' ';
    }
    while (w && out[w - 1] == ' ')
        w--;
    out[w] = '\0';
    return out;
}

static void compute_digest(const char *const *texts, size_t count,
                           char hex[REVIEW_DIGEST_HEX + 1])
{
    Sha256 ctx;
    sha256_init(&ctx);
    for (size_t i = 0; i < count; i++) {
        char *norm = review_normalize(texts[i]);
        if (i)
            sha256_update(&ctx, "\n", 1);
        sha256_update(&ctx, norm, strlen(norm));
        free(norm);
    }
    unsigned char digest[SHA256_BYTES];
    char full[SHA256_HEX + 1];
    sha256_final(&ctx, digest);
    sha256_to_hex(digest, full);
    memcpy(hex, full, REVIEW_DIGEST_HEX);
    hex[REVIEW_DIGEST_HEX] = '\0';
}

/* Every digest made, by the exact texts it was made of: a build asks for
 * the status of each output several times, and each asks for the
 * digests of all the English its files translate, the same few hundred
 * texts, each normalized and hashed anew (196 M instructions in a whole
 * build).  Keyed by the bytes themselves (each text's length, then the
 * text), so it holds whatever the content is; it holds no more than the
 * texts digested, which are content.  An open-addressing table, freed at
 * exit. */
typedef struct Memo {
    char *key; /* NULL: an empty slot */
    size_t len;
    uint64_t hash;
    char hex[REVIEW_DIGEST_HEX + 1];
} Memo;

static Memo *memo;
static size_t memo_count, memo_cap; /* memo_cap: 0 or a power of two */

static void free_memo(void)
{
    for (size_t i = 0; i < memo_cap; i++)
        free(memo[i].key);
    free(memo);
    memo = NULL;
    memo_count = memo_cap = 0;
}

static char *memo_key(const char *const *texts, size_t count, size_t *len)
{
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        n += sizeof(size_t) + strlen(texts[i]);
    char *key = xmalloc(n ? n : 1);
    size_t at = 0;
    for (size_t i = 0; i < count; i++) {
        size_t l = strlen(texts[i]);
        memcpy(key + at, &l, sizeof l);
        memcpy(key + at + sizeof l, texts[i], l);
        at += sizeof l + l;
    }
    *len = n;
    return key;
}

/* The slot of key, or the empty slot where it goes. */
static Memo *memo_slot(const char *key, size_t len, uint64_t hash)
{
    for (size_t i = (size_t)hash & (memo_cap - 1);; i = (i + 1) & (memo_cap - 1)) {
        Memo *m = &memo[i];
        if (!m->key || (m->hash == hash && m->len == len && memcmp(m->key, key, len) == 0))
            return m;
    }
}

static void memo_grow(void)
{
    static bool hooked;
    kept_free_at_exit(&hooked, free_memo);
    Memo *old = memo;
    size_t old_cap = memo_cap;
    memo_cap = memo_cap ? 2 * memo_cap : 256;
    memo = xcalloc(memo_cap, sizeof *memo);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key)
            *memo_slot(old[i].key, old[i].len, old[i].hash) = old[i];
    free(old);
}

void review_digest(const char *const *texts, size_t count, char hex[REVIEW_DIGEST_HEX + 1])
{
    size_t len;
    char *key = memo_key(texts, count, &len);
    uint64_t hash = hash_bytes(key, len);
    if (2 * (memo_count + 1) > memo_cap)
        memo_grow();
    Memo *m = memo_slot(key, len, hash);
    if (m->key) {
        free(key);
    } else {
        *m = (Memo){key, len, hash, ""};
        compute_digest(texts, count, m->hex);
        memo_count++;
    }
    memcpy(hex, m->hex, REVIEW_DIGEST_HEX + 1);
}

/* ---- the fields of each kind of file --------------------------------- */

typedef struct Slot {
    const char *name;
    size_t offset; /* of a Text, or of a TextList when list */
    bool list;
} Slot;

static const Slot drug_slots[] = {
    {"name", offsetof(Drug, name), false},
    {"drug_class", offsetof(Drug, drug_class), false},
    {"targeted_drugs", offsetof(Drug, targeted_drugs), false},
    {"how_it_works", offsetof(Drug, how_it_works), false},
    {"how_it_is_taken", offsetof(Drug, how_it_is_taken), false},
    {"who_it_is_for", offsetof(Drug, who_it_is_for), false},
    {"common_side_effects", offsetof(Drug, common_side_effects), true},
    {"serious_side_effects", offsetof(Drug, serious_side_effects), true},
};

/* Not the language's own settings (language, locale, language_name,
 * digits, month_names, date_format) nor its draft texts. */
static const Slot strings_slots[] = {
    {"series", offsetof(Strings, series), false},
    {"sheet_title", offsetof(Strings, sheet_title), false},
    {"author", offsetof(Strings, author), false},
    {"subject", offsetof(Strings, subject), false},
    {"drug_class_label", offsetof(Strings, drug_class_label), false},
    {"labels.targeted_drugs", offsetof(Strings, label_targeted_drugs), false},
    {"labels.how_it_works", offsetof(Strings, label_how_it_works), false},
    {"labels.how_it_is_taken", offsetof(Strings, label_how_it_is_taken), false},
    {"labels.who_it_is_for", offsetof(Strings, label_who_it_is_for), false},
    {"labels.common_side_effects", offsetof(Strings, label_common_side_effects), false},
    {"labels.serious_side_effects", offsetof(Strings, label_serious_side_effects), false},
    {"labels.references", offsetof(Strings, label_references), false},
    {"helpline.heading", offsetof(Strings, helpline_heading), false},
    {"helpline.text", offsetof(Strings, helpline_text), false},
    {"helpline.phone", offsetof(Strings, helpline_phone), false},
    {"helpline.reach", offsetof(Strings, helpline_reach), false},
    {"disclaimer", offsetof(Strings, disclaimer), false},
    {"last_revised", offsetof(Strings, last_revised), false},
    {"page_of", offsetof(Strings, page_of), false},
    {"booklet", offsetof(Strings, booklet), false},
    {"online", offsetof(Strings, online), false},
    {"draft_band", offsetof(Strings, draft_band), false},
    {"stale_band", offsetof(Strings, stale_band), false},
};

static const Slot glossary_slots[] = {
    {"title", offsetof(Glossary, title), false},
    {"intro", offsetof(Glossary, intro), false},
};

#define COUNT(a) (sizeof(a) / sizeof(a)[0])


typedef struct Entry {
    char *name;
    bool english;           /* English has the field */
    char digest[REVIEW_DIGEST_HEX + 1];
    SourcePos english_pos;
    bool translated;        /* the translation has it */
    SourcePos pos;          /* where the translation has it */
    const SourceDigest *recorded; /* its digest in source:, or NULL */
} Entry;

typedef struct View {
    ReviewFileKind kind;
    const char *file, *english_file;
    const Review *review;
    const char *language, *drug; /* drug: the drug file's id, else NULL */
    Entry *entries;
    size_t count, cap;
} View;

/* Present, its position, and its digest when hex is not NULL. */
static bool slot_text(const void *record, const Slot *slot, SourcePos *pos,
                      char hex[REVIEW_DIGEST_HEX + 1])
{
    if (!record)
        return false;
    const char *base = (const char *)record + slot->offset;
    if (slot->list) {
        const TextList *list = (const TextList *)base;
        if (!list->count)
            return false;
        *pos = list->pos;
        if (hex) {
            const char **texts = xcalloc(list->count, sizeof *texts);
            for (size_t i = 0; i < list->count; i++)
                texts[i] = list->items[i].utf8;
            review_digest(texts, list->count, hex);
            free(texts);
        }
        return true;
    }
    const Text *text = (const Text *)base;
    if (!text->utf8)
        return false;
    *pos = text->pos;
    const char *one = text->utf8;
    if (hex)
        review_digest(&one, 1, hex);
    return true;
}

static Entry *add_entry(View *v, char *name)
{
    if (v->count == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 32;
        v->entries = xreallocarray(v->entries, v->cap, sizeof *v->entries);
    }
    Entry *e = &v->entries[v->count++];
    *e = (Entry){.name = name};
    return e;
}

static void add_slots(View *v, const Slot *slots, size_t count, const void *english,
                      const void *translated)
{
    for (size_t i = 0; i < count; i++) {
        Entry e = {0};
        e.english = slot_text(english, &slots[i], &e.english_pos, e.digest);
        e.translated = slot_text(translated, &slots[i], &e.pos, NULL);
        if (e.english || e.translated) {
            e.name = xstrdup(slots[i].name);
            *add_entry(v, e.name) = e;
        }
    }
}

static char *term_name(const char *id)
{
    size_t n = strlen(id) + sizeof "terms.";
    char *name = xmalloc(n);
    snprintf(name, n, "terms.%s", id);
    return name;
}

static void add_terms(View *v, const Glossary *english, const Glossary *translated)
{
    for (size_t i = 0; english && i < english->term_count; i++) {
        const GlossaryTerm *t = &english->terms[i];
        if (!t->id.utf8 || !t->term.utf8 || !t->definition.utf8)
            continue;
        Entry *e = add_entry(v, term_name(t->id.utf8));
        e->english = true;
        e->english_pos = t->term.pos;
        const char *texts[] = {t->term.utf8, t->definition.utf8};
        review_digest(texts, 2, e->digest);
    }
    for (size_t i = 0; translated && i < translated->term_count; i++) {
        const GlossaryTerm *t = &translated->terms[i];
        if (!t->id.utf8 || !t->term.utf8)
            continue;
        char *name = term_name(t->id.utf8);
        Entry *e = NULL;
        for (size_t k = 0; k < v->count && !e; k++)
            if (strcmp(v->entries[k].name, name) == 0)
                e = &v->entries[k];
        if (e)
            free(name);
        else
            e = add_entry(v, name);
        e->translated = true;
        e->pos = t->term.pos;
    }
}

static void match_recorded(View *v)
{
    for (size_t i = 0; i < v->count; i++)
        for (size_t k = 0; k < v->review->source_count && !v->entries[i].recorded; k++)
            if (strcmp(v->review->sources[k].field.utf8, v->entries[i].name) == 0)
                v->entries[i].recorded = &v->review->sources[k];
}


static View view_strings(const Language *language)
{
    const Language *en = language->source;
    View v = {.kind = REVIEW_STRINGS, .file = language->strings.language.pos.file,
              .english_file = en ? en->strings.language.pos.file : NULL,
              .review = &language->strings.review, .language = language->code};
    add_slots(&v, strings_slots, COUNT(strings_slots), en ? &en->strings : NULL,
              &language->strings);
    match_recorded(&v);
    return v;
}

static View view_drug(const Language *language, const Drug *drug)
{
    const Language *en = language->source;
    const Drug *english = en ? language_drug(en, drug->id.utf8) : NULL;
    View v = {.kind = REVIEW_DRUG, .file = drug->id.pos.file,
              .english_file = english ? english->id.pos.file : NULL,
              .review = &drug->review, .language = language->code, .drug = drug->id.utf8};
    add_slots(&v, drug_slots, COUNT(drug_slots), english, drug);
    match_recorded(&v);
    return v;
}

static View view_glossary(const Language *language)
{
    const Language *en = language->source;
    const Glossary *english = en && en->glossary.file ? &en->glossary : NULL;
    View v = {.kind = REVIEW_GLOSSARY, .file = language->glossary.file,
              .english_file = english ? english->file : NULL,
              .review = &language->glossary.review, .language = language->code};
    add_slots(&v, glossary_slots, COUNT(glossary_slots), english, &language->glossary);
    add_terms(&v, english, &language->glossary);
    match_recorded(&v);
    return v;
}

static void view_free(View *v)
{
    for (size_t i = 0; i < v->count; i++)
        free(v->entries[i].name);
    free(v->entries);
}

size_t review_english_fields(const Language *language,
                             ReviewFileKind kind, const Drug *drug, ReviewField **out)
{
    View v = kind == REVIEW_STRINGS ? view_strings(language)
           : kind == REVIEW_DRUG    ? view_drug(language, drug)
                                    : view_glossary(language);
    size_t n = 0;
    *out = xcalloc(v.count + 1, sizeof **out);
    for (size_t i = 0; i < v.count; i++)
        if (v.entries[i].english) {
            (*out)[n].name = v.entries[i].name;
            v.entries[i].name = NULL;
            memcpy((*out)[n++].digest, v.entries[i].digest, sizeof v.entries[i].digest);
        }
    view_free(&v);
    return n;
}

void review_fields_free(ReviewField *fields, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(fields[i].name);
    free(fields);
}

static bool is_source(const Language *language)
{
    return strcmp(language->code, "en") == 0;
}

/* ---- status ----------------------------------------------------------- */

static bool is_reviewed(const Review *r)
{
    return r->status.utf8 && strcmp(r->status.utf8, "reviewed") == 0;
}

/* Why an entry makes its file stale, or NULL when it does not. */
static const char *stale_reason(const Entry *e)
{
    if (e->english && !e->recorded)
        return "no source digest";
    if (e->english && strcmp(e->recorded->digest.utf8, e->digest) != 0)
        return "changed";
    if (e->english && !e->translated)
        return "missing";
    if (!e->english && e->recorded)
        return "gone";
    return NULL;
}

static bool view_stale(const View *v)
{
    for (size_t i = 0; i < v->count; i++)
        if (stale_reason(&v->entries[i]))
            return true;
    return false;
}

static void add_view(ReviewStatus *st, View *v, bool main_file)
{
    st->draft |= !is_reviewed(v->review);
    st->stale |= view_stale(v);
    if (main_file && is_reviewed(v->review)) {
        st->reviewer = v->review->reviewer.utf8;
        st->date = v->review->date;
    }
    view_free(v);
}


const char *review_status_name(const ReviewStatus *status)
{
    return status->source ? "source" : status->stale ? "stale" : status->draft ? "draft"
                                                                               : "reviewed";
}

ReviewStatus review_sheet_status(const Language *language, const Drug *drug)
{
    ReviewStatus st = {.source = is_source(language)};
    if (st.source)
        return st;
    View strings = view_strings(language), sheet = view_drug(language, drug);
    add_view(&st, &strings, false);
    add_view(&st, &sheet, true);
    return st;
}

ReviewStatus review_glossary_status(const Language *language)
{
    ReviewStatus st = {.source = is_source(language)};
    if (st.source || !language->glossary.file)
        return st;
    View strings = view_strings(language), glossary = view_glossary(language);
    add_view(&st, &strings, false);
    add_view(&st, &glossary, true);
    return st;
}

ReviewStatus review_language_status(const Language *language)
{
    ReviewStatus st = {.source = is_source(language)};
    if (st.source)
        return st;
    View strings = view_strings(language);
    add_view(&st, &strings, true);
    for (size_t d = 0; d < language->drug_count; d++) {
        View sheet = view_drug(language, &language->drugs[d]);
        add_view(&st, &sheet, false);
    }
    if (language->glossary.file) {
        View glossary = view_glossary(language);
        add_view(&st, &glossary, false);
    }
    return st;
}

/* ---- validation ------------------------------------------------------- */

static bool is_digest(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return false;
    return n == REVIEW_DIGEST_HEX;
}

static unsigned validate_view(const View *v, bool english, bool stamping)
{
    unsigned errors = 0;
    const Review *r = v->review;
    if (english) {
        if (r->status.utf8 || r->source_pos.file) {
            const SourcePos *at = r->status.utf8 ? &r->status.pos : &r->source_pos;
            diag_error(at, "English is the source, not a translation: it has no 'review' "
                       "or 'source'");
            errors++;
        }
        return errors;
    }
    if (r->status.utf8 && strcmp(r->status.utf8, "draft") != 0 && !is_reviewed(r)) {
        diag_error(&r->status.pos, "'review.status' must be draft or reviewed, found '%s'",
                   r->status.utf8);
        errors++;
    }
    if (is_reviewed(r) && (!r->reviewer.utf8 || r->date.year == 0)) {
        diag_error(&r->status.pos, "a reviewed translation names its reviewer and the date "
                   "('review.reviewer' and 'review.date')");
        errors++;
    }
    /* What stamp rewrites (a malformed digest) or removes (a field no
     * file has) must not stop stamp itself. */
    for (size_t k = 0; k < r->source_count && !stamping; k++) {
        const SourceDigest *d = &r->sources[k];
        bool known = false;
        for (size_t i = 0; i < v->count && !known; i++)
            known = strcmp(v->entries[i].name, d->field.utf8) == 0;
        if (!known) {
            diag_error(&d->field.pos, "unknown field '%s' in 'source' (no such field in "
                       "this file or its English)", d->field.utf8);
            errors++;
        }
        if (!is_digest(d->digest.utf8)) {
            diag_error(&d->digest.pos, "the source digest of '%s' must be %d lowercase hex "
                       "digits, found '%s' (run 'pdfgen stamp')", d->field.utf8,
                       REVIEW_DIGEST_HEX, d->digest.utf8);
            errors++;
        }
    }
    return errors;
}

unsigned review_validate(const Content *content, bool stamping)
{
    unsigned errors = 0;
    for (size_t l = 0; l < content->language_count; l++) {
        const Language *language = &content->languages[l];
        bool english = is_source(language);
        View strings = view_strings(language);
        errors += validate_view(&strings, english, stamping);
        view_free(&strings);
        const Strings *s = &language->strings;
        if (!english && is_reviewed(&s->review) && s->draft_notice.utf8) {
            diag_error(&s->draft_notice.pos, "a reviewed translation has no 'draft_notice'");
            errors++;
        }
        if (!english && is_reviewed(&language->glossary.review) &&
            language->glossary.draft_notice.utf8) {
            diag_error(&language->glossary.draft_notice.pos,
                       "a reviewed translation has no 'draft_notice'");
            errors++;
        }
        if (content->language_count > 1 && (!s->draft_band.utf8 || !s->stale_band.utf8)) {
            diag_error(&(SourcePos){s->language.pos.file, 1, 1},
                       "missing '%s': the words of the band on a draft or out-of-date "
                       "translation%s", s->draft_band.utf8 ? "stale_band" : "draft_band",
                       english ? " (English gives the English line of every band)" : "");
            errors++;
        }
        for (size_t d = 0; d < language->drug_count; d++) {
            View sheet = view_drug(language, &language->drugs[d]);
            errors += validate_view(&sheet, english, stamping);
            view_free(&sheet);
        }
        if (language->glossary.file) {
            View glossary = view_glossary(language);
            errors += validate_view(&glossary, english, stamping);
            view_free(&glossary);
        }
    }
    return errors;
}

/* ---- the report and the release gate ---------------------------------- */

static unsigned report_view(const View *v, bool release)
{
    ReportSeverity severity = release ? REPORT_ERROR : REPORT_WARNING;
    unsigned count = 0;
    const Review *r = v->review;
    SourcePos top = {v->file, 1, 1};
    char stamp[160];
    snprintf(stamp, sizeof stamp, "pdfgen stamp --lang %s%s%s", v->language,
             v->drug ? " --drug " : "", v->drug ? v->drug : "");
    if (!is_reviewed(r)) {
        if (release)
            report_diag(severity, r->status.utf8 ? &r->status.pos : &top, v->language, v->drug,
                        "review.status",
                        "draft translation, not yet medically reviewed: --release builds only "
                        "reviewed translations");
        else if (r->status.utf8)
            report_diag(severity, &r->status.pos, v->language, v->drug, "review.status",
                        "draft translation, not yet medically reviewed");
        else
            report_diag(severity, &top, v->language, v->drug, "review.status",
                        "no 'review' block: a draft translation, not yet medically reviewed");
        count++;
    }
    for (size_t i = 0; i < v->count; i++) {
        const Entry *e = &v->entries[i];
        const char *why = stale_reason(e);
        const SourcePos *at = e->translated ? &e->pos
                              : e->recorded ? &e->recorded->field.pos
                              : r->source_pos.file ? &r->source_pos : &top;
        const SourcePos *en = &e->english_pos;
        if (!why) {
            if (!e->english && e->translated && !release) {
                report_diag(severity, at, v->language, v->drug, e->name,
                            "'%s' has no English source (%s has none)", e->name,
                            v->english_file ? v->english_file : "English");
                count++;
            }
            continue;
        }
        if (strcmp(why, "changed") == 0)
            report_diag(severity, at, v->language, v->drug, e->name,
                        "stale translation of '%s': the English (%s:%u:%u) has changed since "
                        "this translation was made; update it, then run '%s'",
                        e->name, en->file, en->line, en->col, stamp);
        else if (strcmp(why, "no source digest") == 0)
            report_diag(severity, at, v->language, v->drug, e->name,
                        "stale translation of '%s': no source digest records which English "
                        "(%s:%u:%u) it was made from; check it, then run '%s'",
                        e->name, en->file, en->line, en->col, stamp);
        else if (strcmp(why, "missing") == 0)
            report_diag(severity, at, v->language, v->drug, e->name,
                        "missing translation of '%s' (English has it at %s:%u:%u)", e->name,
                        en->file, en->line, en->col);
        else
            report_diag(severity, at, v->language, v->drug, e->name,
                        "stale translation: the English no longer has '%s'; update the "
                        "translation, then run '%s'", e->name, stamp);
        count++;
    }
    return count;
}

static bool named(const char *const *names, size_t count, const char *name)
{
    if (!names)
        return true;
    for (size_t i = 0; i < count; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

unsigned review_report(const Content *content, const ReviewScope *scope, bool release)
{
    unsigned count = 0;
    for (size_t l = 0; l < content->language_count; l++) {
        const Language *language = &content->languages[l];
        if (is_source(language) ||
            !named(scope->languages, scope->language_count, language->code))
            continue;
        View strings = view_strings(language);
        count += report_view(&strings, release);
        view_free(&strings);
        for (size_t d = 0; d < language->drug_count; d++) {
            if (!named(scope->drugs, scope->drug_count, language->drugs[d].id.utf8))
                continue;
            View sheet = view_drug(language, &language->drugs[d]);
            count += report_view(&sheet, release);
            view_free(&sheet);
        }
        if (scope->glossaries && language->glossary.file) {
            View glossary = view_glossary(language);
            count += report_view(&glossary, release);
            view_free(&glossary);
        }
    }
    return count;
}
