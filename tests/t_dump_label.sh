# Before writing, the label on tape is read: a tape whose label names
# another cartridge is refused (never written), closed in the catalog, and
# .status says so; the dump goes to the next tape of the pool.
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 4 --capacity 64M --pools 1 -- copies=1 pools=A
check "mount" tf_mount tapefs.ini mnt
check "A00001L9 known as scratch" grep -q '^state: scratch' mnt/tapes/A00001L9/.status
tf_umount mnt
# The cartridge with barcode A00001L9 now holds A00002L9's label.
cp lib/tapes/A00002L9.vtape lib/tapes/A00001L9.vtape
before=$(md5sum < lib/tapes/A00001L9.vtape)
check "mount again" tf_mount tapefs.ini mnt
echo data > mnt/staging/file.txt
echo now > mnt/.dump
tf_wait_dumps 1 30
check "dump committed" grep -q '^dumps_committed: 1' mnt/.dump
check_eq "on the next tape" "A00002L9:1" "$(tf_last_tapes)"
check ".status says the tape was refused" grep -q 'A00001L9 refused: its label names A00002L9' mnt/.status
check "A00001L9 closed" grep -q '^state: closed' mnt/tapes/A00001L9/.status
tf_umount mnt
check_eq "the refused tape was not written" "$before" "$(md5sum < lib/tapes/A00001L9.vtape)"
