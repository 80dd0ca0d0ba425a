/* build.c — batch, atomic writes, progress.  See build.h. */
#include "build.h"

#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "arena.h"
#include "content.h"
#include "diag.h"
#include "booklet.h"
#include "catalog.h"
#include "fonts.h"
#include "glossary.h"
#include "pdf.h"
#include "print.h"
#include "text.h"

static int wanted(const char *name, const char *const *list, size_t count)
{
    if (!list)
        return 1;
    for (size_t i = 0; i < count; i++)
        if (strcmp(list[i], name) == 0)
            return 1;
    return 0;
}

static int make_dirs(const char *path)
{
    char *copy = xstrdup(path);
    int rc = 0;
    for (char *p = copy + 1; rc == 0; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
            diag_error(NULL, "cannot create folder '%s': %s", copy, strerror(errno));
            rc = -1;
        } else if (saved == '\0') {
            break;
        }
        *p = saved;
    }
    free(copy);
    return rc;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* SOURCE_DATE_EPOCH, when set, stands in for the content's own date so a
 * reproducible-builds pipeline can pin every timestamp. */
static void apply_source_date_epoch(DocInfo *info)
{
    const char *env = getenv("SOURCE_DATE_EPOCH");
    if (!env || !*env)
        return;
    char *end;
    long long epoch = strtoll(env, &end, 10);
    if (*end || epoch < 0)
        return;
    time_t t = (time_t)epoch;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return;
    info->year = tm.tm_year + 1900;
    info->month = tm.tm_mon + 1;
    info->day = tm.tm_mday;
    info->hour = tm.tm_hour;
    info->minute = tm.tm_min;
    info->second = tm.tm_sec;
}

/* The temporary file being written, so that an interrupted run (Ctrl-C,
 * a CI timeout) removes it instead of leaving it behind. */
static char pending_path[4096];
static volatile sig_atomic_t pending;

static void remove_pending_and_die(int sig)
{
    if (pending)
        unlink(pending_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_interruptions(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = remove_pending_and_die;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* The signals remove_pending_and_die handles are held back while the
 * temporary file and the pending flag change together, so the handler
 * never sees a file without the flag or the flag without the file. */
static void hold_interruptions(sigset_t *saved)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, saved);
}

static void release_interruptions(const sigset_t *saved)
{
    sigprocmask(SIG_SETMASK, saved, NULL);
}

static int create_pending(const char *dir)
{
    sigset_t saved;
    hold_interruptions(&saved);
    int fd = mkstemp(pending_path);
    int err = errno;
    pending = fd >= 0;
    release_interruptions(&saved);
    if (fd < 0) {
        diag_error(NULL, "cannot write in '%s': %s", dir, strerror(err));
        return -1;
    }
    close(fd);
    return 0;
}

/* Renames the finished file into place (or removes it when written is 0)
 * and clears the pending flag in one step. */
static int finish_pending(int written, const char *final_path, unsigned mode)
{
    sigset_t saved;
    hold_interruptions(&saved);
    int rc = -1;
    if (!written) {
        unlink(pending_path);
    } else if (chmod(pending_path, mode) != 0 || rename(pending_path, final_path) != 0) {
        int err = errno;
        unlink(pending_path);
        diag_error(NULL, "cannot write '%s': %s", final_path, strerror(err));
    } else {
        rc = 0;
    }
    pending = 0;
    release_interruptions(&saved);
    return rc;
}

/* Write to a temporary file in the same folder, then rename: a reader (or
 * a failed or interrupted run) never sees half a PDF at final_path. */
static int write_atomically(const Document *doc, const char *dir, const char *id,
                            const char *final_path, unsigned mode)
{
    int n = snprintf(pending_path, sizeof pending_path, "%s/.%s.pdf.XXXXXX", dir, id);
    if (n < 0 || (size_t)n >= sizeof pending_path) {
        diag_error(NULL, "output path too long: '%s'", final_path);
        return -1;
    }
    if (create_pending(dir) != 0)
        return -1;
    return finish_pending(pdf_write(doc, pending_path) == 0, final_path, mode);
}

/* Writes (or, for 'check', only checks) one laid-out document as
 * dir/stem.pdf and reports it; frees the arena. */
static int finish_document(Arena *arena, Document *doc, const BuildOptions *options,
                           const char *dir, const char *stem, double start,
                           unsigned errors_before, Catalog *catalog, const Language *language)
{
    /* A stage that reports a problem may still hand back something to go
     * on with (format_number does); the document is wrong all the same. */
    if (diag_error_count() != errors_before)
        doc = NULL;
    int rc = -1;
    char *final_path = arena_printf(arena, "%s/%s.pdf", dir, stem);
    if (doc && options->bleed > 0)
        print_add_bleed(arena, doc, options->bleed);
    if (doc && options->dry_run) {
        rc = 0;
    } else if (doc) {
        apply_source_date_epoch(&doc->info);
        rc = write_atomically(doc, dir, stem, final_path, options->file_mode);
    }
    if (options->dry_run) {
        /* check reports only problems */
    } else if (rc == 0 && !options->quiet) {
        struct stat st;
        long size = stat(final_path, &st) == 0 ? (long)st.st_size : 0;
        fprintf(stderr, "pdfgen: wrote %s (%zu %s, %.1f KB, %.1f ms)\n", final_path,
                doc->page_count, doc->page_count == 1 ? "page" : "pages", size / 1024.0,
                now_ms() - start);
    } else if (rc != 0) {
        fprintf(stderr, "pdfgen: FAILED %s\n", final_path);
    }
    /* --stats is about the sheets; the booklet and glossary are made of
     * them and of glossary entries */
    bool sheet = strcmp(stem, "all") != 0 && strcmp(stem, "glossary") != 0;
    if (rc == 0 && doc && options->stats && sheet) {
        const SetStats *st = &doc->stats;
        printf("%s/%s: %zu pages, last %.0f%% full; %zu lines, %zu justified, %zu hyphenated, "
               "%zu runts, %zu overfull; loosest %+.2f, tightest %+.2f\n",
               language->code, stem, doc->page_count, st->last_page_fill * 100, st->lines,
               st->justified, st->hyphenated, st->runts, st->overfull, st->loosest, st->tightest);
    }
    if (rc == 0 && !options->dry_run && options->size == SIZE_REGULAR)
        catalog_add(catalog, language, stem, doc->page_count);
    arena_free(arena);
    return rc;
}

static int build_one(Shaper *shaper, const Content *content, const Language *language,
                     const Drug *drug, const BuildOptions *options, const char *dir,
                     Catalog *catalog)
{
    double start = now_ms();
    Arena arena = {0};
    SheetRequest request = {content, language, drug, options->paper, options->creator,
                            options->size};
    unsigned errors_before = diag_error_count();
    Document *doc = sheet_document(&arena, shaper, &request);
    return finish_document(&arena, doc, options, dir, drug->id.utf8, start, errors_before,
                           catalog, language);
}

/* out/<lang>/all.pdf: the booklet of every sheet and the glossary. */
static int build_booklet(Shaper *shaper, const Content *content, const Language *language,
                         const BuildOptions *options, const char *dir, Catalog *catalog)
{
    double start = now_ms();
    Arena arena = {0};
    BookletRequest request = {content, language, options->paper, options->creator};
    unsigned errors_before = diag_error_count();
    Document *doc = booklet_document(&arena, shaper, &request);
    return finish_document(&arena, doc, options, dir, "all", start, errors_before, catalog,
                           language);
}

/* out/<lang>/glossary.pdf, for a language with a glossary.yaml. */
static int build_glossary(Shaper *shaper, const Language *language,
                          const BuildOptions *options, const char *dir, Catalog *catalog)
{
    double start = now_ms();
    Arena arena = {0};
    GlossaryRequest request = {language, options->paper, options->creator};
    unsigned errors_before = diag_error_count();
    Document *doc = glossary_document(&arena, shaper, &request);
    return finish_document(&arena, doc, options, dir, "glossary", start, errors_before,
                           catalog, language);
}

int build_sheets(const Content *content, const BuildOptions *options)
{
    FontSet *fonts = fontset_open(NULL);
    if (!fonts)
        return 1;
    if (!options->dry_run)
        catch_interruptions();
    int failures = 0;
    Catalog catalog = {0};
    for (size_t l = 0; l < content->language_count; l++) {
        const Language *language = &content->languages[l];
        if (!wanted(language->code, options->languages, options->language_count))
            continue;
        char dir[4096];
        snprintf(dir, sizeof dir, options->size == SIZE_LARGE ? "%s/%s/large" : "%s/%s",
                 options->out_dir, language->code);
        if (!options->dry_run && make_dirs(dir) != 0) {
            failures++;
            continue;
        }
        Shaper *shaper = shaper_open(fonts, language->strings.locale.utf8);
        if (!shaper) {
            failures++;
            continue;
        }
        for (size_t d = 0; d < language->drug_count; d++) {
            const Drug *drug = &language->drugs[d];
            if (!wanted(drug->id.utf8, options->drugs, options->drug_count))
                continue;
            if (build_one(shaper, content, language, drug, options, dir, &catalog) != 0)
                failures++;
        }
        /* The glossary and the booklet are about every sheet of the
         * language: a build of some drugs only leaves them alone, and so
         * does the large-print edition (sheets only). */
        bool whole = !options->drugs && options->size == SIZE_REGULAR;
        if (whole && language->glossary.file &&
            build_glossary(shaper, language, options, dir, &catalog) != 0)
            failures++;
        if (whole && language->drug_count &&
            build_booklet(shaper, content, language, options, dir, &catalog) != 0)
            failures++;
        shaper_close(shaper);
    }
    fontset_free(fonts);
    /* The catalog page lists everything, so only a whole build writes it. */
    if (!options->dry_run && !options->languages && !options->drugs && failures == 0 &&
        options->size == SIZE_REGULAR &&
        catalog_write(content, &catalog, options->out_dir, options->creator,
                      options->file_mode) != 0)
        failures++;
    catalog_free(&catalog);
    return failures;
}
