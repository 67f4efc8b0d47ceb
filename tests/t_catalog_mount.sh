# tests/t_catalog_mount.sh - the catalog behind a real mount: two dumps of
# a small tree (the second with a changed file) leave a catalog that
# `tapefs fsck` finds clean, while mounted and after; archive/ shows the
# latest version, tapes/LABEL/0001 the first; hostile names list exactly.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 4 --capacity 64M --pools 2 -- copies=2 pools=A,B

dump_now() { echo now > mnt/.dump && tf_wait_dumps "$1"; } # N committed

check "mount" tf_mount tapefs.ini mnt
mkdir -p "mnt/staging/proj/run 1" "mnt/staging/proj/it's"
echo one > "mnt/staging/proj/run 1/a.dat"
echo two > "mnt/staging/proj/it's/b
c.dat"
printf 'x%.0s' $(seq 300) > mnt/staging/proj/notes.txt
check "first dump" dump_now 1
# directories stay; the kernel may still hold its entry of the dumped
# a.dat: writing it again at once creates it (t_staging_again)
echo "one, changed" > "mnt/staging/proj/run 1/a.dat"
check "second dump" dump_now 2

check_eq "archive/ shows the latest version" "one, changed" "$(cat "mnt/archive/proj/run 1/a.dat")"
check_eq "archive/ lists the tree" "it's
notes.txt
run 1" "$(ls mnt/archive/proj)"
check_eq "a name with a quote and a newline" "two" "$(cat "mnt/archive/proj/it's/b
c.dat")"
first=$(ls mnt/tapes | head -n 1)
check "the first archive keeps the first version" grep -qx one "mnt/tapes/$first/0001/proj/run 1/a.dat"

# A tape a drive holds (the recall above keeps it a moment for a next
# request) is skipped as busy; once the drives let go, all four are read.
for _ in $(seq 50); do
	out=$("$TAPEFS" fsck -c tapefs.ini 2>&1); rc=$?
	[ "$rc" -ne 0 ] || ! grep -q "Device or resource busy" <<<"$out" && break
	sleep 0.1
done
check_eq "fsck while mounted: clean" 0 "$rc"
check "fsck while mounted read the labels" grep -q "labels: 4 read" <<<"$out"
tf_umount mnt
out=$("$TAPEFS" fsck -c tapefs.ini --repair 2>&1); rc=$?
check_eq "fsck after unmount: clean, nothing to repair" 0 "$rc"
check "says clean" grep -q "clean" <<<"$out"
