# Library control (.library at the root): an inventory adds new cartridges (labelled
# ones as they are; blank ones whose barcode starts with a pool's name get
# a label of that pool and become scratch; others are reported and left
# alone), marks tapes no longer in the library "out of library" (still
# listed under tapes/), and runs off the FUSE thread. A labelled tape is
# then written by a dump.
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 6 --ie 1 --tapes 2 --capacity 16M --pools 1 --rate 4 -- copies=1 "pools=A, B" block_size=64K
check "mount" tf_mount tapefs.ini mnt
check ".library at the root" test -f mnt/.library
check "listed at the root" bash -c "ls -A mnt | grep -qx .library"
check "tapes/ holds tapes only" test ! -e mnt/tapes/.ctl
check "it says how to use it" grep -q '^usage: echo inventory > .library' mnt/.library
check_fails "unknown library request" "Invalid argument" bash -c "echo explode > mnt/.library"
check ".status says why" grep -q "^error: .*\.library: unknown request 'explode'" mnt/.status
check_fails "inventory with an argument" "Invalid argument" bash -c "echo 'inventory now' > mnt/.library"
check_fails "export with an empty label" "Invalid argument" bash -c "echo 'export ' > mnt/.library"
check_fails ".library is no directory" "Not a directory" ls mnt/.library/x

# export: refused while a dump writes the tape, then from the drive to the
# import/export slot (slot 7)
head -c $((6 << 20)) /dev/urandom > big.bin && cp big.bin mnt/staging/big.bin
echo now > mnt/.dump
for _ in $(seq 100); do grep -q "^current: .*tapes A00001L9" mnt/.dump && break; sleep 0.05; done
check_fails "export of a tape being written" "Device or resource busy" bash -c "echo 'export A00001L9' > mnt/.library"
check ".status says why" grep -q '^error: .*\.library: export A00001L9 refused: a dump is writing to it' mnt/.status
tf_wait_dumps 1 30
check "the dump committed" grep -q '^dumps_committed: 1' mnt/.dump
check_fails "export of an unknown tape" "No such file or directory" bash -c "echo 'export NOSUCH' > mnt/.library"
check ".status names it" grep -q "^error: .*\.library: export: unknown tape 'NOSUCH'" mnt/.status
check_fails "export without a label" "Invalid argument" bash -c "echo export > mnt/.library"
check "export queued" bash -c "echo 'export A00001L9' > mnt/.library"
for _ in $(seq 100); do grep -q '^last_export:' mnt/.library && break; sleep 0.1; done
check "export done" grep -q '^last_export: A00001L9 moved to slot 7 (import/export)' mnt/.library
check "the library has it in the import/export slot" grep -qx 'slot 7 A00001L9' lib/state
check "the drive is empty" grep -qx 'drive 0 -' lib/state
check_eq "its location" "slot 7 (import/export)" "$(sed -n 's/^location: //p' mnt/tapes/A00001L9/.status)"
check "export with the import/export slot full" bash -c "echo 'export A00002L9' > mnt/.library"
for _ in $(seq 100); do grep -q '^last_export: A00002L9' mnt/.library && break; sleep 0.1; done
check "refused: no empty slot" grep -q '^last_export: A00002L9 refused: no empty import/export slot' mnt/.library
check "A00002L9 did not move" grep -qx 'slot 2 A00002L9' lib/state
check "the archive still reads back from the exported tape" cmp big.bin mnt/archive/big.bin

# new cartridges: two blank ones (pool B by prefix, and one naming no pool)
"$TAPEFS" vtape create lib/tapes/B00007L9.vtape --barcode B00007L9 --capacity 16M >/dev/null
"$TAPEFS" vtape create lib/tapes/Z00001L9.vtape --barcode Z00001L9 --capacity 16M >/dev/null
sed -i 's/^slot 3 -$/slot 3 B00007L9/; s/^slot 4 -$/slot 4 Z00001L9/; s/^slot 2 A00002L9$/slot 2 -/' lib/state
check "inventory queued" bash -c "echo inventory > mnt/.library"
for _ in $(seq 100); do grep -q '^inventory: done' mnt/.library && break; sleep 0.1; done
check "inventory done" grep -q '^inventory: done .*: 1 new tapes (1 labelled), 1 tapes out of library' mnt/.library
check "B00007L9 listed" test -d mnt/tapes/B00007L9
check_eq "labelled for pool B" "B" "$(sed -n 's/^pool: //p' mnt/tapes/B00007L9/.status)"
check_eq "scratch" "scratch" "$(sed -n 's/^state: //p' mnt/tapes/B00007L9/.status)"
check_eq "its location" "slot 3" "$(sed -n 's/^location: //p' mnt/tapes/B00007L9/.status)"
check "the label is on tape" bash -c "'$TAPEFS' vtape export lib/tapes/B00007L9.vtape 0 - | tar -xOf - TAPEFS.LABEL | grep -qx 'pool=B'"
check "a prefix naming no pool: not added" test ! -e mnt/tapes/Z00001L9
check ".status says why" grep -q '^error: .*tape Z00001L9: its barcode prefix names no configured pool' mnt/.status
check_eq "Z00001L9 still blank" "0" "$("$TAPEFS" vtape info lib/tapes/Z00001L9.vtape | sed -n 's/^records: //p')"
check "a tape gone from the library is still listed" test -d mnt/tapes/A00002L9
check_eq "marked out of library" "out of library" "$(sed -n 's/^location: //p' mnt/tapes/A00002L9/.status)"
check "A00001L9 where it is (read back into drive 0 above)" grep -Eq '^location: (drive 0|slot 7)$' mnt/tapes/A00001L9/.status

# an operator's location survives an inventory while the tape is away
echo "location offsite: box 4" > mnt/tapes/A00002L9/.ctl
echo inventory > mnt/.library
sleep 0.3
for _ in $(seq 100); do grep -q '^inventory: done' mnt/.library && break; sleep 0.1; done
check_eq "offsite location kept" "offsite: box 4" "$(sed -n 's/^location: //p' mnt/tapes/A00002L9/.status)"
check "daemon up" kill -0 "$TF_PID"
tf_umount mnt
sed -i 's/^slot 4 Z00001L9.*/slot 4 -/' lib/state && rm lib/tapes/Z00001L9.vtape # the operator takes it out
check "tapefs fsck" "$TAPEFS" fsck -c tapefs.ini
