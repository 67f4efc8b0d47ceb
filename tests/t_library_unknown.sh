# A catalog lost over a library that holds archives: dump to the library,
# delete the catalog (and its -wal/-shm), mount again. The tapes that hold
# archives come back closed (never scratch), .status counts and names
# them and says what to do, and new dumps go to other tapes: every tape
# file that held an archive is byte for byte what it was. A tape put back
# through the mailbox is registered closed by `.library inventory` the
# same way. A tape the operator reopens anyway is refused by the check
# before the write (its label is right, but file 1 holds data this
# catalog did not write) and closed again; `tapefs fsck` calls it a
# problem meanwhile. Then the same library over mtx/st, with a robot that
# cannot peek, and a third catalog.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 8 --ie 1 --capacity 64M --pools 2 -- copies=2 pools=A,B block_size=64K
state() { tf_field state "mnt/tapes/$1/.status"; }
lib() { bash -c "echo '$1' > mnt/.library"; }
for d in one two three four; do
	mkdir -p src/$d
	head -c $((1 << 20)) /dev/urandom > src/$d/data.bin
	echo "$d" > src/$d/note.txt
done
OLD="A00001L9 B00001L9 A00002L9 B00002L9" # the tapes the lost catalog wrote

check "mount" tf_mount tapefs.ini mnt
check "dump one" tf_dump_dir one
check "dump two" tf_dump_dir two
check_eq "A00001L9 holds them" "open" "$(state A00001L9)"
echo close > mnt/tapes/A00001L9/.ctl
echo close > mnt/tapes/B00001L9/.ctl
check "a third dump on the next tapes" tf_dump_dir three
check_eq "A00002L9 holds it" "open" "$(state A00002L9)"
check "B00002L9 exported" lib "export B00002L9"
for _ in $(seq 100); do grep -q '^last_export:' mnt/.library && break; sleep 0.1; done
check "B00002L9 in the mailbox" grep -q '^last_export: B00002L9 moved to slot 9' mnt/.library
tf_umount mnt
for bc in $OLD; do tf_tape_files lib/tapes/$bc.vtape > $bc.before; done
check_eq "A00001L9: two archives on tape" 2 "$(wc -l < A00001L9.before)"
check_eq "B00002L9: one archive on tape" 1 "$(wc -l < B00002L9.before)"

# the catalog is lost, and the operator took B00002L9 out of the mailbox
rm -f cat.db cat.db-wal cat.db-shm
sed -i 's/^slot 9 B00002L9$/slot 9 -/' lib/state
check "mount over a library the new catalog does not know" tf_mount tapefs.ini mnt
for bc in A00001L9 B00001L9 A00002L9; do
	check_eq "$bc holds archives: it comes back closed" "closed" "$(state $bc)"
done
check "tapes/LABEL/.status says why" grep -q '^note: holds archives this catalog does not know' mnt/tapes/A00001L9/.status
for bc in A00003L9 B00003L9 A00004L9 B00004L9; do
	check_eq "$bc (only a label) is scratch" "scratch" "$(state $bc)"
done
check "tapes_scratch counts the blank ones only" grep -qx 'tapes_scratch: 4' mnt/.status
check ".status counts the unknown tapes" grep -qx 'unknown_tapes: 3' mnt/.status
for bc in A00001L9 B00001L9 A00002L9; do
	check ".status names $bc" grep -q "^unknown_tape: $bc holds archives this catalog does not know" mnt/.status
done
check ".status says what to do" grep -q '^unknown_tapes_help: 3 tapes hold archives this catalog does not know: closed, so nothing is written over them; to read them, mount with the catalog that wrote them' mnt/.status
check ".status.json has the count and the tapes" python3 -c 'import json; t=json.load(open("mnt/.status.json"))["tapes"]; assert t["unknown_total"] == 3 and sorted(u["tape"] for u in t["unknown"]) == ["A00001L9", "A00002L9", "B00001L9"], t'
check "an error line for each" grep -q '^error: .*tape A00001L9 holds archives this catalog does not know: registered closed' mnt/.status
check_eq "the old archives are not in archive/" "" "$(ls mnt/archive)"

# B00002L9 comes back through the mailbox: the operator's inventory reads
# it through the drive scheduler and registers it closed
sed -i 's/^slot 9 -$/slot 9 B00002L9/' lib/state
check "inventory queued" lib inventory
for _ in $(seq 200); do grep -q '^inventory: done' mnt/.library && break; sleep 0.1; done
check "the inventory added it, closed" grep -q '^inventory: done .*: 1 new tapes (0 labelled), .*; 1 of the new tapes hold archives this catalog does not know: closed' mnt/.library
check_eq "B00002L9 closed" "closed" "$(state B00002L9)"
check ".status counts it" grep -qx 'unknown_tapes: 4' mnt/.status

# a new dump goes to other tapes
check "the new dump committed" tf_dump_dir four
copies=$(getfattr --only-values -n user.tapefs.copies mnt/archive/four/data.bin 2>/dev/null)
check "copy A at file 1 of a scratch tape" grep -Eq '(^|,)A0000[34]L9:1:' <<<"$copies"
check "copy B at file 1 of a scratch tape" grep -Eq '(^|,)B0000[34]L9:1:' <<<"$copies"
check "no copy on the tapes that hold archives" bash -c "! grep -Eq '(A|B)0000[12]L9' <<<'$copies'"

# the operator reopens A00001L9 anyway, and every other tape of pool A is
# closed: fsck calls it a problem; the dump takes it, the check before the
# write refuses it
for bc in A00003L9 A00004L9; do echo close > mnt/tapes/$bc/.ctl; done
check "reopen is accepted by the catalog" bash -c "echo reopen > mnt/tapes/A00001L9/.ctl"
check_eq "the catalog now says scratch" "scratch" "$(state A00001L9)"
out=$("$TF_TAPEFS" fsck -c tapefs.ini 2>&1); rc=$?
check_eq "fsck: a scratch tape that holds archives is a problem" 1 "$rc"
check "fsck says which" grep -q 'tape "A00001L9" is scratch in the catalog but holds archives this catalog does not know' <<<"$out"
mkdir -p mnt/staging/five
echo five > mnt/staging/five/note.txt
echo "now five" > mnt/.dump
for _ in $(seq 300); do [ "$(state A00001L9)" = closed ] && grep -q '^state: idle' mnt/.dump && break; sleep 0.1; done
check_eq "refused and closed again" "closed" "$(state A00001L9)"
check ".status says why" grep -q '^error: .*tape A00001L9 refused: it holds archives this catalog does not know from file 1 on; tape closed' mnt/.status
check "nothing committed to it" bash -c "! ls mnt/tapes/A00001L9 | grep -q '^0'"
echo reopen > mnt/tapes/A00004L9/.ctl
echo "now five" > mnt/.dump
check "the dump goes to A00004L9 once it is open" tf_wait_dumps 2
check "five on A00004L9" bash -c "getfattr --only-values -n user.tapefs.copies mnt/archive/five/note.txt | grep -q 'A00004L9:1:'"
tf_umount mnt

for bc in $OLD; do
	tf_tape_files lib/tapes/$bc.vtape > $bc.after
	check "$bc: every tape file byte for byte as it was" cmp $bc.before $bc.after
done
check "tapefs fsck" "$TF_TAPEFS" fsck -c tapefs.ini

# The same with a robot that cannot peek (mtx over the SG_IO shim, st over
# the st shim) and a third catalog: every cartridge is read in a drive;
# the seven that hold archives come back closed, B00004L9 scratch.
SG=$BUILD/tests/libsgshim.so ST=$BUILD/tests/libstshim.so
tf_need /usr/sbin/mtx "$SG" "$ST"
export TAPEFS_SGSHIM=/dev/sg9=$PWD/lib
export TAPEFS_STSHIM=/dev/nst0=$PWD/lib/drive0,/dev/nst1=$PWD/lib/drive1
tf_config mtx.ini copies=2 pools=A,B block_size=64K catalog=mtx.db \
	library.changer=mtx library.path=/dev/sg9 library.mtx=/usr/sbin/mtx library.tape=st \
	library.drives=2 library.drive0=/dev/nst0 library.drive1=/dev/nst1
TAPEFS=$(tf_preloaded "$SG" "$ST")
HELD="$OLD A00003L9 B00003L9 A00004L9"
for bc in $HELD; do tf_tape_files lib/tapes/$bc.vtape > $bc.mtx-before; done
# drive 1 is emptied: the mount loads each cartridge into it, looks at it
# and puts it back; the one left in drive 0 is read there
src=$(LD_PRELOAD=$SG /usr/sbin/mtx -f /dev/sg9 status | sed -n 's/^Data Transfer Element 1:Full (Storage Element \([0-9]*\) Loaded).*/\1/p')
echo "# drive 1 held the cartridge of slot ${src:-none}"
[ -z "$src" ] || LD_PRELOAD=$SG /usr/sbin/mtx -f /dev/sg9 unload "$src" 1 >/dev/null
check "mount over mtx/st with a new catalog" tf_mount mtx.ini mnt
check_eq "mtx: every cartridge registered" 8 "$(ls mnt/tapes | wc -l)"
for bc in $HELD; do
	check_eq "mtx: $bc holds archives: closed" "closed" "$(state $bc)"
done
check_eq "mtx: B00004L9 holds only its label: scratch" "scratch" "$(state B00004L9)"
check "mtx: .status counts them" grep -qx 'unknown_tapes: 7' mnt/.status
check "mtx: every cartridge was read at mount" bash -c "! grep -q 'no drive is empty' mnt/.status"
tf_umount mnt
for bc in $HELD; do
	tf_tape_files lib/tapes/$bc.vtape > $bc.mtx-after
	check "mtx: $bc byte for byte as it was" cmp $bc.mtx-before $bc.mtx-after
done
