# A dump waits for a tape that a tape-to-tape copy holds: `copy B` holds
# B00001L9 (the only tape of pool B with room; B00002L9 is closed) while
# its job waits for the robot (the library's lock is held meanwhile), and
# `now pool B d2` asked then waits for it, saying so in .dump and
# .status, instead of failing; once the copy is done the dump writes
# the tape after it. Nothing is written twice, nothing lost.
. "$TOP/tests/lib.sh"
. "$TOP/tests/lib_lifecycle.sh"

tf_setup --drives 2 --slots 4 --capacity 64M --pools 2 -- copies=1 pools=A block_size=64K
for d in d1 d2; do
	mkdir -p src/$d
	for i in 1 2 3; do head -c $((i * 50000)) /dev/urandom > src/$d/f$i; done
done
check "mount" tf_mount tapefs.ini mnt
check "dump d1 to pool A" tf_dump_dir d1
check "close B00002L9" sh -c "echo close > mnt/tapes/B00002L9/.ctl"
cp -r src/d2 mnt/staging/d2

# No robot move while the library's lock is held: the copy's job waits
# for its loads, holding its tape.
exec 9<lib/lock
flock 9
check "copy B asked" sh -c "echo 'copy B' > mnt/.library"
for _ in $(seq 600); do grep -q '^state: loading' mnt/drives/* && break; sleep 0.05; done
check "the copy's job waits for the robot" grep -q '^state: loading' mnt/drives/*
check "now pool B d2" sh -c "echo 'now pool B d2' > mnt/.dump"
for _ in $(seq 600); do grep -q '^waiting: ' mnt/.dump && break; sleep 0.05; done
check ".dump: waiting for the tape the copy holds" grep -q "^waiting: copy 1: the tapes of pool B with room (B00001L9) are held by a tape-to-tape copy" mnt/.dump
check ".status says it too" grep -q "^dump_waiting: copy 1: .* held by a tape-to-tape copy" mnt/.status
check "d2 still staged" test -f mnt/staging/d2/f3
flock -u 9
exec 9<&-

check_eq "the copy: done" "copy B: 1 of 1 archives copied, 0 failed" "$(wait_life | sed 's/, [0-9]* bytes$//')"
check "d2 dumped" tf_wait_dumps 2
check_eq "d2 on B00001L9 after the copy of d1" "B00001L9:2" "$(tf_last_tapes)"
check_eq "no longer waiting" "" "$(grep '^waiting: ' mnt/.dump)"
check "d1 has a copy on B00001L9 file 1" bash -c "getfattr --only-values -n user.tapefs.copies mnt/archive/d1/f1 | grep -q 'B00001L9:1:'"
for f in d1/f1 d1/f3 d2/f1 d2/f3; do
	check "$f: original bytes" cmp src/$f mnt/archive/$f
done
run=$(tf_verify all)
check_eq "verify: 0 bad" 0 "$(tf_field bad mnt/verify/$run/summary)"
check_eq "verify: every member of the 3 copies ok" 9 "$(tf_field ok mnt/verify/$run/summary)"
tf_umount mnt
