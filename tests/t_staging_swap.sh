# The swap race: a user stages a directory d holding a fifo (so that d
# itself is never snapshotted) and a decoy d/rootfile with the size and
# mtime of root's 0600 file, and once user.tapefs.state says "dumping"
# swaps d for a symlink to root's directory. A slow modelled drive keeps
# the writer away from d/rootfile until the swap is done. The source is
# opened beneath staging/ without following the link, so it fails: no byte
# of root's file reaches a tape or archive/, d/rootfile stays staged and
# an error line says why; the rest of the dump commits.
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 4 --capacity 512M --pools 1 --rate 8 -- copies=1 pools=A block_size=64K
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

# The user's staging: a big file first (the writer is busy with it while
# the swap happens: the drive writes 8 MB/s, the writer's buffers hold
# some 24 MiB), then d/ with a fifo and the decoy.
as() { tf_as "$TF_USER" "$@"; }
as sh -c 'head -c $((56 << 20)) /dev/urandom > mnt/staging/a-big.bin'
big=$(md5sum < stg/a-big.bin | cut -d' ' -f1)
as mkdir mnt/staging/d
as mkfifo mnt/staging/d/fifo
as sh -c "head -c $size /dev/zero > mnt/staging/d/rootfile"
as touch -d "@$mtime" mnt/staging/d/rootfile
check_eq "decoy: root's size and mtime" "$size $mtime" "$(stat -c '%s %.9Y' mnt/staging/d/rootfile)"

echo now > mnt/.dump
state=
for _ in $(seq 300); do
	state=$(as getfattr --only-values -n user.tapefs.state mnt/staging/d/rootfile 2>/dev/null)
	[ "$state" = dumping ] && break
	sleep 0.05
done
check_eq "the decoy is being dumped" dumping "$state"
as mv mnt/staging/d mnt/staging/d.old
check "swapped for a symlink to root's directory" as ln -s "$PWD/secret" mnt/staging/d
check "writer still on the big file (the swap came first)" grep -q '^state: running' mnt/.dump

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
