# A large member without chunk digests (an archive dumped before the dump
# took them) is read whole and served while it streams in; when the copy
# being streamed proves bad at its end (MD5), the reader that saw its bytes
# gets EIO instead of silently wrong data, and the next read returns the
# good copy's bytes. (A member with chunk digests is read by ranges, each
# chunk checked before it is served: t_recall_range.)
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 4 --capacity 128M --pools 2 -- block_size=64K copies=2 pools=A,B
check "mount" tf_mount tapefs.ini mnt
M=mnt

mkdir -p src/s
head -c $((24 << 20)) /dev/urandom > src/s/large.bin
tf_dump_dir s
check "dumped" test -f $M/archive/s/large.bin
check "unmount" tf_umount mnt
sqlite3 cat.db "DELETE FROM chunk"
check "mount again, the archive without chunk digests" tf_mount tapefs.ini mnt
LA=$(ls $M/tapes | grep '^A' | head -n 1)
f=$M/tapes/$LA/0001/s/large.bin
blk=$(getfattr --only-values -n user.tapefs.copies $f | tr ',' '\n' |
	awk -F: -v l=$LA '$1 == l { print $3 }')

# copy A: one byte flipped 200 records (12.5 MiB) into the member, and a
# drive slow enough (8 MB/s) for the reader to run ahead of the MD5 check
"$TAPEFS" vtape inject lib/tapes/$LA.vtape flip $((blk + 200)) 1000
"$TAPEFS" vtape set lib/tapes/$LA.vtape rate=8 scale=1
check_fails "reader of the bad copy's streamed bytes: EIO" "Input/output error" \
	cp $f out.bin
"$TAPEFS" vtape set lib/tapes/$LA.vtape rate=0 scale=0
n=300
while [ "$(getfattr --only-values -n user.tapefs.state $f)" = recalling ] && [ $n -gt 0 ]; do
	sleep 0.1; n=$((n - 1))
done
check_eq "cached from the good copy" cached \
	"$(getfattr --only-values -n user.tapefs.state $f)"
check "next read: the good bytes" cmp src/s/large.bin $f
check "and through archive/" cmp src/s/large.bin $M/archive/s/large.bin

check "unmount" tf_umount mnt
