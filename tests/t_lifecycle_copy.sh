# Adding a copy over a real mount: archives dumped with copies = 1 (pool
# A); the configuration raised to copies = 2 with pool B; the next mount
# queues `copy B` by itself (.status says so) and every archive gains its
# copy in B, tape to tape, while a dump started right after the mount
# writes both its copies (the copy and the dump never write one tape);
# verify all: 0 bad, every archive 2 good copies; the files read back
# from B alone (A's data made unreadable). A second mount queues nothing.
. "$TOP/tests/lib.sh"
. "$TOP/tests/lib_lifecycle.sh"

tf_setup --drives 2 --slots 8 --capacity 256M --pools 2 -- copies=1 pools=A

mkdir -p src
for d in d1 d2 d3 d4; do
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
check "dump d4 right after the mount" tf_dump_dir d4
check ".status: copy B queued by itself" grep -q "archives without a copy in pool B: 'copy B' queued" mnt/.status
res=$(wait_life)
echo "# $res"
check_eq "copy B: every archive" "copy B: 3 of 3 archives copied, 0 failed" "${res%, * bytes}"
for d in d1 d2 d3 d4; do
	c=$(getfattr --only-values -n user.tapefs.copies mnt/archive/$d/f2)
	check "$d: a copy on A and one on B ($c)" bash -c "echo '$c' | grep -q '^A00001L9:.*,B0000[0-9]L9:'"
done
check "no tape file of B written twice" bash -c "[ \"\$(for d in d1 d2 d3 d4; do getfattr --only-values -n user.tapefs.copies mnt/archive/\$d/f2 | tr ',' '\n' | cut -d: -f1,2 | grep ^B; done | sort -u | wc -l)\" = 4 ]"
run=$(tf_verify all)
s=mnt/verify/$run/summary
check_eq "verify: 0 bad" 0 "$(tf_field bad "$s")"
check_eq "verify: 0 unreadable" 0 "$(tf_field unreadable "$s")"
check_eq "verify: 8 copies" 8 "$(tf_field archives "$s")"
check_eq "verify: every member ok" 40 "$(tf_field ok "$s")"
g=$(good_copies)
check_eq "every archive: 2 good copies" "2 2 2 2" "$(echo $(echo "$g" | awk '{ print $2 }'))"

# Every file's data on A made unreadable: every file comes back from B.
for f in src/d*/f*; do
	b=$(getfattr --only-values -n user.tapefs.copies "mnt/archive/${f#src/}" | tr ',' '\n' | sed -n 's/^A00001L9:[0-9]*://p')
	"$TAPEFS" vtape inject lib/tapes/A00001L9.vtape unreadable $((b + 1)) || not_ok "inject $f"
done
tf_umount mnt
tf_config tapefs.ini copies=2 pools=A,B
check "mount again" tf_mount tapefs.ini mnt
sleep 1
check "nothing lacks a copy, nothing queued" bash -c "! grep -q 'archives without a copy' mnt/.status && ! grep -q '^lifecycle' mnt/.library"
check "every file reads back" bash -c 'for f in src/d*/f*; do f=${f#src/}; [ "$(md5sum < mnt/archive/$f)" = "$(md5sum < src/$f)" ] || exit 1; done'
tf_umount mnt
check "tapefs fsck clean" "$TAPEFS" fsck -c tapefs.ini
