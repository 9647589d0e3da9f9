#!/usr/bin/env python3
"""A stand-in for the receivers of ajar's alerts, on loopback, for the tests.

usage: alert_receiver.py --log FILE ADDR:PORT

The first segment of the request path says which receiver it plays
(/json, /slack, /mattermost, /teams, /pagerduty; more segments are allowed,
as real webhook URLs carry tokens there). Each POST is checked against what
that receiver documents as required, and answered as it would be:

  json        {"event": new|worsened|found, "severity", "finding": {ip, port,
              service, ...}} or {"event": "scan-end", "scan", "coverage"}
  slack       "text" or "blocks"; each block a known type; a section's text
              at most 3000 characters, at most 10 fields of at most 2000;
              at most 50 blocks; mrkdwn with no '<' or '>' but a link
              <http...|label> and no '&' but an entity (Slack's escaping)
  mattermost  "text" or "attachments"; each attachment an object, its fields
              {"title": str, "value": str, "short": bool}; text at most 16383
  teams       {"type": "message", "attachments": [{"contentType":
              "application/vnd.microsoft.card.adaptive", "content": {"type":
              "AdaptiveCard", "version", "body": [elements with a "type"]}}]}
  pagerduty   Events API v2: routing_key, event_action (trigger, acknowledge,
              resolve), dedup_key <= 255; a trigger's payload.summary (<= 1024),
              payload.source, payload.severity (critical|error|warning|info);
              answers 202 {"status": "success", "dedup_key": ...}

A body that fails is answered 400 with the reasons, as the services do.
Content-Type must be application/json. Every request is logged as one JSON
line: {"t", "path", "format", "ok", "errors", "body"}. A file FILE.mode, if
present, overrides the answer: "500" (a failing receiver) or "hang".
Listens on a loopback address only. Writes "ready" once listening.
"""
import http.server, ipaddress, json, os, re, sys, threading, time

LOG = sys.argv[sys.argv.index("--log") + 1]
host, port = sys.argv[-1].rsplit(":", 1)
if not ipaddress.ip_address(host).is_loopback:
    sys.exit(f"alert_receiver.py: {host} is not a loopback address")
lock = threading.Lock()

SLACK_BLOCKS = {"section", "context", "actions", "divider", "header", "image", "rich_text"}
PD_SEV = {"critical", "error", "warning", "info"}
SLACK_LINK = re.compile(r"<https?://[^|<> ]+\|[^<>]*>")
SLACK_ENTITY = re.compile(r"&(amp|lt|gt);")


def slack_mrkdwn(text, errs, where):
    t = SLACK_LINK.sub("", text)
    if "<" in t or ">" in t:
        errs.append(f"{where}: an unescaped < or > in mrkdwn")
    if "&" in SLACK_ENTITY.sub("", t):
        errs.append(f"{where}: an unescaped & in mrkdwn")


def check_slack(b, errs):
    if not (isinstance(b.get("text"), str) and b["text"]) and not b.get("blocks"):
        errs.append("no_text: neither text nor blocks")
    if isinstance(b.get("text"), str):
        slack_mrkdwn(b["text"], errs, "text")
    blocks = b.get("blocks", [])
    if not isinstance(blocks, list) or len(blocks) > 50:
        errs.append("invalid_blocks: blocks is not a list of at most 50")
        return
    for i, bl in enumerate(blocks):
        if not isinstance(bl, dict) or bl.get("type") not in SLACK_BLOCKS:
            errs.append(f"invalid_blocks: block {i} has no known type")
            continue
        if bl["type"] == "section":
            if "text" not in bl and "fields" not in bl:
                errs.append(f"invalid_blocks: section {i} without text or fields")
            objs = ([bl["text"]] if "text" in bl else [])
            if "text" in bl and len(bl["text"].get("text", "")) > 3000:
                errs.append(f"invalid_blocks: section {i} text over 3000")
            fields = bl.get("fields", [])
            if len(fields) > 10 or any(len(f.get("text", "")) > 2000 for f in fields):
                errs.append(f"invalid_blocks: section {i} fields over the limits")
            objs += fields
        elif bl["type"] == "context":
            objs = bl.get("elements", [])
            if not objs or len(objs) > 10:
                errs.append(f"invalid_blocks: context {i} needs 1 to 10 elements")
        else:
            objs = []
        for o in objs:
            if not isinstance(o, dict) or o.get("type") not in ("mrkdwn", "plain_text") \
                    or not isinstance(o.get("text"), str) or not o["text"]:
                errs.append(f"invalid_blocks: block {i} has a bad text object")
            elif o["type"] == "mrkdwn":
                slack_mrkdwn(o["text"], errs, f"block {i}")


def check_mattermost(b, errs):
    if not (isinstance(b.get("text"), str) and b["text"]) and not b.get("attachments"):
        errs.append("neither text nor attachments")
    if len(b.get("text", "")) > 16383:
        errs.append("text over 16383 characters")
    atts = b.get("attachments", [])
    if not isinstance(atts, list):
        errs.append("attachments is not a list")
        return
    for a in atts:
        if not isinstance(a, dict):
            errs.append("an attachment is not an object")
            continue
        for f in a.get("fields", []):
            if not isinstance(f.get("title"), str) or not isinstance(f.get("value"), str) \
                    or not isinstance(f.get("short", False), bool):
                errs.append("a field is not {title, value, short}")


def check_teams(b, errs):
    if b.get("type") != "message":
        errs.append('type is not "message"')
    atts = b.get("attachments")
    if not isinstance(atts, list) or not atts:
        errs.append("no attachments")
        return
    for a in atts:
        if a.get("contentType") != "application/vnd.microsoft.card.adaptive":
            errs.append("an attachment is not an Adaptive Card")
            continue
        c = a.get("content", {})
        if c.get("type") != "AdaptiveCard" or not isinstance(c.get("version"), str):
            errs.append("content is not an AdaptiveCard with a version")
        body = c.get("body")
        if not isinstance(body, list) or not body or \
                any(not isinstance(e, dict) or not isinstance(e.get("type"), str) for e in body):
            errs.append("body is not a list of typed elements")
        for act in c.get("actions", []):
            if act.get("type") == "Action.OpenUrl" and not str(act.get("url", "")).startswith("http"):
                errs.append("an Action.OpenUrl without a URL")


def check_pagerduty(b, errs):
    if not isinstance(b.get("routing_key"), str) or not b["routing_key"]:
        errs.append("routing_key is required")
    act = b.get("event_action")
    if act not in ("trigger", "acknowledge", "resolve"):
        errs.append("event_action must be trigger, acknowledge or resolve")
    dk = b.get("dedup_key")
    if dk is not None and (not isinstance(dk, str) or len(dk) > 255):
        errs.append("dedup_key must be a string of at most 255 characters")
    if act == "trigger":
        p = b.get("payload")
        if not isinstance(p, dict):
            errs.append("payload is required")
            return
        s = p.get("summary")
        if not isinstance(s, str) or not s or len(s) > 1024:
            errs.append("payload.summary is required (at most 1024 characters)")
        if not isinstance(p.get("source"), str) or not p["source"]:
            errs.append("payload.source is required")
        if p.get("severity") not in PD_SEV:
            errs.append("payload.severity must be critical, error, warning or info")


def check_json(b, errs):
    ev = b.get("event")
    if ev == "scan-end":
        if not isinstance(b.get("scan"), int) or not isinstance(b.get("coverage"), dict):
            errs.append("scan-end without scan and coverage")
        return
    if ev not in ("new", "worsened", "found"):
        errs.append("event is not new, worsened, found or scan-end")
    f = b.get("finding")
    if not isinstance(f, dict) or not isinstance(f.get("ip"), str) or not isinstance(f.get("port"), int):
        errs.append("finding without ip and port")
    if b.get("severity") != (f or {}).get("severity"):
        errs.append("severity is not the finding's")


CHECKS = {"json": check_json, "slack": check_slack, "mattermost": check_mattermost,
          "teams": check_teams, "pagerduty": check_pagerduty}


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, code, body=b""):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        fmt = self.path.strip("/").split("/")[0]
        errs, body = [], None
        if fmt not in CHECKS:
            errs.append(f"no receiver at {self.path}")
        if self.headers.get("Content-Type") != "application/json":
            errs.append("Content-Type is not application/json")
        try:
            body = json.loads(raw)
            if not isinstance(body, dict):
                errs.append("the body is not a JSON object")
        except ValueError as e:
            errs.append(f"not JSON: {e}")
        if not errs:
            CHECKS[fmt](body, errs)
        mode = open(LOG + ".mode").read().strip() if os.path.exists(LOG + ".mode") else ""
        with lock, open(LOG, "a") as f:
            f.write(json.dumps({"t": time.time(), "path": self.path, "format": fmt,
                                "ok": not errs, "errors": errs, "mode": mode, "body": body}) + "\n")
        if mode == "hang":
            time.sleep(60)
            return
        if mode == "500":
            return self.answer(500)
        if errs:
            if fmt == "pagerduty":
                return self.answer(400, json.dumps({"status": "invalid event", "message": "Event object is invalid", "errors": errs}).encode())
            return self.answer(400, json.dumps({"errors": errs}).encode())
        if fmt == "pagerduty":
            return self.answer(202, json.dumps({"status": "success", "message": "Event processed",
                                                "dedup_key": body.get("dedup_key")}).encode())
        self.answer(200, b"ok" if fmt in ("slack", "mattermost") else b"")


class S(http.server.ThreadingHTTPServer):
    daemon_threads = True


srv = S((host, int(port)), H)
print("ready", flush=True)
srv.serve_forever()
