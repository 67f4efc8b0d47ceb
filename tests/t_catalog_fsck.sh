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
