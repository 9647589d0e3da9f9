#!/usr/bin/env bash
# Integration: alerts where teams read them (issue 24). On 127.0.213.0/24 only:
#  - tests/tools/fake_couchdb.py (127.0.213.10): admin party, hostile vendor and database
#    names ("<!channel>", "@all", "[x](http://evil)", "![i](...)"); tests/tools/fake_redis.py
#    (127.0.213.11): a password required or not; and tests/tools/alert_receiver.py
#    (127.0.213.200) playing json, Slack, Mattermost, Teams and PagerDuty: each POST is
#    checked against the fields that receiver requires and a malformed one gets a 400
#  - per format: one alert per new finding, accepted by its receiver, the hostile strings
#    escaped as the format needs, the dashboard link to /finding?scan=&ip=&port=&service=;
#    chat formats hear of the scan's end when it alerted, PagerDuty never
#  - PagerDuty: the routing key from the environment or --pagerduty-key, never in the store
#    or the output; a worsened service is a second trigger with the same dedup_key
#  - a body the receiver refuses (400) is not sent again; a 500 is
#  - --alert-min filters, --alert-level is its old name
#  - mail: a fake sendmail (AJAR_SENDMAIL) records its arguments and the message: one
#    message per scan with new or worsened findings, none for an unchanged rescan, headers
#    ajar's own, a failing or hanging sendmail reported and bounded by --mail-wait
#  - usage errors exit 2 before anything is sent
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

N=127.0.213
RP=18213
cat >"$T_TMP/sendmail" <<'SH'
#!/bin/sh
# a fake sendmail: its arguments, then the message it was given, one file per call
d=$(dirname "$0")/mails; mkdir -p "$d"
n=$(ls "$d" | wc -l); f="$d/$(printf %03d "$n")"
printf '%s\n' "$*" >"$f.args"
cat >"$f.msg"
case "$(cat "$(dirname "$0")/sendmail.mode" 2>/dev/null)" in
  fail) exit 75 ;;
  hang) sleep 30 ;;
esac
exit 0
SH
chmod 755 "$T_TMP/sendmail"
wait_ready() { for _ in $(seq 100); do grep -q ready "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
echo open >"$T_TMP/redis.mode"
bg python3 tests/tools/fake_couchdb.py $N.10:5984 >"$T_TMP/couch.ready" 2>&1
bg python3 tests/tools/fake_redis.py "$T_TMP/redis.mode" $N.11:6379 >"$T_TMP/redis.ready" 2>&1
bg python3 tests/tools/alert_receiver.py --log "$T_TMP/recv" $N.200:$RP >"$T_TMP/recv.ready" 2>&1
wait_ready "$T_TMP/couch.ready" && wait_ready "$T_TMP/redis.ready" && wait_ready "$T_TMP/recv.ready" ||
    { bad "helpers did not start"; cat "$T_TMP"/*.ready; t_end; exit 1; }
R=http://$N.200:$RP
DASH=https://$N.250:8443/ajar
KEY=R0UT1NGKEY0123456789abcdefABCDEF
# jq -e, and an empty input is a failure (jq -e alone passes it)
jqe() { local out; out=$(jq -e "$@") && [ -n "$out" ]; }
nogrep() { ! grep -q "$@"; }
# the receiver's log lines for one path prefix ("slack", ...), accepted or not; from the log
# kept after the run of one format (kept FORMAT)
got() { [ -f "$T_TMP/recv" ] && jq -c --arg p "/$1" 'select(.path|startswith($p))' "$T_TMP/recv" || true; }
kept() { jq -c . "$T_TMP/recv.$1"; }
count() { got "$1" | grep -c . || true; }
settle() { sleep "${1:-0.3}"; }
scan() { "$AJAR" scan -q -p 5984,6379 --rate 0 "$@"; }
scanw() { "$AJAR" scan -p 5984,6379 --rate 0 "$@"; } # warnings shown

# 0. the receiver itself refuses what its service would: an empty object, a wrong type
: >"$T_TMP/recv"
for f in json slack mattermost teams pagerduty; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{}' "$R/$f")
    check_eq "receiver $f: an empty body is refused" "$code" 400
done
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"high"}}' "$R/pagerduty")
check_eq "receiver pagerduty: severity high is not one of its four" "$code" 400
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"text":"<!channel> & co"}' "$R/slack")
check_eq "receiver slack: unescaped mrkdwn is refused" "$code" 400
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.4","body":[{"type":"TextBlock","text":"hi"}]}}]}' "$R/teams")
check_eq "receiver teams: a well-formed card is taken" "$code" 200

# 1. every format: one scan of the hostile CouchDB and the open Redis (both high), a fresh store
for f in json slack mattermost teams pagerduty; do
    : >"$T_TMP/recv"
    extra=()
    [ $f = pagerduty ] && extra=(--pagerduty-key "$KEY")
    scan $N.10-11 --db "$T_TMP/$f.db" --webhook "$R/$f/T0/B0/SECRETPATH" --webhook-format $f \
        "${extra[@]}" --dashboard-url "$DASH" -o "$T_TMP/$f.jsonl" 2>"$T_TMP/$f.err"
    check_eq "$f: exit status" "$?" 0
    settle
    check_eq "$f: every post accepted by the receiver" "$(got $f | jq -s 'map(select(.ok|not)) | length')" 0
    if [ $f = json ]; then
        check_eq "$f: two alerts and the scan's end" "$(got $f | jq -r '.body.event' | sort | tr '\n' ' ')" "new new scan-end "
    elif [ $f = pagerduty ]; then
        check_eq "$f: two triggers, nothing at the scan's end" "$(count $f)" 2
    else
        check_eq "$f: two alerts and the scan's end (it alerted)" "$(count $f)" 3
    fi
    check "$f: the links name the scan, address, port and service" jqe -s --arg d "$DASH" \
        '[.[] | tostring | test("/ajar/finding\\?scan=[0-9]+&ip=127\\.0\\.213\\.10&port=5984&service=couchdb")] | any' \
        <(got $f)
    check "$f: no secret path in what ajar printed" bash -c "! grep -q SECRETPATH '$T_TMP/$f.err'"
    cp "$T_TMP/recv" "$T_TMP/recv.$f"
done
check "json: the record is the scan's record" jqe -s \
    'map(select(.body.event=="new")) | map(.body.finding.data.names | length) | max == 6' <(kept json)
check "json: the url of each alert" jqe -s \
    'map(select(.body.event=="new")) | length == 2 and all(.body.url | test("^https://127\\.0\\.213\\.250:8443/ajar/finding\\?scan="))' <(kept json)
# Slack: hostile text as escaped inline code; unfurling off
S=$(kept slack | jq -c 'select(.body.blocks and (.body.text|test("couchdb")))')
check "slack: the CouchDB alert" test -n "$S"
check "slack: &lt;!channel&gt; shown" grep -q '&lt;!channel&gt; ping' <<<"$S"
check "slack: never <!channel>" nogrep '<!channel>' <<<"$S"
check "slack: the link as <url|label>" grep -q '<https://127.0.213.250:8443/ajar/finding?scan=' <<<"$S"
check "slack: unfurl_links false" jqe '.body.unfurl_links == false' <<<"$S"
check "slack: the scan's end says it alerted" jqe -s 'map(select(.body.blocks|not)) | .[0].body.text | test("scan #[0-9]+: complete.*2 alert")' <(kept slack)
# Mattermost: every '@' inside code, followed by a zero-width space
M=$(kept mattermost | jq -c 'select(.body.attachments and (.body.text|test("couchdb")))')
check "mattermost: the CouchDB alert" test -n "$M"
check "mattermost: no live @all, @channel or @here" nogrep -E '@(all|channel|here)' <<<"$M"
check "mattermost: the names shown, in code" grep -q '`\[x\](http://evil.example)`' <<<"$M"
check "mattermost: a field per fact, a title_link" jqe '(.body.attachments[0].fields|length)==4 and (.body.attachments[0].title_link|test("/finding\\?scan="))' <<<"$M"
# Teams: hostile text only in TextRuns
T=$(kept teams | jq -c 'select(.body.attachments[0].content.actions and (tostring|test("couchdb")))')
check "teams: the CouchDB alert" test -n "$T"
check "teams: TextBlocks are ajar's words; the names are in a TextRun" jqe \
    '[.body.attachments[0].content.body[] | select(.type=="TextBlock") | .text | test("[<@\\[]")] | any | not' <<<"$T"
check "teams: the names verbatim, as text" jqe \
    '[.body.attachments[0].content.body[] | select(.type=="RichTextBlock") | .inlines[].text] | any(test("<!channel> ping"))' <<<"$T"
check "teams: Action.OpenUrl to the finding" jqe '.body.attachments[0].content.actions[0].url | test("/finding\\?scan=")' <<<"$T"
# PagerDuty
P=$(kept pagerduty | jq -c 'select(.body.payload.component=="couchdb")')
check "pagerduty: the CouchDB alert" test -n "$P"
check "pagerduty: routing_key, trigger, severity error (high), dedup_key per service" jqe --arg k "$KEY" \
    '.body.routing_key==$k and .body.event_action=="trigger" and .body.payload.severity=="error" and .body.dedup_key=="ajar/tcp/127.0.213.10:5984/couchdb"' <<<"$P"
check "pagerduty: the names in custom_details, verbatim" jqe '.body.payload.custom_details.names | index("<!channel> ping") != null' <<<"$P"

# 2. the routing key: never in the store, the output or the messages
check "pagerduty: the key is not in the store" bash -c "! sqlite3 '$T_TMP/pagerduty.db' .dump | grep -q '$KEY'"
check "pagerduty: the store holds the arguments, the key's place redacted" bash -c "sqlite3 '$T_TMP/pagerduty.db' .dump | grep -q 'pagerduty-key\",\"<redacted>'"
check "pagerduty: nor in what was printed" bash -c "! grep -q '$KEY' '$T_TMP/pagerduty.jsonl' '$T_TMP/pagerduty.err'"
: >"$T_TMP/recv"
AJAR_PAGERDUTY_KEY=ENVKEY0123 scan $N.10 --db "$T_TMP/pdenv.db" --webhook "$R/pagerduty" \
    --webhook-format pagerduty --pagerd=ARGKEY0123 -v >/dev/null 2>"$T_TMP/pdenv.err"
settle
check_eq "pagerduty: --pagerduty-key (a prefix, = form) wins over the environment" "$(got pagerduty | jq -r .body.routing_key)" ARGKEY0123
check "pagerduty: the prefixed key is not in the store or the log" bash -c \
    "! sqlite3 '$T_TMP/pdenv.db' .dump | grep -q ARGKEY0123 && ! grep -q ARGKEY0123 '$T_TMP/pdenv.err'"
: >"$T_TMP/recv"
AJAR_PAGERDUTY_KEY=ENVKEY0123 scan $N.10 --no-db --webhook "$R/pagerduty" --webhook-format pagerduty >/dev/null
settle
check_eq "pagerduty: the key from AJAR_PAGERDUTY_KEY" "$(got pagerduty | jq -r .body.routing_key)" ENVKEY0123
check_eq "pagerduty: --no-db: class found" "$(got pagerduty | jq -r .body.payload.class)" found

# the key in a configuration file: refused in a file every user can read, used from a 0600 one
printf 'webhook-format = pagerduty\npagerduty-key = CONFKEY0123\nwebhook = %s/pagerduty\n' "$R" >"$T_TMP/pd.conf"
chmod 0644 "$T_TMP/pd.conf"
env -u AJAR_PAGERDUTY_KEY "$AJAR" scan -q --config "$T_TMP/pd.conf" --no-db -p 5984 $N.10 >/dev/null 2>"$T_TMP/conf.err"
check_eq "config: the routing key in a 0644 file is refused (exit 2)" "$?" 2
check "config: ... without quoting it" nogrep CONFKEY0123 "$T_TMP/conf.err"
chmod 0600 "$T_TMP/pd.conf"
: >"$T_TMP/recv"
env -u AJAR_PAGERDUTY_KEY "$AJAR" scan -q --config "$T_TMP/pd.conf" --db "$T_TMP/pdconf.db" -p 5984 --rate 0 $N.10 >/dev/null 2>"$T_TMP/conf.err"
settle
check_eq "config: the key from a 0600 file" "$(got pagerduty | jq -r .body.routing_key)" CONFKEY0123
check "config: the key is not in the store" bash -c "! sqlite3 '$T_TMP/pdconf.db' .dump | grep -q CONFKEY0123"
check "config show: the key redacted" bash -c "'$AJAR' config show --config '$T_TMP/pd.conf' | grep -q '^pagerduty-key *<redacted>'"

# 3. PagerDuty: a service that worsens is a second trigger on the same dedup_key
echo auth >"$T_TMP/redis.mode"
: >"$T_TMP/recv"
scan $N.11 --db "$T_TMP/pdw.db" --webhook "$R/pagerduty" --webhook-format pagerduty \
    --pagerduty-key "$KEY" --alert-min info >/dev/null
echo open >"$T_TMP/redis.mode"
scan $N.11 --db "$T_TMP/pdw.db" --webhook "$R/pagerduty" --webhook-format pagerduty \
    --pagerduty-key "$KEY" --alert-min info >/dev/null
settle
check_eq "pagerduty: new, then worsened" "$(got pagerduty | jq -r .body.payload.class | tr '\n' ' ')" "new worsened "
check_eq "pagerduty: one dedup_key for both" "$(got pagerduty | jq -r .body.dedup_key | sort -u)" "ajar/tcp/127.0.213.11:6379/redis"
check "pagerduty: the previous severity in custom_details" jqe -s \
    '.[1].body.payload.custom_details.previous_severity != .[1].body.payload.custom_details.severity' <(got pagerduty)
: >"$T_TMP/recv"
scan $N.11 --db "$T_TMP/pdw.db" --webhook "$R/pagerduty" --webhook-format pagerduty \
    --pagerduty-key "$KEY" --alert-min info >/dev/null
settle
check_eq "pagerduty: unchanged rescan: nothing" "$(count pagerduty)" 0

# 4. a 400 is final (one attempt), a 500 is tried three times
: >"$T_TMP/recv"
scanw $N.11 --no-db --webhook "$R/pagerduty" --webhook-format slack --webhook-wait 10 \
    >/dev/null 2>"$T_TMP/e400"
check_eq "400: one attempt" "$(count pagerduty)" 1
check "400: counted as failed" grep -q "1 failed" "$T_TMP/e400"
echo 500 >"$T_TMP/recv.mode"
: >"$T_TMP/recv"
scan $N.11 --no-db --webhook "$R/slack" --webhook-format slack --webhook-wait 10 >/dev/null 2>&1
rm -f "$T_TMP/recv.mode"
check_eq "500: three attempts" "$(count slack)" 3

# 5. --alert-min, and --alert-level its old name
: >"$T_TMP/recv"
scan $N.10-11 --no-db --webhook "$R/json" --alert-min critical >/dev/null
scan $N.10-11 --no-db --webhook "$R/json" --alert-level critical >/dev/null
settle
check_eq "--alert-min critical: nothing at high" "$(count json)" 0
scan $N.10-11 --no-db --webhook "$R/json" --alert-level high >/dev/null
settle
check_eq "--alert-level high: both" "$(count json)" 2

# 6. mail through a fake sendmail
export AJAR_SENDMAIL=$T_TMP/sendmail
MB=$T_TMP/mails
scan $N.10-11 --db "$T_TMP/mail.db" --mail-to soc@example.org --mail-to ops@example.org \
    --mail-from ajar@example.org --dashboard-url "$DASH" >/dev/null 2>"$T_TMP/mail.err"
check_eq "mail: exit status" "$?" 0
check_eq "mail: one message" "$(ls "$MB" 2>/dev/null | grep -c '\.msg$')" 1
check_eq "mail: sendmail -t -oi, no address on its command line" "$(cat "$MB/000.args")" "-t -oi"
hdr=$(sed '/^$/q' "$MB/000.msg")
check "mail: To: both addresses" grep -q "^To: soc@example.org,$" <<<"$hdr"
check "mail: From:" grep -q "^From: ajar@example.org$" <<<"$hdr"
check "mail: Subject counts the new findings and names the scan" grep -Eq "^Subject: ajar: 2 new findings in scan #[0-9]+$" <<<"$hdr"
check "mail: only ajar's headers" nogrep -Ev '^(From|To|Subject|Date|MIME-Version|Content-Type|Content-Transfer-Encoding|Auto-Submitted|X-Mailer): | ops@example.org$|^$' <<<"$hdr"
check "mail: the hostile names in the body, as text" grep -q "<!channel> ping, @all, \[x\](http://evil.example)" "$MB/000.msg"
check "mail: the link to the finding" grep -q "Dashboard: https://127.0.213.250:8443/ajar/finding?scan=" "$MB/000.msg"
check "mail: the coverage line" grep -Eq "^scan #[0-9]+: complete$" "$MB/000.msg"
scan $N.10-11 --db "$T_TMP/mail.db" --mail-to soc@example.org >/dev/null
check_eq "mail: nothing new, no message" "$(ls "$MB" | grep -c '\.msg$')" 1
echo fail >"$T_TMP/sendmail.mode"
scanw $N.10-11 --db "$T_TMP/mail2.db" --mail-to soc@example.org >/dev/null 2>"$T_TMP/mfail.err"
check_eq "mail: a failing sendmail does not fail the scan" "$?" 0
check "mail: ... and says so" grep -q "mail: not sent: sendmail exited with status 75" "$T_TMP/mfail.err"
echo hang >"$T_TMP/sendmail.mode"
t0=$(date +%s%N)
scanw $N.10-11 --db "$T_TMP/mail3.db" --mail-to soc@example.org --mail-wait 1 >/dev/null 2>"$T_TMP/mhang.err"
ms=$((($(date +%s%N) - t0) / 1000000))
check "mail: a hanging sendmail is killed after --mail-wait 1 (${ms} ms)" test "$ms" -lt 5000
check "mail: ... and said so" grep -q "did not finish in time" "$T_TMP/mhang.err"
rm -f "$T_TMP/sendmail.mode"
AJAR_SENDMAIL=$T_TMP/nosuch scanw $N.10 --no-db --mail-to soc@example.org >/dev/null 2>"$T_TMP/mnone.err"
check "mail: no sendmail: said so" grep -q "cannot run" "$T_TMP/mnone.err"
unset AJAR_SENDMAIL

# 7. usage errors: exit 2, one line, nothing sent
: >"$T_TMP/recv"
while IFS= read -r args; do
    # shellcheck disable=SC2086
    env -u AJAR_PAGERDUTY_KEY "$AJAR" scan -q --no-db -p 5984 $args $N.10 >/dev/null 2>"$T_TMP/uerr"
    check_eq "usage: $args exits 2" "$?" 2
    check_eq "usage: $args says one line" "$(wc -l <"$T_TMP/uerr")" 1
done <<EOF
--webhook-format slack
--webhook-format teams --alert-min bogus --webhook $R/teams
--webhook-format pagerduty
--pagerduty-key K --webhook $R/json
--webhook $R/json --webhook-format msteams
--mail-to not-an-address
--mail-from a@b.c
--dashboard-url ftp://x
--dashboard-url https://u:p@h/
EOF
check_eq "usage errors sent nothing" "$(count '')" 0
t_end
