#!/usr/bin/env python3
"""tests/check_status_json.py - checks .status.json against the schema of
docs/status.md (schema 1), with every engine running.

    check_status_json.py FILE

Exits 0 when FILE is JSON whose every member is there with its type
(numbers are numbers, not strings; booleans are booleans; null only where
the schema allows it) and nothing else is; a text member NAME may have a
sibling NAME_hex only when NAME is not the exact text (it holds U+FFFD),
and then NAME_hex must be lower-case hex of bytes that, with each byte that
is not well-formed UTF-8 replaced by U+FFFD, give NAME. Else exits 1 with
one line per fault. Also a module: check(doc) returns the faults.
"""
import codecs
import json
import sys

codecs.register_error(
    "tapefs_per_byte", lambda e: ("\ufffd" * (e.end - e.start), e.end))


class Opt:
    """The type, or null."""

    def __init__(self, t):
        self.t = t


class Enum:
    def __init__(self, *values):
        self.values = values


class ListOf:
    def __init__(self, t):
        self.t = t


INT, NUM, STR, BOOL = "int", "num", "str", "bool"
TEXT = "text"  # a string that may come with NAME_hex
TIME = Opt(INT)
DRIVE_STATES = Enum("idle", "loading", "writing", "reading", "locating",
                    "unloading", "out of service")
TAPE_STATES = {s: INT for s in ("scratch", "open", "full", "closed", "retired", "adopted")}
COPY = {"tape": TEXT, "file": Opt(INT)}
ERROR = {"time": TIME, "message": TEXT}

DRIVE = {
    "drive": INT, "state": DRIVE_STATES, "tape": Opt(TEXT),
    "home_slot": Opt(INT), "device": TEXT,
    "position": Opt({"file": INT, "block": Opt(INT)}),
    "job": Opt(TEXT),
    "progress": Opt({"percent": Opt(INT), "bytes_done": INT,
                     "rate_bytes_per_second": Opt(NUM),
                     "eta_seconds": Opt(INT)}),
    "faults": INT, "reason": Opt(TEXT), "jobs_done": INT, "loads": INT,
    "unloads": INT, "bytes_written": INT, "bytes_read": INT,
}
DUMP = {
    "state": Enum("idle", "running"),
    "current": Opt({"id": INT, "files": INT, "bytes": INT, "percent": INT,
                    "tapes": ListOf(COPY)}),
    "staged_files": INT, "staged_bytes": INT, "pending_files": INT,
    "pending_bytes": INT, "committed_since_mount": INT,
    "last": Opt({"id": INT, "time": TIME, "files": INT, "bytes": INT,
                 "tapes": ListOf(COPY)}),
    "error": Opt(ERROR), "waiting": Opt(TEXT), "paused": BOOL,
    "failures_in_a_row": INT, "committed_total": INT, "failed_total": INT,
    "last_success_time": TIME, "last_failure_time": TIME,
}
VERIFY = {
    "state": Enum("idle", "running"),
    "run": Opt({"id": INT, "state": Enum("running", "done", "interrupted"),
                "percent": INT, "bytes_planned": INT, "bytes_done": INT,
                "tapes_planned": INT, "tapes_done": INT,
                "members_done": INT, "ok": INT, "bad": INT,
                "unreadable": INT, "started": TIME, "ended": TIME}),
    "last_success_time": TIME,
}
SCHEMA = {
    "schema": Enum(1), "time": INT, "mounted": TIME,
    "drives": ListOf(DRIVE), "drive_queue": INT, "dump": DUMP,
    "verify": VERIFY,
    "recall": {"state": Enum("available"), "queue": INT, "cache_bytes": INT,
               "cache_limit_bytes": Opt(INT)},
    "tapes": {"total": INT, "by_state": TAPE_STATES,
              "pools": ListOf({"pool": TEXT, "configured": BOOL,
                               "total": INT, "by_state": TAPE_STATES}),
              "unknown_total": INT, "unknown": ListOf({"tape": TEXT})},
    "errors_total": INT, "errors": ListOf(ERROR),
}


def is_type(v, t):
    if t == INT:
        return type(v) is int
    if t == NUM:
        return type(v) in (int, float)
    if t == BOOL:
        return type(v) is bool
    return type(v) is str  # STR, TEXT


def check_hex(obj, key, path, faults):
    hexkey = key + "_hex"
    if hexkey not in obj:
        if isinstance(obj.get(key), str) and "\ufffd" in obj[key]:
            faults.append("%s holds U+FFFD without %s" % (path, hexkey))
        return
    h = obj[hexkey]
    try:
        if h != h.lower() or not isinstance(obj[key], str):
            raise ValueError
        raw = bytes.fromhex(h)
    except (ValueError, TypeError):
        faults.append("%s_hex is not lower-case hex: %r" % (path, h))
        return
    if raw.decode("utf-8", "tapefs_per_byte") != obj[key]:
        faults.append("%s_hex %r does not give %r" % (path, h, obj[key]))
    if "\ufffd" not in obj[key]:
        faults.append("%s_hex beside a text that needs none" % path)


def check_obj(obj, schema, path, faults):
    if type(obj) is not dict:
        faults.append("%s: not an object: %r" % (path, obj))
        return
    for key, t in schema.items():
        if key not in obj:
            faults.append("%s.%s missing" % (path, key))
            continue
        check_value(obj[key], t, "%s.%s" % (path, key), faults)
        if t == TEXT or (isinstance(t, Opt) and t.t == TEXT):
            check_hex(obj, key, "%s.%s" % (path, key), faults)
    for key in obj:
        base = key[:-4] if key.endswith("_hex") else None
        if key not in schema and not (base in schema and (
                schema[base] == TEXT or (isinstance(schema[base], Opt) and
                                         schema[base].t == TEXT))):
            faults.append("%s.%s is not in the schema" % (path, key))


def check_value(v, t, path, faults):
    if isinstance(t, Opt):
        if v is not None:
            check_value(v, t.t, path, faults)
    elif isinstance(t, Enum):
        if v not in t.values or type(v) is bool:
            faults.append("%s = %r, not one of %r" % (path, v, t.values))
    elif isinstance(t, ListOf):
        if type(v) is not list:
            faults.append("%s: not an array: %r" % (path, v))
            return
        for i, item in enumerate(v):
            check_value(item, t.t, "%s[%d]" % (path, i), faults)
    elif isinstance(t, dict):
        check_obj(v, t, path, faults)
    elif not is_type(v, t):
        faults.append("%s = %r is not %s" % (path, v, t))


def check(doc):
    faults = []
    check_obj(doc, SCHEMA, "", faults)
    return faults


def main(argv):
    try:
        doc = json.load(open(argv[1], "rb"))
    except ValueError as e:
        print("not JSON: %s" % e)
        return 1
    faults = check(doc)
    for f in faults:
        print(f)
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
