/*
 * tests/unit/test_chart.c -- the kit's charts (src/kit/chart.c), the one
 * implementation the report (inline colours) and the dashboard (classes)
 * draw with: the nice maximum of an axis, whole charts pinned byte for
 * byte in both styles, hostile labels and links escaped in every chart,
 * no style attribute and no colour in the dashboard's style, empty series,
 * one point, huge values (no overflow: UBSan runs this), the time format.
 */
#include "t.h"
#include "kit/chart.h"
#include "core/units.h"

#include <stdlib.h>

static struct buf b;

static const char *out(void)
{
    buf_append(&b, "", 0); /* NUL-terminated even when empty */
    return (const char *)b.data;
}

static void fresh(void)
{
    buf_free(&b);
    buf_init(&b, 1u << 20);
}

static bool has(const char *s)
{
    return strstr(out(), s) != NULL;
}

/* no coordinate or number came out as nan, inf or negative */
static bool finite(void)
{
    static const char *const bad[] = {"\"nan", "\"inf", "\"-",  ",nan",  ",inf",  ",-",   ">nan<",
                                      ">inf<", ">-",    " nan", " -nan", " inf<", " -inf"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (has(bad[i])) {
            fprintf(stderr, "%s in: %.200s\n", bad[i], strstr(out(), bad[i]) - 60);
            return false;
        }
    return true;
}

static void nice_max(void)
{
    static const int64_t in[][2] = {
        {-5, 4},     {0, 4},       {3, 4},       {4, 4},       {7, 8},           {9, 10},
        {10, 10},    {11, 20},     {23, 30},     {61, 80},     {99, 100},        {101, 200},
        {999, 1000}, {1001, 2000}, {4500, 5000}, {7001, 8000}, {123456, 200000},
    };
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        CHECK_MSG(kit_chart_nice_max(in[i][0]) == in[i][1], "%lld -> %lld, not %lld",
                  (long long)in[i][0], (long long)kit_chart_nice_max(in[i][0]),
                  (long long)in[i][1]);
    /* never below the value, never more than twice it (above the floor of 4) */
    bool ok = true;
    for (int64_t v = 0; v < 200000 && ok; v += 7) {
        int64_t m = kit_chart_nice_max(v);
        ok = m >= v && m >= 4 && (v < 4 || m <= 2 * v);
        if (!ok) fprintf(stderr, "nice_max(%lld) = %lld\n", (long long)v, (long long)m);
    }
    CHECK(ok);
    /* the largest values: no overflow, never below */
    CHECK_INT(kit_chart_nice_max(INT64_MAX), INT64_MAX);
    CHECK_INT(kit_chart_nice_max(2000000000000000000LL), 2000000000000000000LL);
    CHECK(kit_chart_nice_max(1500000000000000001LL) >= 1500000000000000001LL);
}

static const char *const svc[2] = {"redis", "mongodb"};
static const int64_t svc_sev[2][6] = {{0, 0, 0, 1, 0, 3}, {2, 0, 0, 0, 0, 0}};

static void bars_inline(void)
{
    fresh();
    kit_chart_bars(&b, KIT_CHART_INLINE,
                   &(struct kit_bars){
                       .n = 2, .labels = svc, .by_sev = svc_sev, .aria = "findings per service"});
    CHECK_STR(out(),
              "<svg viewBox=\"0 0 1000 62\" role=\"img\" aria-label=\"findings per service\">\n"
              "<text x=\"162\" y=\"20\" text-anchor=\"end\">redis</text>"
              "<rect x=\"170.0\" y=\"5\" width=\"540.0\" height=\"20\" fill=\"#b3001b\">"
              "<title>redis: 3 critical</title></rect>"
              "<rect x=\"710.0\" y=\"5\" width=\"180.0\" height=\"20\" fill=\"#f0a202\">"
              "<title>redis: 1 medium</title></rect><text x=\"896.0\" y=\"20\">4</text>\n"
              "<text x=\"162\" y=\"46\" text-anchor=\"end\">mongodb</text>"
              "<rect x=\"170.0\" y=\"31\" width=\"360.0\" height=\"20\" fill=\"#b8b8b8\">"
              "<title>mongodb: 2 none</title></rect><text x=\"536.0\" y=\"46\">2</text>\n"
              "</svg>");
}

static void bars_classes(void)
{
    const char *const hrefs[2] = {"/findings?service=redis", NULL};
    fresh();
    kit_chart_bars(&b, KIT_CHART_CLASSES,
                   &(struct kit_bars){.n = 2, .labels = svc, .hrefs = hrefs, .by_sev = svc_sev});
    CHECK_STR(out(), "<svg class=\"chart\" viewBox=\"0 0 560 54\" role=\"img\">"
                     "<a href=\"/findings?service=redis\">"
                     "<text x=\"182\" y=\"17.0\" text-anchor=\"end\">redis</text>"
                     "<rect x=\"190.0\" y=\"3.0\" width=\"225.0\" height=\"18\" class=\"f5\">"
                     "<title>redis: 3 critical</title></rect>"
                     "<rect x=\"415.0\" y=\"3.0\" width=\"75.0\" height=\"18\" class=\"f3\">"
                     "<title>redis: 1 medium</title></rect>"
                     "<text x=\"496.0\" y=\"17.0\" class=\"val\">4</text></a>"
                     "<text x=\"182\" y=\"41.0\" text-anchor=\"end\">mongodb</text>"
                     "<rect x=\"190.0\" y=\"27.0\" width=\"150.0\" height=\"18\" class=\"f0\">"
                     "<title>mongodb: 2 none</title></rect>"
                     "<text x=\"346.0\" y=\"41.0\" class=\"val\">2</text></svg>");
    /* one bar a row in an ink; a tiny one stays visible (half a unit); counts in groups */
    const int64_t vals[2] = {1000000, 1};
    fresh();
    kit_chart_bars(&b, KIT_CHART_CLASSES,
                   &(struct kit_bars){.n = 2, .labels = svc, .vals = vals, .ink = KIT_INK_SIGNAL});
    CHECK(has("<rect x=\"190\" y=\"3.0\" width=\"300.0\" height=\"18\" class=\"fsig\">"
              "<title>redis: 1,000,000</title></rect>"
              "<text x=\"496.0\" y=\"17.0\" class=\"val\">1,000,000</text>"));
    CHECK(has("width=\"0.5\" height=\"18\" class=\"fsig\"><title>mongodb: 1</title>"));
    /* the report writes counts as they are */
    fresh();
    kit_chart_bars(&b, KIT_CHART_INLINE,
                   &(struct kit_bars){.n = 2, .labels = svc, .vals = vals, .ink = KIT_INK_SIGNAL});
    CHECK(has("<title>redis: 1000000</title>"));
    CHECK(has("fill=\"#5b7fd6\""));
}

/* every chart in a style, with hostile strings wherever a chart takes one */
#define EVIL "<script>\"&]]>'x"
static void draw_all(enum kit_chart_style st)
{
    const char *labels[1] = {EVIL};
    const char *hrefs[1] = {"/x?\"><script>&"};
    int64_t sev[1][6] = {{1, 2, 3, 4, 5, 6}};
    kit_chart_bars(&b, st,
                   &(struct kit_bars){.n = 1, .labels = labels, .hrefs = hrefs, .by_sev = sev});
    kit_chart_bars(&b, st, &(struct kit_bars){.n = 1, .labels = labels, .vals = sev[0], .ink = 3});
    kit_chart_sev_bar(&b, st, sev[0], "scan=1");
    kit_chart_volume(&b, st, &(struct kit_volume_row){EVIL, 10, 2048}, 1);
    kit_chart_clusters(&b, st, &(struct kit_cluster_row){EVIL, EVIL, EVIL, 3, 2}, 1);
    kit_chart_certs(&b, st, &(struct kit_cert_row){EVIL, EVIL, 1772366400, true, 2}, 1,
                    1772366400 - 86400);
    time_t t[2] = {1772366400 - 86400, 1772366400};
    int64_t ids[2] = {1, 2};
    int64_t by_sev[2][6] = {{0, 1, 2, 3, 4, 5}, {5, 4, 3, 2, 1, 0}};
    kit_chart_trend(&b, st, t, ids, by_sev, 2);
    uint8_t tsev[2] = {5, 9};
    kit_chart_timeline(&b, st, t, tsev, 2, 1772366400 + 60);
    kit_chart_legend(&b, st, true);
    static const int inks[1] = {KIT_INK_RECORDS};
    const char *names[1] = {EVIL};
    kit_chart_legend_items(&b, st, inks, names, 1, NULL);
}

static void hostile(void)
{
    for (int st = KIT_CHART_INLINE; st <= KIT_CHART_CLASSES; st++) {
        fresh();
        draw_all((enum kit_chart_style)st);
        const char *s = out();
        CHECK(!b.truncated);
        CHECK(strstr(s, "<script") == NULL);
        CHECK(strstr(s, "]]>") == NULL);
        CHECK(strstr(s, "\"&") == NULL); /* no bare & or quote from a string */
        CHECK(strstr(s, "'x") == NULL);
        CHECK(strstr(s, "&lt;script&gt;&quot;&amp;]]&gt;&#39;x") != NULL);
        CHECK(strstr(s, "href=\"/x?&quot;&gt;&lt;script&gt;&amp;\"") != NULL);
        /* every tag closed that was opened: as many <svg as </svg> */
        size_t open = 0, close = 0;
        for (const char *p = s; (p = strstr(p, "<svg")); p++)
            open++;
        for (const char *p = s; (p = strstr(p, "</svg>")); p++)
            close++;
        CHECK_INT(open, 8);
        CHECK_INT(close, 8);
        if (st == KIT_CHART_CLASSES) {
            /* the dashboard's CSP: no style attribute, colours only by class */
            CHECK(strstr(s, "style=") == NULL);
            CHECK(strstr(s, "fill=\"#") == NULL);
            CHECK(strstr(s, "stroke=\"#") == NULL);
            CHECK(strstr(s, "class=\"f5\"") != NULL);
            CHECK(strstr(s, "class=\"ltot\"") != NULL);
            CHECK(strstr(s, "\n") == NULL);
        } else {
            CHECK(strstr(s, "class=\"f") == NULL);
            CHECK(strstr(s, "class=\"chart") == NULL);
            CHECK(strstr(s, "fill=\"#b3001b\"") != NULL);
            CHECK(strstr(s, "style=\"background:#5b6cc4\"") != NULL);
        }
    }
}

static void empty_and_one(void)
{
    fresh();
    kit_chart_bars(&b, KIT_CHART_CLASSES, &(struct kit_bars){.n = 0});
    CHECK_STR(out(), "<svg class=\"chart\" viewBox=\"0 0 560 6\" role=\"img\"></svg>");
    fresh();
    kit_chart_bars(&b, KIT_CHART_INLINE, &(struct kit_bars){.n = 3, .labels = svc}); /* no data */
    CHECK_STR(out(), "<svg viewBox=\"0 0 1000 10\" role=\"img\">\n</svg>");
    fresh();
    kit_chart_timeline(&b, KIT_CHART_CLASSES, NULL, NULL, 0, 0);
    CHECK_STR(out(), "");
    /* an empty trend: the axis only */
    fresh();
    kit_chart_trend(&b, KIT_CHART_CLASSES, NULL, NULL, NULL, 0);
    CHECK(has("class=\"ax\">0</text>") && has("class=\"ax\">4</text>"));
    CHECK(!has("polyline") && !has("circle") && has("</svg>"));
    fresh();
    const int64_t zero[6] = {0};
    kit_chart_sev_bar(&b, KIT_CHART_CLASSES, zero, NULL);
    CHECK_STR(out(), "<svg class=\"chart\" viewBox=\"0 0 1000 34\" role=\"img\" aria-label=\""
                     "findings by severity\"><rect x=\"0\" y=\"4\" width=\"1000\" height=\"26\" "
                     "class=\"f0\"/></svg>");
    /* one point: in the middle of the plot */
    time_t t[1] = {1772366400};
    int64_t id[1] = {7}, sev[1][6] = {{0, 0, 0, 0, 2, 0}};
    fresh();
    kit_chart_trend(&b, KIT_CHART_CLASSES, t, id, sev, 1);
    CHECK(has("<polyline class=\"ltot\" points=\"520.0,92.0\"/>"));
    CHECK(has("<polyline class=\"l4\" points=\"520.0,92.0\"/>"));
    CHECK(has("<a href=\"/?scan=7\"><circle cx=\"520.0\" cy=\"92.0\" r=\"4\" class=\"dot\">"
              "<title>scan 7, 2026-03-01 12:00 UTC: 2 findings, 2 high</title></circle></a>"));
    fresh();
    kit_chart_trend(&b, KIT_CHART_INLINE, t, id, sev, 1);
    CHECK(has("<polyline fill=\"none\" stroke=\"#e4572e\" stroke-width=\"2.5\" "
              "points=\"515.0,20.0\"/>\n"));
    CHECK(has("<text x=\"515.0\" y=\"278\" text-anchor=\"middle\">2026-03-01 #7</text>\n"));
    CHECK(has("<title>scan #7: 2 high</title>"));
    CHECK(has("text-anchor=\"end\">1</text>\n")); /* the exact maximum, 2: quarters rounded */
    /* one observation, still open: the strip spans one second */
    uint8_t s1[1] = {3};
    fresh();
    kit_chart_timeline(&b, KIT_CHART_CLASSES, t, s1, 1, 0);
    CHECK(has("<line x1=\"20\" x2=\"980.0\" y1=\"22\" y2=\"22\" class=\"span\"/>"
              "<circle cx=\"20.0\" cy=\"22\" r=\"6\" class=\"f3\"><title>2026-03-01 12:00 UTC: "
              "medium</title></circle>"));
    CHECK(!has("xmark"));
}

static void huge(void)
{
    const int64_t big[6] = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
    const int64_t rows[1][6] = {{INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX}};
    const char *l[1] = {"x"};
    for (int st = KIT_CHART_INLINE; st <= KIT_CHART_CLASSES; st++) {
        fresh();
        kit_chart_bars(&b, (enum kit_chart_style)st,
                       &(struct kit_bars){.n = 1, .labels = l, .by_sev = rows});
        /* the row's total is held at the largest count, not wrapped negative */
        CHECK(has(st ? ">9,223,372,036,854,775,807</text>" : ">9223372036854775807</text>"));
        CHECK(finite());
        fresh();
        kit_chart_sev_bar(&b, (enum kit_chart_style)st, big, "scan=1");
        CHECK(finite());
        time_t t[2] = {1, (time_t)1 << 40}; /* the year 36812 */
        int64_t ids[2] = {INT64_MAX, 1};
        fresh();
        kit_chart_trend(&b, (enum kit_chart_style)st, t, ids, rows, 1);
        CHECK(finite());
        CHECK(has(st ? "class=\"ax\">9223372037G</text>" : ">9223372036854775808</text>"));
        CHECK(has("<title>scan 9223372036854775807, 1970-01-01 00:00 UTC: ") ||
              has("<title>scan #9223372036854775807: "));
        fresh();
        kit_chart_volume(&b, (enum kit_chart_style)st,
                         &(struct kit_volume_row){"v", INT64_MAX, INT64_MAX}, 1);
        CHECK(has(">9,223,372,036,854,775,807 records</text>"));
        CHECK(finite());
        uint8_t sv[2] = {1, 2};
        fresh();
        kit_chart_timeline(&b, (enum kit_chart_style)st, t, sv, 2, 0);
        CHECK(finite());
        CHECK(has("<title>36812-"));
    }
    /* more rows than a chart draws: capped */
    static const char *many[KIT_CHART_MAX_ROWS + 50];
    static int64_t v[KIT_CHART_MAX_ROWS + 50];
    for (size_t i = 0; i < KIT_CHART_MAX_ROWS + 50; i++)
        many[i] = "r", v[i] = (int64_t)i;
    fresh();
    kit_chart_bars(&b, KIT_CHART_INLINE,
                   &(struct kit_bars){.n = KIT_CHART_MAX_ROWS + 50, .labels = many, .vals = v});
    size_t rects = 0;
    for (const char *p = out(); (p = strstr(p, "<rect")); p++)
        rects++;
    CHECK_INT(rects, KIT_CHART_MAX_ROWS);
}

static void legends_and_time(void)
{
    fresh();
    kit_chart_legend(&b, KIT_CHART_CLASSES, false);
    CHECK_STR(out(), "<div class=\"legend\"><span><i class=\"sw b5\"></i>critical</span>"
                     "<span><i class=\"sw b4\"></i>high</span><span><i class=\"sw b3\"></i>medium"
                     "</span><span><i class=\"sw b2\"></i>low</span><span><i class=\"sw b1\"></i>"
                     "info</span></div>");
    fresh();
    static const int inks[2] = {KIT_INK_RECORDS, KIT_INK_BYTES};
    static const char *const names[2] = {"records", "bytes"};
    kit_chart_legend_items(&b, KIT_CHART_INLINE, inks, names, 2, "(note)");
    CHECK_STR(out(), "<p class=\"legend\"><span><i style=\"background:#5b6cc4\"></i>records</span>"
                     "<span><i style=\"background:#9b59b6\"></i>bytes</span> (note)</p>\n");
    char s[32];
    kit_time(0, s, sizeof s);
    CHECK_STR(s, "-");
    kit_time(1772366400, s, sizeof s);
    CHECK_STR(s, "2026-03-01 12:00 UTC");
    /* a date past the year 9999 is not cut into pieces: the whole of it */
    kit_time((time_t)1 << 40, s, sizeof s);
    CHECK(strncmp(s, "36812-", 6) == 0 && !strstr(s, " UTC"));
    fmt_short(999, s, sizeof s);
    CHECK_STR(s, "999");
    fmt_short(1250, s, sizeof s);
    CHECK_STR(s, "1.2k");
    fmt_short(12345, s, sizeof s);
    CHECK_STR(s, "12k");
    fmt_short(7500000, s, sizeof s);
    CHECK_STR(s, "7.5M");
}

/* Every y, cy and x, cx attribute of every <svg> in the output lies inside its view box: a text
 * or mark outside it is clipped away in a browser (the dashboard's trend dates once sat at
 * y=222 in a 196-high box). The count of svgs seen goes to *nsvg. */
static bool inside_view(int *nsvg)
{
    const char *p = out();
    bool ok = true;
    *nsvg = 0;
    while ((p = strstr(p, "<svg ")) != NULL) {
        const char *vb = strstr(p, "viewBox=\"0 0 ");
        if (!vb) return false;
        char *e;
        double w = strtod(vb + 13, &e), h = strtod(e, &e);
        const char *end = strstr(p, "</svg>");
        if (!end) return false;
        (*nsvg)++;
        static const char *const attrs[] = {" y=\"", " cy=\"", " x=\"", " cx=\""};
        for (size_t a = 0; a < 4; a++)
            for (const char *q = p; (q = strstr(q, attrs[a])) != NULL && q < end; q++) {
                double v = strtod(q + strlen(attrs[a]), NULL), lim = a < 2 ? h : w;
                if (v < 0 || v > lim) {
                    fprintf(stderr, "%s%g outside 0..%g: %.80s\n", attrs[a], v, lim, q);
                    ok = false;
                }
            }
        p = end;
    }
    return ok;
}

static void in_view(void)
{
    for (int st = KIT_CHART_INLINE; st <= KIT_CHART_CLASSES; st++) {
        fresh();
        draw_all((enum kit_chart_style)st);
        /* a trend of 30 scans, a cluster list and bars of 40 rows */
        time_t t[30];
        int64_t ids[30], by_sev[30][6];
        for (int i = 0; i < 30; i++) {
            t[i] = 1772366400 + (time_t)i * 86400;
            ids[i] = i + 1;
            for (int k = 0; k < 6; k++)
                by_sev[i][k] = (int64_t)(i * 7 + k * 13) % 50;
        }
        kit_chart_trend(&b, (enum kit_chart_style)st, t, ids, (const int64_t(*)[6])by_sev, 30);
        const char *labels[40];
        int64_t sev[40][6];
        for (int i = 0; i < 40; i++) {
            labels[i] = "service";
            for (int k = 0; k < 6; k++)
                sev[i][k] = (int64_t)(i + k) * 1000;
        }
        kit_chart_bars(&b, (enum kit_chart_style)st,
                       &(struct kit_bars){.n = 40, .labels = labels, .by_sev = sev});
        int n = 0;
        CHECK_MSG(inside_view(&n), "style %d: a mark outside its view box", st);
        CHECK(n >= 8);
    }
    /* the check can fail */
    fresh();
    buf_appendf(&b, "<svg viewBox=\"0 0 1000 196\"><text x=\"60\" y=\"222\">d</text></svg>");
    int n = 0;
    CHECK(!inside_view(&n) && n == 1);
}

int main(void)
{
    nice_max();
    in_view();
    bars_inline();
    bars_classes();
    hostile();
    empty_and_one();
    huge();
    legends_and_time();
    buf_free(&b);
    return T_END();
}
