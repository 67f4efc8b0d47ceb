# `now to LABEL,LABEL PATH` writes PATH as one archive on exactly those
# tapes (one per copy) and `now pool POOL,POOL PATH` to those pools; a
# tape that cannot take the archive (unknown, closed, without room) or a
# list that does not name one per copy is refused at once, with the
# reason in .dump, and nothing is dumped.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 6 --capacity 16M --pools 2 -- block_size=64K copies=2 pools=A,B
check "mount" tf_mount tapefs.ini mnt
for _ in $(seq 100); do [ "$(ls mnt/tapes | wc -l)" = 6 ] && break; sleep 0.1; done
check_eq "six tapes known" 6 "$(ls mnt/tapes | wc -l)"

mkdir -p mnt/staging/ship mnt/staging/big mnt/staging/more mnt/staging/two
head -c 1000000 /dev/urandom > run7.dat
cp run7.dat mnt/staging/ship/run7.dat
head -c 12000000 /dev/urandom > mnt/staging/big/f.dat
head -c 6000000 /dev/urandom > mnt/staging/more/g.dat
head -c 1000 /dev/urandom > mnt/staging/two/h.dat
req() { echo "$1" > mnt/.dump; }
says() { grep -q "^error: .*$1" mnt/.status; } # the reason of a refusal

check "now to: the very tapes" req "now to A00003L9,B00002L9 ship"
check "dumped" tf_wait_dumps 1
check_eq "on A00003L9 and B00002L9" "A00003L9:1,B00002L9:1" "$(tf_last_tapes)"
check "archived" cmp run7.dat mnt/archive/ship/run7.dat

check_fails "one tape for two copies: EINVAL" "Invalid argument" req "now to A00002L9 more"
check "says: one per copy" says "1 tapes named for 2 copies"
check_fails "a tape twice: EINVAL" "Invalid argument" req "now to A00002L9,A00002L9 more"
check "says: named twice" says "tape A00002L9 named twice"
check_fails "unknown tape: ENOENT" "No such file" req "now to A00002L9,B00009L9 more"
check "says: not in the catalog" says "tape B00009L9 is not in the catalog"
check_fails "no path: EINVAL" "Invalid argument" req "now to A00002L9,B00001L9"
check "says: without a path" says "without a path"

# 12 MB on A00002L9/B00001L9, then 6 MB more do not fit there
check "now to: 12 MB" req "now to A00002L9,B00001L9 big"
check "dumped" tf_wait_dumps 2
check_eq "on A00002L9 and B00001L9" "A00002L9:1,B00001L9:1" "$(tf_last_tapes)"
check_fails "no room on A00002L9: ENOSPC" "No space left" req "now to A00002L9,B00003L9 more"
check "says: the tape and the sizes" says "tape A00002L9 has [0-9]* bytes of room before early warning; the archive takes"
echo close > mnt/tapes/B00003L9/.ctl
check_fails "a closed tape: EROFS" "Read-only" req "now to A00001L9,B00003L9 more"
check "says: closed" says "tape B00003L9 is closed"
check_eq "nothing dumped meanwhile" "dumps_committed: 2" "$(grep dumps_committed mnt/.dump)"
check "more still staged" test -f mnt/staging/more/g.dat

# pools: copy 1 to B, copy 2 to A
check "now pool B,A" req "now pool B,A two"
check "dumped" tf_wait_dumps 3
check "copy 1 on a B tape, copy 2 on an A tape" bash -c "tf() { sed -n 's/^last_dump: .* tapes //p' mnt/.dump; }; tf | grep -qE '^B0000[0-9]L9:[0-9]+,A0000[0-9]L9:[0-9]+$'"
check_fails "a pool without tapes: ENOSPC" "No space left" req "now pool A,C more"
check "says: the pool" says "no open or scratch tape of pool C"
check "the refused PATH by the usual choice" req "now more"
check "dumped" tf_wait_dumps 4
check "more archived" test -f mnt/archive/more/g.dat

check "unmount" tf_umount mnt
