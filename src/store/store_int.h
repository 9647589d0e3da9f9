/*
 * store/store_int.h -- what the store's files share with each other and
 * nobody else: the migrations (schema.c).
 */
#ifndef AJAR_STORE_INT_H
#define AJAR_STORE_INT_H

#include "core/util.h"
#include "store/db.h"

/* The schema version this build writes. */
int store_schema_version(void);
/* Bring the database to store_schema_version(), in one transaction. */
int store_migrate(struct db *d, struct err *e);

#endif
