# Release and DMF states: `release PATH` in .recall drops cached copies now
# (a file, or every file of a directory); du and st_blocks show it, the
# cache directory holds nothing of them, user.tapefs.dmstate goes from DUL
# back to OFL (UNM while a recall runs); a reader holding the file open
# still reads the right bytes (recalled again). tapefs-dmls prints the
# states. Malformed requests fail with EINVAL, and the write holding one
# applies none of its lines.
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 2 --capacity 64M --pools 1 -- block_size=64K copies=1 pools=A
check "mount" tf_mount tapefs.ini mnt
M=mnt

mkdir -p src/r/sub
head -c 2000000 /dev/urandom > src/r/one.bin
for i in 1 2 3; do head -c $((300000 + i)) /dev/urandom > src/r/sub/f$i.bin; done
check "dumped" tf_dump_dir r
dm() { getfattr --only-values -n user.tapefs.dmstate "$1" 2>/dev/null; }
# the attributes a path shows after its name's 1 s entry timeout
blocks() { sleep 1.1; stat -c %b "$1"; }
wait_dm() { # FILE STATE
	for _ in $(seq 100); do [ "$(dm "$1")" = "$2" ] && return 0; sleep 0.05; done
	return 1
}

check_eq "offline: OFL" OFL "$(dm $M/archive/r/one.bin)"
check "read whole: original bytes" cmp src/r/one.bin $M/archive/r/one.bin
check_eq "read whole: DUL" DUL "$(dm $M/archive/r/one.bin)"
check "st_blocks counts it" test "$(blocks $M/archive/r/one.bin)" -ge $((2000000 / 512))
check "directories have no dmstate" bash -c "! getfattr -n user.tapefs.dmstate $M/archive/r 2>/dev/null"

"$TOP/scripts/tapefs-dmls" $M/archive/r > dmls.out
cat dmls.out
check "tapefs-dmls: (DUL) one.bin" grep -q ' (DUL) one.bin$' dmls.out
check "tapefs-dmls: sub without a state" grep -qE ' [0-9:]+ +sub$' dmls.out
"$TOP/scripts/tapefs-dmls" -R $M/archive/r > dmls.out
check "tapefs-dmls -R: (OFL) f1.bin" grep -q ' (OFL) f1.bin$' dmls.out

echo "release archive/r/one.bin" > $M/.recall
check "release: OFL" wait_dm $M/archive/r/one.bin OFL
check_eq "release: st_blocks 0" 0 "$(blocks $M/archive/r/one.bin)"
check_eq "release: du shows nothing" 0 "$(du -k $M/archive/r/one.bin | cut -f1)"
check_eq "release: nothing in the cache directory" "" "$(ls -A cache/tapefs-cache 2>&1)"
check "read again: original bytes" cmp src/r/one.bin $M/archive/r/one.bin

# a directory's tree; one file of it held open meanwhile
for i in 1 2 3; do cat $M/archive/r/sub/f$i.bin > /dev/null; done
check_eq "sub read: DUL" "DUL DUL DUL" "$(for i in 1 2 3; do echo "$(dm $M/archive/r/sub/f$i.bin)"; done | paste -sd' ')"
exec 7< $M/archive/r/sub/f2.bin
echo "release $PWD/$M/archive/r/sub" > $M/.recall
check "release of a directory: every file OFL" wait_dm $M/archive/r/sub/f3.bin OFL
check_eq "and the others" "OFL OFL" "$(for i in 1 2; do echo "$(dm $M/archive/r/sub/f$i.bin)"; done | paste -sd' ')"
check_eq "release of a directory: du 0" 0 "$(sleep 1.1; du -sk $M/archive/r/sub | cut -f1)"
check "a reader that held it open reads the right bytes" cmp src/r/sub/f2.bin /dev/fd/7
exec 7<&-

# UNM while a recall runs (2 MB at 0.5 MB/s)
T=$(ls $M/tapes | head -n 1)
echo "release archive/r/one.bin" > $M/.recall
wait_dm $M/archive/r/one.bin OFL
"$TAPEFS" vtape set lib/tapes/$T.vtape rate=0.5 scale=1
cat $M/archive/r/one.bin > one.out &
p=$!
check "being recalled: UNM" wait_dm $M/archive/r/one.bin UNM
echo "release archive/r/one.bin" > $M/.recall
sleep 0.3
check_eq "release of a member being recalled: left alone" UNM "$(dm $M/archive/r/one.bin)"
wait $p
check "its reader: original bytes" cmp src/r/one.bin one.out
"$TAPEFS" vtape set lib/tapes/$T.vtape rate=0 scale=0

check_fails "priority without a number: EINVAL" "Invalid argument" bash -c "echo 'priority x archive/r/one.bin' > $M/.recall"
check ".recall says why" grep -q "^reason: 'priority x archive/r/one.bin': malformed" $M/.recall
check_fails "priority out of range: EINVAL" "Invalid argument" bash -c "echo 'priority 10 archive/r/one.bin' > $M/.recall"
check_fails "release of nothing: ENOENT" "No such file" bash -c "echo 'release archive/nope' > $M/.recall"
check ".recall names the line refused" grep -q "^refused: 'release archive/nope' at " $M/.recall
check "and why" grep -q "^reason: 'release archive/nope': no archived file" $M/.recall
check_eq "read by its reader: DUL" DUL "$(dm $M/archive/r/one.bin)"
check_fails "a write with one bad line: EINVAL" "Invalid argument" bash -c "/usr/bin/printf 'release archive/r/one.bin\\npriority 99 archive/r/one.bin\\n' > $M/.recall"
sleep 0.3
check_eq "and none of it applied: still DUL" DUL "$(dm $M/archive/r/one.bin)"
check "unmount" tf_umount mnt
