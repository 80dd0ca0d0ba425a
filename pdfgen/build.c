/* build.c — batch, atomic writes, progress.  See build.h. */
/* flock() is BSD, beyond the POSIX level the Makefile asks for. */
#define _DEFAULT_SOURCE
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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
#include "pages_copy.h"
#include "pdf.h"
#include "print.h"
#include "text.h"

/* A fact sheet is two or three pages; more than this means runaway
 * content (a list of thousands of items), not a longer sheet. */
#define MAX_PAGES 20
/* ".<id>.pdf.XXXXXX": mkstemp's six characters are letters and digits. */
#define TEMP_SUFFIX ".pdf.XXXXXX"

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

int build_source_date_epoch(long long *epoch)
{
    const char *env = getenv("SOURCE_DATE_EPOCH");
    *epoch = -1;
    if (!env || !*env)
        return 0;
    /* Digits only: strtoll would accept " 12", "+12" and "12abc" cut
     * short, and a pipeline that sets a wrong value must hear of it. */
    long long value = 0;
    for (const char *p = env; *p; p++) {
        if (*p < '0' || *p > '9') {
            fputs("pdfgen: error: SOURCE_DATE_EPOCH='", stderr);
            diag_write_escaped(stderr, env);
            fputs("' is not a number of seconds since 1970-01-01 (digits only)\n", stderr);
            return -1;
        }
        /* 9999-12-31T23:59:59Z: PDF dates have four-digit years. */
        value = value * 10 + (*p - '0');
        if (value > 253402300799LL) {
            fputs("pdfgen: error: SOURCE_DATE_EPOCH=", stderr);
            diag_write_escaped(stderr, env);
            fputs(" is after the year 9999, which a PDF date cannot hold\n", stderr);
            return -1;
        }
    }
    *epoch = value;
    return 0;
}

/* SOURCE_DATE_EPOCH, when set, stands in for the content's own date so a
 * reproducible-builds pipeline can pin every timestamp.  main() has
 * checked it with build_source_date_epoch(). */
static void apply_source_date_epoch(DocInfo *info)
{
    long long epoch;
    if (build_source_date_epoch(&epoch) != 0 || epoch < 0)
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

/* Every sheet is first written to a temporary file ".<id>.pdf.XXXXXX" in
 * its final folder, and only when every requested sheet has been written
 * are they all renamed into place (build.h): so a failed run leaves the
 * sheets of the previous run as they were.  These are the temporary files
 * of this run, so that an interrupted run (Ctrl-C, a CI timeout, a file
 * size limit) removes them instead of leaving them behind. */
static char **pending_paths;
static char **final_paths; /* parallel to pending_paths */
static volatile sig_atomic_t pending_count;
static size_t pending_cap;

static const int caught_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGXFSZ};
#define CAUGHT_COUNT (sizeof caught_signals / sizeof caught_signals[0])

static void remove_pending_and_die(int sig)
{
    for (sig_atomic_t i = 0; i < pending_count; i++)
        unlink(pending_paths[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_interruptions(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = remove_pending_and_die;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < CAUGHT_COUNT; i++)
        sigaction(caught_signals[i], &sa, NULL);
}

/* The signals remove_pending_and_die handles are held back while the
 * temporary files and the list of them change together, so the handler
 * never sees a file without its entry or an entry without its file. */
static void hold_interruptions(sigset_t *saved)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < CAUGHT_COUNT; i++)
        sigaddset(&set, caught_signals[i]);
    sigprocmask(SIG_BLOCK, &set, saved);
}

static void release_interruptions(const sigset_t *saved)
{
    sigprocmask(SIG_SETMASK, saved, NULL);
}

/* Creates the temporary file for final_path and adds it to the list;
 * returns its index or -1. */
static long create_pending(const char *dir, const char *id, const char *final_path)
{
    size_t size = strlen(dir) + strlen(id) + sizeof "/." TEMP_SUFFIX;
    char *path = xmalloc(size);
    snprintf(path, size, "%s/.%s" TEMP_SUFFIX, dir, id);
    sigset_t saved;
    hold_interruptions(&saved);
    if ((size_t)pending_count == pending_cap) {
        pending_cap = pending_cap ? pending_cap * 2 : 64;
        pending_paths = xreallocarray(pending_paths, pending_cap, sizeof *pending_paths);
        final_paths = xreallocarray(final_paths, pending_cap, sizeof *final_paths);
    }
    int fd = mkstemp(path);
    int err = errno;
    long index = -1;
    if (fd >= 0) {
        index = pending_count;
        pending_paths[index] = path;
        final_paths[index] = xstrdup(final_path);
        pending_count++;
    }
    release_interruptions(&saved);
    if (fd < 0) {
        diag_error(NULL, "cannot write in '%s': %s", dir, strerror(err));
        free(path);
        return -1;
    }
    close(fd);
    return index;
}

/* Renames every temporary file into place (commit) or removes them all,
 * and empties the list. */
static int finish_pending(int commit, unsigned mode)
{
    int rc = 0;
    sigset_t saved;
    hold_interruptions(&saved);
    for (sig_atomic_t i = 0; i < pending_count; i++) {
        if (!commit) {
            unlink(pending_paths[i]);
        } else if (chmod(pending_paths[i], mode) != 0 ||
                   rename(pending_paths[i], final_paths[i]) != 0) {
            int err = errno;
            unlink(pending_paths[i]);
            diag_error(NULL, "cannot write '%s': %s", final_paths[i], strerror(err));
            rc = -1;
        }
        free(pending_paths[i]);
        free(final_paths[i]);
    }
    pending_count = 0;
    release_interruptions(&saved);
    free(pending_paths);
    free(final_paths);
    pending_paths = final_paths = NULL;
    pending_cap = 0;
    return rc;
}

/* Is name one of ours: "." + id + ".pdf." + six letters or digits? */
static int is_temporary_name(const char *name)
{
    size_t len = strlen(name), suffix = sizeof TEMP_SUFFIX - 1;
    if (name[0] != '.' || len < 1 + 1 + suffix)
        return 0;
    const char *tail = name + len - suffix;
    if (memcmp(tail, ".pdf.", 5) != 0)
        return 0;
    for (size_t i = 5; i < suffix; i++) {
        char c = tail[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

/* Takes this run's hold on an output folder and, when no other build is
 * writing in it, removes the temporary files a killed build (SIGKILL, a
 * power cut) left there.  The hold is flock() on the folder itself: shared
 * while this run has temporary files in it, exclusive only while cleaning,
 * so a concurrent build's files are never taken for stale ones, and the
 * kernel drops the hold of a killed process.  Returns the folder's fd
 * (kept open until the end of the run) or -1. */
static int hold_folder(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        diag_error(NULL, "cannot open folder '%s': %s", dir, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
        int dup_fd = dup(fd);
        DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
        struct dirent *e;
        while (d && (e = readdir(d))) {
            struct stat st;
            if (is_temporary_name(e->d_name) &&
                fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
                unlinkat(fd, e->d_name, 0);
        }
        if (d)
            closedir(d);
        else if (dup_fd >= 0)
            close(dup_fd);
    }
    flock(fd, LOCK_SH);
    return fd;
}

/* Writes (or, for 'check', only checks) one laid-out document as
 * dir/stem.pdf and reports it; frees the arena. */
static int finish_document(Arena *arena, Document *doc, const BuildOptions *options,
                           const char *dir, const char *stem, const SourcePos *pos,
                           double start, unsigned errors_before, Catalog *catalog,
                           const Language *language)
{
    /* A stage that reports a problem may still hand back something to go
     * on with (format_number does); the document is wrong all the same. */
    if (diag_error_count() != errors_before)
        doc = NULL;
    /* The limit is for one sheet or glossary; a booklet is made of them. */
    bool booklet = strcmp(stem, "all") == 0;
    if (doc && !booklet && doc->page_count > MAX_PAGES) {
        diag_error(pos, "the %s for '%s' would have %zu pages, more than the limit of %d; "
                   "shorten its text or lists", strcmp(stem, "glossary") ? "sheet" : "glossary",
                   strcmp(stem, "glossary") ? stem : language->code, doc->page_count, MAX_PAGES);
        doc = NULL;
    }
    int rc = -1;
    char *final_path = arena_printf(arena, "%s/%s.pdf", dir, stem);
    long index = -1;
    if (doc && options->bleed > 0)
        print_add_bleed(arena, doc, options->bleed);
    if (doc && options->dry_run) {
        rc = 0;
    } else if (doc && (index = create_pending(dir, stem, final_path)) >= 0) {
        apply_source_date_epoch(&doc->info);
        rc = pdf_write(doc, pending_paths[index]);
    }
    if (options->dry_run) {
        /* check reports only problems */
    } else if (rc == 0 && !options->quiet) {
        /* Written in full to its temporary file; renamed into place with
         * the others once every sheet is written. */
        struct stat st;
        long size = stat(pending_paths[index], &st) == 0 ? (long)st.st_size : 0;
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
    return finish_document(&arena, doc, options, dir, drug->id.utf8, &drug->id.pos, start, errors_before,
                           catalog, language);
}

/* out/<lang>/all.pdf: the booklet of every sheet and the glossary
 * (glossary: the one laid out for glossary.pdf, or NULL). */
static int build_booklet(Shaper *shaper, const Content *content, const Language *language,
                         const BuildOptions *options, const char *dir, Catalog *catalog,
                         Document *glossary)
{
    double start = now_ms();
    Arena arena = {0};
    BookletRequest request = {content, language, options->paper, options->creator, glossary};
    unsigned errors_before = diag_error_count();
    Document *doc = booklet_document(&arena, shaper, &request);
    return finish_document(&arena, doc, options, dir, "all", NULL, start, errors_before, catalog,
                           language);
}

/* out/<lang>/glossary.pdf, for a language with a glossary.yaml.  With
 * keep, a copy of its layout goes into keep (in *kept) for the booklet,
 * taken before the bleed moves it. */
static int build_glossary(Shaper *shaper, const Language *language,
                          const BuildOptions *options, const char *dir, Catalog *catalog,
                          Arena *keep, Document **kept)
{
    double start = now_ms();
    Arena arena = {0};
    GlossaryRequest request = {language, options->paper, options->creator};
    unsigned errors_before = diag_error_count();
    Document *doc = glossary_document(&arena, shaper, &request);
    if (doc && keep && diag_error_count() == errors_before)
        *kept = document_copy(keep, doc);
    return finish_document(&arena, doc, options, dir, "glossary", &language->glossary.title.pos, start, errors_before,
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
    int *held = xcalloc(content->language_count, sizeof *held);
    for (size_t l = 0; l < content->language_count; l++)
        held[l] = -1;
    for (size_t l = 0; l < content->language_count; l++) {
        const Language *language = &content->languages[l];
        if (!wanted(language->code, options->languages, options->language_count))
            continue;
        char dir[4096];
        snprintf(dir, sizeof dir, options->size == SIZE_LARGE ? "%s/%s/large" : "%s/%s",
                 options->out_dir, language->code);
        if (!options->dry_run && (make_dirs(dir) != 0 || (held[l] = hold_folder(dir)) < 0)) {
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
        bool booklet = whole && language->drug_count && !options->dry_run;
        Arena kept = {0};
        Document *glossary = NULL;
        if (whole && language->glossary.file &&
            build_glossary(shaper, language, options, dir, &catalog, booklet ? &kept : NULL,
                           &glossary) != 0)
            failures++;
        /* 'check' has laid out each sheet and the glossary on its own, and
         * the booklet is made of them (and a cover of their names): it is
         * not laid out again. */
        if (booklet && build_booklet(shaper, content, language, options, dir, &catalog, glossary) != 0)
            failures++;
        arena_free(&kept);
        shaper_close(shaper);
    }
    fontset_free(fonts);
    /* All or nothing: one failed sheet keeps every sheet of the last run. */
    if (!options->dry_run && failures && pending_count)
        fprintf(stderr, "pdfgen: no sheet written: the build is all or nothing, and "
                        "the sheets already in '%s' are left as they were\n", options->out_dir);
    if (!options->dry_run && finish_pending(failures == 0, options->file_mode) != 0)
        failures++;
    for (size_t l = 0; l < content->language_count; l++)
        if (held[l] >= 0)
            close(held[l]);
    free(held);
    /* The catalog page lists everything, with each file's size: only a
     * whole build that wrote every PDF writes it, after they are in place. */
    if (!options->dry_run && !options->languages && !options->drugs && failures == 0 &&
        options->size == SIZE_REGULAR &&
        catalog_write(content, &catalog, options->out_dir, options->creator,
                      options->file_mode) != 0)
        failures++;
    catalog_free(&catalog);
    return failures;
}
