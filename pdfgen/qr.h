/* qr.h — QR codes (libqrencode).
 * In: a text (a web address).
 * Out: its QR code as a square grid of modules in the arena, row by row,
 *     1 for dark: error correction level M, the smallest version that
 *     holds it, 8-bit mode.  NULL when it cannot be encoded (reported
 *     through diag_error()). */
#ifndef PDFGEN_QR_H
#define PDFGEN_QR_H

#include "arena.h"
#include "model.h"

const unsigned char *qr_modules(Arena *arena, const Text *text, unsigned *side);

#endif
