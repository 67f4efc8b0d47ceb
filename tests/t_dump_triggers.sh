# What starts a dump without `.dump`: the files threshold, the bytes
# threshold, the idle time; files already staged at mount are eligible; a
# file still open for writing is never taken; a file changed while being
# written stays staged and is dumped later; with one drive for two copies
# the copies are written one after the other.
. "$TOP/tests/lib.sh"

tf_mkvlib lib --drives 1 --slots 4 --capacity 256M --pools 2 --rate 10
ini() { # FILES BYTES IDLE
	tf_config tapefs.ini copies=2 pools=A,B block_size=64K \
		dump.files="$1" dump.bytes="$2" dump.idle="$3"
}
committed() { sed -n 's/^dumps_committed: //p' mnt/.dump; }
wait_committed() { # N SECONDS
	for i in $(seq $(( $2 * 10 ))); do
		[ "$(committed)" -ge "$1" ] 2>/dev/null && grep -q '^state: idle' mnt/.dump && return 0
		sleep 0.1
	done
	return 1
}

# files = 3: two files wait, the third starts a dump.
ini 3 1T 0
check "mount" tf_mount tapefs.ini mnt
echo one > mnt/staging/f1
echo two > mnt/staging/f2
sleep 2
check_eq "two files: no dump yet" "0" "$(committed)"
echo three > mnt/staging/f3
check "the third file starts a dump" wait_committed 1 30
check_eq "staging empty" "" "$(ls -A stg)"
# One drive, two copies: written one after the other, both committed.
tapes=$(tf_last_tapes)
check_eq "one drive: both copies, pools A and B" "AB" "$(echo "$tapes" | tr ',' '\n' | cut -c1 | sort | tr -d '\n')"

# A file open for writing is not taken, whatever triggers.
exec 7> mnt/staging/open.txt
echo partial >&7
echo x > mnt/staging/g1
echo y > mnt/staging/g2
echo z > mnt/staging/g3
check "threshold dump" wait_committed 2 30
check "the open file stays staged" test -f stg/open.txt
check "archive/ has no open.txt" test ! -e mnt/archive/open.txt
echo rest >&7
exec 7>&-
tf_umount mnt

# bytes = 1M; files already staged at mount count.
head -c 600000 /dev/urandom > stg/pre.bin
ini 1000000 1M 0
check "mount (bytes threshold)" tf_mount tapefs.ini mnt
sleep 2
check_eq "600 KB staged: no dump" "0" "$(committed)"
# pre.bin and open.txt ("partial\nrest\n", closed since)
check_eq ".dump shows the pending bytes" "600013" "$(sed -n 's/^pending_bytes: //p' mnt/.dump)"
head -c 600000 /dev/urandom > mnt/staging/more.bin
check "1.2 MB staged: a dump" wait_committed 1 30
check "open.txt (closed since) went with it" test -f mnt/archive/open.txt
check_eq "open.txt whole" "partial
rest" "$(cat mnt/archive/open.txt)"
tf_umount mnt

# idle = 2 s.
ini 1000000 1T 2
check "mount (idle)" tf_mount tapefs.ini mnt
echo idle > mnt/staging/idle.txt
check "idle: a dump within seconds" wait_committed 1 20
check "idle.txt archived" test -f mnt/archive/idle.txt
tf_umount mnt

# A file changed while the archive is written stays staged; the rest goes.
ini 1000000 1T 0
check "mount (change)" tf_mount tapefs.ini mnt
head -c $((12 << 20)) /dev/urandom > mnt/staging/a-big.bin
echo before > mnt/staging/z-changes.txt
echo now > mnt/.dump
sleep 0.5
echo after >> mnt/staging/z-changes.txt
check "dump with the changed file left out" wait_committed 1 60
check "a-big.bin archived" test -f mnt/archive/a-big.bin
check "z-changes.txt still staged" test -f stg/z-changes.txt
check ".status says it changed" grep -q "z-changes.txt' changed while being written" mnt/.status
# the archive is written again at the same tape files: journaled again there
check "no journal error" bash -c "! grep -q 'journal' mnt/.status"
echo now > mnt/.dump
check "dumped later, whole" wait_committed 2 30
check_eq "z-changes.txt as it ended" "before
after" "$(cat mnt/archive/z-changes.txt)"
check_eq "staging empty" "" "$(ls -A stg)"

# A directory renamed while the archive is written: one rewrite without
# the whole directory (not one per file); it is dumped later by its new name.
head -c $((12 << 20)) /dev/urandom > mnt/staging/a-big2.bin
mkdir mnt/staging/mv-me
for i in $(seq 40); do echo "f$i" > mnt/staging/mv-me/f$i; done
echo now > mnt/.dump
sleep 0.5
mv mnt/staging/mv-me mnt/staging/moved
check "dump without the renamed directory" wait_committed 3 60
check "a-big2.bin archived" test -f mnt/archive/a-big2.bin
check "mv-me not archived" test ! -e mnt/archive/mv-me
check "moved/ still staged" test -f stg/moved/f40
check ".status: the rest of the directory in one go" grep -q "more entries changed since the snapshot" mnt/.status
echo now > mnt/.dump
check "moved/ dumped later" wait_committed 4 30
check_eq "moved/f40" "f40" "$(cat mnt/archive/moved/f40)"
check_eq "no file staged at the end" "" "$(find stg -mindepth 1 ! -type d)"
