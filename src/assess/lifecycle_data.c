/*
 * assess/lifecycle_data.c -- data/lifecycle.tsv built into the binary, so
 * ajar needs no data file at run time (a newer copy can still be given
 * with --lifecycle FILE). The assembler reads the file (make runs from the
 * top of the tree; the Makefile names it as this object's prerequisite).
 */
__asm__(".section .rodata\n"
        ".global lifecycle_tsv\n"
        ".type lifecycle_tsv, @object\n"
        "lifecycle_tsv:\n"
        ".incbin \"data/lifecycle.tsv\"\n"
        ".byte 0\n"
        ".size lifecycle_tsv, . - lifecycle_tsv\n"
        ".previous\n");
