# Where archived files are, by name: tapefs-where over a real mount (paths
# with spaces, a newline, a tab, quotes, bytes that are not UTF-8) gives
# every copy's tape, file number and block as user.tapefs.copies says, and
# the tape's location as tapes/LABEL/.status says (an offsite note the
# operator wrote included); --tapes the tapes to fetch. And the catalog
# export (`tapefs export`, CSV and JSON lines) read while mounted: every
# member back, byte for byte, as Python's csv and json modules read it.
. "$TOP/tests/lib.sh"
S=$TOP/scripts

tf_setup --drives 2 --slots 6 --tapes 4 --capacity 64M --pools 2 -- copies=2 "pools=A, B" block_size=64K
check "mount" tf_mount tapefs.ini mnt

mkdir -p "src/run 7/sub" src/other
head -c 70000 /dev/urandom > "src/run 7/data.bin"
echo notes > "src/run 7/sub/notes.txt"
echo one > "src/other/name with"$'\n'"newline.txt"
echo two > "src/other/tab"$'\t'"here.txt"
echo three > "src/other/bad"$'\xff\xfe'".bin"
echo four > "src/other/comma,and\"quote'.txt"
echo five > "src/other/back\\slash.txt"
cp -a src/. mnt/staging/
echo now > mnt/.dump
check "dump" tf_wait_dumps 1
(cd src && find . -type f -printf '%P\0' | sort -z) > want.paths
check_eq "everything archived" "7" "$(tr -cd '\0' < want.paths | wc -c)"

tapes=$(tf_last_tapes) # A...:1,B...:1
ta=$(cut -d, -f1 <<<"$tapes" | cut -d: -f1) tb=$(cut -d, -f2 <<<"$tapes" | cut -d: -f1)
echo "location offsite: vault 3" > "mnt/tapes/$tb/.ctl"
check_eq "offsite note set" "location: offsite: vault 3" "$(grep '^location:' "mnt/tapes/$tb/.status")"
la=$(sed -n 's/^location: //p' "mnt/tapes/$ta/.status")

# ---- tapefs-where -------------------------------------------------------------
"$S/tapefs-where" --mount mnt 'run 7' > w1.out
check_eq "run 7: two files, two copies each" "4" "$(wc -l < w1.out)"
want=$(for f in "run 7/data.bin" "run 7/sub/notes.txt"; do
	{ getfattr --only-values -n user.tapefs.copies "mnt/archive/$f" | tr ',' '\n'; echo; } | while IFS=: read -r l n b; do
		[ -n "$l" ] || continue
		loc=$la; [ "$l" = "$tb" ] && loc="offsite: vault 3"
		printf '%s\t%s\t%s\t%s\t%s\n' "$f" "$l" "$n" "$b" "$loc"
	done
done | sort)
check_eq "lines: path, tape, file, block, location (the copies xattr's)" "$want" "$(sort w1.out)"
check_eq "the same with archive/ and a leading slash" "$(sort w1.out)" "$("$S/tapefs-where" --mount mnt '/archive/run 7/' | sort)"
check_eq "a glob at any depth: '*notes*'" "2" "$("$S/tapefs-where" --mount mnt '*notes*' | wc -l)"
check_eq "'?' is one byte: 'run ?/data.bin'" "2" "$("$S/tapefs-where" --mount mnt 'run ?/data.bin' | wc -l)"
"$S/tapefs-where" --mount mnt '*newline*' > w2.out
check_eq "a newline in a name is written \\n" 'other/name with\nnewline.txt' "$(cut -f1 w2.out | sort -u)"
check_eq "a tab is written \\t" 'other/tab\there.txt' "$("$S/tapefs-where" --mount mnt '*tab*' | cut -f1 | sort -u)"
check_eq "a backslash is written \\\\" 'other/back\\slash.txt' "$("$S/tapefs-where" --mount mnt '*back*' | cut -f1 | sort -u)"
check_eq "bytes that are not UTF-8 stay as they are" "other/bad"$'\xff\xfe'".bin" \
	"$("$S/tapefs-where" --mount mnt 'other/bad*' | cut -f1 | sort -u)"
check_eq "quotes and commas as they are" "other/comma,and\"quote'.txt" \
	"$("$S/tapefs-where" --mount mnt '*comma*' | cut -f1 | sort -u)"
check_eq "the whole archive: 7 files, 2 copies" "14" "$("$S/tapefs-where" --mount mnt '*' | wc -l)"

"$S/tapefs-where" --mount mnt --tapes 'other' > w3.out
fa=$(sed -n "s/^$ta:\([0-9]*\):.*/\1/p" <<<"$(getfattr --only-values -n user.tapefs.copies "mnt/archive/other/tab"$'\t'"here.txt" | tr ',' '\n')")
check_eq "--tapes: the tapes to fetch, with state, count, files, location" \
	"$(printf '%s\topen\t5\t%s\t%s\n%s\topen\t5\t%s\toffsite: vault 3' "$ta" "$fa" "$la" "$tb" "$fa")" "$(cat w3.out)"

"$S/tapefs-where" --mount mnt 'nosuch*' > w4.out
check_eq "nothing matches: exit 1" "1" "$?"
check_eq "and prints nothing" "" "$(cat w4.out)"
"$S/tapefs-where" --mount mnt --bogus x 2>/dev/null
check_eq "a bad option: exit 64" "64" "$?"
"$S/tapefs-where" --mount mnt '../staging/*' 2>/dev/null
check_eq "no way out of archive/: exit 64" "64" "$?"
"$S/tapefs-where" --mount src 'x' 2>/dev/null
check_eq "not a mount: exit 2" "2" "$?"

# ---- tapefs export, read while mounted -----------------------------------------
check "export csv while mounted" bash -c "'$TAPEFS' export -c tapefs.ini --format csv > export.csv 2> export.err"
check "it says how many" grep -Eq '^tapefs export: [0-9]+ members' export.err
check "export jsonl to a file" "$TAPEFS" export -c tapefs.ini --format jsonl -o export.jsonl
for f in "run 7/data.bin" "other/tab"$'\t'"here.txt" "other/bad"$'\xff\xfe'".bin"; do
	printf '%s\0%s\0%s\0' "$f" "$(getfattr --only-values -n user.tapefs.md5 "mnt/archive/$f")" \
		"$(getfattr --only-values -n user.tapefs.copies "mnt/archive/$f")"
done > want.copies
cat > read_export.py <<'PY'
import csv, json, os, sys
want = sorted(p for p in open("want.paths", "rb").read().split(b"\0") if p)
w = open("want.copies", "rb").read().split(b"\0")
copies = {w[i]: (w[i + 1].decode(), w[i + 2].decode()) for i in range(0, len(w) - 2, 3)}
def check(what, ok):
    print(("ok   " if ok else "not ok ") + what)
rows = list(csv.reader(open("export.csv", newline="", encoding="utf-8", errors="surrogateescape")))
check("csv header", rows[0][:3] == ["path", "type", "size"] and len(rows[0]) == 13)
raw = open("export.csv", "rb").read()
check("csv: every record ends with CRLF (RFC 4180)", raw.endswith(b"\r\n") and raw.count(b"\r\n") == len(rows))
n = int(open("export.err").read().split()[2])
check("csv: as many records as it said", n == len(rows) - 1)
check("copies to compare", len(copies) == 3)
files = [r for r in rows[1:] if r[1] == "file"]
got = sorted(os.fsencode(r[0]) for r in files)
check("csv: every file's path, byte for byte", got == want)
for r in files:
    p = os.fsencode(r[0])
    if p in copies:
        check("csv: md5 and copies of %r" % p, (r[8], r[9]) == copies[p])
    src = b"src/" + p
    st = os.stat(src)
    check("csv: size, mode, mtime of %r" % p, int(r[2]) == st.st_size and r[3] == "%04o" % (st.st_mode & 0o7777) and int(r[6]) == int(st.st_mtime))
objs = [json.loads(l) for l in open("export.jsonl", encoding="utf-8")]
jfiles = [o for o in objs if o["type"] == "file"]
def path_of(o):
    return bytes.fromhex(o["path_hex"]) if "path_hex" in o else o["path"].encode()
check("jsonl: every file's path, byte for byte", sorted(path_of(o) for o in jfiles) == want)
check("jsonl: the name that is not UTF-8 has path_hex", sum("path_hex" in o for o in jfiles) == 1)
check("jsonl: numbers are numbers", all(isinstance(o["size"], int) and isinstance(o["mtime"], int) and isinstance(o["uid"], int) for o in objs))
for o in jfiles:
    p = path_of(o)
    if p in copies:
        c = ",".join("%s:%d:%d" % (x["tape"], x["file"], x["block"]) for x in o["copies"])
        check("jsonl: md5 and copies of %r" % p, (o["md5"], c) == copies[p])
check("csv and jsonl agree on the records", len(objs) == len(rows) - 1)
PY
python3 read_export.py > py.out 2>&1
cat py.out
T_PASS=$((T_PASS + $(grep -c '^ok ' py.out))) T_FAIL=$((T_FAIL + $(grep -c '^not ok' py.out)))
check "the Python checks ran" grep -q 'csv and jsonl agree' py.out

"$TAPEFS" export -c tapefs.ini --format xml >/dev/null 2>&1
check_eq "an unknown format: exit 2" "2" "$?"
tf_config none.ini tapefs.catalog=nosuch.db
"$TAPEFS" export -c none.ini >/dev/null 2>&1
check_eq "no catalog: exit 2" "2" "$?"
check "no catalog made by it" test ! -e nosuch.db
tf_umount mnt
