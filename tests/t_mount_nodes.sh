# The kernel names files by node; the mount keeps each node's path right:
# writes under a renamed directory, after an exchange and through a
# renamed open file land where the disk has them. `ls -l` of archived
# files is answered by readdirplus (no lookup per entry), also after the
# kernel forgot them. A path that gets a new version shows it (a new
# inode, its own bytes, never the old version's cached pages) while a
# file opened before keeps reading the old one.
# tests/run: alone
# (it drops the machine's dentry and inode caches, which t_mount_cache's
# checks of what the kernel keeps rely on)
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 2 --capacity 64M --pools 1 -- copies=1 pools=A
# -d: every request the kernel sends is in the log
check "mount" tf_mount tapefs.ini mnt -d
M=mnt/staging

# --- staging: nodes move with renames ---
mkdir -p $M/d/sub
echo one > $M/d/sub/f
cat $M/d/sub/f >/dev/null
mv $M/d $M/d2
echo two >> $M/d2/sub/f
check_eq "a write under a renamed directory lands there" "one
two" "$(cat stg/d2/sub/f)"
check "nothing at the old path" test ! -e stg/d

echo A > $M/a
echo B > $M/b
cat $M/a $M/b >/dev/null
rename2() { python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.renameat2(-100, sys.argv[1].encode(), -100, sys.argv[2].encode(), int(sys.argv[3])):
    print(os.strerror(ctypes.get_errno())); sys.exit(1)' "$@"; }
check "RENAME_EXCHANGE" rename2 $M/a $M/b 2
echo a2 >> $M/a
echo b2 >> $M/b
check_eq "exchanged: a" "B
a2" "$(cat stg/a)"
check_eq "exchanged: b" "A
b2" "$(cat stg/b)"
check_eq "RENAME_NOREPLACE onto a name: EEXIST" "File exists" "$(rename2 $M/a $M/b 1)"
check "RENAME_NOREPLACE to a new name" rename2 $M/a $M/c 1
check_eq "renamed" "B
a2" "$(cat $M/c)"

exec 8>>$M/open
mv $M/open $M/moved
echo through-the-handle >&8
exec 8>&-
check_eq "an open file renamed keeps writing" "through-the-handle" "$(cat stg/moved)"
rm -rf $M/d2 $M/a $M/b $M/c $M/moved

# --- archive: readdirplus ---
mkdir $M/many
for i in $(seq 1 300); do echo $i > $M/many/f$i; done
echo now > mnt/.dump
check "dumped" tf_wait_dumps 1
tf_umount mnt
check "mount again (nothing in the kernel's cache)" tf_mount tapefs.ini mnt -d
since() { tail -n +$(($1 + 1)) tapefs.log; }
mark=$(wc -l < tapefs.log)
ls -l mnt/archive/many > ls.out
check_eq "ls -l lists 300 files" 300 "$(grep -c ' f[0-9]*$' ls.out)"
check_eq "with their sizes" "4" "$(awk '$NF == "f100" { print $5 }' ls.out)"
nlook=$(since $mark | grep -c "opcode: LOOKUP")
check "ls -l of 300 archived files: no lookup per file ($nlook)" test "$nlook" -le 5
check "answered by readdirplus" sh -c "tail -n +$((mark + 1)) tapefs.log | grep -q 'opcode: READDIRPLUS'"
check_eq "ls -i and stat agree" "$(stat -c %i mnt/archive/many/f17)" \
	"$(ls -i mnt/archive/many | awk '$2 == "f17" { print $1 }')"

mark=$(wc -l < tapefs.log)
echo 2 > /proc/sys/vm/drop_caches
n=50; while ! since $mark | grep -q "opcode: .*FORGET" && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
check "the kernel's forgets reach the daemon" sh -c "tail -n +$((mark + 1)) tapefs.log | grep -q 'opcode: .*FORGET'"
check_eq "ls -l again after the forgets" 300 "$(ls -l mnt/archive/many | grep -c ' f[0-9]*$')"

# --- a new version of an archived path ---
f=mnt/archive/many/f7
check_eq "version 1" "7" "$(cat $f)"
ino1=$(stat -c %i $f)
exec 7<$f
mtime=$(stat -c %y $f)
mkdir $M/many
echo Z > $M/many/f7 # same size, same mtime: only the bytes differ
touch -d "$mtime" $M/many/f7
echo "now many" > mnt/.dump
check "dumped again (the first dump of this mount)" tf_wait_dumps 1
lab=$(tf_last_tapes | cut -d: -f1)
check_eq "version 2 under tapes/ (now cached)" "Z" "$(cat mnt/tapes/$lab/0002/many/f7)"
# the commit had the kernel drop its entry: looked up again at once (a few
# tries allowed)
n=30; while [ "$(cat $f)" != Z ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
check_eq "archive/ shows version 2" "Z" "$(cat $f)"
check "with a new inode" test "$(stat -c %i $f)" != "$ino1"
check_eq "a file opened before reads version 1" "7" "$(cat <&7)"
check_eq "and fstat still answers" "2" "$(stat -L -c %s /dev/fd/7)"
exec 7<&-

check "daemon still up" kill -0 "$TF_PID"
tf_umount mnt
