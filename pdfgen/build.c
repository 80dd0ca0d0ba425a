/* build.c — batch, atomic writes, progress.  See build.h. */
/* flock() is BSD, beyond the POSIX level the Makefile asks for. */
#define _DEFAULT_SOURCE
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "arena.h"
#include "content.h"
#include "diag.h"
#include "booklet.h"
#include "catalog.h"
#include "collate.h"
#include "fonts.h"
#include "glossary.h"
#include "hyphenate.h"
#include "interrupt.h"
#include "manifest.h"
#include "pdf.h"
#include "print.h"
#include "review.h"
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


/* The workers of a parallel build (run_workers): an interruption of the
 * parent alone is passed on to them, and the parent dies only after them,
 * so that when it is gone their temporary files are gone too. */
static pid_t *worker_pids;
static volatile sig_atomic_t worker_count;

static void remove_pending_and_die(int sig)
{
    for (sig_atomic_t i = 0; i < worker_count; i++)
        if (worker_pids[i] > 0)
            kill(worker_pids[i], sig);
    for (sig_atomic_t i = 0; i < worker_count; i++)
        if (worker_pids[i] > 0)
            while (waitpid(worker_pids[i], NULL, 0) < 0 && errno == EINTR) {
            }
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
    for (size_t i = 0; i < INTERRUPTING_COUNT; i++)
        sigaction(interrupting_signals[i], &sa, NULL);
}

/* The signals remove_pending_and_die handles are held back
 * (interruptions_hold) while the temporary files and the list of them
 * change together, so the handler never sees a file without its entry or
 * an entry without its file. */

/* Room for one more entry in the list; with the interruptions held. */
static void grow_pending(void)
{
    if ((size_t)pending_count == pending_cap) {
        pending_cap = pending_cap ? pending_cap * 2 : 64;
        pending_paths = xreallocarray(pending_paths, pending_cap, sizeof *pending_paths);
        final_paths = xreallocarray(final_paths, pending_cap, sizeof *final_paths);
    }
}

/* Creates the temporary file for final_path and adds it to the list;
 * returns its index or -1. */
static long create_pending(const char *dir, const char *id, const char *final_path)
{
    size_t size = strlen(dir) + strlen(id) + sizeof "/." TEMP_SUFFIX;
    char *path = xmalloc(size);
    snprintf(path, size, "%s/.%s" TEMP_SUFFIX, dir, id);
    sigset_t saved;
    interruptions_hold(&saved);
    grow_pending();
    int fd = mkstemp(path);
    int err = errno;
    long index = -1;
    if (fd >= 0) {
        index = pending_count;
        pending_paths[index] = path;
        final_paths[index] = xstrdup(final_path);
        pending_count++;
    }
    interruptions_release(&saved);
    if (fd < 0) {
        diag_error(NULL, "cannot write in '%s': %s", dir, strerror(err));
        free(path);
        return -1;
    }
    close(fd);
    return index;
}

/* Is there a folder where the file path goes?  Then no rename puts it
 * there; said once here, for the planning and the commit. */
static bool folder_in_the_way(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return false;
    diag_error(NULL, "cannot write '%s': %s", path, strerror(EISDIR));
    return true;
}

/* Renames every temporary file into place (commit) or removes them all,
 * and empties the list. */
static int finish_pending(int commit, unsigned mode)
{
    int rc = 0;
    sigset_t saved;
    interruptions_hold(&saved);
    /* What would stop a rename half way (a folder where a sheet goes, a
     * mode that cannot be set) is found before any is renamed: it used to
     * leave the sheets renamed before it new and the rest old. */
    for (sig_atomic_t i = 0; commit && i < pending_count; i++) {
        if (folder_in_the_way(final_paths[i])) {
            rc = -1;
        } else if (chmod(pending_paths[i], mode) != 0) {
            diag_error(NULL, "cannot write '%s': %s", final_paths[i], strerror(errno));
            rc = -1;
        }
    }
    if (rc != 0)
        commit = 0;
    for (sig_atomic_t i = 0; i < pending_count; i++) {
        if (!commit) {
            unlink(pending_paths[i]);
        } else if (rename(pending_paths[i], final_paths[i]) != 0) {
            int err = errno;
            unlink(pending_paths[i]);
            diag_error(NULL, "cannot write '%s': %s", final_paths[i], strerror(err));
            rc = -1;
        }
        free(pending_paths[i]);
        free(final_paths[i]);
    }
    pending_count = 0;
    interruptions_release(&saved);
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

/* Adds a temporary file a worker wrote to this process's list, so that
 * this process renames it or, interrupted, removes it. */
static void adopt_pending(const char *path, const char *final_path)
{
    sigset_t saved;
    interruptions_hold(&saved);
    grow_pending();
    pending_paths[pending_count] = xstrdup(path);
    final_paths[pending_count] = xstrdup(final_path);
    pending_count++;
    interruptions_release(&saved);
}

/* One output of the build, in the order -j 1 writes them. */
typedef enum JobKind { JOB_SHEET, JOB_GLOSSARY, JOB_BOOKLET } JobKind;

typedef struct Job {
    JobKind kind;
    const Language *language;
    const Drug *drug;      /* JOB_SHEET */
    const char *stem;      /* the drug's id, "glossary" or "all" */
    char *dir;             /* out/<lang> or out/<lang>/large */
    char *final_path;      /* dir/stem.pdf */
    char *rel_path;        /* its path in the manifest, relative to out */
    double cost;           /* to balance workers and shards */
    char key[SHA256_HEX + 1];
    bool stale;            /* to be built (else up to date) */
    bool done, failed;
    size_t pages;
    char digest[SHA256_HEX + 1]; /* of the written file, or "" */
    long long bytes;
    bool laid_out_here;    /* by this process (pages) */
    char *title;
    char *temp_path;       /* written, not yet renamed */
    const char *old_line;  /* the manifest's line of an up-to-date output */
    char *err_text, *out_text; /* a worker's output for this job */
} Job;

/* Says what was written (or that it failed) and records it in the job;
 * doc has the page count and title (a booklet's, only those). */
static void report_written(const BuildOptions *options, Job *job, int rc, long index,
                           const Document *doc, double start)
{
    const char *final_path = job->final_path;
    if (options->dry_run) {
        /* check reports only problems */
    } else if (rc == 0 && !options->quiet) {
        /* Written in full to its temporary file; renamed into place with
         * the others once every sheet is written. */
        struct stat st;
        long size = stat(pending_paths[index], &st) == 0 ? (long)st.st_size : 0;
        diag_note("wrote %s (%zu %s, %.1f KB, %.1f ms)", final_path, doc->page_count,
                  doc->page_count == 1 ? "page" : "pages", size / 1024.0, now_ms() - start);
    } else if (rc != 0) {
        diag_note("FAILED %s", final_path);
    }
    /* --stats is about the sheets; the booklet and glossary are made of
     * them and of glossary entries */
    if (rc == 0 && doc && options->stats && job->kind == JOB_SHEET) {
        const SetStats *st = &doc->stats;
        printf("%s/%s: %zu pages, last %.0f%% full; %zu lines, %zu justified, %zu hyphenated, "
               "%zu runts, %zu overfull; loosest %+.2f, tightest %+.2f\n",
               job->language->code, job->stem, doc->page_count, st->last_page_fill * 100, st->lines,
               st->justified, st->hyphenated, st->runts, st->overfull, st->loosest, st->tightest);
    }
    if (rc == 0 && !options->dry_run) {
        job->pages = doc->page_count;
        job->laid_out_here = true;
        job->title = xstrdup(doc->info.title ? doc->info.title : "");
        job->temp_path = xstrdup(pending_paths[index]);
        /* The manifest's digest is taken here, with the file just written
         * (and with -j N in the worker, not in the parent once every worker
         * is done); one that cannot be read now is read again, and
         * reported, by write_manifest. */
        if (manifest_file_sha256(pending_paths[index], job->digest, &job->bytes) != 0)
            job->digest[0] = '\0';
    }
}

/* Writes (or, for 'check', only checks) one laid-out sheet or glossary as
 * dir/stem.pdf and reports it; frees the arena. */
static int finish_document(Arena *arena, Document *doc, const BuildOptions *options,
                           Job *job, const SourcePos *pos, double start, unsigned errors_before)
{
    const char *stem = job->stem;
    const Language *language = job->language;
    /* A stage that reports a problem may still hand back something to go
     * on with (format_number does); the document is wrong all the same. */
    if (diag_error_count() != errors_before)
        doc = NULL;
    if (doc && doc->page_count > MAX_PAGES) {
        diag_error(pos, "the %s for '%s' would have %zu pages, more than the limit of %d; "
                   "shorten its text or lists", strcmp(stem, "glossary") ? "sheet" : "glossary",
                   strcmp(stem, "glossary") ? stem : language->code, doc->page_count, MAX_PAGES);
        doc = NULL;
    }
    int rc = -1;
    long index = -1;
    if (doc && options->bleed > 0)
        print_add_bleed(arena, doc, options->bleed);
    if (doc && options->dry_run) {
        rc = 0;
    } else if (doc && (index = create_pending(job->dir, stem, job->final_path)) >= 0) {
        apply_source_date_epoch(&doc->info);
        rc = pdf_write(doc, pending_paths[index]);
    }
    report_written(options, job, rc, index, doc, start);
    arena_free(arena);
    return rc;
}

/* out/<lang>/all.pdf: the booklet of every sheet and the glossary,
 * written as it is laid out (booklet.h); the limit of pages is for one
 * sheet or glossary, and a booklet is made of them. */
static int run_booklet(Shaper *shaper, const Content *content, const Job *jobs,
                       size_t count, Job *job, const BuildOptions *options)
{
    double start = now_ms();
    Arena arena = {0};
    unsigned errors_before = diag_error_count();
    /* The pages of the sheets and glossary this process wrote of the
     * language, with the same options (the booklet's guess at its parts'
     * pages); a worker keeps to a language, as -j 1 does. */
    const Language *language = job->language;
    size_t *pages_alone = arena_array(&arena, language->drug_count + 1, sizeof *pages_alone);
    for (size_t i = 0; i < count; i++)
        if (jobs[i].laid_out_here && jobs[i].language == language && jobs[i].kind != JOB_BOOKLET)
            pages_alone[jobs[i].kind == JOB_SHEET ? (size_t)(jobs[i].drug - language->drugs)
                                                  : language->drug_count] = jobs[i].pages;
    BookletRequest request = {content, language, options->paper, options->creator,
                              options->bleed, pages_alone};
    /* Only the page count and the title are reported. */
    Document summary = {0};
    summary.info = booklet_info(&arena, job->language, options->creator);
    apply_source_date_epoch(&summary.info);
    long index = create_pending(job->dir, job->stem, job->final_path);
    int rc = index >= 0 ? booklet_write(&arena, shaper, &request, &summary.info,
                                        pending_paths[index], &summary.page_count)
                        : -1;
    /* A stage that reports a problem may still hand back something to go
     * on with (format_number does); the document is wrong all the same. */
    if (rc == 0 && diag_error_count() != errors_before)
        rc = -1;
    /* Its temporary file exists from the start: a failed booklet leaves
     * none behind (a worker's list is not the one renamed or removed). */
    if (rc != 0 && index >= 0)
        unlink(pending_paths[index]);
    report_written(options, job, rc, index, &summary, start);
    arena_free(&arena);
    return rc;
}

static int run_job(Shaper *shaper, const Content *content, const Job *jobs, size_t count,
                   Job *job, const BuildOptions *options)
{
    double start = now_ms();
    Arena arena = {0};
    unsigned errors_before = diag_error_count();
    const Language *language = job->language;
    Document *doc = NULL;
    const SourcePos *pos = NULL;
    if (job->kind == JOB_SHEET) {
        SheetRequest request = {content, language, job->drug, options->paper, options->creator,
                                options->size};
        doc = sheet_document(&arena, shaper, &request);
        pos = &job->drug->id.pos;
    } else if (job->kind == JOB_GLOSSARY) {
        /* out/<lang>/glossary.pdf, for a language with a glossary.yaml. */
        GlossaryRequest request = {language, options->paper, options->creator};
        doc = glossary_document(&arena, shaper, &request);
        pos = &language->glossary.title.pos;
    } else {
        return run_booklet(shaper, content, jobs, count, job, options);
    }
    return finish_document(&arena, doc, options, job, pos, start, errors_before);
}

/* A process's shapers, one per language, opened when first needed. */
typedef struct Shapers {
    FontSet *fonts;
    Shaper **by_language;
    bool *failed;
    const Content *content;
} Shapers;

static Shaper *shaper_for(Shapers *s, const Language *language)
{
    size_t i = (size_t)(language - s->content->languages);
    if (!s->by_language[i] && !s->failed[i]) {
        s->by_language[i] = shaper_open(s->fonts, language->strings.locale.utf8);
        s->failed[i] = !s->by_language[i];
    }
    return s->by_language[i];
}

static void shapers_close(Shapers *s)
{
    for (size_t i = 0; i < s->content->language_count; i++)
        if (s->by_language[i])
            shaper_close(s->by_language[i]);
    free(s->by_language);
    free(s->failed);
}

static int run_job_with(Shapers *shapers, const Content *content, const Job *jobs,
                        size_t count, Job *job, const BuildOptions *options)
{
    Shaper *shaper = shaper_for(shapers, job->language);
    /* What the other languages' shapers keep is let go: a language's jobs
     * come together (in -j 1's order, and to the worker that has built in
     * it before), and each language's would add up. */
    for (size_t i = 0; i < shapers->content->language_count; i++)
        if (shapers->by_language[i] != shaper)
            shaper_trim(shapers->by_language[i]);
    if (!shaper) {
        if (!options->dry_run)
            diag_note("FAILED %s", job->final_path);
        return -1;
    }
    return run_job(shaper, content, jobs, count, job, options);
}

/* ---- workers -------------------------------------------------------------
 * Processes, not threads: fontconfig, HarfBuzz's font functions, ICU's
 * caches, libharu and the diagnostics keep state that is not meant to be
 * shared between threads, and a worker that runs out of memory or dies
 * takes only itself.  Each worker is forked once with the content and the
 * fonts already loaded (shared copy-on-write) and asks for work over a
 * socket: the parent hands out the costliest job first, so the last to end
 * is a short one.  A worker's stderr and stdout go to files of its own,
 * which the parent prints job by job in the order -j 1 writes them: the
 * output does not depend on which worker was faster. */

typedef struct WireResult {
    uint32_t job;
    int32_t rc;
    uint64_t pages;
    int64_t bytes;
    char digest[SHA256_HEX + 1];
    uint32_t temp_len, title_len;
} WireResult;

enum { NO_JOB = 0xffffffffu };

typedef struct Worker {
    pid_t pid;
    int sock;
    FILE *err, *out; /* its stderr and stdout */
    uint32_t job;    /* the job it is on, or NO_JOB */
} Worker;

static int write_all(int fd, const void *data, size_t size)
{
    const char *p = data;
    while (size) {
        ssize_t n = send(fd, p, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

static int read_all(int fd, void *data, size_t size)
{
    char *p = data;
    while (size) {
        ssize_t n = read(fd, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

static char *read_capture(FILE *f)
{
    int fd = fileno(f);
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0)
        return NULL;
    size_t size = (size_t)st.st_size;
    char *text = xmalloc(size + 1);
    ssize_t n = pread(fd, text, size, 0);
    text[n > 0 ? (size_t)n : 0] = '\0';
    return text;
}

static PDFGEN_NORETURN void worker_main(int sock, Worker *self, pid_t parent, Shapers *shapers,
                                        const Content *content, Job *jobs, size_t count,
                                        const BuildOptions *options)
{
#ifdef __linux__
    /* A parent killed outright (SIGKILL) takes its workers, which then
     * remove their temporary files. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
    if (getppid() != parent)
        _exit(1);
    if (dup2(fileno(self->err), STDERR_FILENO) < 0 || dup2(fileno(self->out), STDOUT_FILENO) < 0)
        _exit(1);
    uint32_t index = NO_JOB;
    while (read_all(sock, &index, sizeof index) == 0 && index != NO_JOB) {
        if (ftruncate(STDERR_FILENO, 0) != 0 || ftruncate(STDOUT_FILENO, 0) != 0 ||
            lseek(STDERR_FILENO, 0, SEEK_SET) < 0 || lseek(STDOUT_FILENO, 0, SEEK_SET) < 0)
            break;
        Job *job = &jobs[index];
        int rc = run_job_with(shapers, content, jobs, count, job, options);
        fflush(stdout);
        WireResult r = {index, rc, job->pages, job->bytes, {0}, 0, 0};
        memcpy(r.digest, job->digest, sizeof r.digest);
        if (rc == 0) {
            r.temp_len = (uint32_t)strlen(job->temp_path);
            r.title_len = (uint32_t)strlen(job->title);
        }
        if (write_all(sock, &r, sizeof r) != 0 ||
            (rc == 0 && (write_all(sock, job->temp_path, r.temp_len) != 0 ||
                         write_all(sock, job->title, r.title_len) != 0)))
            break;
    }
    /* Told to stop, the temporary files are the parent's now: leave them.
     * Otherwise the parent is gone: take them away with this worker. */
    if (index == NO_JOB)
        _exit(0);
    finish_pending(0, 0);
    _exit(1);
}

/* A reaped worker's pid may be given to another process: the handler
 * must not signal it any more. */
static void forget_worker(pid_t pid)
{
    sigset_t saved;
    interruptions_hold(&saved);
    for (sig_atomic_t i = 0; i < worker_count; i++)
        if (worker_pids[i] == pid)
            worker_pids[i] = 0;
    interruptions_release(&saved);
}

/* The lines the workers' stderr had, so that a message two workers print
 * (an error in references.yaml that every sheet meets) is printed once,
 * as diag.c does in one process. */
typedef struct SeenLines {
    char **lines;
    size_t count, cap;
} SeenLines;

static void print_new_lines(SeenLines *seen, const char *text)
{
    while (*text) {
        size_t n = strcspn(text, "\n");
        bool repeated = false;
        for (size_t i = 0; i < seen->count && !repeated; i++)
            repeated = strlen(seen->lines[i]) == n && memcmp(seen->lines[i], text, n) == 0;
        if (!repeated) {
            fwrite(text, 1, n, stderr);
            fputc('\n', stderr);
            if (seen->count == seen->cap) {
                seen->cap = seen->cap ? seen->cap * 2 : 16;
                seen->lines = xreallocarray(seen->lines, seen->cap, sizeof *seen->lines);
            }
            seen->lines[seen->count++] = xstrndup(text, n);
        }
        text += n + (text[n] == '\n');
    }
}

static void print_in_order(Job *jobs, size_t count, size_t *next, SeenLines *seen)
{
    while (*next < count && (!jobs[*next].stale || jobs[*next].done)) {
        Job *job = &jobs[(*next)++];
        if (job->out_text)
            fputs(job->out_text, stdout);
        if (job->err_text)
            print_new_lines(seen, job->err_text);
        fflush(stdout);
        free(job->out_text);
        free(job->err_text);
        job->out_text = job->err_text = NULL;
    }
}

/* Which job a worker gets next: the costliest left in the language it is
 * on, else in a language it has built before, else in one no worker has
 * built yet, else (near the end) the costliest left anywhere.  A language
 * so stays with one worker, which loads its fonts, collator, hyphenation
 * dictionaries and caches once for the whole build instead of in every
 * worker; the costliest first keeps the last job to end a short one.  A
 * small booklet, though, waits for its language's sheets and glossary, so
 * that it knows their pages (run_booklet), while the work left is more
 * than four times its cost for every worker: a large one comes first, as
 * the costliest, or the build would end on it alone, in a worker grown
 * with its sheets (measured, 1,000 drugs in 3 languages: 27 -> 43 s wall
 * time, peak RSS 72 -> 79 MB). */
typedef struct Dispatch {
    const Job *jobs;
    const size_t *queue; /* stale jobs, costliest first */
    size_t todo;
    bool *taken;         /* by queue position */
    size_t first;        /* queue positions before it are all taken */
    bool *loaded;        /* [worker * language_count + language] */
    bool *loaded_anywhere;
    const Content *content;
    size_t *current; /* [worker]: the language of its last job, or language_count */
    bool *parts_left; /* [language]: a sheet or glossary not yet taken */
    size_t workers;
} Dispatch;

static uint32_t next_for(Dispatch *d, size_t worker)
{
    while (d->first < d->todo && d->taken[d->first])
        d->first++;
    if (d->first == d->todo)
        return NO_JOB;
    size_t languages = d->content->language_count, best = d->first;
    memset(d->parts_left, 0, languages * sizeof *d->parts_left);
    double left = 0;
    for (size_t q = d->first; q < d->todo; q++) {
        const Job *job = &d->jobs[d->queue[q]];
        left += d->taken[q] ? 0 : job->cost;
        if (!d->taken[q] && job->kind != JOB_BOOKLET)
            d->parts_left[job->language - d->content->languages] = true;
    }
    int best_rank = -2;
    for (size_t q = d->first; q < d->todo; q++) {
        if (d->taken[q])
            continue;
        const Job *job = &d->jobs[d->queue[q]];
        size_t l = (size_t)(job->language - d->content->languages);
        bool waits = job->kind == JOB_BOOKLET && d->parts_left[l] &&
                     4 * job->cost * (double)d->workers < left;
        int rank = waits                                                       ? -1
                   : l == d->current[worker]                                   ? 3
                   : d->loaded[worker * languages + l]                         ? 2
                   : !d->loaded_anywhere[l]                                     ? 1
                                                                                : 0;
        if (rank > best_rank) {
            best = q;
            best_rank = rank;
        }
        if (rank == 3)
            break;
    }
    d->taken[best] = true;
    size_t l = (size_t)(d->jobs[d->queue[best]].language - d->content->languages);
    d->loaded[worker * languages + l] = d->loaded_anywhere[l] = true;
    d->current[worker] = l;
    return (uint32_t)d->queue[best];
}

/* Runs the stale jobs in `workers` processes.  Returns the number that
 * failed; *died_of is a signal of interrupting_signals a worker died of, or 0. */
static int run_workers(Shapers *shapers, const Content *content, Job *jobs, size_t count,
                       const BuildOptions *options, size_t workers_wanted, int *died_of)
{
    size_t *queue = xmalloc((count ? count : 1) * sizeof *queue);
    size_t todo = 0;
    for (size_t i = 0; i < count; i++)
        if (jobs[i].stale)
            queue[todo++] = i;
    /* costliest first; equal costs in job order */
    for (size_t i = 1; i < todo; i++)
        for (size_t j = i; j > 0 && jobs[queue[j]].cost > jobs[queue[j - 1]].cost; j--) {
            size_t t = queue[j];
            queue[j] = queue[j - 1];
            queue[j - 1] = t;
        }
    Worker *workers = xcalloc(workers_wanted, sizeof *workers);
    size_t started = 0, printed = 0;
    Dispatch plan = {jobs, queue, todo, xcalloc(todo ? todo : 1, sizeof(bool)), 0,
                     xcalloc(workers_wanted * content->language_count + 1, sizeof(bool)),
                     xcalloc(content->language_count + 1, sizeof(bool)), content,
                     xmalloc(workers_wanted * sizeof(size_t)),
                     xcalloc(content->language_count + 1, sizeof(bool)), workers_wanted};
    for (size_t w = 0; w < workers_wanted; w++)
        plan.current[w] = content->language_count;
    SeenLines seen = {0};
    int failures = 0;
    *died_of = 0;
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    worker_pids = xcalloc(workers_wanted, sizeof *worker_pids);
    for (size_t w = 0; w < workers_wanted; w++) {
        int pair[2];
        Worker *k = &workers[w];
        k->err = tmpfile();
        k->out = tmpfile();
        if (!k->err || !k->out || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
            diag_error(NULL, "cannot start a worker: %s", strerror(errno));
            if (k->err)
                fclose(k->err);
            if (k->out)
                fclose(k->out);
            break;
        }
        sigset_t saved;
        interruptions_hold(&saved);
        k->pid = fork();
        if (k->pid > 0)
            worker_pids[worker_count++] = k->pid;
        if (k->pid == 0)
            worker_count = 0; /* a worker's own handler stops only itself */
        interruptions_release(&saved);
        if (k->pid == 0) {
            close(pair[0]);
            for (size_t o = 0; o < w; o++)
                close(workers[o].sock);
            worker_main(pair[1], k, parent, shapers, content, jobs, count, options);
        }
        close(pair[1]);
        if (k->pid < 0) {
            diag_error(NULL, "cannot start a worker: %s", strerror(errno));
            close(pair[0]);
            fclose(k->err);
            fclose(k->out);
            break;
        }
        k->sock = pair[0];
        k->job = NO_JOB;
        started++;
    }
    /* Hand every worker its first job, then one more whenever it answers. */
    size_t active = 0;
    for (size_t w = 0; w < started; w++) {
        Worker *k = &workers[w];
        uint32_t index = next_for(&plan, w);
        if (write_all(k->sock, &index, sizeof index) == 0 && index != NO_JOB) {
            k->job = index;
            active++;
        }
    }
    struct pollfd *fds = xcalloc(started ? started : 1, sizeof *fds);
    while (active) {
        for (size_t w = 0; w < started; w++) {
            fds[w].fd = workers[w].job != NO_JOB ? workers[w].sock : -1;
            fds[w].events = POLLIN;
            fds[w].revents = 0;
        }
        if (poll(fds, started, -1) < 0) {
            if (errno == EINTR)
                continue;
            diag_error(NULL, "cannot wait for the workers: %s", strerror(errno));
            break;
        }
        for (size_t w = 0; w < started; w++) {
            Worker *k = &workers[w];
            if (k->job == NO_JOB || !(fds[w].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            Job *job = &jobs[k->job];
            WireResult r;
            bool ok = read_all(k->sock, &r, sizeof r) == 0 && r.job == k->job;
            char *temp = NULL, *title = NULL;
            if (ok && r.rc == 0) {
                temp = xcalloc(1, (size_t)r.temp_len + 1);
                title = xcalloc(1, (size_t)r.title_len + 1);
                ok = read_all(k->sock, temp, r.temp_len) == 0 &&
                     read_all(k->sock, title, r.title_len) == 0;
            }
            job->err_text = read_capture(k->err);
            job->out_text = read_capture(k->out);
            job->done = true;
            active--;
            k->job = NO_JOB;
            if (!ok) {
                /* The worker is gone: it said what it could on its stderr. */
                free(temp);
                free(title);
                job->failed = true;
                failures++;
                int status;
                if (waitpid(k->pid, &status, 0) == k->pid && WIFSIGNALED(status)) {
                    for (size_t s = 0; s < INTERRUPTING_COUNT; s++)
                        if (WTERMSIG(status) == interrupting_signals[s])
                            *died_of = WTERMSIG(status);
                    diag_note("error: the worker writing %s died of signal %d",
                              job->final_path, WTERMSIG(status));
                } else {
                    diag_note("error: the worker writing %s stopped", job->final_path);
                }
                forget_worker(k->pid);
                k->pid = -1;
                print_in_order(jobs, count, &printed, &seen);
                continue;
            }
            if (r.rc == 0) {
                adopt_pending(temp, job->final_path);
                job->temp_path = temp;
                job->title = title;
                job->pages = (size_t)r.pages;
                job->bytes = r.bytes;
                memcpy(job->digest, r.digest, sizeof job->digest);
                job->digest[SHA256_HEX] = '\0';
            } else {
                job->failed = true;
                failures++;
            }
            print_in_order(jobs, count, &printed, &seen);
            uint32_t index = *died_of ? NO_JOB : next_for(&plan, w);
            if (write_all(k->sock, &index, sizeof index) == 0 && index != NO_JOB) {
                k->job = index;
                active++;
            }
        }
    }
    for (size_t w = 0; w < started; w++) {
        close(workers[w].sock);
        if (workers[w].pid > 0) {
            int status;
            while (waitpid(workers[w].pid, &status, 0) < 0 && errno == EINTR) {
            }
            forget_worker(workers[w].pid);
        }
        fclose(workers[w].err);
        fclose(workers[w].out);
    }
    /* Jobs no worker could take (every worker gone) fail too. */
    for (size_t i = 0; i < count; i++)
        if (jobs[i].stale && !jobs[i].done) {
            jobs[i].done = jobs[i].failed = true;
            failures++;
        }
    print_in_order(jobs, count, &printed, &seen);
    sigset_t saved;
    interruptions_hold(&saved);
    worker_count = 0;
    for (size_t i = 0; i < seen.count; i++)
        free(seen.lines[i]);
    free(seen.lines);
    free(worker_pids);
    worker_pids = NULL;
    interruptions_release(&saved);
    free(fds);
    free(workers);
    free(plan.taken);
    free(plan.loaded);
    free(plan.loaded_anywhere);
    free(plan.current);
    free(plan.parts_left);
    free(queue);
    return failures;
}

/* ---- the plan -------------------------------------------------------------- */

/* What an output costs, in sheets of a Latin-script language, to balance
 * workers and shards: measured, CJK and Devanagari sheets take about half
 * as long again (bigger fonts to subset); a booklet is all its sheets and
 * the glossary. */
static double job_cost(const Language *language, JobKind kind)
{
    const char *c = language->code;
    bool heavy = strncmp(c, "zh", 2) == 0 || strncmp(c, "ja", 2) == 0 ||
                 strncmp(c, "ko", 2) == 0 || strncmp(c, "hi", 2) == 0;
    double unit = heavy ? 1.5 : 1.0;
    return kind == JOB_BOOKLET ? unit * ((double)language->drug_count + 1) : unit;
}

static void add_job(Job **jobs, size_t *count, size_t *cap, const BuildOptions *options,
                    const Language *language, JobKind kind, const Drug *drug)
{
    if (*count == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *jobs = xreallocarray(*jobs, *cap, sizeof **jobs);
    }
    Job *job = &(*jobs)[(*count)++];
    memset(job, 0, sizeof *job);
    job->kind = kind;
    job->language = language;
    job->drug = drug;
    job->stem = kind == JOB_SHEET ? drug->id.utf8 : kind == JOB_GLOSSARY ? "glossary" : "all";
    const char *sub = options->size == SIZE_LARGE ? "/large" : "";
    size_t n = strlen(options->out_dir) + strlen(language->code) + strlen(job->stem) + 32;
    job->dir = xmalloc(n);
    snprintf(job->dir, n, "%s/%s%s", options->out_dir, language->code, sub);
    job->final_path = xmalloc(n);
    snprintf(job->final_path, n, "%s/%s.pdf", job->dir, job->stem);
    job->rel_path = xmalloc(n);
    snprintf(job->rel_path, n, "%s%s/%s.pdf", language->code, sub, job->stem);
    job->cost = job_cost(language, kind);
    job->stale = true;
}

static void free_jobs(Job *jobs, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(jobs[i].dir);
        free(jobs[i].final_path);
        free(jobs[i].rel_path);
        free(jobs[i].title);
        free(jobs[i].temp_path);
        free(jobs[i].err_text);
        free(jobs[i].out_text);
    }
    free(jobs);
}

static size_t plan_jobs(const Content *content, const BuildOptions *options, Job **out)
{
    Job *jobs = NULL;
    size_t count = 0, cap = 0;
    for (size_t l = 0; l < content->language_count; l++) {
        const Language *language = &content->languages[l];
        if (!wanted(language->code, options->languages, options->language_count))
            continue;
        for (size_t d = 0; d < language->drug_count; d++)
            if (wanted(language->drugs[d].id.utf8, options->drugs, options->drug_count))
                add_job(&jobs, &count, &cap, options, language, JOB_SHEET, &language->drugs[d]);
        /* The glossary and the booklet are about every sheet of the
         * language: a build of some drugs only leaves them alone, and so
         * does the large-print edition (sheets only). */
        bool whole = !options->drugs && options->size == SIZE_REGULAR;
        if (whole && language->glossary.file)
            add_job(&jobs, &count, &cap, options, language, JOB_GLOSSARY, NULL);
        /* 'check' lays out each sheet and the glossary on their own, and
         * the booklet is made of them (and a cover of their names): it is
         * not laid out again. */
        if (whole && language->drug_count && !options->dry_run)
            add_job(&jobs, &count, &cap, options, language, JOB_BOOKLET, NULL);
    }
    *out = jobs;
    return count;
}

/* --shard K/N: the costliest job first to the part with the least work so
 * far (the first such part on a tie), so the parts are about even and the
 * same for the same content on every machine.  Keeps part K's jobs. */
static size_t keep_shard(Job *jobs, size_t count, unsigned k, unsigned n)
{
    size_t *order = xmalloc((count ? count : 1) * sizeof *order);
    for (size_t i = 0; i < count; i++)
        order[i] = i;
    for (size_t i = 1; i < count; i++)
        for (size_t j = i; j > 0 && jobs[order[j]].cost > jobs[order[j - 1]].cost; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    double *load = xcalloc(n, sizeof *load);
    unsigned *part = xmalloc((count ? count : 1) * sizeof *part);
    for (size_t i = 0; i < count; i++) {
        unsigned best = 0;
        for (unsigned p = 1; p < n; p++)
            if (load[p] < load[best])
                best = p;
        load[best] += jobs[order[i]].cost;
        part[order[i]] = best;
    }
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        if (part[i] == k - 1) {
            jobs[kept++] = jobs[i];
        } else {
            free(jobs[i].dir);
            free(jobs[i].final_path);
            free(jobs[i].rel_path);
        }
    }
    free(part);
    free(load);
    free(order);
    return kept;
}

/* The content files of one language an output is made from. */
static size_t language_inputs(const Language *language, const Job *job, const char **files)
{
    size_t n = 0;
    if (job->kind == JOB_SHEET || job->kind == JOB_BOOKLET) {
        for (size_t d = 0; d < language->drug_count; d++)
            if (job->kind == JOB_BOOKLET ||
                strcmp(language->drugs[d].id.utf8, job->drug->id.utf8) == 0)
                files[n++] = language->drugs[d].id.pos.file;
    }
    if (job->kind != JOB_SHEET && language->glossary.file)
        files[n++] = language->glossary.file;
    files[n++] = language->strings.locale.pos.file;
    return n;
}

/* The content files an output is made from: a translation's also include
 * the English files it was translated from, since an edit there makes it
 * stale (review.h), and a stale sheet says so. */
static size_t job_inputs(const Content *content, const Job *job, const char **files)
{
    size_t n = language_inputs(job->language, job, files);
    if (job->language->source)
        n += language_inputs(job->language->source, job, files + n);
    if (job->kind != JOB_GLOSSARY && content->reference_count)
        files[n++] = content->references[0].id.pos.file;
    return n;
}

/* "source", "reviewed", "draft" or "stale", as the output says it. */
static const char *job_review_status(const Job *job)
{
    ReviewStatus status = job->kind == JOB_SHEET      ? review_sheet_status(job->language, job->drug)
                          : job->kind == JOB_GLOSSARY ? review_glossary_status(job->language)
                                                      : review_language_status(job->language);
    return review_status_name(&status);
}

/* What the outputs are built from, for their keys and manifest lines:
 * the binary, the fonts, the date and each content file's digest.  Each
 * output's "build" and "inputs" JSON is made from these when needed, not
 * kept with its job: a thousand drugs a language made 1 KB a sheet, held
 * until the manifest and copied into every worker. */
typedef struct NamedFile {
    const char *name;
    size_t index; /* in content->files */
} NamedFile;

typedef struct BuildInputs {
    char binary[SHA256_HEX + 1], fonts[SHA256_HEX + 1];
    long long epoch;
    char (*digests)[SHA256_HEX + 1]; /* by content->files index; "" until hashed */
    NamedFile *by_name;              /* content->files, in strcmp order */
    const char **files, **hex;       /* one job's inputs */
} BuildInputs;

static int compare_names(const void *a, const void *b)
{
    return strcmp(((const NamedFile *)a)->name, ((const NamedFile *)b)->name);
}

static int inputs_open(BuildInputs *in, const Content *content)
{
    *in = (BuildInputs){0};
    /* Without /proc (not Linux), the version alone stands for the binary. */
    if (manifest_binary_sha256(in->binary) != 0)
        sha256_hex("", 0, in->binary);
    if (manifest_fonts_sha256(in->fonts) != 0)
        return -1;
    build_source_date_epoch(&in->epoch);
    size_t files = content->file_count ? content->file_count : 1;
    in->digests = xcalloc(files, sizeof *in->digests);
    in->by_name = xmalloc(files * sizeof *in->by_name);
    for (size_t f = 0; f < content->file_count; f++)
        in->by_name[f] = (NamedFile){content->files[f], f};
    qsort(in->by_name, content->file_count, sizeof *in->by_name, compare_names);
    size_t max_inputs = 0;
    for (size_t l = 0; l < content->language_count; l++)
        if (content->languages[l].drug_count > max_inputs)
            max_inputs = content->languages[l].drug_count;
    /* each file twice (the language's and English's), the glossary and
     * strings.yaml twice, references.yaml */
    max_inputs = 2 * (max_inputs + 2) + 1;
    in->files = xmalloc(max_inputs * sizeof *in->files);
    in->hex = xmalloc(max_inputs * sizeof *in->hex);
    return 0;
}

static void inputs_free(BuildInputs *in)
{
    free(in->digests);
    free(in->by_name);
    free(in->files);
    free(in->hex);
    *in = (BuildInputs){0};
}

/* The digest of content file name, hashed when an output first needs it
 * (a --lang build reads only its own languages' files, and English,
 * again); "" when name is not a content file, NULL (reported) when it
 * cannot be read. */
static const char *input_digest(BuildInputs *in, const Content *content, const char *name)
{
    NamedFile key = {name, 0};
    const NamedFile *found = name ? bsearch(&key, in->by_name, content->file_count,
                                            sizeof *in->by_name, compare_names)
                                  : NULL;
    if (!found)
        return "";
    size_t f = found->index;
    if (!in->digests[f][0] && manifest_file_sha256(content->files[f], in->digests[f], NULL) != 0) {
        diag_error(NULL, "cannot read '%s': %s", content->files[f], strerror(errno));
        in->digests[f][0] = '\0';
        return NULL;
    }
    return in->digests[f];
}

/* The job's "build" and "inputs" JSON (malloc'd), what its key is the
 * digest of; NULL (reported) when an input cannot be read. */
static char *job_build_json(BuildInputs *in, const Content *content, const Job *job,
                            const BuildOptions *options)
{
    size_t n = job_inputs(content, job, in->files);
    bool failed = false;
    for (size_t j = 0; j < n; j++) {
        in->hex[j] = input_digest(in, content, in->files[j]);
        if (!in->hex[j])
            in->hex[j] = "", failed = true;
        /* Relative to the content folder: a checkout elsewhere (another
         * CI runner, --content with an absolute path) is the same build. */
        size_t p = options->content_dir ? strlen(options->content_dir) : 0;
        if (p && in->files[j] && strncmp(in->files[j], options->content_dir, p) == 0 &&
            in->files[j][p] == '/')
            in->files[j] += p + 1;
    }
    char *json = manifest_inputs_json(
        options->creator, in->binary, in->fonts, options->paper == PAPER_A4 ? "a4" : "letter",
        options->size == SIZE_LARGE ? "large" : "regular", options->bleed, in->epoch, in->files,
        in->hex, n);
    if (failed) {
        free(json);
        return NULL;
    }
    return json;
}

/* The key of every job: the digest of what its output depends on. */
static int key_jobs(BuildInputs *in, const Content *content, Job *jobs, size_t count,
                    const BuildOptions *options)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        char *json = job_build_json(in, content, &jobs[i], options);
        if (!json) {
            rc = -1;
            break;
        }
        Sha256 ctx;
        unsigned char digest[SHA256_BYTES];
        sha256_init(&ctx);
        sha256_update(&ctx, jobs[i].rel_path, strlen(jobs[i].rel_path) + 1);
        sha256_update(&ctx, json, strlen(json));
        sha256_final(&ctx, digest);
        sha256_to_hex(digest, jobs[i].key);
        free(json);
    }
    return rc;
}

static const char *job_review_status(const Job *job);
static const char *const kind_names[] = {"sheet", "glossary", "booklet"};

/* The old line is copied into the new manifest: it must be the line this
 * build would write but for the title and page count, which only the
 * built document knows (a review status edited by hand in the manifest
 * would else outlive every build; manifest_add_line saw that the title is
 * one JSON string). */
static bool line_is_current(const Job *job, const char *build_json, const ManifestEntry *e)
{
    ManifestOutput o = {job->rel_path, job->language->code,
                        job->kind == JOB_SHEET ? job->drug->id.utf8 : NULL,
                        kind_names[job->kind], NULL, e->pages, e->bytes, e->sha256,
                        job_review_status(job), build_json, job->key};
    char *want = manifest_output_line(&o);
    const char *title = strstr(want, "\"title\": null, \"pages\": ");
    size_t head = title ? (size_t)(title - want) + sizeof "\"title\": " - 1 : 0;
    const char *tail = title ? title + sizeof "\"title\": null" - 1 : "";
    size_t len = strlen(e->line), tail_len = strlen(tail);
    bool same = title && len >= head + 2 + tail_len && strncmp(e->line, want, head) == 0 &&
                e->line[head] == '"' && e->line[len - tail_len - 1] == '"' &&
                strcmp(e->line + len - tail_len, tail) == 0;
    free(want);
    return same;
}

/* Up to date: the old manifest has this key for it, its line is current,
 * and the file is the one it recorded (an output deleted or edited by
 * hand is built again). */
static void mark_up_to_date(BuildInputs *in, const Content *content, Job *jobs, size_t count,
                            const Manifest *old, const BuildOptions *options)
{
    for (size_t i = 0; i < count; i++) {
        const ManifestEntry *e = manifest_find(old, jobs[i].rel_path);
        if (!e || strcmp(e->key, jobs[i].key) != 0)
            continue;
        char *json = job_build_json(in, content, &jobs[i], options);
        char hex[SHA256_HEX + 1];
        long long bytes;
        if (json && line_is_current(&jobs[i], json, e) &&
            manifest_file_sha256(jobs[i].final_path, hex, &bytes) == 0 && bytes == e->bytes &&
            strcmp(hex, e->sha256) == 0) {
            jobs[i].stale = false;
            jobs[i].pages = e->pages;
            jobs[i].old_line = e->line;
        }
        free(json);
    }
}

/* The new manifest: this build's outputs, and (unless a shard) the old
 * entries of outputs it was not asked for that are still there. */
static int write_manifest(BuildInputs *in, const Content *content, Job *jobs, size_t count,
                          Manifest *old, const char *path, const BuildOptions *options)
{
    Manifest m = {0};
    for (size_t i = 0; i < old->count && !options->shard_count; i++) {
        bool planned = false;
        for (size_t j = 0; j < count && !planned; j++)
            planned = strcmp(jobs[j].rel_path, old->entries[i].path) == 0;
        size_t n = strlen(options->out_dir) + strlen(old->entries[i].path) + 2;
        char *file = xmalloc(n);
        snprintf(file, n, "%s/%s", options->out_dir, old->entries[i].path);
        struct stat st;
        if (!planned && stat(file, &st) == 0)
            manifest_add_line(&m, xstrdup(old->entries[i].line));
        free(file);
    }
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        Job *job = &jobs[i];
        if (!job->stale) {
            manifest_add_line(&m, xstrdup(job->old_line));
            continue;
        }
        char hex[SHA256_HEX + 1];
        long long bytes = job->bytes;
        memcpy(hex, job->digest, sizeof hex);
        if (!hex[0] && manifest_file_sha256(job->final_path, hex, &bytes) != 0) {
            diag_error(NULL, "cannot read '%s': %s", job->final_path, strerror(errno));
            rc = -1;
            continue;
        }
        char *json = job_build_json(in, content, job, options);
        if (!json) {
            rc = -1;
            continue;
        }
        ManifestOutput o = {job->rel_path, job->language->code,
                            job->kind == JOB_SHEET ? job->drug->id.utf8 : NULL,
                            kind_names[job->kind], job->title, job->pages, bytes, hex,
                            job_review_status(job), json, job->key};
        manifest_add_line(&m, manifest_output_line(&o));
        free(json);
    }
    if (rc == 0)
        rc = manifest_write(&m, path, options->file_mode);
    manifest_free(&m);
    return rc;
}

static size_t default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (size_t)n : 1;
}

/* The folders the jobs write in (one per language, the jobs of one
 * folder together), each created and held once. */
static int hold_folders(Job *jobs, size_t count, int **held, size_t *held_count)
{
    int failures = 0;
    bool folder_failed = false;
    *held = xmalloc((count ? count : 1) * sizeof **held);
    *held_count = 0;
    for (size_t i = 0; i < count; i++) {
        if (i == 0 || strcmp(jobs[i].dir, jobs[i - 1].dir) != 0) {
            int fd = -1;
            folder_failed = make_dirs(jobs[i].dir) != 0 || (fd = hold_folder(jobs[i].dir)) < 0;
            if (folder_failed)
                failures++;
            else
                (*held)[(*held_count)++] = fd;
        }
        if (folder_failed) {
            jobs[i].failed = jobs[i].done = true;
        } else if (folder_in_the_way(jobs[i].final_path)) {
            jobs[i].failed = jobs[i].done = true;
            failures++;
        }
    }
    return failures;
}

int build_sheets(const Content *content, const BuildOptions *options, BuildFailed *failed)
{
    *failed = (BuildFailed){0};
    Job *jobs = NULL;
    size_t count = plan_jobs(content, options, &jobs);
    if (options->shard_count)
        count = keep_shard(jobs, count, options->shard_index, options->shard_count);
    int failures = 0;
    Manifest old = {0};
    char manifest_path[4096];
    if (options->shard_count)
        snprintf(manifest_path, sizeof manifest_path, "%s/manifest.%u-of-%u.json",
                 options->out_dir, options->shard_index, options->shard_count);
    else
        snprintf(manifest_path, sizeof manifest_path, "%s/manifest.json", options->out_dir);
    BuildInputs inputs = {0};
    if (!options->dry_run) {
        if (inputs_open(&inputs, content) != 0 ||
            key_jobs(&inputs, content, jobs, count, options) != 0) {
            inputs_free(&inputs);
            free_jobs(jobs, count);
            failed->steps |= BUILD_FAILED_INPUTS;
            return 1;
        }
        manifest_read(manifest_path, &old);
        if (!options->force)
            mark_up_to_date(&inputs, content, jobs, count, &old, options);
        catch_interruptions();
    }
    size_t todo = 0;
    for (size_t i = 0; i < count; i++)
        todo += jobs[i].stale;
    int *held = NULL;
    size_t held_count = 0;
    if (!options->dry_run)
        failures += hold_folders(jobs, count, &held, &held_count);
    /* A shard with no job (--shard 9/10 of fewer outputs) writes only its
     * manifest part, in a folder no job made. */
    if (!options->dry_run && count == 0 && make_dirs(options->out_dir) != 0)
        failures++;
    if (failures)
        failed->steps |= BUILD_FAILED_FOLDER;
    /* The catalog page lists everything, with each file's size: only a
     * whole build that wrote every PDF writes it, after they are in place. */
    bool catalog = !options->dry_run && !options->languages && !options->drugs &&
                   options->size == SIZE_REGULAR && !options->shard_count;
    char index_path[4096];
    snprintf(index_path, sizeof index_path, "%s/index.html", options->out_dir);
    /* Written after the sheets are renamed into place: what would stop
     * them is found first. */
    if (!options->dry_run && folder_in_the_way(manifest_path))
        failures++, failed->steps |= BUILD_FAILED_MANIFEST;
    if (!options->dry_run && catalog && folder_in_the_way(index_path))
        failures++, failed->steps |= BUILD_FAILED_CATALOG;
    /* All or nothing: past a folder that cannot be written in, no sheet
     * will be, and building the others would only report them written. */
    for (size_t i = 0; i < count; i++)
        if (jobs[i].failed || failures)
            todo -= jobs[i].stale, jobs[i].stale = false;
    FontSet *fonts = todo ? fontset_open(NULL) : NULL;
    if (todo && !fonts) {
        failures++;
        failed->steps |= BUILD_FAILED_FONTS;
        todo = 0;
        for (size_t i = 0; i < count; i++)
            if (jobs[i].stale)
                jobs[i].stale = false, jobs[i].failed = true;
    }
    Shapers shapers = {fonts, xcalloc(content->language_count + 1, sizeof(Shaper *)),
                       xcalloc(content->language_count + 1, sizeof(bool)), content};
    /* A booklet sets its language's sheets and glossary again, with words
     * the first sheet's filtered patterns lack (and English references
     * come in every language): each dictionary is loaded whole at once. */
    for (size_t i = 0; i < count; i++)
        if (jobs[i].stale && jobs[i].kind == JOB_BOOKLET) {
            hyphenate_load_whole();
            break;
        }
    size_t workers = options->jobs ? options->jobs : default_jobs();
    if (workers > todo)
        workers = todo;
    int died_of = 0;
    if (workers > 1 && !options->dry_run) {
        /* Each language's shaper (ICU, hyphenation patterns) is opened
         * once, here, and shared copy-on-write, not once per worker. */
        for (size_t i = 0; i < count; i++)
            if (jobs[i].stale)
                shaper_for(&shapers, jobs[i].language);
        /* So is what a glossary's index needs of the language's collator
         * (a failure is the job's to report). */
        for (size_t i = 0; i < count; i++)
            if (jobs[i].stale && jobs[i].kind != JOB_SHEET && jobs[i].language->glossary.file)
                (void)collate_prepare_index(jobs[i].language->strings.locale.utf8);
        failed->outputs = run_workers(&shapers, content, jobs, count, options, workers, &died_of);
    } else {
        for (size_t i = 0; i < count; i++)
            if (jobs[i].stale &&
                run_job_with(&shapers, content, jobs, count, &jobs[i], options) != 0)
                jobs[i].failed = true, failed->outputs++;
    }
    failures += failed->outputs;
    shapers_close(&shapers);
    if (fonts)
        fontset_free(fonts);
    if (died_of) {
        /* Interrupted (a worker got the Ctrl-C, a file size limit): leave
         * no temporary file and die of the same signal, as -j 1 would. */
        finish_pending(0, 0);
        signal(died_of, SIG_DFL);
        raise(died_of);
    }
    /* All or nothing: one failed sheet, or one that cannot be put in
     * place, keeps every sheet of the last run. */
    if (!options->dry_run) {
        bool written = pending_count > 0;
        if (finish_pending(failures == 0, options->file_mode) != 0)
            failures++, failed->steps |= BUILD_FAILED_PLACING;
        if (failures && written)
            diag_note("no sheet written: the build is all or nothing, and "
                      "the sheets already in '%s' are left as they were", options->out_dir);
    }
    for (size_t i = 0; i < held_count; i++)
        close(held[i]);
    free(held);
    if (!options->dry_run && failures == 0 &&
        write_manifest(&inputs, content, jobs, count, &old, manifest_path, options) != 0)
        failures++, failed->steps |= BUILD_FAILED_MANIFEST;
    if (catalog && failures == 0) {
        Catalog listed = {0};
        for (size_t i = 0; i < count; i++)
            catalog_add(&listed, jobs[i].language, jobs[i].stem, jobs[i].pages);
        if (catalog_write(content, &listed, options->out_dir, options->creator,
                          options->file_mode) != 0)
            failures++, failed->steps |= BUILD_FAILED_CATALOG;
        catalog_free(&listed);
    }
    if (!options->dry_run && !options->quiet && failures == 0 && todo < count) {
        if (todo == 0)
            diag_note("nothing to do: all %zu outputs in '%s' are up to date "
                      "(--force builds them again)", count, options->out_dir);
        else
            fprintf(stderr, "pdfgen: wrote %zu outputs, %zu were up to date\n", todo,
                    count - todo);
    }
    manifest_free(&old);
    inputs_free(&inputs);
    free_jobs(jobs, count);
    return failures;
}

void build_say_failed(const BuildFailed *failed)
{
    static const struct {
        unsigned step;
        const char *what;
    } steps[] = {
        {BUILD_FAILED_INPUTS, "reading the fonts or content files"},
        {BUILD_FAILED_FOLDER, "the output folder"},
        {BUILD_FAILED_FONTS, "opening the fonts"},
        {BUILD_FAILED_PLACING, "putting the outputs in place"},
        {BUILD_FAILED_MANIFEST, "the manifest"},
        {BUILD_FAILED_CATALOG, "the catalog page"},
    };
    fputs("pdfgen: ", stderr);
    const char *sep = "";
    if (failed->outputs) {
        fprintf(stderr, "%d sheet%s", failed->outputs, failed->outputs == 1 ? "" : "s");
        sep = ", ";
    }
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (failed->steps & steps[i].step) {
            fprintf(stderr, "%s%s", sep, steps[i].what);
            sep = ", ";
        }
    fputs(*sep ? " failed\n" : "the build failed\n", stderr);
}

/* What a manifest line says the output was built with (pdfgen and its
 * digest, fonts, paper, bleed, SOURCE_DATE_EPOCH), not its inputs nor its
 * size (regular and large print live side by side in one folder); NULL
 * when the line has none. */
static char *build_settings(const char *line)
{
    const char *from = strstr(line, "\"build\": {");
    const char *to = from ? strstr(from, "}, \"inputs\": [") : NULL;
    if (!to)
        return NULL;
    char *settings = xstrndup(from, (size_t)(to - from));
    char *size = strstr(settings, ", \"size\": \"");
    char *end = size ? strchr(size + sizeof ", \"size\": \"" - 1, '"') : NULL;
    if (end)
        memmove(size, end + 1, strlen(end + 1) + 1);
    return settings;
}

int build_merge_manifests(const Content *content, const char *const *files, size_t file_count,
                          const char *out_dir, const char *creator, unsigned file_mode)
{
    /* The merge vouches for outputs already in out_dir: a folder that is
     * not there is a mistyped --out or shards not copied yet, never one to
     * make (the bare 'No such file or directory' of the manifest it could
     * not write, or of each output, said neither). */
    struct stat st;
    int err = stat(out_dir, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    if (err) {
        diag_error(NULL, "cannot merge into '%s': %s; copy every shard's output folder "
                   "into one folder and give it with --out", out_dir,
                   err == ENOENT ? "no such folder" : strerror(err));
        return -1;
    }
    Manifest merged = {0};
    int rc = 0;
    char *settings = NULL; /* the first part's: every part is of one build */
    const char *settings_file = NULL;
    /* Every path a part names is an output of this content, regular or
     * large print: a part cannot vouch for other files, nor for more of
     * them than a build makes. */
    BuildOptions whole = {.out_dir = out_dir}, large = {.out_dir = out_dir, .size = SIZE_LARGE};
    Job *jobs = NULL, *large_jobs = NULL;
    size_t count = plan_jobs(content, &whole, &jobs);
    size_t large_count = plan_jobs(content, &large, &large_jobs);
    for (size_t f = 0; f < file_count; f++) {
        Manifest part = {0};
        if (access(files[f], R_OK) != 0) {
            diag_error(NULL, "cannot read '%s': %s", files[f], strerror(errno));
            rc = -1;
            continue;
        }
        int passed_over = manifest_read(files[f], &part);
        if (passed_over == MANIFEST_NOT_OURS) {
            diag_error(NULL, "'%s' is no manifest of pdfgen's (as build writes them: "
                       "manifest.json, or manifest.K-of-N.json with --shard)", files[f]);
            rc = -1;
        } else if (passed_over < 0) {
            diag_error(NULL, "cannot read '%s': %s", files[f],
                       errno == EINVAL ? "not a regular file" : strerror(errno));
            rc = -1;
        } else if (passed_over) {
            diag_error(NULL, "'%s' has outputs that are not as pdfgen writes them, or that lie "
                       "outside the output folder", files[f]);
            rc = -1;
        }
        bool other_build = false, other_output = false;
        for (size_t i = 0; i < part.count; i++) {
            const ManifestEntry *e = &part.entries[i];
            bool output = false;
            for (size_t j = 0; j < count && !output; j++)
                output = strcmp(jobs[j].rel_path, e->path) == 0;
            for (size_t j = 0; j < large_count && !output; j++)
                output = strcmp(large_jobs[j].rel_path, e->path) == 0;
            if (!output) {
                if (!other_output)
                    diag_error(NULL, "'%s' has '%s', which is not an output of this "
                               "content", files[f], e->path);
                other_output = true;
                rc = -1;
                continue;
            }
            const ManifestEntry *seen = manifest_find(&merged, e->path);
            char *these = build_settings(e->line);
            if (!settings && these) {
                settings = xstrdup(these);
                settings_file = files[f];
            }
            bool same_build = these && strcmp(these, settings) == 0;
            free(these);
            if (!same_build && !other_build) {
                other_build = true;
                diag_error(NULL, "'%s' has '%s' built with other settings than '%s' has its "
                           "outputs (pdfgen, fonts, paper, bleed or SOURCE_DATE_EPOCH): "
                           "the parts of one build only can be merged",
                           files[f], e->path, settings_file ? settings_file : files[f]);
                rc = -1;
            } else if (!same_build) {
                /* said once for the part */
            } else if (seen && strcmp(seen->line, e->line) != 0) {
                diag_error(NULL, "'%s' says another thing of '%s' than an earlier manifest",
                           files[f], e->path);
                rc = -1;
            } else if (!seen) {
                manifest_add_line(&merged, xstrdup(e->line));
            }
        }
        manifest_free(&part);
    }
    /* The merged manifest vouches for the files in out_dir: they must be
     * the ones the shards wrote. */
    for (size_t i = 0; rc == 0 && i < merged.count; i++) {
        const ManifestEntry *e = &merged.entries[i];
        size_t n = strlen(out_dir) + strlen(e->path) + 2;
        char *path = xmalloc(n);
        snprintf(path, n, "%s/%s", out_dir, e->path);
        char hex[SHA256_HEX + 1];
        long long bytes;
        if (manifest_file_sha256(path, hex, &bytes) != 0) {
            diag_error(NULL, "cannot read '%s' (copy every shard's output into '%s' first): %s",
                       path, out_dir, strerror(errno));
            rc = -1;
        } else if (bytes != e->bytes || strcmp(hex, e->sha256) != 0) {
            diag_error(NULL, "'%s' is not the file its manifest describes", path);
            rc = -1;
        }
        free(path);
    }
    size_t n = strlen(out_dir) + sizeof "/manifest.json";
    char *manifest_path = xmalloc(n);
    snprintf(manifest_path, n, "%s/manifest.json", out_dir);
    if (rc == 0)
        rc = manifest_write(&merged, manifest_path, file_mode);
    free(manifest_path);
    /* The catalog page, as a whole build writes it, when the parts add up
     * to one. */
    bool complete = true;
    Catalog catalog = {0};
    for (size_t i = 0; i < count; i++) {
        const ManifestEntry *e = manifest_find(&merged, jobs[i].rel_path);
        if (e)
            catalog_add(&catalog, jobs[i].language, jobs[i].stem, e->pages);
        else
            complete = false;
    }
    if (rc == 0 && complete)
        rc = catalog_write(content, &catalog, out_dir, creator, file_mode);
    else if (rc == 0)
        diag_note("the manifests are not a whole build: no %s/index.html written", out_dir);
    catalog_free(&catalog);
    free_jobs(jobs, count);
    free_jobs(large_jobs, large_count);
    manifest_free(&merged);
    free(settings);
    return rc;
}
