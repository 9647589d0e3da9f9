/*
 * core/version.h -- ajar's version, for every layer that says it: `ajar
 * --version`, the SARIF report's driver, and the User-Agent of the HTTP
 * probes and the Neo4j Bolt greeting (AJAR_AGENT).
 */
#ifndef AJAR_CORE_VERSION_H
#define AJAR_CORE_VERSION_H

#define AJAR_VERSION "0.1.0"
#define AJAR_AGENT   "ajar/" AJAR_VERSION

#endif
