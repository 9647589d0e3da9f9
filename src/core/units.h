/*
 * core/units.h -- numbers as people read them, one way for every layer
 * (units.c): the record's signal details (assess), the reports and the
 * dashboard say the same thing about the same number.
 */
#ifndef AJAR_CORE_UNITS_H
#define AJAR_CORE_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* 1234567 -> "1,234,567"; negative (unknown) -> "-". */
void fmt_digits(int64_t v, char *out, size_t n);
/* Bytes in powers of 1024, spelt KiB, MiB, GiB...: "512 B", "1.5 KiB", "12 GiB" (one decimal
 * below 10); negative (unknown) -> "-". */
void fmt_bytes(int64_t v, char *out, size_t n);

/* A count short, for an axis tick or a card: 999, "1.2k", "12k", "1.2M", "12M", "1.2G", "12G"
 * (one decimal below 10 of the unit). */
void fmt_short(int64_t v, char *out, size_t n);

#endif
