# `now to LABEL PATH` and `now pool POOL PATH` checked when written but
# failing when they run: the tape named filled by the dump before it, the
# tape named gone from the library, the pool named without a tape that
# can take it. Each ends with a clear error in .status and .dump, the
# files stay staged (nothing lost), and the next dump takes them.
# The requests wait behind a first dump whose tape the robot cannot load
# while the library's lock is held: what changes meanwhile is what they
# find when they run.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 6 --capacity 16M --pools 2 -- block_size=64K copies=1 pools=A
check "mount" tf_mount tapefs.ini mnt
for _ in $(seq 100); do [ "$(ls mnt/tapes | wc -l)" = 6 ] && break; sleep 0.1; done
check_eq "six tapes known" 6 "$(ls mnt/tapes | wc -l)"
mkdir -p src/big1 src/big2 src/gone src/pool
head -c 10000000 /dev/urandom > src/big1/f
head -c 8000000 /dev/urandom > src/big2/f
head -c 100000 /dev/urandom > src/gone/f
head -c 100000 /dev/urandom > src/pool/f
cp -r src/* mnt/staging/
req() { echo "$1" > mnt/.dump; }

exec 9<lib/lock
flock 9
check "now to A00001L9 big1: accepted" req "now to A00001L9 big1"
for _ in $(seq 600); do grep -q '^state: loading' mnt/drives/* && break; sleep 0.05; done
check "its tape waits for the robot" grep -q '^state: loading' mnt/drives/*
check "now to A00001L9 big2: accepted (A00001L9 has 16 MB of room yet)" req "now to A00001L9 big2"
check "now to A00002L9 gone: accepted" req "now to A00002L9 gone"
check "now pool B pool: accepted" req "now pool B pool"
# meanwhile A00002L9 leaves the library, and pool B's tapes are closed
slot=$(sed -n 's/^slot \([0-9]*\) A00002L9$/\1/p' lib/state)
sed -i "s/^slot $slot A00002L9\$/slot $slot -/" lib/state
check "A00002L9 out of the library" bash -c "! grep -q 'A00002L9' lib/state"
for t in B00001L9 B00002L9 B00003L9; do echo close > mnt/tapes/$t/.ctl; done
flock -u 9
exec 9<&-

check "big1 dumped" tf_wait_dumps 1
for _ in $(seq 600); do [ "$(grep -c '^error: ' mnt/.status)" -ge 4 ] && grep -q '^state: idle' mnt/.dump && break; sleep 0.1; done
says() { grep -q "^error: .*$1" mnt/.status; }
check "big2: A00001L9 full now, said" says "dump: copy 1: tape A00001L9, named for this dump, cannot take its [0-9]* bytes"
check "gone: A00002L9 not found, said" says "dump [0-9]* copy 1: tape A00002L9: not in the library"
check "gone: and the dump stopped there" says "dump: copy 1: tape A00002L9, named for this dump, is not in the library: the dump stops there"
check "pool: no tape of pool B, said" says "dump: copy 1: no tape with [0-9]* bytes free in pool B"
check ".dump: the last error" grep -q "^last_error: .* pool B" mnt/.dump
check_eq "nothing more committed" "dumps_committed: 1" "$(grep dumps_committed mnt/.dump)"
for d in big2 gone pool; do
	check "$d: still staged, every byte" cmp src/$d/f stg/$d/f
	check "$d: not in archive/" test ! -e mnt/archive/$d
done

# The cartridge comes back; the next dump takes what stayed.
flock lib/lock sed -i "s/^slot $slot -\$/slot $slot A00002L9/" lib/state
check "A00002L9 back in slot $slot" grep -qx "slot $slot A00002L9" lib/state
check "now" req now
for _ in $(seq 600); do [ -z "$(find stg -type f)" ] && grep -q '^state: idle' mnt/.dump && break; sleep 0.1; done
for d in big1 big2 gone pool; do
	check "$d: archived, original bytes" cmp src/$d/f mnt/archive/$d/f
done
tf_umount mnt
