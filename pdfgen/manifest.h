/* manifest.h — out/manifest.json: every output of a build, what it is and
 * what it was made from; the record incremental builds and shards rely on.
 * In: the outputs' descriptions (build.c), or manifest files to read back
 *     or merge.
 * Out: the manifest, one output per line, sorted by path, with no time or
 *     machine in it but what went into the outputs: byte-identical for
 *     identical builds (schema: pdfgen/manifest.schema.json).  A manifest
 *     whose content would not change is not rewritten (its mtime stays).
 * Each output's line carries a "key": the SHA-256 of everything its bytes
 * depend on (pdfgen's version and binary, the fonts fontconfig offers, the
 * build options, SOURCE_DATE_EPOCH, the content files read); an output
 * whose key and file are unchanged is not built again. */
#ifndef PDFGEN_MANIFEST_H
#define PDFGEN_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "sha256.h"

typedef struct ManifestEntry {
    char *path;  /* relative to the output folder: "en/sunitinib.pdf" */
    char *key;   /* 64 hex digits */
    char *sha256;
    long long bytes;
    size_t pages;
    char *line;  /* the whole JSON object, as written */
} ManifestEntry;

typedef struct Manifest {
    ManifestEntry *entries;
    size_t count, cap;
} Manifest;

/* What one output's line says. */
typedef struct ManifestOutput {
    const char *path, *language, *drug; /* drug: NULL for a glossary or booklet */
    const char *kind;                   /* "sheet", "glossary", "booklet" */
    const char *title;
    size_t pages;
    long long bytes;
    const char *sha256;
    const char *review;
    const char *build_json; /* "build" and "inputs" members (manifest_inputs_json) */
    const char *key;
} ManifestOutput;

/* Reads a manifest this program wrote.  A missing file is an empty
 * manifest, and an output's line that is not one this program writes (or
 * names a path outside the folder) is passed over: a manifest edited by
 * hand only costs a rebuild.  Returns the number of lines passed over,
 * MANIFEST_NOT_OURS when the file is no manifest of this program's (no
 * '"manifest": 1' header, or lines of another shape: a README given to
 * manifest --merge), or -1 when the file cannot be read or is no regular
 * file (a FIFO). */
enum { MANIFEST_NOT_OURS = -2 };
int manifest_read(const char *path, Manifest *m);
const ManifestEntry *manifest_find(const Manifest *m, const char *path);
/* Takes ownership of line; returns false (and frees it) when it is not an
 * output's line. */
bool manifest_add_line(Manifest *m, char *line);
char *manifest_output_line(const ManifestOutput *o);
/* Writes path (via a temporary file) unless it already holds exactly
 * this.  Returns 0, or -1 (reported). */
int manifest_write(const Manifest *m, const char *path, unsigned file_mode);
void manifest_free(Manifest *m);

/* The text an output's key is the digest of: its "build" and "inputs"
 * members.  files[i] has digest digests[i]. */
char *manifest_inputs_json(const char *version, const char *binary_sha256,
                           const char *fonts_sha256, const char *paper, const char *size,
                           double bleed, long long epoch, const char *const *files,
                           const char *const *digests, size_t file_count);

/* SHA-256 and size of a file; 0, or -1 when it cannot be read (errno). */
int manifest_file_sha256(const char *path, char hex[SHA256_HEX + 1], long long *bytes);
/* Of the running program: a digest of its linker build ID, or without one
 * of its file (/proc/self/exe); a rebuilt pdfgen of the same version
 * still rebuilds everything. */
int manifest_binary_sha256(char hex[SHA256_HEX + 1]);
/* Of every font file fontconfig offers (its path) and of the folders
 * holding them (their mtime), as fontconfig judges its caches current:
 * installing, removing or replacing a font may change which one a
 * character is drawn with. */
int manifest_fonts_sha256(char hex[SHA256_HEX + 1]);

/* Do both files exist with the same bytes? */
bool manifest_same_file(const char *a, const char *b);
/* Does the file at path hold exactly these bytes? */
bool manifest_file_holds(const char *path, const char *data, size_t size);
/* Replaces path with data (a temporary file renamed into place) unless it
 * holds them already.  Returns 0, or -1 (reported). */
int manifest_replace(const char *path, const char *data, size_t size, unsigned file_mode);

#endif
