# The swap race: a user stages a directory d holding a fifo (so that d
# itself is never snapshotted) and a decoy d/rootfile with the size and
# mtime of root's 0600 file, and once user.tapefs.state says "dumping"
# swaps d for a symlink to root's directory (one rename, RENAME_EXCHANGE:
# d is never missing). The writer cannot start before the swap is done:
# the library's lock is held meanwhile, so the robot cannot load a tape.
# The source is opened beneath staging/ without following the link, so
# it fails: no byte of root's file reaches a tape or archive/, d/rootfile
# stays staged and an error line says why; the rest of the dump commits.
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 4 --capacity 512M --pools 1 -- copies=1 pools=A block_size=64K
tf_user
mkdir -m 1777 stg
check "mount (allow_other, default_permissions)" tf_mount tapefs.ini mnt -o allow_other,default_permissions

# Root's secret, 0600 in a 0700 directory outside staging.
mkdir -m 700 secret
marker=ROOTSECRET-$(head -c 16 /dev/urandom | md5sum | cut -c1-32)
{ echo "$marker"; head -c 5000 /dev/urandom | base64; } > secret/rootfile
chmod 600 secret/rootfile
size=$(stat -c %s secret/rootfile)
mtime=$(stat -c %.9Y secret/rootfile)
sum=$(md5sum < secret/rootfile)
if tf_as "$TF_USER" cat secret/rootfile >/dev/null 2>&1; then
	not_ok "the user cannot read root's file"
else
	ok "the user cannot read root's file"
fi

# The user's staging: a big file first, then d/ with a fifo and the
# decoy.
as() { tf_as "$TF_USER" "$@"; }
as sh -c 'head -c $((56 << 20)) /dev/urandom > mnt/staging/a-big.bin'
big=$(md5sum < stg/a-big.bin | cut -d' ' -f1)
as mkdir mnt/staging/d
as mkfifo mnt/staging/d/fifo
as sh -c "head -c $size /dev/zero > mnt/staging/d/rootfile"
as touch -d "@$mtime" mnt/staging/d/rootfile
check_eq "decoy: root's size and mtime" "$size $mtime" "$(stat -c '%s %.9Y' mnt/staging/d/rootfile)"

# No robot move (and so no write) while the library's lock is held.
exec 9<lib/lock
flock 9
echo now > mnt/.dump
state=
for _ in $(seq 600); do
	state=$(as getfattr --only-values -n user.tapefs.state mnt/staging/d/rootfile 2>/dev/null)
	[ "$state" = dumping ] && break
	sleep 0.05
done
check_eq "the decoy is being dumped" dumping "$state"
check "no tape loaded yet: the writer has not started" grep -qx "drive 0 -" lib/state
check "a symlink to root's directory beside d" as ln -s "$PWD/secret" mnt/staging/d.old
check "swapped with d in one rename" as "$TF_PYTHON" -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
RENAME_EXCHANGE, AT_FDCWD = 2, -100
if libc.renameat2(AT_FDCWD, b"mnt/staging/d", AT_FDCWD, b"mnt/staging/d.old", RENAME_EXCHANGE):
	sys.exit(os.strerror(ctypes.get_errno()))'
flock -u 9
exec 9<&-

check "the dump commits" tf_wait_dumps 1 180
check_eq "a-big.bin archived" "$big" "$(getfattr --only-values -n user.tapefs.md5 mnt/archive/a-big.bin 2>/dev/null)"
check "d/rootfile is not in archive/" test ! -e mnt/archive/d/rootfile
check "no tape holds a byte of root's file" sh -c "! grep -q '$marker' lib/tapes/*.vtape"
check "the writer said why it left it" grep -qE "'d(/rootfile)?': a symlink or a file stands on its path in staging/" tapefs.log
check "the link is still staged" test -L mnt/staging/d
check "the decoy is still staged" test -f mnt/staging/d.old/rootfile
check_eq "root's file untouched" "$sum" "$(md5sum < secret/rootfile)"
check_eq "root's file still root's, 0600" "root 600" "$(stat -c '%U %a' secret/rootfile)"
tf_umount mnt
