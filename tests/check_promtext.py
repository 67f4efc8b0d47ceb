#!/usr/bin/env python3
"""tests/check_promtext.py - a strict checker of the Prometheus text
exposition format 0.0.4, as node_exporter's textfile collector takes it.

    check_promtext.py FILE [PREFIX]

Exits 0 when FILE is well-formed, else 1 with one line per fault:
  - the file is UTF-8 and ends with a line feed; no blank line;
  - "# HELP name text" and "# TYPE name type" at most once per family,
    both before its first sample; TYPE is counter, gauge, histogram,
    summary or untyped; HELP text escapes only backslash and line feed;
  - a sample is  name[{label="value",...}] value  with names matching
    [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* (not
    starting with "__"), each label once, label values escaping only
    backslash, double quote and line feed; the value a float as Go's
    ParseFloat reads it (or NaN, +Inf, -Inf); no timestamp (the textfile
    collector refuses them);
  - a family's samples are contiguous; no (name, labels) twice;
  - every metric name starts with PREFIX (when given); a counter's name
    ends in _total and its values are >= 0.
With -q the faults are not printed. Also a module: parse(text) returns
(families, samples, faults) for tests that look at values.
"""
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
FLOAT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
SUFFIXES = ("_bucket", "_sum", "_count")


def parse_value(s):
    if s in ("NaN", "+Inf", "-Inf", "Inf"):
        return float(s.replace("Inf", "inf").replace("NaN", "nan"))
    if not FLOAT.match(s):
        raise ValueError("value %r is not a float" % s)
    return float(s)


def parse_labels(s, i, where):
    """Labels from s[i] == '{'; returns (dict, index after '}')."""
    labels = {}
    i += 1
    while True:
        if i < len(s) and s[i] == "}":
            return labels, i + 1
        m = LABEL.match(s, i)
        if not m:
            raise ValueError("%s: bad label name at %r" % (where, s[i:]))
        name = m.group(0)
        if name.startswith("__"):
            raise ValueError("%s: reserved label name %s" % (where, name))
        if name in labels:
            raise ValueError("%s: label %s twice" % (where, name))
        i = m.end()
        if s[i:i + 2] != '="':
            raise ValueError("%s: label %s without =\"" % (where, name))
        i += 2
        value = []
        while True:
            if i >= len(s):
                raise ValueError("%s: label value not closed" % where)
            c = s[i]
            if c == "\\":
                e = s[i + 1:i + 2]
                if e not in ("\\", '"', "n"):
                    raise ValueError("%s: bad escape \\%s" % (where, e))
                value.append("\n" if e == "n" else e)
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ValueError("%s: raw line feed in a label" % where)
            else:
                value.append(c)
                i += 1
        labels[name] = "".join(value)
        if i < len(s) and s[i] == ",":
            i += 1
        elif i < len(s) and s[i] != "}":
            raise ValueError("%s: expected , or } at %r" % (where, s[i:]))


def family_of(name, types):
    """The family a sample name belongs to (histogram/summary suffixes)."""
    for suf in SUFFIXES:
        base = name[: -len(suf)]
        if name.endswith(suf) and types.get(base) in ("histogram", "summary"):
            return base
    return name


def check_help(text, where):
    i = 0
    while i < len(text):
        if text[i] == "\\":
            if text[i + 1:i + 2] not in ("\\", "n"):
                raise ValueError("%s: bad escape in HELP" % where)
            i += 2
        else:
            i += 1


def parse(text, prefix=""):
    faults = []
    helps, types, samples, seen = {}, {}, [], set()
    done = set()  # families whose samples ended
    current = None
    if not text.endswith("\n"):
        faults.append("the file does not end with a line feed")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d" % n
        try:
            if not line.strip():
                raise ValueError("%s: blank line" % where)
            if line.startswith("#"):
                parts = line.split(" ", 3)
                if len(parts) >= 2 and parts[1] in ("HELP", "TYPE"):
                    if len(parts) < 3 or not NAME.fullmatch(parts[2]):
                        raise ValueError("%s: bad %s line" % (where, parts[1]))
                    name = parts[2]
                    rest = parts[3] if len(parts) > 3 else ""
                    book = helps if parts[1] == "HELP" else types
                    if name in book:
                        raise ValueError("%s: second %s of %s" % (where, parts[1], name))
                    if name in done or current == name:
                        raise ValueError("%s: %s of %s after its samples" % (where, parts[1], name))
                    if parts[1] == "TYPE" and rest not in TYPES:
                        raise ValueError("%s: unknown type %r" % (where, rest))
                    if parts[1] == "HELP":
                        check_help(rest, where)
                    book[name] = rest
                continue
            m = NAME.match(line)
            if not m:
                raise ValueError("%s: bad metric name" % where)
            name, i = m.group(0), m.end()
            labels = {}
            if i < len(line) and line[i] == "{":
                labels, i = parse_labels(line, i, where)
            if line[i:i + 1] != " ":
                raise ValueError("%s: no space before the value" % where)
            fields = line[i + 1:].split(" ")
            if len(fields) != 1:
                raise ValueError("%s: a timestamp or trailing text" % where)
            value = parse_value(fields[0])
            fam = family_of(name, types)
            if fam != current:
                if fam in done:
                    raise ValueError("%s: samples of %s not together" % (where, fam))
                if current:
                    done.add(current)
                current = fam
            key = (name, tuple(sorted(labels.items())))
            if key in seen:
                raise ValueError("%s: %s%s twice" % (where, name, labels))
            seen.add(key)
            if prefix and not name.startswith(prefix):
                raise ValueError("%s: %s lacks the prefix %s" % (where, name, prefix))
            if types.get(fam) == "counter":
                if not name.endswith("_total"):
                    raise ValueError("%s: counter %s not ending in _total" % (where, name))
                if not value >= 0 or math.isinf(value):
                    raise ValueError("%s: counter %s = %s" % (where, name, value))
            samples.append((name, labels, value))
        except ValueError as e:
            faults.append(str(e))
    return types, samples, faults


def main(argv):
    quiet = "-q" in argv
    args = [a for a in argv[1:] if a != "-q"]
    try:
        text = open(args[0], "rb").read().decode("utf-8")
    except UnicodeDecodeError as e:
        if not quiet:
            print("not UTF-8: %s" % e)
        return 1
    _, samples, faults = parse(text, args[1] if len(args) > 1 else "")
    if not quiet:
        for f in faults:
            print(f)
    if not samples:
        if not quiet:
            print("no sample")
        return 1
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
