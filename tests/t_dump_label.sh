# Before writing, the label on tape is read: a tape whose label names
# another cartridge is refused (never written), closed in the catalog, and
# .status says so; the dump goes to the next tape of the pool.
. "$TOP/tests/lib.sh"

"$TAPEFS" mkvlib lib --drives 1 --slots 4 --capacity 64M --pools 1 >/dev/null
cat > tapefs.ini <<'INI'
[tapefs]
staging = stg
catalog = cat.db
cache = cache
copies = 1
pools = A
[dump]
bytes = 1T
files = 1000000
idle = 0
[library]
changer = vlib
path = lib
INI
check "mount" tf_mount tapefs.ini mnt
check "A00001L9 known as scratch" grep -q '^state: scratch' mnt/tapes/A00001L9/.status
tf_umount mnt
# The cartridge with barcode A00001L9 now holds A00002L9's label.
cp lib/tapes/A00002L9.vtape lib/tapes/A00001L9.vtape
before=$(md5sum < lib/tapes/A00001L9.vtape)
check "mount again" tf_mount tapefs.ini mnt
echo data > mnt/staging/file.txt
echo now > mnt/.dump
for i in $(seq 300); do
	grep -q '^dumps_committed: 1' mnt/.dump && grep -q '^state: idle' mnt/.dump && break
	sleep 0.1
done
check "dump committed" grep -q '^dumps_committed: 1' mnt/.dump
check_eq "on the next tape" "A00002L9:1" "$(sed -n 's/^last_dump: .* tapes //p' mnt/.dump)"
check ".status says the tape was refused" grep -q 'A00001L9 refused: its label names A00002L9' mnt/.status
check "A00001L9 closed" grep -q '^state: closed' mnt/tapes/A00001L9/.status
tf_umount mnt
check_eq "the refused tape was not written" "$before" "$(md5sum < lib/tapes/A00001L9.vtape)"
