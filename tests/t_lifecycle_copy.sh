# Adding a copy over a real mount: archives dumped with copies = 1 (pool
# A); the configuration raised to copies = 2 with pool B; the next mount
# names the request in .status, `copy B` gives every archive its copy in
# B, tape to tape; verify all: 0 bad, every archive 2 good copies; the files read
# back from B alone (A's data made unreadable). A second mount says
# nothing lacks a copy.
. "$TOP/tests/lib.sh"
. "$TOP/tests/lib_lifecycle.sh"

tf_setup --drives 2 --slots 8 --capacity 256M --pools 2 -- copies=1 pools=A

mkdir -p src
for d in d1 d2 d3; do
	mkdir -p src/$d
	for i in $(seq 5); do head -c $((i * 100000 + 17)) /dev/urandom > src/$d/f$i; done
done
check "mount (copies = 1)" tf_mount tapefs.ini mnt
for d in d1 d2 d3; do check "dump $d" tf_dump_dir $d; done
check "one copy each" bash -c "getfattr --only-values -n user.tapefs.copies mnt/archive/d3/f1 | grep -qx 'A00001L9:3:[0-9]*'"
check "no lifecycle request" bash -c "! grep -q '^lifecycle\|^last_lifecycle' mnt/.library"
tf_umount mnt

tf_config tapefs.ini copies=2 pools=A,B
check "mount (copies = 2, pools A,B)" tf_mount tapefs.ini mnt
check ".status names the request" grep -q "archives without a copy in pool B: echo 'copy B' > .library" mnt/.status
check "copy B queued" bash -c "echo 'copy B' > mnt/.library"
res=$(wait_life)
echo "# $res"
check_eq "copy B: every archive" "copy B: 3 of 3 archives copied, 0 failed" "${res%, * bytes}"
for d in d1 d2 d3; do
	c=$(getfattr --only-values -n user.tapefs.copies mnt/archive/$d/f2)
	check "$d: a copy on A and one on B ($c)" bash -c "echo '$c' | grep -q '^A00001L9:.*,B00001L9:'"
done
run=$(tf_verify all)
s=mnt/verify/$run/summary
check_eq "verify: 0 bad" 0 "$(tf_field bad "$s")"
check_eq "verify: 0 unreadable" 0 "$(tf_field unreadable "$s")"
check_eq "verify: 6 copies" 6 "$(tf_field archives "$s")"
check_eq "verify: every member ok" 30 "$(tf_field ok "$s")"
check "tapes/B00001L9 holds 3 archives" test -d mnt/tapes/B00001L9/0003

# Every file's data on A made unreadable: every file comes back from B.
for f in src/d*/f*; do
	b=$(getfattr --only-values -n user.tapefs.copies "mnt/archive/${f#src/}" | tr ',' '\n' | sed -n 's/^A00001L9:[0-9]*://p')
	"$TAPEFS" vtape inject lib/tapes/A00001L9.vtape unreadable $((b + 1)) || not_ok "inject $f"
done
tf_umount mnt
tf_config tapefs.ini copies=2 pools=A,B
check "mount again" tf_mount tapefs.ini mnt
sleep 1
check "nothing lacks a copy" bash -c "! grep -q 'archives without a copy' mnt/.status"
check "every file reads back" bash -c 'for f in src/d*/f*; do f=${f#src/}; [ "$(md5sum < mnt/archive/$f)" = "$(md5sum < src/$f)" ] || exit 1; done'
tf_umount mnt
check "tapefs fsck clean" "$TAPEFS" fsck -c tapefs.ini
