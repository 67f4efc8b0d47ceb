# A wrong catalog never costs a tape file. One library of six archives
# over two pools, then each of these in place of its catalog, each from
# the same library and catalog: an old backup (from catalog_backup, two
# dumps behind: its tapes hold more files than it knows), an emptied file,
# a file of zeros, a wrong `catalog =` path, another library's catalog
# (the same barcodes, other cartridges). Each time a mount and a new dump
# (where a mount is possible) change not one tape file that held an
# archive. After the old backup, `tapefs rebuild` gives back what the two
# lost dumps held, and the new dump; after the emptied catalog, every
# archive.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 8 --tapes 8 --capacity 64M --pools 2 -- copies=2 pools=A,B block_size=64K catalog_to_tape=never catalog_backups=20
# every tape's files, into DIR/BARCODE
all_files() {
	mkdir -p "$1"
	for img in lib/tapes/*.vtape; do tf_tape_files "$img" >"$1/$(basename "$img" .vtape)"; done
}
# unchanged BEFORE AFTER: every file of every tape in BEFORE is in AFTER,
# byte for byte
unchanged() {
	local f bad=0
	for f in "$1"/*; do
		if [ -s "$f" ] && ! join "$f" "$2/$(basename "$f")" | awk 'NF != 3 || $2 != $3 { bad = 1 } END { exit bad }' ||
			[ "$(join "$f" "$2/$(basename "$f")" | wc -l)" -ne "$(wc -l <"$f")" ]; then
			echo "# $(basename "$f") changed"
			bad=1
		fi
	done
	return $bad
}
# listing MNT: every entry of archive/ with what a user sees of it
listing() {
	(cd "$1" && find archive -mindepth 1 -print0 |
		while IFS= read -r -d '' p; do
			printf '%s|%s|%s|%s\n' "$p" "$(stat -c '%F %s %a %U %G %Y' "$p")" \
				"$(getfattr --only-values -n user.tapefs.md5 "$p" 2>/dev/null)" \
				"$(getfattr --only-values -n user.tapefs.copies "$p" 2>/dev/null)"
		done | LC_ALL=C sort)
}
restore() {
	rm -rf lib cat.db cat.db-wal cat.db-shm other.db*
	cp -a keep/lib lib
	cp keep/cat.db cat.db
}

for d in d1 d2 d3 d4 d5 d6 n_old n_empty n_path n_other; do
	mkdir -p src/$d/sub
	head -c 300000 /dev/urandom >src/$d/data.bin
	echo "$d" >src/$d/sub/note.txt
done
check "mount" tf_mount tapefs.ini mnt
for d in d1 d2 d3 d4 d5 d6; do check "dump $d" tf_dump_dir $d; done
listing mnt >six.list
tf_umount mnt
check_eq "a backup after each of the six dumps" 6 "$(ls catalog-backups | grep -c '^catalog-.*\.db$')"
old=$(ls catalog-backups/catalog-*.db | sort | sed -n 4p)
mkdir keep && cp -a lib keep/lib && cp cat.db keep/cat.db
all_files before

# an old backup: four dumps of six
restore
cp "$old" cat.db
check "mount with a backup two dumps old" tf_mount tapefs.ini mnt
check "its dump n_old" tf_dump_dir n_old
check "old backup: the tapes it knows too little of are refused before the write" \
	grep -q 'tape A00001L9 refused: it holds archives this catalog does not know from file 5 on' mnt/.status
check_eq "and closed" closed "$(tf_field state mnt/tapes/A00001L9/.status)"
listing mnt >n_old.list
tf_umount mnt
all_files after_old
check "old backup: not one tape file changed" unchanged before after_old
out=$("$TF_TAPEFS" rebuild -c tapefs.ini 2>&1)
check_eq "old backup: tapefs rebuild exits 0" 0 $?
echo "$out" | sed 's/^/# /'
check "old backup: the two dumps it lacked are added" grep -q ', 2 archives added' <<<"$out"
check "mount the rebuilt catalog" tf_mount tapefs.ini mnt
listing mnt >rebuilt_old.list
tf_umount mnt
sort -u six.list n_old.list >want_old.list
check "old backup: rebuilt, archive/ is the six dumps and the new one" cmp want_old.list rebuilt_old.list
diff want_old.list rebuilt_old.list | head -n 6 | sed 's/^/# /'

# an emptied catalog file (0 bytes)
restore
: >cat.db
check "mount with an emptied catalog" tf_mount tapefs.ini mnt
check "every tape that holds archives is closed" bash -c "! grep -l '^state: \(open\|scratch\)' $(for b in before/*; do [ -s "$b" ] && echo "mnt/tapes/$(basename "$b")/.status"; done | tr '\n' ' ') | grep ."
check "its dump n_empty" tf_dump_dir n_empty
listing mnt >n_empty.list
tf_umount mnt
all_files after_empty
check "emptied catalog: not one tape file changed" unchanged before after_empty
check "emptied catalog: tapefs rebuild" "$TF_TAPEFS" rebuild -c tapefs.ini
check "mount the rebuilt catalog" tf_mount tapefs.ini mnt
listing mnt >rebuilt_empty.list
tf_umount mnt
sort -u six.list n_empty.list >want_empty.list
check "emptied catalog: rebuilt, archive/ is the six dumps and the new one" cmp want_empty.list rebuilt_empty.list

# a file of zeros where the catalog was: not a catalog, refused
restore
head -c "$(stat -c %s cat.db)" /dev/zero >cat.db.zero && mv cat.db.zero cat.db
check_fails "a catalog of zeros is refused by mount" "" tf_mount tapefs.ini mnt
check_fails "and by tapefs rebuild" "" "$TF_TAPEFS" rebuild -c tapefs.ini
check_eq "the file of zeros is left as it was" "$(head -c "$(stat -c %s keep/cat.db)" /dev/zero | md5sum)" "$(md5sum <cat.db)"
all_files after_zero
check "zeroed catalog: not one tape file changed" unchanged before after_zero

# a mistyped catalog = path
restore
tf_config wrong.ini catalog=cat-typo.db catalog_to_tape=never copies=2 pools=A,B block_size=64K
check "mount with a wrong catalog path" tf_mount wrong.ini mnt
check "its dump n_path" tf_dump_dir n_path
tf_umount mnt
all_files after_path
check "wrong catalog path: not one tape file changed" unchanged before after_path

# another library's catalog: the same barcodes, other cartridges
restore
mkdir other && cd other
tf_setup --drives 2 --slots 8 --tapes 8 --capacity 64M --pools 2 -- copies=2 pools=A,B block_size=64K catalog_to_tape=never
mkdir -p src/o1 && echo other >src/o1/f.txt
tf_mount tapefs.ini mnt && tf_dump_dir o1
tf_umount mnt
cd ..
check "another library dumped once" test -s other/cat.db
cp other/cat.db cat.db
check "mount with another library's catalog" tf_mount tapefs.ini mnt
# either way, wait only until it went through or failed (last_error)
err=$(grep '^last_error:' mnt/.dump)
cp -r src/n_other mnt/staging/n_other
echo "now n_other" >mnt/.dump
for _ in $(seq 600); do
	[ -z "$(find mnt/staging/n_other ! -type d)" ] && break
	[ "$(grep '^last_error:' mnt/.dump)" != "$err" ] && grep -q '^state: idle' mnt/.dump && break
	sleep 0.1
done
[ -d mnt/archive/n_other ] || echo "# the dump n_other did not go through (no tape this catalog may write)"
sed -n 's/^error: /# error: /p' mnt/.status | tail -n 4
tf_umount mnt
all_files after_other
check "another library's catalog: not one tape file changed" unchanged before after_other
