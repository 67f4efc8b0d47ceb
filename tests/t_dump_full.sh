# A tape reaching early warning in the middle of an archive: that copy is
# abandoned, the tape is marked full, the whole archive is written again on
# the next tape of the pool; the other copy stays as written once; nothing
# is missing and the archive never spans tapes.
. "$TOP/tests/lib.sh"

tf_mkvlib lib --drives 2 --slots 6 --capacity 64M --pools 2
ini() { tf_config tapefs.ini copies="$1" pools="$2"; } # COPIES POOLS
# First, one copy of 40 MiB on A00001L9 only.
ini 1 A
check "mount (1 copy)" tf_mount tapefs.ini mnt
head -c $((40 << 20)) /dev/urandom > mnt/staging/first.bin
echo now > mnt/.dump
check "first dump" tf_wait_dumps 1
check_eq "first dump on A00001L9" "A00001L9:1" "$(tf_last_tapes)"
tf_umount mnt

# Then two copies of 20 MiB: the catalog still sees room on A00001L9
# (64 MiB less 40, less its 1% reserve), but the cartridge's early warning
# comes earlier than that (8 MiB before its end, written into the image's
# header): the tape reaches early warning before the archive ends.
printf '\x00\x00\x80\x00\x00\x00\x00\x00' |
	dd of=lib/tapes/A00001L9.vtape bs=1 seek=72 conv=notrunc 2>/dev/null
check_eq "A00001L9's early warning moved" "8388608" \
	"$("$TAPEFS" vtape info lib/tapes/A00001L9.vtape | sed -n 's/^early_warning: //p')"
ini 2 A,B
check "mount (2 copies)" tf_mount tapefs.ini mnt
# The mount queues `copy B` for the first archive (copies was raised): let
# it end first, else the dump finds B00001L9 busy and takes B00002L9.
for _ in $(seq 600); do
	getfattr --only-values -n user.tapefs.copies mnt/archive/first.bin 2>/dev/null | grep -q B00001L9 && break
	sleep 0.1
done
mkdir -p mnt/staging/second
head -c $((20 << 20)) /dev/urandom > src-big.bin
cp src-big.bin mnt/staging/second/big.bin
echo tail > mnt/staging/second/tail.txt
echo now > mnt/.dump
check "second dump" tf_wait_dumps 1
second=$(tf_last_tapes)
# (B00001L9's file 1 is the copy of the first archive)
check "A copy rewritten on the next tape, B copy written once ($second)" bash -c "echo '$second' | grep -qx 'A00002L9:1,B00001L9:2'"
bfile=${second##*:}
check "A00001L9 is full" grep -q '^state: full' mnt/tapes/A00001L9/.status
check ".status tells" grep -q 'A00001L9 reached early warning' mnt/.status
check "no file left in staging/" test -z "$(find stg -mindepth 1 ! -type d)"
check "archive/: first.bin" test -f mnt/archive/first.bin
check "archive/: second/big.bin bytes" cmp src-big.bin mnt/archive/second/big.bin
check_eq "A00001L9 holds only the first archive" "0001" "$(ls mnt/tapes/A00001L9 | tr '\n' ' ' | sed 's/ $//')"
tf_umount mnt
for bc in A00002L9 B00001L9; do
	f=1
	[ $bc = B00001L9 ] && f=$bfile
	"$TAPEFS" vtape export lib/tapes/$bc.vtape $f $bc.tar
	mkdir x-$bc
	check "$bc: GNU tar extracts the whole archive" tar -b 512 -xf $bc.tar -C x-$bc
	check "$bc: big.bin whole" cmp src-big.bin x-$bc/second/big.bin
	check_eq "$bc: tail.txt" "tail" "$(cat x-$bc/second/tail.txt)"
done
check "tapefs fsck" "$TAPEFS" fsck -c tapefs.ini
