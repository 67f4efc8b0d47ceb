# kill -9 of the daemon at 10 moments of `copy POOL` and 10 moments of
# `repair` (the tapes slowed to 1.5 MB/s, so a kill lands before the job
# starts, while the source is read and the copy written, and around its
# commit), each followed by a look at the catalog: no archive has fewer
# good copies than before the request, and `tapefs fsck` is clean (a tape
# file a copy began is the catalog's own). Then a mount finishes the work:
# every archive has its copies and verify all finds nothing bad.
. "$TOP/tests/lib.sh"
. "$TOP/tests/lib_lifecycle.sh"

tf_setup --drives 2 --slots 12 --capacity 256M --pools 3 -- copies=2 pools=A,B block_size=64K

mkdir -p src
for d in d1 d2 d3 d4 d5 d6; do
	mkdir -p src/$d
	for i in 1 2 3; do head -c $((i * 400000 + 1234)) /dev/urandom > src/$d/f$i; done
done
check "mount" tf_mount tapefs.ini mnt
for d in d1 d2 d3 d4 d5 d6; do check "dump $d" tf_dump_dir $d; done
tf_umount mnt
tf_set_rate 1.5
before=$(good_copies)
check_eq "6 archives, 2 good copies each" "1 2 2 2 3 2 4 2 5 2 6 2" "$(echo $before)"

# ---- copy C, killed at 10 moments ----------------------------------------------
ok_rounds=0
for i in $(seq 1 10); do
	tf_mount tapefs.ini mnt || { not_ok "copy: mount $i"; continue; }
	before=$(good_copies)
	echo 'copy C' > mnt/.library 2>/dev/null
	sleep "$(awk -v i="$i" 'BEGIN { printf "%.2f", (i * 3 % 10) * 0.2 + 0.1 }')"
	kill_daemon
	after=$(good_copies)
	never_fewer "$before" "$after" && fsck_clean && ok_rounds=$((ok_rounds + 1))
done
check_eq "copy: 10 kills, never fewer good copies, fsck clean" 10 "$ok_rounds"
echo "# after the kills: $(echo $(good_copies))"
check "copy: some kills cut a copy short" bash -c "grep -c 'copies cut short by a stop' tapefs.log | awk '{ exit \$1 < 2 }'"
echo "# archives with their third copy made before a kill: $(good_copies | awk '$2 == 3' | wc -l) of 6"
cut=$(grep -c 'copies cut short by a stop' tapefs.log)

# ---- repair, killed at 10 moments ------------------------------------------------
tf_set_rate 0
check "mount to finish the copies" tf_mount tapefs.ini mnt
echo 'copy C' > mnt/.library 2>/dev/null
res=$(wait_life)
echo "# $res"
check "copy C finished" bash -c "echo '$res' | grep -q 'failed, '"
check_eq "3 good copies each" "1 3 2 3 3 3 4 3 5 3 6 3" "$(echo $(good_copies))"
# a byte flipped in every archive's copy on B00001L9, found by a verify
for d in d1 d2 d3 d4 d5 d6; do
	b=$(getfattr --only-values -n user.tapefs.copies mnt/archive/$d/f2 | tr ',' '\n' | sed -n 's/^B00001L9:[0-9]*://p')
	"$TAPEFS" vtape inject lib/tapes/B00001L9.vtape flip $((b + 2)) 77 || not_ok "flip $d"
done
run=$(tf_verify "tape B00001L9")
check_eq "verify B00001L9: 6 bad" 6 "$(tf_field bad "mnt/verify/$run/summary")"
tf_umount mnt
tf_set_rate 1.5
ok_rounds=0
for i in $(seq 1 10); do
	tf_mount tapefs.ini mnt || { not_ok "repair: mount $i"; continue; }
	before=$(good_copies)
	echo repair > mnt/.library 2>/dev/null
	sleep "$(awk -v i="$i" 'BEGIN { printf "%.2f", (i * 7 % 10) * 0.2 + 0.1 }')"
	kill_daemon
	after=$(good_copies)
	never_fewer "$before" "$after" && fsck_clean && ok_rounds=$((ok_rounds + 1))
done
check_eq "repair: 10 kills, never fewer good copies, fsck clean" 10 "$ok_rounds"
echo "# after the kills: $(echo $(good_copies))"
echo "# archives repaired before a kill: $(good_copies | awk '$2 == 3' | wc -l) of 6"
check "repair: some kills cut a copy short" test "$(grep -c 'copies cut short by a stop' tapefs.log)" -gt "$cut"

tf_set_rate 0
check "mount to finish the repair" tf_mount tapefs.ini mnt
echo repair > mnt/.library 2>/dev/null
res=$(wait_life)
echo "# $res"
check "repair finished without failures" bash -c "echo '$res' | grep -q ' 0 failed'"
check_eq "3 good copies each" "1 3 2 3 3 3 4 3 5 3 6 3" "$(echo $(good_copies))"
run=$(tf_verify all)
check_eq "verify all: 0 bad" 0 "$(tf_field bad "mnt/verify/$run/summary")"
check_eq "verify all: 0 unreadable" 0 "$(tf_field unreadable "mnt/verify/$run/summary")"
check_eq "verify all: 18 copies" 18 "$(tf_field archives "mnt/verify/$run/summary")"
check "every file reads back" bash -c 'for f in src/d*/f*; do f=${f#src/}; [ "$(md5sum < mnt/archive/$f)" = "$(md5sum < src/$f)" ] || exit 1; done'
tf_umount mnt
check "fsck clean at the end" fsck_clean
