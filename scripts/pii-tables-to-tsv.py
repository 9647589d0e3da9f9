#!/usr/bin/env python3
# scripts/pii-tables-to-tsv.py -- one-time: write data/pii-terms.tsv from the word tables that
# src/assess/pii.c compiled in before issue 23, so nothing is lost in the move. It reads the C
# source (the tables and the comments between their rows) and prints the rows in the data file's
# format after the header below. Run from the top of the tree:
#   python3 scripts/pii-tables-to-tsv.py src/assess/pii.c > data/pii-terms.tsv
# tests/unit/test_pii_old_tables.c (temporary) compares the parsed file entry by entry with the
# C tables; both go once the tables are deleted.
import re
import sys

CATS = {  # pii.c's macros, in bit order
    "N": "name", "ID": "national-id", "PH": "phone", "AD": "address", "EM": "email",
    "BD": "birth-date", "PP": "passport", "BK": "bank-card", "VH": "vehicle",
    "CR": "criminal-record", "HL": "health", "LC": "location", "PS": "person",
}
ORDER = list(CATS.values())
FLAGS = {"NEED_PERSON": "need-person", "GENERIC": "generic", "INFRA_WORD": "infra"}

HEADER = """\
# data/pii-terms.tsv -- the personal-data dictionary: the words src/assess/pii.c matches index,
# collection, table and field names against (built into the binary: src/assess/pii_data.c;
# parsed once at first use by src/assess/pii_words.c).
#
# Source: the dictionary ajar compiled in since its first version (commit 79c3753), written from
# how real deployments name personal data: English snake_case and camelCase; Chinese in
# characters, full pinyin and pinyin initials; Spanish, Portuguese, French, German; Russian in
# Cyrillic and transliterated. Where each word was read was not recorded. The decisions on
# debatable words (phone_model, user_name, bare "id", health of a cluster, "status") are in
# docs/signals.md ("Personal-data dictionary"); tests/unit/pii_labels.tsv measures the result
# (test_pii prints precision and recall): a change here shows there what it gained and lost.
#
# Columns (tab-separated; a line starting with '#' is a comment, a blank line is skipped):
#   list        the list the row belongs to:
#     term            a phrase (words separated by one space) and the categories it means; the
#                     longest phrase at a word wins, the first in this file among equals; the
#                     last word may be plural (phones, addresses, companies)
#     person-word     a word before an English "name" (a term flagged need-person) that makes
#                     it a person's name: first_name, customer_name
#     cancel-before   a word right before a term that takes the categories given away from it:
#                     ip_address, file_location (a person name only from a term flagged generic)
#     cancel-after    a word anywhere after a term that takes the categories given away from
#                     it: phone_model, email_template, address_id
#     infra-word      a word before or after a term flagged infra that makes it a machine's:
#                     cluster_health, health_status
#     flag-word       a first word that makes the whole name a flag or a count: is_, has_, max_
#     stem            a stem found inside a longer glued word: customerfirstname,
#                     shenfenzhenghao, geburtsdatum
#     stem-veto       a prefix, inside the word, that cancels a stem flagged veto: ipaddress
#     cjk             a substring of a run of CJK characters: 家庭住址 contains 住址
#     cjk-not-street  a compound whose 地址 is not a street (e-mail, network, server ...),
#                     blanked out before the cjk substrings are searched
#   word        as the matcher sees a name's words: lower case (Latin-1 accents folded: strasse,
#               telefono; Cyrillic lower case), UTF-8, 1 to 63 bytes; spaces only in a term
#   categories  the categories, comma-separated: name, national-id, phone, address, email,
#               birth-date, passport, bank-card, vehicle, criminal-record, health, location,
#               person; "all" for every one, then "-x" to take x out ("all,-health"); "-" for
#               none (person-word, infra-word, flag-word, stem-veto, cjk-not-street carry none)
#   flags       "-" or comma-separated: need-person (term: counts only after a person-word),
#               generic (term: a bare name word, so cancel-before words take "name" from it),
#               infra (term: nothing next to an infra-word), veto (stem: nothing after a
#               stem-veto prefix)
#
# list	word	categories	flags
"""


def cats(expr):
    expr = expr.strip()
    if expr == "0":
        return "-"
    if expr == "ALL":
        return "all"
    m = re.fullmatch(r"ALL & ~(\w+)", expr)
    if m:
        return "all,-" + CATS[m.group(1)]
    names = [CATS[x.strip()] for x in expr.split("|")]
    return ",".join(sorted(names, key=ORDER.index))


def flags(expr):
    expr = expr.strip()
    if expr in ("0", "NULL"):
        return "-"
    if expr == "bad_addr":
        return "veto"
    return ",".join(FLAGS[x.strip()] for x in expr.split("|"))


# table name in pii.c -> list name in the data file
TABLES = [  # table name in pii.c, list name in the data file, the section's title
    ("terms", "term", "phrases and what they mean"),
    ("person_words", "person-word", "words before an English \"name\" that make it a person's name"),
    ("before_words", "cancel-before", "a word before the term that says it is not about a person"),
    ("after_words", "cancel-after", "a word after the term that says it is about something else"),
    ("infra_words", "infra-word", "words around \"health\" that make it a machine's health"),
    ("flag_words", "flag-word", "a first word that makes the whole name a flag or a count"),
    ("stems", "stem", "glued stems inside long words"),
    ("bad_addr", "stem-veto", "prefixes that make a glued address a machine's (ipaddress)"),
    ("cjk_terms", "cjk", "substrings of a run of CJK characters"),
    ("cjk_not_street", "cjk-not-street", "compounds whose 地址 is not a street"),
]


def table_body(src, name):
    m = re.search(r"static const [^=]*\b" + name + r"\[\] = \{(.*?)\n?\};", src, re.S)
    if not m:
        sys.exit("no table " + name)
    return m.group(1)


def rows(body, lst):
    out = []
    # comments and entries in source order
    tok = re.compile(r'/\*(.*?)\*/|\{"([^"]*)",\s*([^,}]+)(?:,\s*([^}]+))?\}|"([^"]*)"|NULL', re.S)
    last_end = None
    for m in tok.finditer(body):
        if m.group(1) is not None:
            line = "# " + " ".join(m.group(1).split())
            if last_end is not None and "\n" not in body[last_end : m.start()]:
                out.insert(len(out) - 1, line)  # a comment after a row is about that row
            else:
                out.append(line)
            continue
        last_end = m.end()
        if m.group(2) is not None:
            w, c, f = m.group(2), m.group(3), m.group(4) or "0"
            out.append("\t".join([lst, w, cats(c), flags(f)]))
        elif m.group(5) is not None:
            out.append("\t".join([lst, m.group(5), "-", "-"]))
    return out


def main():
    src = open(sys.argv[1], encoding="utf-8").read()
    sys.stdout.write(HEADER)
    for name, lst, title in TABLES:
        print()
        print("# ---- " + lst + ": " + title)
        for r in rows(table_body(src, name), lst):
            print(r)


main()
