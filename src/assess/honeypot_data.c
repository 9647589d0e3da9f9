/*
 * assess/honeypot_data.c -- data/honeypots.tsv built into the binary (see lifecycle_data.c).
 */
__asm__(".section .rodata\n"
        ".global honeypots_tsv\n"
        ".type honeypots_tsv, @object\n"
        "honeypots_tsv:\n"
        ".incbin \"data/honeypots.tsv\"\n"
        ".byte 0\n"
        ".size honeypots_tsv, . - honeypots_tsv\n"
        ".previous\n");
