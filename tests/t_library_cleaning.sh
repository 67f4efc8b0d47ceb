# tests/t_library_cleaning.sh - a cleaning cartridge (barcode CLN...) in
# the library never becomes a tape: the mount's inventory skips it (a log
# line, no error), `.library inventory` does not label it - not even for
# pool C, whose name its barcode starts with, while a blank C00009L9 beside
# it is labelled - `label SLOT CLN... POOL` is refused, and `tapefs fsck`
# does not read it.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 8 --capacity 16M --pools 3 --tapes 6 -- copies=2 pools=A,B,C
"$TAPEFS" vtape create lib/tapes/CLN001L1.vtape --barcode CLN001L1 --capacity 1M >/dev/null
"$TAPEFS" vtape create lib/tapes/C00009L9.vtape --barcode C00009L9 --capacity 16M >/dev/null
sed -i 's/^slot 7 -$/slot 7 CLN001L1/' lib/state
check "the library holds CLN001L1 in slot 7" grep -qx 'slot 7 CLN001L1' lib/state

check "mount" tf_mount tapefs.ini mnt
check "not a tape of the catalog" test ! -e mnt/tapes/CLN001L1
check_eq "the six tapes are" "A00001L9 A00002L9 B00001L9 B00002L9 C00001L9 C00002L9" "$(ls mnt/tapes | paste -sd' ')"
check "no error about it in .status" bash -c "! grep -q CLN001L1 mnt/.status"
check "the log says it was skipped" grep -qF 'tapefs: cleaning cartridge CLN001L1 in slot 7: not a tape, skipped' tapefs.log

sed -i 's/^slot 8 -$/slot 8 C00009L9/' lib/state
echo inventory >mnt/.library
for _ in $(seq 100); do grep -q '^inventory: done' mnt/.library && break; sleep 0.1; done
check "inventory: only C00009L9 is new and labelled" \
	grep -q '^inventory: done .*: 1 new tapes (1 labelled), 0 tapes out of library' mnt/.library
check_eq "C00009L9 labelled for pool C" C "$(sed -n 's/^pool: //p' mnt/tapes/C00009L9/.status)"
check "CLN001L1 still not a tape" test ! -e mnt/tapes/CLN001L1
check_eq "CLN001L1 still blank: nothing written to it" 0 \
	"$("$TAPEFS" vtape info lib/tapes/CLN001L1.vtape | sed -n 's/^records: //p')"
check "CLN001L1 never left slot 7" grep -qx 'slot 7 CLN001L1' lib/state

check "label 7 CLN001L1 C: queued" bash -c "echo 'label 7 CLN001L1 C' > mnt/.library"
for _ in $(seq 100); do grep -q '^last_label: slot 7' mnt/.library && break; sleep 0.1; done
check "label 7 CLN001L1 C: refused, says why" \
	grep -qx "last_label: slot 7 refused: CLN001L1 is a cleaning cartridge's barcode" mnt/.library
check "CLN001L1 still blank" test "$("$TAPEFS" vtape info lib/tapes/CLN001L1.vtape | sed -n 's/^records: //p')" = 0
tf_umount mnt

out=$("$TAPEFS" fsck -c tapefs.ini 2>&1)
check "fsck: does not read it" bash -c "! grep -q CLN001L1 <<<'$out'"
