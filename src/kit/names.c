/*
 * kit/names.c -- display names (see kit.h).
 */
#include "kit/kit.h"

#include <string.h>

/* The providers of data/cloud-asns.tsv and of the range files (docs/record.md, "cloud"). */
static const char *const provider_names[][2] = {
    {"aws", "AWS"},
    {"google-cloud", "Google Cloud"},
    {"azure", "Microsoft Azure"},
    {"oracle-cloud", "Oracle Cloud"},
    {"cloudflare", "Cloudflare"},
    {"alibaba-cloud", "Alibaba Cloud"},
    {"tencent-cloud", "Tencent Cloud"},
    {"huawei-cloud", "Huawei Cloud"},
    {"baidu-cloud", "Baidu Cloud"},
    {"digitalocean", "DigitalOcean"},
    {"ovh", "OVH"},
    {"hetzner", "Hetzner"},
    {"linode-akamai", "Linode/Akamai"},
};

const char *kit_provider_name(const char *id)
{
    for (size_t i = 0; id && i < ARRAY_LEN(provider_names); i++)
        if (!strcmp(id, provider_names[i][0])) return provider_names[i][1];
    return id ? id : "";
}
