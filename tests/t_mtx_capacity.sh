# A cartridge's capacity on real drives: with changer = mtx and tape = st
# (the real mtx over the SG_IO shim, st over the st shim), each drive's
# SCSI generic node answers READ ATTRIBUTE from the vtape image it holds.
# The first mount registers every cartridge with the capacity its medium
# auxiliary memory reports; a dump fills it and tapes/LABEL/.status shows
# capacity, free and percent used. On drives without MAM (ILLEGAL
# REQUEST) the capacity is the LTO generation's of the barcode (L9: 18 TB).
. "$TOP/tests/lib.sh"
SG=$BUILD/tests/libsgshim.so ST=$BUILD/tests/libstshim.so
tf_need /usr/sbin/mtx "$SG" "$ST"

tf_setup --drives 2 --slots 5 --capacity 48M --pools 2 --tapes 4 -- copies=2 pools=A,B \
	block_size=64K library.changer=mtx library.path=/dev/sg9 library.mtx=/usr/sbin/mtx \
	library.tape=st library.drives=2 library.drive0=/dev/nst0 library.drive1=/dev/nst1
export TAPEFS_STSHIM=/dev/nst0=$PWD/lib/drive0,/dev/nst1=$PWD/lib/drive1
export TAPEFS_SGSHIM=/dev/sg9=$PWD/lib,/dev/sg3=tape:$PWD/lib/drive0,/dev/sg4=tape:$PWD/lib/drive1
TAPEFS=$(tf_preloaded "$ST" "$SG")
check "mount over mtx/st" tf_mount tapefs.ini mnt
check_eq "every cartridge registered" "A00001L9 A00002L9 B00001L9 B00002L9" \
	"$(ls mnt/tapes | paste -sd' ')"
for bc in A00001L9 A00002L9 B00001L9 B00002L9; do
	check_eq "$bc: the capacity its MAM reports" "capacity: 48.0 MiB" \
		"$(grep '^capacity:' mnt/tapes/$bc/.status)"
done
check_eq "nothing used yet" "percent_used: 0%" "$(grep '^percent_used:' mnt/tapes/A00001L9/.status)"
check_eq "no errors" "errors: 0" "$(grep '^errors:' mnt/.status)"

head -c $((12 << 20)) /dev/urandom > src.bin
cp src.bin mnt/staging/f.bin
echo now > mnt/.dump
check "dump" tf_wait_dumps 1
check "dumped through mtx/st" cmp src.bin mnt/archive/f.bin
a=$(tf_last_tapes | cut -d, -f1 | cut -d: -f1)
used=$(tf_field bytes_used "mnt/tapes/$a/.status")
cap=$((48 << 20))
check "$a holds the archive" test "$used" -gt $((12 << 20))
check_eq "$a: percent used of the MAM capacity" "percent_used: $((used * 100 / cap))%" \
	"$(grep '^percent_used:' "mnt/tapes/$a/.status")"
check_eq "$a: bytes free" "bytes_free: $((cap - used))" "$(grep '^bytes_free:' "mnt/tapes/$a/.status")"
check_eq "$a: capacity kept after the write" "capacity: 48.0 MiB" "$(grep '^capacity:' "mnt/tapes/$a/.status")"
check_eq "no errors after the dump" "errors: 0" "$(grep '^errors:' mnt/.status)"

# the capacity decides: a file larger than any tape stays staged (with
# the barcode's 18 TB it would have been written until early warning)
head -c $((50 << 20)) /dev/urandom > big.bin
cp big.bin mnt/staging/big.bin
echo now > mnt/.dump
for i in $(seq 300); do grep -q '^too_large:' mnt/.dump && break; sleep 0.1; done
check ".dump: larger than any tape" grep -q '^too_large: 1 (big.bin (52428800 bytes)): larger than any tape takes' mnt/.dump
check "big.bin stays staged" cmp big.bin stg/big.bin
check_eq "nothing more committed" "1" "$(sed -n 's/^dumps_committed: //p' mnt/.dump)"
tf_umount mnt

# the same library on drives without MAM: the barcodes' generation
rm -rf lib cat.db stg cache
tf_mkvlib lib --drives 2 --slots 5 --capacity 48M --pools 2 --tapes 2
export TAPEFS_SGSHIM=/dev/sg9=$PWD/lib,/dev/sg3=tape+nomam:$PWD/lib/drive0,/dev/sg4=tape+nomam:$PWD/lib/drive1
check "mount over drives without MAM" tf_mount tapefs.ini mnt
check_eq "A00001L9: LTO-9's 18 TB" "capacity: 16.4 TiB" "$(grep '^capacity:' mnt/tapes/A00001L9/.status)"
check_eq "A00001L9: 18 TB free" "bytes_free: 18000000000000" "$(grep '^bytes_free:' mnt/tapes/A00001L9/.status)"
tf_umount mnt
