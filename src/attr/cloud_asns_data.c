/*
 * attr/cloud_asns_data.c -- data/cloud-asns.tsv built into the binary (see
 * assess/lifecycle_data.c; the Makefile names the file as this object's prerequisite).
 */
__asm__(".section .rodata\n"
        ".global cloud_asns_tsv\n"
        ".type cloud_asns_tsv, @object\n"
        "cloud_asns_tsv:\n"
        ".incbin \"data/cloud-asns.tsv\"\n"
        ".byte 0\n"
        ".size cloud_asns_tsv, . - cloud_asns_tsv\n"
        ".previous\n");
