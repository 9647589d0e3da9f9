/*
 * report/formats.c -- the report's formats, by enum report_format (see
 * report_int.h): a new format is a renderer file with its callbacks, its
 * name in enum report_format, and one line here.
 */
#include "report/report_int.h"

const struct report_format_ops *const report_formats[] = {
    [REPORT_TEXT] = &report_ops_text,   [REPORT_JSON] = &report_ops_json,
    [REPORT_JSONL] = &report_ops_jsonl, [REPORT_CSV] = &report_ops_csv,
    [REPORT_HTML] = &report_ops_html,   [REPORT_SARIF] = &report_ops_sarif,
    [REPORT_OCSF] = &report_ops_ocsf,
};
const size_t report_nformats = sizeof report_formats / sizeof report_formats[0];
