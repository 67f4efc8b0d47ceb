# tests/t_catalog_fsck.sh - `tapefs fsck -c CONFIG [--repair]`: exit 0 on a
# consistent catalog, 1 with one line per problem, repairs what is safe,
# and clear errors for bad usage, a bad config or a file that is no catalog.
source "$TOP/tests/lib.sh"

make_db() { "$BUILD/tests/test_catalog_check" --make "$1" "$2" >/dev/null 2>&1; }
cfg() { # cfg FILE CATALOG
	printf '[tapefs]\ncatalog = %s\n[library]\nchanger = none\ndrive0 = /dev/null\n' "$2" >"$1"
}

make_db clean.db none
cfg clean.ini clean.db
out=$("$TAPEFS" fsck -c clean.ini 2>&1); rc=$?
check_eq "clean catalog exits 0" 0 "$rc"
check "clean catalog says clean" grep -q "clean" <<<"$out"

make_db bytes.db bytes
cfg bytes.ini bytes.db
out=$("$TAPEFS" fsck -c bytes.ini 2>&1); rc=$?
check_eq "damaged catalog exits 1" 1 "$rc"
check "the problem is named" grep -q 'tape "K1": bytes used' <<<"$out"
check "nothing repaired without --repair" grep -q "1 problem found, 0 repaired" <<<"$out"
out=$("$TAPEFS" fsck -c bytes.ini --repair 2>&1); rc=$?
check_eq "repair run reports what it found" 1 "$rc"
check "repair says what it did" grep -q "(repaired)" <<<"$out"
out=$("$TAPEFS" fsck -c bytes.ini 2>&1); rc=$?
check_eq "repaired catalog is clean" 0 "$rc"

make_db offsets.db offsets
cfg offsets.ini offsets.db
"$TAPEFS" fsck -c offsets.ini --repair >/dev/null 2>&1
out=$("$TAPEFS" fsck -c offsets.ini 2>&1); rc=$?
check_eq "an unsafe fault stays reported after --repair" 1 "$rc"
check "offset fault named" grep -q "header offset" <<<"$out"

head -c 8192 /dev/urandom >junk.db
cfg junk.ini junk.db
check_fails "a file that is no catalog" "cannot open catalog" "$TAPEFS" fsck -c junk.ini
"$TAPEFS" fsck -c junk.ini >/dev/null 2>&1; rc=$?
check_eq "no catalog exits 2" 2 "$rc"
check_fails "usage without -c" "usage" "$TAPEFS" fsck
check_fails "unknown option" "usage" "$TAPEFS" fsck -c clean.ini --bogus
printf '[tapefs]\nnonsense = 1\n' >bad.ini
check_fails "bad config" "bad.ini" "$TAPEFS" fsck -c bad.ini
check_fails "missing config" "missing.ini" "$TAPEFS" fsck -c missing.ini

# labels of a virtual library, read from its images
add_tape() { "$BUILD/tests/test_catalog_check" --add-tape "$@" >/dev/null 2>&1; }
"$TAPEFS" mkvlib lib --drives 1 --slots 3 --capacity 10M >/dev/null 2>&1
vcfg() { printf '[tapefs]\ncatalog = %s\n[library]\nchanger = vlib\npath = lib\n' "$2" >"$1"; }
make_db lab.db none
vcfg lab.ini lab.db
out=$("$TAPEFS" fsck -c lab.ini 2>&1); rc=$?
check_eq "library tapes unknown to the catalog: exit 1" 1 "$rc"
check "labels were read" grep -q "labels: 3 read" <<<"$out"
check_eq "each unknown tape named" 3 "$(grep -c 'in the library is not in the catalog' <<<"$out")"
add_tape lab.db A00001L9 ""
add_tape lab.db A00002L9 bogus-uuid
add_tape lab.db A00003L9 ""
cp lib/tapes/A00001L9.vtape lib/tapes/A00003L9.vtape
out=$("$TAPEFS" fsck -c lab.ini 2>&1); rc=$?
check_eq "label problems: exit 1" 1 "$rc"
check "a uuid the catalog lacks" grep -q 'tape "A00001L9": label uuid .* not in the catalog' <<<"$out"
check "a uuid that differs" grep -q 'tape "A00002L9": label uuid .*, the catalog has bogus-uuid' <<<"$out"
check "a label naming another tape" grep -q 'tape "A00003L9" holds the label of "A00001L9"' <<<"$out"
"$TAPEFS" fsck -c lab.ini --repair >/dev/null 2>&1
out=$("$TAPEFS" fsck -c lab.ini 2>&1); rc=$?
check "missing uuids recorded by --repair" bash -c '! grep -q "not in the catalog" <<<"$0"' "$out"
check "a differing uuid is never overwritten" grep -q "the catalog has bogus-uuid" <<<"$out"
check_eq "two problems left" 1 "$(grep -c '2 problems found' <<<"$out")"
check "tapes it cannot read are listed, not counted" grep -q "labels: 0 read, 1 not read" <<<"$("$TAPEFS" fsck -c clean.ini 2>&1)"
