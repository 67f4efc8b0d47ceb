# kill -9 of the daemon at 10 moments of `repack A00001L9` (the tapes
# slowed to 4 MB/s, so a kill lands before a job starts, while an archive
# streams from A00001L9 to another tape, and around its commit), each
# followed by a look at the catalog: no archive has fewer good copies than
# before, and `tapefs fsck` is clean. Then a mount finishes the repack:
# A00001L9 holds no live copy and every file reads back with its MD5.
. "$TOP/tests/lib.sh"
. "$TOP/tests/lib_lifecycle.sh"

tf_setup --drives 2 --slots 6 --capacity 64M --pools 1 -- copies=1 pools=A block_size=64K

mkdir -p src
for d in d1 d2 d3 d4; do
	mkdir -p src/$d
	for i in 1 2; do head -c $((i * 300000 + 77)) /dev/urandom > src/$d/f$i; done
done
check "mount" tf_mount tapefs.ini mnt
for d in d1 d2 d3 d4; do check "dump $d" tf_dump_dir $d; done
tf_umount mnt
check_eq "4 archives, 1 good copy each" "1 1 2 1 3 1 4 1" "$(echo $(good_copies))"
tf_set_rate 4

ok_rounds=0
before=$(good_copies) # a mount changes no copy: each round's after is the next one's before
for i in $(seq 1 10); do
	tf_mount tapefs.ini mnt || { not_ok "mount $i"; continue; }
	echo 'repack A00001L9' > mnt/.library 2>/dev/null
	sleep "$(awk -v i="$i" 'BEGIN { printf "%.2f", (i * 3 % 10) * 0.05 + 0.02 }')"
	kill_daemon
	after=$(good_copies)
	never_fewer "$before" "$after" && fsck_clean && ok_rounds=$((ok_rounds + 1))
	before=$after
done
check_eq "10 kills, never fewer good copies, fsck clean" 10 "$ok_rounds"
echo "# after the kills: $(echo $(copies))"
check "some kills cut a copy short" bash -c "grep -c 'copies cut short by a stop' tapefs.log | awk '{ exit \$1 < 1 }'"

tf_set_rate 0
check "mount to finish" tf_mount tapefs.ini mnt
echo 'repack A00001L9' > mnt/.library
res=$(wait_life)
echo "# $res"
check "repack finished without failures" bash -c "echo '$res' | grep -q ' 0 failed'"
check_eq "A00001L9: no live copy" 0 "$(live_on A00001L9)"
check_eq "1 good copy each" "1 1 2 1 3 1 4 1" "$(echo $(good_copies))"
check "every file reads back" bash -c 'for f in src/d*/f*; do f=${f#src/}; [ "$(md5sum < mnt/archive/$f)" = "$(md5sum < src/$f)" ] || exit 1; done'
tf_umount mnt
check "fsck clean at the end" fsck_clean
