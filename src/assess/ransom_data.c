/*
 * assess/ransom_data.c -- data/ransom-names.tsv built into the binary (see lifecycle_data.c:
 * the assembler reads the file; the Makefile names it as this object's prerequisite).
 */
__asm__(".section .rodata\n"
        ".global ransom_names_tsv\n"
        ".type ransom_names_tsv, @object\n"
        "ransom_names_tsv:\n"
        ".incbin \"data/ransom-names.tsv\"\n"
        ".byte 0\n"
        ".size ransom_names_tsv, . - ransom_names_tsv\n"
        ".previous\n");
