# staging/ is a full read-write passthrough onto the staging directory:
# every change made through the mount is on the staging disk and reads
# back the same through the mount.
. "$TOP/tests/lib.sh"

# (nothing is dumped while this test runs: the base config dumps on `now`)
tf_setup --drives 1 --slots 2 --capacity 16M --pools 1 -- copies=1 pools=A
check "mount" tf_mount tapefs.ini mnt
M=mnt/staging S=stg

# create, write, read back; the bytes are on the staging disk
head -c 3000000 /dev/urandom > src.bin
cp src.bin $M/big.bin
check "cp into staging: same bytes through the mount" cmp src.bin $M/big.bin
check "cp into staging: same bytes on the staging disk" cmp src.bin $S/big.bin
echo hello > $M/small
echo more >> $M/small
check_eq "append" "hello
more" "$(cat $S/small)"

# mkdir, nested, rename, unlink, rmdir
mkdir -p $M/d1/d2/d3
echo x > $M/d1/d2/d3/f
check "mkdir -p + file on disk" test -f $S/d1/d2/d3/f
mv $M/d1/d2/d3/f $M/d1/g
check "rename: new name" test -f $S/d1/g
check "rename: old name gone" test ! -e $S/d1/d2/d3/f
mv $M/d1/d2 $M/d2moved
check "rename of a directory" test -d $S/d2moved/d3
rm $M/d1/g
check "unlink" test ! -e $S/d1/g
rmdir $M/d2moved/d3
check "rmdir" test ! -e $S/d2moved/d3
echo keep > $M/d2moved/keep
check_fails "rmdir of a non-empty directory" "not empty" rmdir $M/d2moved
check_fails "open of a missing file" "No such file" cat $M/nope

# symlinks
ln -s ../small $M/d1/link
check_eq "readlink through the mount" "../small" "$(readlink $M/d1/link)"
check_eq "readlink on disk" "../small" "$(readlink $S/d1/link)"
check_eq "symlink followed" "hello" "$(head -n1 $M/d1/link)"
ln $M/small $M/hard
check_eq "hard link count" "2" "$(stat -c %h $S/small)"

# chmod, utimens, truncate
chmod 0640 $M/small
check_eq "chmod" "640" "$(stat -c %a $S/small)"
check_eq "chmod seen through the mount" "640" "$(stat -c %a $M/small)"
touch -d '2001-02-03 04:05:06.123456789' $M/small
check_eq "utimens with nanoseconds" "2001-02-03 04:05:06.123456789" \
	"$(TZ=UTC0 stat -c %y $S/small | cut -c1-29)"
touch -h -d '2002-01-01 00:00:00' $M/d1/link
check_eq "utimens of a symlink itself" "2002" "$(stat -c %y $S/d1/link | cut -c1-4)"
truncate -s 1000 $M/big.bin
check_eq "truncate shorter" "1000" "$(stat -c %s $S/big.bin)"
check "truncate keeps the head" cmp -n 1000 src.bin $M/big.bin
truncate -s 5000 $M/big.bin
check_eq "truncate longer" "5000" "$(stat -c %s $M/big.bin)"
: > $M/big.bin
check_eq "O_TRUNC" "0" "$(stat -c %s $S/big.bin)"

# extended attributes pass through
setfattr -n user.color -v blue $M/small
check_eq "xattr set through the mount" "blue" \
	"$(getfattr --only-values -n user.color $S/small 2>/dev/null)"
check_eq "xattr read through the mount" "blue" \
	"$(getfattr --only-values -n user.color $M/small 2>/dev/null)"

check_eq "user.tapefs.state of a staged file" "staged" \
	"$(getfattr --only-values -n user.tapefs.state $M/small 2>/dev/null)"
check "listxattr names it" sh -c "getfattr -m - $M/small | grep -q user.tapefs.state"
check_eq "user.tapefs.dmstate of a staged file: REG" "REG" \
	"$(getfattr --only-values -n user.tapefs.dmstate $M/small 2>/dev/null)"
check "listxattr names dmstate" sh -c "getfattr -m - $M/small | grep -q user.tapefs.dmstate"
check_fails "user.tapefs.* is reserved" "not permitted" setfattr -n user.tapefs.md5 -v x $M/small

# an unlinked open file stays readable and leaves nothing behind
exec 7<$M/d1/link
rm $M/small $M/hard
check_eq "unlinked open file still readable" "hello" "$(head -n1 <&7)"
exec 7<&-
check_eq "no .fuse_hidden files in staging" "" "$(ls -A $S | grep fuse_hidden)"

# names: spaces, newline, UTF-8, a 255-byte component
n255=$(printf 'n%.0s' $(seq 255))
for name in "with space" "new
line" "ünïcødé" "$n255"; do
	echo "$name" > "$M/$name"
	check_eq "awkward name round-trips" "$name" "$(cat "$S/$name")"
done
check_fails "a 256-byte name" "too long" touch "$M/${n255}x"

# listings agree with the disk
check_eq "ls of staging equals ls of the disk" "$(ls -A $S | sort)" "$(ls -A $M | sort)"
check "df on the mount" df mnt

# many small files
mkdir $M/many
for i in $(seq 1 300); do echo $i > $M/many/$i; done
check_eq "300 small files" "300" "$(ls $M/many | wc -l)"
check_eq "their content" "$(seq 1 300 | paste -sd+ | bc)" \
	"$(cat $S/many/* | paste -sd+ | bc)"

check "daemon still up" kill -0 "$TF_PID"
tf_umount mnt
check "daemon exited after unmount" test ! -e /proc/$TF_PID
check_eq "staged data stays on disk after unmount" "300" "$(ls $S/many | wc -l)"
check "no sanitizer report in the daemon's log" sh -c '! grep -Eq "Sanitizer|runtime error" tapefs.log'

# 3000 files open at once through the mount, from a daemon started with
# the usual soft limit of 1024 descriptors (it raises its own)
printf '#!/bin/sh\nulimit -Sn 1024\nexec "%s" "$@"\n' "$TAPEFS" > tapefs-1024
chmod +x tapefs-1024
REAL=$TAPEFS TAPEFS=$PWD/tapefs-1024
check "mount with a soft limit of 1024 fds" tf_mount tapefs.ini mnt
TAPEFS=$REAL
check "3000 files open at once" python3 -c '
import os
fds = [os.open("mnt/staging/many/o%d" % i, os.O_CREAT | os.O_WRONLY, 0o644) for i in range(3000)]
for fd in fds: os.write(fd, b"x")
for fd in fds: os.close(fd)'
check_eq "all written" "3000" "$(cat stg/many/o* | wc -c)"
