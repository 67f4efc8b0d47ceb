# The tapes are the truth: a library of 22 archives over two pools and
# six tapes, with two versions of one path and a dump killed in the middle
# of its archive (on two larger cartridges, past the drive model's 64 MiB
# buffer: the daemon really is writing it), loses its catalog (and WAL). A mount over it registers every tape that holds
# archives closed, and a new dump goes elsewhere: not one tape file that
# held an archive changes. Then `tapefs rebuild`: archive/ and tapes/ are
# what they were (paths, types, sizes, modes, owners, mtimes, MD5s,
# user.tapefs.copies) plus the new dump, the tapes' states and counts too,
# `echo all > .verify` finds nothing bad, and the next dumps append right
# after the last archive of each tape - over the killed dump's partial
# archive on its tape. Then the same catalog lost again, rebuilt online
# with `echo rebuild > .library`.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 10 --tapes 8 --capacity 8M --pools 2 -- copies=2 pools=A,B block_size=64K catalog_to_tape=never
# two larger blank cartridges, labelled by the first inventory
for bc in A00009L9 B00009L9; do
	"$TF_TAPEFS" vtape create lib/tapes/$bc.vtape --barcode $bc --capacity 200M >/dev/null
done
sed -i 's/^slot 9 -$/slot 9 A00009L9/; s/^slot 10 -$/slot 10 B00009L9/' lib/state
last_file() { tf_field last_file "mnt/tapes/$1/.status"; }

for i in $(seq -w 1 20); do
	mkdir -p src/d$i/sub
	head -c $((800000 + 1000 * 10#$i)) /dev/urandom >src/d$i/data.bin
	head -c 3000 /dev/urandom >src/d$i/sub/small.bin
	chmod 0640 src/d$i/data.bin
	ln -s data.bin src/d$i/latest
done
mkdir -p src/ver && echo "version one" >src/ver/file.txt && touch -d @1600000000 src/ver/file.txt

check "mount" tf_mount tapefs.ini mnt
echo inventory >mnt/.library
for _ in $(seq 200); do grep -q '^inventory: done' mnt/.library && break; sleep 0.1; done
check "the two large cartridges are labelled" grep -q '2 labelled' mnt/.library
n=0
dump() { if tf_dump_dir "$1"; then n=$((n + 1)); else echo "# dump of $1 failed"; fi; }
for i in $(seq -w 1 10); do dump d$i; done
dump ver
echo "version two, longer" >src/ver/file.txt
rmdir mnt/staging/ver # a dumped directory stays staged: cp -r would nest
dump ver
for i in $(seq -w 11 20); do dump d$i; done
check_eq "22 archives dumped" 22 "$n"
check_eq "archive/ver/file.txt is the second version" "version two, longer" "$(cat mnt/archive/ver/file.txt)"
check_eq "the first version is on tape" 2 "$(ls mnt/tapes/*/*/ver/file.txt | wc -l | awk '{ print $1 / 2 }')"
held=$(for t in mnt/tapes/*/; do ls "$t" | grep -q '^0' && basename "$t"; done | sort)
check "four tapes or more hold archives" test "$(wc -w <<<"$held")" -ge 4

# a dump killed in the middle of its archive: 100 MB (only the large
# cartridges take it), drives at 4 MB/s past their 64 MiB buffer, kill -9
mkdir -p src/killed && head -c $((100 << 20)) /dev/urandom >src/killed/big.bin
# (a scratch tape is taken by barcode, whatever its size: the small ones
# left are closed, and opened again after)
small=$(grep -l '^state: scratch' mnt/tapes/[AB]0000[1-8]L9/.status | xargs -r -n1 dirname | xargs -r -n1 basename)
for bc in $small; do echo close >mnt/tapes/$bc/.ctl; done
tf_set_rate 4
cp -r src/killed mnt/staging/killed
echo "now killed" >mnt/.dump
for _ in $(seq 200); do grep -q '^drive[0-9]: writing' mnt/.status && break; sleep 0.1; done
sleep 2
grep '^drive[0-9]' mnt/.status | sed 's/^/# /'
kill -9 "$TF_PID"
wait "$TF_PID" 2>/dev/null
fusermount3 -u -z mnt 2>/dev/null
tf_set_rate 0
check "remount after the kill" tf_mount tapefs.ini mnt
for bc in $small; do echo reopen >mnt/tapes/$bc/.ctl; done
check "the killed dump is failed in the journal" grep -q 'interrupted' mnt/.status
check "its file is still staged" test -f mnt/staging/killed/big.bin
tf_listing mnt >before.list
tf_tapes_state mnt >before.tapes
tf_umount mnt
partial=
for img in lib/tapes/*.vtape; do
	bc=$(basename "$img" .vtape)
	tf_tape_files "$img" >"$bc.before"
	"$TF_TAPEFS" vtape ls "$img" | grep -q 'no filemark' && partial="$partial $bc"
done
echo "# the killed dump's partial archive is on$partial"
check_eq "both large cartridges end with the killed dump's partial archive" " A00009L9 B00009L9" "$partial"

# the catalog and its WAL are lost
rm -f cat.db cat.db-wal cat.db-shm
check "mount over a library the catalog does not know" tf_mount tapefs.ini mnt
for bc in $held $partial; do
	check_eq "$bc comes back closed" closed "$(tf_field state mnt/tapes/$bc/.status)"
done
mkdir -p src/new && head -c 200000 /dev/urandom >src/new/after-the-loss.bin
check "a new dump" tf_dump_dir new
tf_listing mnt >new.list
tf_tapes_state mnt >new.tapes
tf_umount mnt
for img in lib/tapes/*.vtape; do
	bc=$(basename "$img" .vtape)
	tf_tape_files "$img" >"$bc.after-new"
	# every file that was on the tape is byte for byte what it was
	check "$bc: not one tape file changed" bash -c "join '$bc.before' '$bc.after-new' | awk '\$2 != \$3 { bad = 1 } END { exit bad }' && test \$(join '$bc.before' '$bc.after-new' | wc -l) -eq \$(wc -l < '$bc.before')"
done

# rebuild from the tapes
out=$("$TF_TAPEFS" rebuild -c tapefs.ini 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
check_eq "tapefs rebuild exits 0" 0 "$rc"
check "it added the 22 archives" grep -q ', 22 archives added' <<<"$out"
check "it journaled the partial archives" grep -q ", 2 partial," <<<"$out"
check "it read little" bash -c "awk '/^read / { exit !(\$2 < 8000000) }' <<<'$out'"
check "mount the rebuilt catalog" tf_mount tapefs.ini mnt
tf_listing mnt >after.list
sort -u before.list new.list >want.list
check "archive/ and tapes/ are what they were, and the new dump" cmp want.list after.list
diff want.list after.list | head -n 10
tf_tapes_state mnt >after.tapes
# a tape that held archives is what it was before the loss; one that held
# none is what the catalog that went on made of it (the new dump's)
while IFS= read -r line; do
	bc=${line%% *}
	if grep -qw "$bc" <<<"$held $partial"; then echo "$line"; else grep "^$bc " new.tapes; fi
done <before.tapes >want.tapes
check "every tape's state and counts are what they were" cmp want.tapes after.tapes
diff want.tapes after.tapes | sed 's/^/# /'
check_eq "archive/ver/file.txt is still the second version" "version two, longer" "$(cat mnt/archive/ver/file.txt)"
run=$(tf_verify all)
check "verify all ran" test -n "$run"
check_eq "verify all: 0 bad" 0 "$(tf_field bad mnt/verify/$run/summary)"
check_eq "verify all: 0 unreadable" 0 "$(tf_field unreadable mnt/verify/$run/summary)"
# two copies of every file: 20 x 2, two versions of ver/file.txt, the new dump's
check_eq "verify all: every copy of every file OK" $((2 * (20 * 2 + 2 + 1))) "$(tf_field ok mnt/verify/$run/summary)"
check_eq "verify all: no failures" "" "$(cat mnt/verify/$run/failures)"
sed 's/^/# /' mnt/verify/$run/summary
check "tapefs fsck: clean" "$TF_TAPEFS" fsck -c tapefs.ini

# the next dump appends after the last archive of each tape it goes to;
# with every open tape closed, the next one goes to the large cartridges,
# over the killed dump's partial archive (the catalog journaled it)
for bc in $(cd mnt/tapes && ls); do echo "$bc $(last_file $bc)"; done >last.before
for d in n1 n2; do mkdir -p src/$d && head -c 100000 /dev/urandom >src/$d/f.bin; done
copies_of() { getfattr --only-values -n user.tapefs.copies "mnt/archive/$1/f.bin" | tr ',' '\n' | cut -d: -f1,2 | tr ':' ' '; }
check "dump n1 after the rebuild" tf_dump_dir n1
copies_of n1 >n1.copies
check_eq "n1: two copies" 2 "$(wc -l <n1.copies)"
while read -r bc f; do
	prev=$(awk -v b="$bc" '$1 == b { print $2 }' last.before)
	check_eq "n1 on $bc: appended after its last archive" "$((prev + 1))" "$f"
done <n1.copies
for t in mnt/tapes/*/; do
	grep -q '^state: open' "$t/.status" && echo close >"$t/.ctl"
done
check "dump n2 after the rebuild" tf_dump_dir n2
copies_of n2 >n2.copies
check_eq "n2 went over the partial archives" "A00009L9 1,B00009L9 1" "$(paste -sd, n2.copies)"
tf_listing mnt >appended.list
tf_umount mnt
for bc in $(cut -d' ' -f1 n1.copies); do
	tf_tape_files "lib/tapes/$bc.vtape" >"$bc.after-append"
	keep=$(awk -v b="$bc" '$1 == b { print $2 }' last.before)
	check "$bc: the $keep archives before the append are untouched" \
		bash -c "head -n $keep '$bc.before' | cmp - <(head -n $keep '$bc.after-append')"
done

# lost again: rebuilt online, through the daemon
cp cat.db cat.keep
sqlite3 cat.db "select a.uuid, c.barcode, c.fileno, c.start_lblock, c.size from copy c join archive a on a.id = c.archive order by 2, 3" >copies.before
rm -f cat.db cat.db-wal cat.db-shm
check "mount again without a catalog" tf_mount tapefs.ini mnt
check "echo rebuild > .library" bash -c "echo rebuild > mnt/.library"
for _ in $(seq 600); do grep -q '^last_rebuild:' mnt/.library && break; sleep 0.1; done
check "the rebuild ended" grep -q '^last_rebuild: done .*: [0-9]* tapes read (0 not)' mnt/.library
grep '^last_rebuild' mnt/.library | sed 's/^/# /'
check ".status counts no unknown tape" grep -qx 'unknown_tapes: 0' mnt/.status
tf_listing mnt >online.list
tf_umount mnt
sqlite3 cat.db "select a.uuid, c.barcode, c.fileno, c.start_lblock, c.size from copy c join archive a on a.id = c.archive order by 2, 3" >copies.after
check "online: every copy is back" cmp copies.before copies.after
check "online: archive/ and tapes/ as they were" cmp appended.list online.list
