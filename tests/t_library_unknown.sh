# A catalog lost over a library that holds archives: dump to the library,
# delete the catalog (and its -wal/-shm), mount again. The tapes that hold
# archives come back closed (never scratch), .status counts and names
# them and says what to do, and new dumps go to other tapes: every tape
# file that held an archive is byte for byte what it was. A tape the
# operator reopens anyway is refused by the check before the write (its
# label is right, but file 1 holds data this catalog did not write) and
# closed again, its bytes untouched.
. "$TOP/tests/lib.sh"

"$TAPEFS" mkvlib lib --drives 2 --slots 8 --capacity 64M --pools 2 >/dev/null
cat > tapefs.ini <<'INI'
[tapefs]
staging = stg
catalog = cat.db
cache = cache
copies = 2
pools = A,B
block_size = 64K
[dump]
bytes = 1T
files = 1000000
idle = 0
[library]
changer = vlib
path = lib
INI
wait_dumps() { # N: until N dumps committed and the engine is idle
	for _ in $(seq 600); do
		grep -q "^dumps_committed: $1\$" mnt/.dump && grep -q '^state: idle' mnt/.dump && return 0
		sleep 0.1
	done
	return 1
}
state() { sed -n 's/^state: //p' "mnt/tapes/$1/.status"; }
# tape_files IMAGE: every tape file after the label, one MD5 per line
tape_files() {
	local img=$1 n
	n=$("$TAPEFS" vtape ls "$img" | awk 'NR > 1 && $1 > 0 { n = $1 } END { print n + 0 }')
	for f in $(seq 1 "$n"); do
		echo "$f $("$TAPEFS" vtape export "$img" "$f" - | md5sum | cut -d' ' -f1)"
	done
}

check "mount" tf_mount tapefs.ini mnt
for d in one two; do
	mkdir -p mnt/staging/$d
	head -c $((1 << 20)) /dev/urandom > mnt/staging/$d/data.bin
	echo "$d" > mnt/staging/$d/note.txt
	echo "now $d" > mnt/.dump
done
check "two dumps committed" wait_dumps 2
check_eq "A00001L9 holds them" "open" "$(state A00001L9)"
check_eq "B00001L9 holds them" "open" "$(state B00001L9)"
tf_umount mnt
for bc in A00001L9 B00001L9; do tape_files lib/tapes/$bc.vtape > $bc.before; done
check_eq "A00001L9: two archives on tape" 2 "$(wc -l < A00001L9.before)"
check_eq "B00001L9: two archives on tape" 2 "$(wc -l < B00001L9.before)"

# the catalog is lost
rm -f cat.db cat.db-wal cat.db-shm
check "mount over a library the new catalog does not know" tf_mount tapefs.ini mnt
check_eq "tapes that hold archives come back closed (A)" "closed" "$(state A00001L9)"
check_eq "tapes that hold archives come back closed (B)" "closed" "$(state B00001L9)"
check "tapes/LABEL/.status says why" grep -q '^note: holds archives this catalog does not know' mnt/tapes/A00001L9/.status
for bc in A00002L9 B00002L9 A00003L9 B00004L9; do
	check_eq "$bc (only a label) is scratch" "scratch" "$(state $bc)"
done
check "tapes_scratch counts the blank ones only" grep -qx 'tapes_scratch: 6' mnt/.status
check ".status counts the unknown tapes" grep -qx 'unknown_tapes: 2' mnt/.status
check ".status names A00001L9" grep -q '^unknown_tape: A00001L9 holds archives this catalog does not know' mnt/.status
check ".status names B00001L9" grep -q '^unknown_tape: B00001L9 holds archives this catalog does not know' mnt/.status
check ".status says what to do" grep -q '^unknown_tapes_help: 2 tapes hold archives this catalog does not know: closed, so nothing is written over them; to read them, mount with the catalog that wrote them' mnt/.status
check ".status.json has the count" grep -q '"unknown_tapes": 2' mnt/.status.json
check "an error line for each" grep -q '^error: .*tape A00001L9 holds archives this catalog does not know: registered closed' mnt/.status
check_eq "the old archives are not in archive/" "" "$(ls mnt/archive)"

# a new dump goes to other tapes
mkdir -p mnt/staging/three
head -c $((1 << 20)) /dev/urandom > mnt/staging/three/data.bin
echo "now three" > mnt/.dump
check "the new dump committed" wait_dumps 1
copies=$(getfattr --only-values -n user.tapefs.copies mnt/archive/three/data.bin 2>/dev/null)
check "copy A at file 1 of a scratch tape" grep -Eq '(^|,)A0000[234]L9:1:' <<<"$copies"
check "copy B at file 1 of a scratch tape" grep -Eq '(^|,)B0000[234]L9:1:' <<<"$copies"
check "no copy on the tapes that hold archives" bash -c "! grep -Eq '(A|B)00001L9' <<<'$copies'"
check "still closed" test "$(state A00001L9)" = closed

# the operator reopens A00001L9 anyway, and every other tape of pool A is
# closed: the dump takes it, the check before the write refuses it
for bc in A00002L9 A00003L9 A00004L9; do echo close > mnt/tapes/$bc/.ctl; done
check "reopen is accepted by the catalog" bash -c "echo reopen > mnt/tapes/A00001L9/.ctl"
check_eq "the catalog now says scratch" "scratch" "$(state A00001L9)"
out=$("$TAPEFS" fsck -c tapefs.ini 2>&1); rc=$?
check_eq "fsck: a scratch tape that holds archives is a problem" 1 "$rc"
check "fsck says which" grep -q 'tape "A00001L9" is scratch in the catalog but holds archives this catalog does not know' <<<"$out"
mkdir -p mnt/staging/four
echo four > mnt/staging/four/note.txt
echo "now four" > mnt/.dump
for _ in $(seq 300); do [ "$(state A00001L9)" = closed ] && grep -q '^state: idle' mnt/.dump && break; sleep 0.1; done
check_eq "refused and closed again" "closed" "$(state A00001L9)"
check ".status says why" grep -q '^error: .*tape A00001L9 refused: it holds archives this catalog does not know from file 1 on; tape closed' mnt/.status
check "nothing committed to it" bash -c "! ls mnt/tapes/A00001L9 | grep -q '^0'"
echo reopen > mnt/tapes/A00003L9/.ctl
echo "now four" > mnt/.dump
check "the dump goes to A00003L9 once it is open" wait_dumps 2
check "four on A00003L9" bash -c "getfattr --only-values -n user.tapefs.copies mnt/archive/four/note.txt | grep -q 'A00003L9:1:'"
tf_umount mnt

for bc in A00001L9 B00001L9; do
	tape_files lib/tapes/$bc.vtape > $bc.after
	check "$bc: every tape file byte for byte as it was" cmp $bc.before $bc.after
done
check "tapefs fsck" "$TAPEFS" fsck -c tapefs.ini

# The same with a robot that cannot peek (mtx over the SG_IO shim, st over
# the st shim): every cartridge is read in a drive; the five that hold
# archives come back closed, the three others scratch.
SG=$BUILD/tests/libsgshim.so ST=$BUILD/tests/libstshim.so
[ -x /usr/sbin/mtx ] && [ -f "$SG" ] && [ -f "$ST" ] ||
	{ not_ok "needs /usr/sbin/mtx, $SG and $ST"; exit 1; }
export TAPEFS_SGSHIM=/dev/sg9=$PWD/lib
export TAPEFS_STSHIM=/dev/nst0=$PWD/lib/drive0,/dev/nst1=$PWD/lib/drive1
cat > tapefs-shimmed <<SH
#!/bin/sh
export LD_PRELOAD="$SG $ST"
export ASAN_OPTIONS="verify_asan_link_order=0:\${ASAN_OPTIONS:-}"
exec "$TAPEFS" "\$@"
SH
chmod +x tapefs-shimmed
sed -e 's/^catalog = .*/catalog = mtx.db/' -e '/^\[library\]/,$d' tapefs.ini > mtx.ini
printf '[library]\nchanger = mtx\npath = /dev/sg9\nmtx = /usr/sbin/mtx\ntape = st\ndrives = 2\ndrive0 = /dev/nst0\ndrive1 = /dev/nst1\n' >> mtx.ini
TAPEFS=$PWD/tapefs-shimmed
for bc in A00001L9 B00001L9 A00002L9 B00002L9 A00003L9; do tape_files lib/tapes/$bc.vtape > $bc.mtx-before; done
# drive 1 is emptied: the mount loads each cartridge into it, looks at it
# and puts it back; the one left in drive 0 is read there
src=$(LD_PRELOAD=$SG /usr/sbin/mtx -f /dev/sg9 status | sed -n 's/^Data Transfer Element 1:Full (Storage Element \([0-9]*\) Loaded).*/\1/p')
echo "# drive 1 held the cartridge of slot ${src:-none}"
[ -z "$src" ] || LD_PRELOAD=$SG /usr/sbin/mtx -f /dev/sg9 unload "$src" 1 >/dev/null
check "mount over mtx/st with a new catalog" tf_mount mtx.ini mnt
for _ in $(seq 300); do [ "$(ls mnt/tapes | wc -l)" = 8 ] && break; sleep 0.1; done
check_eq "mtx: every cartridge registered" 8 "$(ls mnt/tapes | wc -l)"
for bc in A00001L9 B00001L9 A00002L9 B00002L9 A00003L9; do
	check_eq "mtx: $bc holds archives: closed" "closed" "$(state $bc)"
done
for bc in A00004L9 B00003L9 B00004L9; do
	check_eq "mtx: $bc holds only its label: scratch" "scratch" "$(state $bc)"
done
check "mtx: .status counts them" grep -qx 'unknown_tapes: 5' mnt/.status
check "mtx: every cartridge was read at mount" bash -c "! grep -q 'no drive is empty' mnt/.status"
tf_umount mnt
for bc in A00001L9 B00001L9 A00002L9 B00002L9 A00003L9; do
	tape_files lib/tapes/$bc.vtape > $bc.mtx-after
	check "mtx: $bc byte for byte as it was" cmp $bc.mtx-before $bc.mtx-after
done
