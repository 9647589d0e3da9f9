-- bench/serve.lua -- wrk script for bench/serve.sh: rotate over the URLs in
-- $AJAR_URLS (separated by '|'), send the session cookie $AJAR_COOKIE (name=value),
-- count answers that are not 200, and print the latency percentiles.
local urls = {}
for u in string.gmatch(os.getenv("AJAR_URLS") or "/", "[^|]+") do
    table.insert(urls, u)
end
wrk.headers["Cookie"] = os.getenv("AJAR_COOKIE") or ""

local threads = {}
function setup(thread)
    thread:set("id", #threads)
    table.insert(threads, thread)
end

local i = 0
function init(args)
    not200 = 0
    i = id or 0
end

function request()
    i = i % #urls + 1
    return wrk.format("GET", urls[i])
end

function response(status, headers, body)
    if status ~= 200 then
        not200 = not200 + 1
    end
end

function done(summary, latency, requests)
    local bad = 0
    for _, t in ipairs(threads) do
        bad = bad + t:get("not200")
    end
    local e = summary.errors
    io.write(string.format(
        "RESULT p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f requests=%d rps=%.0f not200=%d errors=%d\n",
        latency:percentile(50) / 1000, latency:percentile(95) / 1000,
        latency:percentile(99) / 1000, latency.max / 1000, summary.requests,
        summary.requests / (summary.duration / 1e6), bad,
        e.connect + e.read + e.write + e.timeout + e.status))
end
