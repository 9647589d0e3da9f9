#!/usr/bin/env python3
"""Validate OCSF events against the OCSF schema, offline.

usage: ocsf_schema.py SCHEMA_DIR CLASS (--validate FILE.jsonl | --dump | --files)

SCHEMA_DIR holds the OCSF schema as the OCSF project publishes it
(github.com/ocsf/ocsf-schema: dictionary.json, categories.json,
events/**.json, objects/*.json, profiles/*.json); tests/data/ocsf-1.8.0 is
the part of release 1.8.0 that the Vulnerability Finding class reaches. The
OCSF server exports the same schema as JSON Schema; no network here, so this
compiles it the way the server reads it:

  - a class is its `extends` chain (vulnerability_finding -> finding ->
    base_event), each level's attributes merged over the one below, and
    the attributes of its `$include`d profiles (marked with the profile);
  - an attribute is its dictionary entry (type, is_array, enum) with the
    class's or object's settings on top; enums merge;
  - types: string_t, integer_t, long_t, float_t, boolean_t, json_t and
    object, and the derived ones of dictionary.json's "types" with their
    regex, range and max_len; an object type is a $ref to that object,
    compiled the same way (its own `extends`, `$include` and `constraints`:
    at_least_one -> anyOf, just_one -> oneOf);
  - required: the attributes with requirement "required" that no profile
    brings (a profile's attributes are required only when the event lists
    the profile in metadata.profiles, which ajar's do not);
  - nothing beyond the schema's attributes (additionalProperties false);
    "unmapped" and the type "object" take anything;
  - class_uid = category uid * 1000 + class uid, category_uid, and
    type_uid = class_uid * 100 + activity_id, each checked; an observable's
    type_id is one the schema gives a type, attribute or object.

Then jsonschema (python3-jsonschema, Draft 7) validates every line of FILE.
--files prints the schema files the class reaches (what to vendor).
"""
import json, os, sys

import jsonschema

BASE = {"string_t": {"type": "string"}, "integer_t": {"type": "integer"},
        "long_t": {"type": "integer"}, "float_t": {"type": "number"},
        "boolean_t": {"type": "boolean"}, "json_t": {}, "object": {"type": "object"}}


class Schema:
    def __init__(self, root):
        self.root = root
        self.used = set()
        self.dictionary = self.load("dictionary.json")
        self.types = self.dictionary["types"]["attributes"]
        self.dict_attrs = self.dictionary["attributes"]
        self.categories = self.load("categories.json")["attributes"]
        self.objects = {}
        for f in sorted(os.listdir(os.path.join(root, "objects"))):
            d = json.load(open(os.path.join(root, "objects", f)))
            self.objects[d["name"]] = "objects/" + f
        self.events = {}
        for dirpath, _, files in os.walk(os.path.join(root, "events")):
            for f in files:
                rel = os.path.relpath(os.path.join(dirpath, f), root)
                self.events[json.load(open(os.path.join(root, rel)))["name"]] = rel
        self.defs = {}

    def load(self, rel):
        self.used.add(rel)
        return json.load(open(os.path.join(self.root, rel)))

    def merge_attr(self, below, above):
        out = dict(below)
        for k, v in above.items():
            if k == "enum" and isinstance(v, dict) and isinstance(out.get("enum"), dict):
                e = dict(out["enum"])
                e.update(v)
                out["enum"] = e
            else:
                out[k] = v
        return out

    def attributes(self, rel):
        """The merged attributes of a class or object file, and the file itself."""
        d = self.load(rel)
        attrs = {}
        parent = d.get("extends")
        if parent and parent != "object":
            prel = self.events.get(parent) if rel.startswith("events/") else self.objects.get(parent)
            if prel is None:
                sys.exit(f"{rel}: extends unknown {parent}")
            attrs, _ = self.attributes(prel)
        own = dict(d.get("attributes", {}))
        for inc in own.pop("$include", []):
            p = self.load(inc)
            for k, v in p.get("attributes", {}).items():
                v = dict(v)
                if p.get("meta") == "profile" and "profile" not in v:
                    v["profile"] = p["name"]
                attrs[k] = self.merge_attr(attrs.get(k, {}), v)
        for k, v in own.items():
            attrs[k] = self.merge_attr(attrs.get(k, {}), v)
        return attrs, d

    def type_schema(self, t):
        if t in BASE:
            return dict(BASE[t])
        if t in self.types:
            spec = self.types[t]
            s = self.type_schema(spec.get("type", "string_t"))
            if "regex" in spec:
                s["pattern"] = spec["regex"]
            if "max_len" in spec:
                s["maxLength"] = spec["max_len"]
            if "range" in spec:
                s["minimum"], s["maximum"] = spec["range"]
            if "values" in spec and s.get("type") != "boolean":
                s["enum"] = spec["values"]
            return s
        if t in self.objects:
            self.object_def(t)
            return {"$ref": f"#/definitions/{t}"}
        sys.exit(f"unknown type {t}")

    def attr_schema(self, name, a):
        d = self.merge_attr(self.dict_attrs.get(name, {}), a)
        if "type" not in d:
            sys.exit(f"attribute {name} has no type")
        s = self.type_schema(d["type"])
        if isinstance(d.get("enum"), dict) and d["type"] != "object":
            keys = list(d["enum"].keys())
            s["enum"] = [int(k) for k in keys] if s.get("type") == "integer" else keys
        if d.get("is_array"):
            s = {"type": "array", "items": s}
        return s

    def properties(self, attrs):
        props, req = {}, []
        for name, a in attrs.items():
            props[name] = self.attr_schema(name, a)
            if a.get("requirement") == "required" and not a.get("profile"):
                req.append(name)
        return props, sorted(req)

    def constrained(self, s, d):
        c = d.get("constraints", {})
        if "at_least_one" in c:
            s["anyOf"] = [{"required": [k]} for k in c["at_least_one"]]
        if "just_one" in c:
            s["oneOf"] = [{"required": [k]} for k in c["just_one"]]
        return s

    def object_def(self, name):
        if name in self.defs:
            return
        self.defs[name] = None  # placeholder: recursion through object types
        attrs, d = self.attributes(self.objects[name])
        # constraints may come from the extended object (e.g. _entity's at_least_one)
        chain, cur = [d], d
        while cur.get("extends") and cur["extends"] != "object":
            cur = json.load(open(os.path.join(self.root, self.objects[cur["extends"]])))
            chain.append(cur)
        props, req = self.properties(attrs)
        if name == "observable":  # its type_id is every type, attribute and object marked
            props["type_id"]["enum"] = sorted(set(props["type_id"].get("enum", [])) |
                                              self.observable_ids())
        s = {"type": "object", "properties": props, "required": req, "additionalProperties": False}
        for x in reversed(chain):
            self.constrained(s, x)
        self.defs[name] = s

    def observable_ids(self):
        ids = {t["observable"] for t in self.types.values() if "observable" in t}
        ids |= {a["observable"] for a in self.dict_attrs.values() if "observable" in a}
        for rel in self.objects.values():
            d = json.load(open(os.path.join(self.root, rel)))
            if "observable" in d:
                ids.add(d["observable"])
        return ids

    def class_schema(self, name):
        attrs, d = self.attributes(self.events[name])
        cat = None
        chain, cur = [d], d
        while cur.get("category") is None and cur.get("extends"):
            cur = json.load(open(os.path.join(self.root, self.events[cur["extends"]])))
        cat = self.categories[cur["category"]]["uid"]
        class_uid = cat * 1000 + d["uid"]
        props, req = self.properties(attrs)
        props["class_uid"] = {"const": class_uid}
        props["category_uid"] = {"const": cat}
        acts = props["activity_id"].get("enum", [])
        props["type_uid"] = {"enum": [class_uid * 100 + a for a in acts]}
        s = {"$schema": "http://json-schema.org/draft-07/schema#",
             "title": d.get("caption", name), "type": "object", "properties": props,
             "required": req, "additionalProperties": False}
        self.constrained(s, d)
        s["definitions"] = self.defs
        return s


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    sch = Schema(sys.argv[1])
    js = sch.class_schema(sys.argv[2])
    if sys.argv[3] == "--dump":
        print(json.dumps(js, indent=1))
        return
    if sys.argv[3] == "--files":
        print("\n".join(sorted(sch.used)))
        return
    v = jsonschema.Draft7Validator(js)
    bad = n = 0
    for line in open(sys.argv[4]):
        if not line.strip():
            continue
        n += 1
        ev = json.loads(line)
        for e in sorted(v.iter_errors(ev), key=lambda e: list(e.path)):
            bad += 1
            if bad <= 20:
                print(f"event {n}: {'/'.join(map(str, e.path)) or '(top)'}: {e.message[:300]}")
    print(f"{n} events, {bad} schema errors")
    sys.exit(1 if bad or not n else 0)


main()
