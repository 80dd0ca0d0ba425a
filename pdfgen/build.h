/* build.h — the batch: every requested (language, drug) pair to a PDF.
 * In: loaded, valid content and the build options.
 * Out: out/<lang>/<drug>.pdf, and without a drug filter out/<lang>/glossary.pdf
 *     and the booklet out/<lang>/all.pdf; without any filter the catalog page
 *     out/index.html (catalog.h).  All or nothing: each PDF is written to a
 *     temporary file ".<id>.pdf.XXXXXX" in its folder, and only when every
 *     requested output was written are they all renamed into place; if any
 *     fails, the temporary files are removed and the files already in out/
 *     stay as they were.  A reader never sees half a PDF.  A build first
 *     removes such temporary files left by a killed build in the folders it
 *     writes (not while another build is writing there).  One progress line
 *     per sheet on stderr unless quiet.
 * With dry_run, every sheet is laid out (so a character no font has is
 * found) and nothing is written.
 * Returns the number of sheets that failed (each reported). */
#ifndef PDFGEN_BUILD_H
#define PDFGEN_BUILD_H

#include <stddef.h>

#include "sheet.h"
#include "model.h"

typedef struct BuildOptions {
    const char *out_dir;
    const char *content_dir; /* the manifest names content files relative to it */
    Paper paper;
    double bleed;                 /* points: print.c's bleed and crop marks; 0 for none */
    const char *const *languages; /* NULL: all */
    size_t language_count;
    const char *const *drugs; /* NULL: all */
    size_t drug_count;
    int quiet;
    int stats; /* a line per sheet on stdout: how it was set */
    SheetSize size; /* SIZE_LARGE: out/<lang>/large/<drug>.pdf */
    const char *creator;
    unsigned file_mode; /* for the finished PDFs: 0666 less the umask */
    int dry_run;        /* lay every sheet out, write nothing ('check') */
    size_t jobs;        /* worker processes; 0: one per core */
    int force;          /* build every output, up to date or not */
    unsigned shard_index, shard_count; /* --shard K/N; shard_count 0: all */
} BuildOptions;

/* What a build that failed failed at, for its summary line: the outputs
 * that could not be built, and the steps around them. */
enum {
    BUILD_FAILED_INPUTS = 1u << 0,  /* a font or content file could not be read */
    BUILD_FAILED_FOLDER = 1u << 1,  /* an output folder, or a folder where an output goes */
    BUILD_FAILED_FONTS = 1u << 2,   /* no font set could be opened */
    BUILD_FAILED_PLACING = 1u << 3, /* the finished outputs could not be renamed into place */
    BUILD_FAILED_MANIFEST = 1u << 4,
    BUILD_FAILED_CATALOG = 1u << 5,
};
typedef struct BuildFailed {
    int outputs;    /* sheets, glossaries and booklets whose job failed */
    unsigned steps; /* BUILD_FAILED_* */
} BuildFailed;

/* Builds (or, dry_run, lays out) the outputs; returns the number of
 * failures, all reported, and says in *failed what they were. */
int build_sheets(const Content *content, const BuildOptions *options, BuildFailed *failed);

/* The summary line of a build that failed ("2 sheets failed", "the
 * manifest failed"), on stderr. */
void build_say_failed(const BuildFailed *failed);

/* pdfgen manifest --merge: the shards' manifests (files) joined into
 * out_dir/manifest.json, byte for byte what a whole build writes, after
 * checking each output in out_dir is the file its part describes; and,
 * when the parts add up to a whole build, out_dir/index.html.  Returns 0
 * or -1 (reported). */
int build_merge_manifests(const Content *content, const char *const *files, size_t file_count,
                          const char *out_dir, const char *creator, unsigned file_mode);

/* SOURCE_DATE_EPOCH: *epoch is its value, or -1 when unset or empty.
 * Returns -1 (after printing why) when it is not a plain number of seconds
 * or lies after 9999-12-31T23:59:59Z, which a PDF date cannot hold. */
int build_source_date_epoch(long long *epoch);

#endif
