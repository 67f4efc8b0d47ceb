# What a start-up removes from staging/ is decided by the dump journal,
# never by name, size and mtime:
#  - a file dumped, then staged again under the same name with the same
#    mode, size and mtime but other bytes, stays staged across a remount
#    and is dumped as a new version;
#  - a daemon killed in the middle of a clean-up (LD_PRELOAD killshim:
#    SIGKILL at the unlink of x2) leaves a committed dump whose clean-up
#    is not done; the next start removes exactly what that dump committed
#    and is still the same inode unchanged (x2), not a file put in place of
#    one of its entries meanwhile (x3, same name, size, mode and mtime),
#    nor anything else; each file is then on tape once per version.
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 4 --capacity 256M --pools 1 -- copies=1 pools=A block_size=64K
tf_need "$BUILD/tests/libkillshim.so"

# same_as FILE MTIME: mode 0640 and mtime MTIME (with nanoseconds).
same_as() { chmod 640 "$1" && touch -d "@$2" "$1"; }
md5() { md5sum < "$1" | cut -d' ' -f1; }
archived_md5() { getfattr --only-values -n user.tapefs.md5 "mnt/archive/$1" 2>/dev/null; }
# wait_staged N: until .dump counts N staged files (a scan after start-up).
wait_staged() {
	for _ in $(seq 200); do grep -qx "staged_files: $1" mnt/.dump && return 0; sleep 0.1; done
	return 1
}

# ---- re-staged with other bytes -----------------------------------------
check "mount" tf_mount tapefs.ini mnt
head -c 4096 /dev/urandom > a.bin
head -c 4096 /dev/urandom > b.bin
t=1700000000.123456789
cp a.bin mnt/staging/f.bin && same_as mnt/staging/f.bin $t
echo now > mnt/.dump
check "first version dumped" tf_wait_dumps 1
check_eq "archive/f.bin holds the first bytes" "$(md5 a.bin)" "$(archived_md5 f.bin)"
cp b.bin mnt/staging/f.bin && same_as mnt/staging/f.bin $t
check_eq "re-staged: same mode, size, mtime" "640 4096 $t" "$(stat -c '%a %s %.9Y' mnt/staging/f.bin)"
tf_umount mnt
check "remount" tf_mount tapefs.ini mnt
check "the re-staged file stays staged after the start-up" wait_staged 1
check_eq "with its own bytes" "$(md5 b.bin)" "$(md5 stg/f.bin)"
check "no start-up removal" sh -c "! grep -q 'stopped before its clean-up' tapefs.log"
echo now > mnt/.dump
check "second version dumped" tf_wait_dumps 1
check_eq "archive/f.bin holds the new bytes" "$(md5 b.bin)" "$(archived_md5 f.bin)"
check_eq "staging empty" "" "$(ls -A stg)"
tf_umount mnt

# ---- killed during the clean-up -----------------------------------------
for i in 1 2 3; do head -c $((i * 1000)) /dev/urandom > x$i.bin; done
cp x1.bin x2.bin x3.bin stg/
mv stg/x1.bin stg/x1; mv stg/x2.bin stg/x2; mv stg/x3.bin stg/x3
export TAPEFS_KILLSHIM_UNLINK=x2
TAPEFS=$(tf_preloaded "$BUILD/tests/libkillshim.so") tf_mount tapefs.ini mnt
unset TAPEFS_KILLSHIM_UNLINK
check "mount with the kill at x2's unlink" test -n "$TF_PID"
echo now > mnt/.dump
for _ in $(seq 300); do kill -0 "$TF_PID" 2>/dev/null || break; sleep 0.1; done
check "the daemon died in the clean-up" sh -c "! kill -0 $TF_PID 2>/dev/null"
fusermount3 -u mnt 2>/dev/null || umount -l mnt
check "x1 was removed before the kill" test ! -e stg/x1
check "x2 and x3 are still staged" test -e stg/x2 -a -e stg/x3
# While the daemon is down, x3 is replaced: same name, mode, size and
# mtime, other bytes (another inode). And a new file y arrives.
x3t=$(stat -c %.9Y stg/x3)
head -c 3000 /dev/urandom > x3new.bin
cp x3new.bin stg/x3.tmp && chmod --reference=stg/x3 stg/x3.tmp && touch -d "@$x3t" stg/x3.tmp
mv stg/x3.tmp stg/x3
echo y > stg/y

check "remount" tf_mount tapefs.ini mnt
check "start-up: the committed, unchanged x2 removed, x3 and y kept" wait_staged 2
check "x2 gone" test ! -e stg/x2
check_eq "x3 is the new file" "$(md5 x3new.bin)" "$(md5 stg/x3)"
check "y kept" test -f stg/y
check "the start-up says what it removed" grep -q "1 staged files were committed by a dump that stopped before its clean-up" tapefs.log
check_eq "x2 archived by the dump that was killed" "$(md5 x2.bin)" "$(archived_md5 x2)"
echo now > mnt/.dump
check "the rest dumped" tf_wait_dumps 1
check_eq "x3: the new bytes are the latest version" "$(md5 x3new.bin)" "$(archived_md5 x3)"
check_eq "x1: archived" "$(md5 x1.bin)" "$(archived_md5 x1)"
check_eq "staging empty" "" "$(ls -A stg)"
# Once per version: x1 and x2 once, x3 twice, y once (plus f.bin twice).
members=$(for a in mnt/tapes/*/*/; do (cd "$a" && find . -type f); done | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
check_eq "each file on tape once per version" "./f.bin=2 ./x1=1 ./x2=1 ./x3=2 ./y=1 " "$members"
tf_umount mnt
check "remount: nothing more removed" tf_mount tapefs.ini mnt
sleep 1
check_eq "one start-up removal in all" 1 "$(grep -c 'stopped before its clean-up' tapefs.log)"
tf_umount mnt
