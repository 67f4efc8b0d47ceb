# Local errors are local: with the recall cache on a small filesystem that
# cannot take a member (a tmpfs of 4 MiB, an 8 MiB member read by 4 MiB
# chunks: the first fits, the second does not), the read fails at once
# with ENOSPC (not EIO), one tape is read and the other copy is not (the
# tapes are not at fault); `.status` says why, and nothing of the member
# stays in the cache. A member that fits is read as usual afterwards.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 4 --capacity 64M --pools 2 -- block_size=64K copies=2 pools=A,B cache=cachefs
mkdir -p cachefs
mount -t tmpfs -o size=4m tapefs-test-cache cachefs || { not_ok "mount a tmpfs"; exit 1; }
trap 't_cleanup; umount -l "$PWD/cachefs" 2>/dev/null' EXIT
export TAPEFS_VTAPE_TRACE=$PWD/trace
check "mount" tf_mount tapefs.ini mnt
M=mnt

mkdir -p src/n
head -c $((8 << 20)) /dev/urandom > src/n/big.bin
head -c 100000 /dev/urandom > src/n/small.bin
check "dumped" tf_dump_dir n
: > trace
check_fails "a member the cache cannot take: ENOSPC" "No space left on device" cat $M/archive/n/big.bin
tapes_read=$(awk '$2 == "read" && $4 ~ /^[0-9]+$/ { print $1 }' trace | sort -u | wc -l)
check_eq "one tape read, not the other copy" 1 "$tapes_read"
check ".status says the cache could not take it" grep -q "big.bin.*cache cannot take it: No space left on device" $M/.status
check_eq "the member stays offline" archived "$(getfattr --only-values -n user.tapefs.state $M/archive/n/big.bin)"
check "nothing left in the cache" test -z "$(ls -A cachefs/tapefs-cache 2>&1)"
check "a member that fits: original bytes" cmp src/n/small.bin $M/archive/n/small.bin
check "unmount" tf_umount mnt
