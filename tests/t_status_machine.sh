# The status for machines on a 60-slot library: .status.json is JSON with
# every figure typed as docs/status.md says (numbers are numbers) before
# and after a dump and with names that are not UTF-8 (a staged file, a pool,
# an error message: U+FFFD and the exact bytes in NAME_hex); .metrics
# passes a strict checker of the Prometheus text format and its values are
# what was done (1 dump committed, bytes written by each drive of the dump,
# a verification's time); .library.svg is XML that shows every slot as the
# library holds it, the tapes in drives, a refused label, a tape holding
# another catalog's archives and a BAD copy.
. "$TOP/tests/lib.sh"
CHK_JSON=$TOP/tests/check_status_json.py
CHK_PROM=$TOP/tests/check_promtext.py

# ---- the checkers catch what they are for ----------------------------------
bad_prom() { # DESCRIPTION TEXT: the checker must refuse TEXT
	printf '%b' "$2" > bad.prom
	check "promtext checker refuses $1" test "$(python3 "$CHK_PROM" -q bad.prom tapefs_; echo $?)" = 1
}
bad_prom "a TYPE twice" '# TYPE tapefs_a gauge\n# TYPE tapefs_a gauge\ntapefs_a 1\n'
bad_prom "a HELP after the samples" 'tapefs_a 1\n# HELP tapefs_a late\n'
bad_prom "a bad escape in a label" 'tapefs_a{l="a\\q"} 1\n'
bad_prom "a raw quote in a label" 'tapefs_a{l="a"b"} 1\n'
bad_prom "a value that is no float" 'tapefs_a one\n'
bad_prom "a timestamp" 'tapefs_a 1 1700000000\n'
bad_prom "a counter without _total" '# TYPE tapefs_c counter\ntapefs_c 1\n'
bad_prom "a family split" 'tapefs_a 1\ntapefs_b 1\ntapefs_a{x="1"} 2\n'
bad_prom "a sample twice" 'tapefs_a{x="1"} 1\ntapefs_a{x="1"} 2\n'
bad_prom "a name without the prefix" 'other_a 1\n'
bad_prom "a missing line feed" 'tapefs_a 1'
printf '# HELP tapefs_a a \\\\ and \\n\n# TYPE tapefs_a gauge\ntapefs_a{p="q\\"\\\\\\n",r="\xc3\xa9"} -1.5e3\ntapefs_a{p="x"} +Inf\n' > good.prom
check "promtext checker takes escapes, UTF-8, exponents, Inf" python3 "$CHK_PROM" good.prom tapefs_

# ---- the library: 60 slots, a third pool named with bytes that are not UTF-8
badpool=$(printf 'C"\\\xe9')
tf_setup --drives 2 --slots 60 --tapes 40 --capacity 64M --pools 2 -- \
	copies=2 "pools=A,B,$badpool"
# B00020L9 holds a file after its label that no catalog of ours wrote: it
# is registered closed, a tape holding archives this catalog does not know.
head -c 1000 /dev/urandom > foreign.bin
check "a file after B00020L9's label" "$TF_TAPEFS" vtape import lib/tapes/B00020L9.vtape foreign.bin
# js EXPR [FILE]: EXPR over d = FILE (s.json) as JSON text.
js() { python3 -c 'import json,sys; d=json.load(open(sys.argv[2],"rb")); print(json.dumps(eval(sys.argv[1]), ensure_ascii=False))' "$1" "${2:-s.json}"; }
# metric NAME [LABEL=VALUE]: the value of that sample of m.prom, or "none".
metric() {
	python3 - "$@" <<'PY'
import sys
sys.path.insert(0, __import__("os").environ["TOP"] + "/tests")
import check_promtext
_, samples, _ = check_promtext.parse(open("m.prom", encoding="utf-8").read())
want = dict(a.split("=", 1) for a in sys.argv[2:])
v = [s[2] for s in samples if s[0] == sys.argv[1] and s[1] == want]
print(("%d" % v[0] if v[0] == int(v[0]) else repr(v[0])) if v else "none")
PY
}
snap() { cp mnt/.status.json s.json && cp mnt/.metrics m.prom; }
check "mount" tf_mount tapefs.ini mnt
snap
check_eq "tapes.unknown: B00020L9, registered at this mount" '[1, [{"tape": "B00020L9"}]]' \
	"$(js 'd["tapes"]["unknown_total"], d["tapes"]["unknown"]')"
check_eq ".metrics: 1 unknown tape" 1 "$(metric tapefs_unknown_tapes)"
check ".library.svg: B00020L9 marked FOREIGN" python3 -c '
import xml.etree.ElementTree as ET
root = ET.parse("/dev/stdin").getroot()
gs = [" ".join(g.itertext()) for g in root.iter("{http://www.w3.org/2000/svg}g")]
assert [t for t in gs if "B00020L9" in t and "FOREIGN" in t], gs' < mnt/.library.svg
tf_umount mnt
# The cartridge with barcode A00001L9 now holds A00002L9's label: refused.
cp lib/tapes/A00002L9.vtape lib/tapes/A00001L9.vtape
check "mount again" tf_mount tapefs.ini mnt

snap
check ".status.json: python3 -m json.tool takes it" python3 -m json.tool s.json /dev/null
check ".status.json: every member typed (before a dump)" python3 "$CHK_JSON" s.json
check ".metrics: the grammar (before a dump)" python3 "$CHK_PROM" m.prom tapefs_
check_eq "2 drives, as numbers" "2 0 0" "$(js 'len(d["drives"]), d["drives"][0]["bytes_written"], d["drive_queue"]' | tr -d '[],')"
check_eq "tapes: 39 scratch, 1 closed" "40 39 1" "$(js 'd["tapes"]["total"], d["tapes"]["by_state"]["scratch"], d["tapes"]["by_state"]["closed"]' | tr -d '[],')"
check_eq "no dump yet" "0 0 null null" "$(js 'd["dump"]["committed_total"], d["dump"]["staged_bytes"], d["dump"]["last"], d["dump"]["last_success_time"]' | tr -d '[],')"
check_eq "the third pool: U+FFFD and its exact bytes in pool_hex" \
	'{"pool": "C\"\\�", "pool_hex": "43225ce9", "configured": true, "total": 0}' \
	"$(js '{k: d["tapes"]["pools"][2][k] for k in ("pool", "pool_hex", "configured", "total")}')"
check_eq ".metrics: the third pool's label escaped" 1 \
	"$(grep -c -F 'tapefs_scratch_tapes{pool="C\"\\'$'\xef\xbf\xbd''"} 0' m.prom)"
check_eq ".metrics: no dump committed" "0 0" "$(metric tapefs_dumps_committed_total) $(metric tapefs_last_dump_success_timestamp_seconds)"

# ---- names that are not UTF-8: staged, and in an error message -------------
mkdir -p mnt/staging/run1
head -c 3000000 /dev/urandom > mnt/staging/run1/big.bin
printf 'hello' > "mnt/staging/run1/$(printf 'caf\xe9')"
printf 'abc' > "mnt/staging/$(printf '\xff\xfe.txt')"
mkdir "mnt/staging/$(printf 'd\xe9')"
check_fails "each of a directory that is not UTF-8 with none in it" "No data available" \
	bash -c "printf 'each d\351\n' > mnt/.dump"
rmdir "mnt/staging/$(printf 'd\xe9')"
check_fails "a dump of a missing name that is not UTF-8" "No such file" \
	bash -c "printf 'now gone\377\n' > mnt/.dump"
# staged figures are counted again soon after a change, not at once
for _ in $(seq 100); do
	snap
	[ "$(js 'd["dump"]["staged_bytes"]')" = 3000008 ] && break
	sleep 0.1
done
check ".status.json: valid with names that are not UTF-8" python3 -m json.tool s.json /dev/null
check ".status.json: every member typed (names not UTF-8)" python3 "$CHK_JSON" s.json
check_eq "staged: 3 files, 3000008 bytes" "3 3000008" "$(js 'd["dump"]["staged_files"], d["dump"]["staged_bytes"]' | tr -d '[],')"
check_eq "dump.error: U+FFFD in the text" "true" "$(js '"d\ufffd" in d["dump"]["error"]["message"]')"
check "dump.error: the exact bytes in message_hex" \
	python3 -c 'import json; d=json.load(open("s.json")); assert b"d\xe9\x27 has no subdirectory" in bytes.fromhex(d["dump"]["error"]["message_hex"])'
check "errors[]: the last one with time and message_hex" \
	python3 -c 'import json; e=json.load(open("s.json"))["errors"][-1]; assert type(e["time"]) is int and b"gone\xff" in bytes.fromhex(e["message_hex"]), e'
check_eq ".metrics: errors_total as .status.json" "$(js 'd["errors_total"]')" "$(metric tapefs_errors_total)"

# ---- one dump ----------------------------------------------------------------
echo "now run1" > mnt/.dump
check "dump committed" tf_wait_dumps 1
snap
check ".status.json: every member typed (after a dump)" python3 "$CHK_JSON" s.json
check ".metrics: the grammar (after a dump)" python3 "$CHK_PROM" m.prom tapefs_
check_eq "dumps: 1 committed, 0 failed" "1 1 0" \
	"$(js 'd["dump"]["committed_since_mount"], d["dump"]["committed_total"], d["dump"]["failed_total"]' | tr -d '[],')"
check_eq "dump.last: 2 files, on file 1 of A00002L9 and B00001L9" \
	'[2, [{"tape": "A00002L9", "file": 1}, {"tape": "B00001L9", "file": 1}]]' \
	"$(js 'd["dump"]["last"]["files"], d["dump"]["last"]["tapes"]')"
check_eq "dump.last_success_time: a time, that of .metrics" "$(js 'd["dump"]["last_success_time"]')" \
	"$(metric tapefs_last_dump_success_timestamp_seconds)"
check_eq ".metrics: dumps committed 1, failed 0" "1 0" \
	"$(metric tapefs_dumps_committed_total) $(metric tapefs_dumps_failed_total)"
for i in 0 1; do
	w=$(metric tapefs_drive_written_bytes_total drive=$i)
	check "drive $i wrote the archive ($w bytes >= 3000005)" test "${w%.*}" -ge 3000005
	check_eq "drive $i: bytes_written as .status.json" "$(js "d['drives'][$i]['bytes_written']")" "$w"
done
check_eq ".metrics: drive 0 idle" "1 0" \
	"$(metric tapefs_drive_state drive=0 state=idle) $(metric tapefs_drive_state drive=0 state=writing)"
check_eq ".metrics: A00001L9 refused and closed, 18 scratch left in A" "1 18" \
	"$(metric tapefs_tapes pool=A state=closed) $(metric tapefs_scratch_tapes pool=A)"
check_eq "tapes open: 2" 2 "$(js 'd["tapes"]["by_state"]["open"]')"

# ---- verifications: one clean, one with a BAD copy -----------------------------
run=$(tf_verify "tape A00002L9")
check "clean verification ran" test -n "$run"
snap
t=$(js 'd["verify"]["last_success_time"]')
check "verify.last_success_time: a time ($t)" test "$t" -gt 0
check_eq ".metrics: the same time" "$t" "$(metric tapefs_last_verify_success_timestamp_seconds)"
read0=$(metric tapefs_drive_read_bytes_total drive=0)
read1=$(metric tapefs_drive_read_bytes_total drive=1)
check "a drive read the archive back ($read0 + $read1 bytes)" test $(( ${read0%.*} + ${read1%.*} )) -ge 3000005
blk=$(getfattr --only-values -n user.tapefs.copies mnt/archive/run1/big.bin | tr ',' '\n' | sed -n 's/^B00001L9:[0-9]*://p')
check "flip a byte of big.bin on B00001L9" "$TF_TAPEFS" vtape inject lib/tapes/B00001L9.vtape flip $((blk + 2)) 1000
run=$(tf_verify "tape B00001L9")
snap
check_eq "verify.run: 1 BAD" "$run 1" "$(js 'd["verify"]["run"]["id"], d["verify"]["run"]["bad"]' | tr -d '[],')"
check_eq ".metrics: the run's BAD member" 1 "$(metric tapefs_verify_run_members result=bad)"
check_eq "the last clean verification is still the first" "$t" "$(js 'd["verify"]["last_success_time"]')"

# ---- the picture -------------------------------------------------------------
cp mnt/.library.svg lib.svg
cp lib/state vlib.state
svg_check() {
	python3 - <<'PY'
import sys
import xml.etree.ElementTree as ET
NS = "{http://www.w3.org/2000/svg}"
root = ET.parse("lib.svg").getroot()
assert root.tag == NS + "svg", root.tag
texts = {g.get("id"): " ".join("".join(t.itertext()) for t in g.iter(NS + "text"))
         for g in root.iter(NS + "g") if g.get("id")}
faults = []
slots = sorted(int(k[5:]) for k in texts if k.startswith("slot-"))
if slots != list(range(1, 61)):
    faults.append("slots shown: %s" % slots)
drive_of = {}
held = {}
for line in open("vlib.state"):
    f = line.split()
    if f[:1] == ["drive"] and f[2] != "-":
        drive_of[int(f[3])] = (f[1], f[2])
    if f[:1] == ["slot"]:
        held[int(f[1])] = f[2]
for n in range(1, 61):
    t = texts.get("slot-%d" % n, "")
    if held.get(n, "-") != "-":
        ok = held[n] in t
    elif n in drive_of:
        ok = "in drive %s" % drive_of[n][0] in t and drive_of[n][1] in t
    else:
        ok = "empty" in t
    if not ok:
        faults.append("slot %d shows %r (library: %s, drive: %s)" % (n, t, held.get(n), drive_of.get(n)))
for d, bc in drive_of.values():
    if bc not in texts.get("drive-%s" % d, ""):
        faults.append("drive %s does not show %s" % (d, bc))
def marked(bc, mark):
    return any(bc in t and mark in t for k, t in texts.items())
if not marked("A00001L9", "REFUSED"):
    faults.append("A00001L9 is not marked REFUSED")
if not marked("B00001L9", "BAD 1"):
    faults.append("B00001L9 is not marked BAD 1")
if marked("A00002L9", "BAD"):
    faults.append("A00002L9 is marked BAD")
if 'pool C"\\\ufffd' not in " ".join(root.itertext()):
    faults.append("the third pool's name is not in the legend")
for f in faults:
    print(f)
sys.exit(1 if faults else 0)
PY
}
check ".library.svg: XML showing every slot, drive and mark" svg_check
check_eq ".library.svg: 60 slots of the catalog's 40 tapes" 1 \
	"$(grep -c '60 slots and 0 import/export · 2 drives · 40 tapes in the catalog, 0 outside the library' lib.svg)"
tf_umount mnt
