/*
 * assess/pii_data.c -- data/pii-terms.tsv built into the binary (see lifecycle_data.c: the
 * assembler reads the file; the Makefile names it as this object's prerequisite).
 */
__asm__(".section .rodata\n"
        ".global pii_terms_tsv\n"
        ".type pii_terms_tsv, @object\n"
        "pii_terms_tsv:\n"
        ".incbin \"data/pii-terms.tsv\"\n"
        ".byte 0\n"
        ".size pii_terms_tsv, . - pii_terms_tsv\n"
        ".previous\n");
