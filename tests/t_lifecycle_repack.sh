# Repack and migrate over a real mount. Four archives dumped with
# copies = 2 (pools A and B) all land on A00001L9 and B00001L9.
# `repack A00001L9`: the tape is closed and ends with no live copy, every
# archive's copy in A is on A00002L9 (user.tapefs.copies says so), and
# with A00001L9's data made unreadable every file still reads back with
# its MD5. `migrate B C`: no live copy left in pool B, every archive has
# one in C; verify all: 8 copies, 0 bad. fsck clean.
. "$TOP/tests/lib.sh"
. "$TOP/tests/lib_lifecycle.sh"

tf_setup --drives 2 --slots 8 --capacity 64M --pools 3 -- copies=2 pools=A,B block_size=64K

mkdir -p src
for d in d1 d2 d3 d4; do
	mkdir -p src/$d
	for i in 1 2 3; do head -c $((i * 90000 + 321)) /dev/urandom > src/$d/f$i; done
done
check "mount" tf_mount tapefs.ini mnt
for d in d1 d2 d3 d4; do check "dump $d" tf_dump_dir $d; done
check "4 archives on A00001L9" test -d mnt/tapes/A00001L9/0004
check "A00001L9 open" grep -qx 'state: open' mnt/tapes/A00001L9/.status

# where each file's data lies on A00001L9 before the repack
declare -A oldblk
for f in src/d*/f*; do
	f=${f#src/}
	oldblk[$f]=$(getfattr --only-values -n user.tapefs.copies "mnt/archive/$f" | tr ',' '\n' | sed -n 's/^A00001L9:[0-9]*://p')
done

check_fails "repack of an unknown label refused" "Invalid argument" bash -c "echo 'repack NOSUCH' > mnt/.library"
check_fails "migrate to the same pool refused" "Invalid argument" bash -c "echo 'migrate B B' > mnt/.library"
check_fails "migrate to an unknown pool refused" "Invalid argument" bash -c "echo 'migrate B Q' > mnt/.library"
check "repack queued" sh -c "echo 'repack A00001L9' > mnt/.library"
res=$(wait_life)
echo "# $res"
check_eq "repack: every archive moved" "repack A00001L9: 4 of 4 archives copied, 0 failed" "${res%, * bytes}"
check_eq "A00001L9: no live copy" 0 "$(live_on A00001L9)"
check_eq "A00001L9: 4 copies lost" "A00001L9 lost 4" "$(copies | grep '^A00001L9')"
check "A00001L9 closed" grep -qx 'state: closed' mnt/tapes/A00001L9/.status
check_eq "A00002L9: 4 good copies" "A00002L9 good 4" "$(copies | grep '^A00002L9')"
for d in d1 d2 d3 d4; do
	c=$(getfattr --only-values -n user.tapefs.copies mnt/archive/$d/f1)
	check "$d: copies on A00002L9 and B00001L9 ($c)" bash -c "echo '$c' | grep -qx 'B00001L9:[0-9]*:[0-9]*,A00002L9:[0-9]*:[0-9]*\|A00002L9:[0-9]*:[0-9]*,B00001L9:[0-9]*:[0-9]*'"
done
tf_umount mnt

# A00001L9 unreadable where the files were: they come from the new tapes
for f in "${!oldblk[@]}"; do
	"$TAPEFS" vtape inject lib/tapes/A00001L9.vtape unreadable $((oldblk[$f] + 1)) || not_ok "inject $f"
done
check "mount again" tf_mount tapefs.ini mnt
check "every file reads back" bash -c 'for f in src/d*/f*; do f=${f#src/}; [ "$(md5sum < mnt/archive/$f)" = "$(md5sum < src/$f)" ] || exit 1; done'

check "migrate queued" sh -c "echo 'migrate B C' > mnt/.library"
res=$(wait_life)
echo "# $res"
check_eq "migrate: every archive moved" "migrate B C: 4 of 4 archives copied, 0 failed" "${res%, * bytes}"
check_eq "pool B: no live copy" 0 "$(live_on B)"
check_eq "pool C: 4 good copies" 4 "$(live_on C)"
for d in d1 d2 d3 d4; do
	c=$(getfattr --only-values -n user.tapefs.copies mnt/archive/$d/f2)
	check "$d: copies on A00002L9 and C00001L9 ($c)" bash -c "echo '$c' | tr , '\n' | cut -d: -f1 | sort | tr '\n' ' ' | grep -qx 'A00002L9 C00001L9 '"
done
run=$(tf_verify all)
s=mnt/verify/$run/summary
check_eq "verify all: 8 copies" 8 "$(tf_field archives "$s")"
check_eq "verify all: 0 bad" 0 "$(tf_field bad "$s")"
check_eq "verify all: 0 unreadable" 0 "$(tf_field unreadable "$s")"
check_eq "verify all: 24 members ok" 24 "$(tf_field ok "$s")"
tf_umount mnt
check "tapefs fsck clean" "$TAPEFS" fsck -c tapefs.ini
