/*
 * web/assets.c -- the dashboard's embedded files (placeholder: being written).
 */
#include "web/web.h"

#include <string.h>

static const unsigned char css[] = "body{font-family:sans-serif}\n";

static const struct web_asset assets[] = {
    {"/static/ajar.css", "text/css; charset=utf-8", css, sizeof css - 1},
};

const struct web_asset *web_asset_find(const char *path)
{
    for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++)
        if (strcmp(assets[i].path, path) == 0) return &assets[i];
    return NULL;
}
