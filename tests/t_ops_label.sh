# Labelling by hand in a library without a barcode reader (.library
# "label SLOT BARCODE POOL"): the robot reports cartridges without tags;
# two blank cartridges are labelled by hand, one per pool; bad forms are
# refused with a clear errno and a .status line; a cartridge that carries
# the label of another barcode is refused and put back untouched; an
# inventory reads untagged cartridges no tape accounts for (one moved by
# hand is found again; a look-alike label with another uuid is not taken);
# after a remount the scheduler still finds the hand-labelled cartridges
# by barcode (their catalog location names the slot) and a dump with two
# copies goes to them and reads back.
. "$TOP/tests/lib.sh"

tf_mkvlib lib --drives 2 --slots 4 --tapes 3 --capacity 16M --no-barcodes --rate 8
check "mkvlib --no-barcodes: blank images in the slots" grep -qx 'slot 1 cart-00001' lib/state
check_eq "no label on them" "0" "$("$TAPEFS" vtape info lib/tapes/cart-00001.vtape | sed -n 's/^records: //p')"
# slot 3 holds a cartridge that carries the tapefs label of another barcode
tf_mkvlib other --drives 1 --slots 1 --tapes 1 --capacity 16M
cp other/tapes/A00001L9.vtape lib/tapes/cart-00003.vtape
tf_config tapefs.ini copies=2 "pools=A, B" block_size=64K
check "mount" tf_mount tapefs.ini mnt
check_eq "no tape known: the library shows no tags" "" "$(ls mnt/tapes)"
check "the grammar is shown" grep -q "label SLOT BARCODE POOL" mnt/.library

last_label() { sed -n 's/^last_label: //p' mnt/.library; }
wait_label() { # PATTERN
	for _ in $(seq 200); do last_label | grep -q "$1" && return 0; sleep 0.1; done
	return 1
}
lib() { bash -c "echo '$1' > mnt/.library"; }
check_fails "label without arguments" "Invalid argument" lib "label"
check_fails "label without a pool" "Invalid argument" lib "label 1 A00001L9"
check_fails "label with one word too many" "Invalid argument" lib "label 1 A00001L9 A x"
check_fails "label of slot x" "Invalid argument" lib "label x A00001L9 A"
check_fails "label with a bad barcode" "Invalid argument" lib "label 1 A0/001 A"
check_fails "label for an unknown pool" "Invalid argument" lib "label 1 A00001L9 Z"
check ".status names the pool" grep -q "^error: .*\.library: label: unknown pool 'Z'" mnt/.status
check_fails "label of slot 9 (4 slots)" "Numerical result out of range" lib "label 9 A00001L9 A"
check ".status says so" grep -q '^error: .*\.library: label: no slot 9 (the library has 4)' mnt/.status
check_fails "label of an empty slot" "No medium found" lib "label 4 A00001L9 A"
check ".status says it is empty" grep -q '^error: .*\.library: label: slot 4 is empty' mnt/.status

check "label slot 1 queued" lib "label 1 A00001L9 A"
check "slot 1 labelled" wait_label '^slot 1 labelled A00001L9 (pool A), scratch$'
check_fails "the same barcode again" "File exists" lib "label 2 A00001L9 B"
check ".status says it is known" grep -q '^error: .*\.library: label: A00001L9 is already a tape of the catalog' mnt/.status
check "label slot 2 queued" lib "label 2 B00001L9 B"
check "slot 2 labelled" wait_label '^slot 2 labelled B00001L9 (pool B), scratch$'
check "label slot 3 queued" lib "label 3 C00001L9 A"
check "slot 3 refused: it carries another label" wait_label '^slot 3 refused: .*its label names A00001L9'
check ".status says why" grep -q '^error: .*tape C00001L9: its label names A00001L9: not used' mnt/.status
check "C00001L9 not in the catalog" test ! -e mnt/tapes/C00001L9
check "slot 3 still holds its cartridge" grep -qx 'slot 3 cart-00003' lib/state
check "its label untouched" bash -c "'$TAPEFS' vtape export lib/tapes/cart-00003.vtape 0 - | tar -xOf - TAPEFS.LABEL | grep -qx 'barcode=A00001L9'"
for t in A00001L9:A:1 B00001L9:B:2; do
	IFS=: read -r bc pool slot <<<"$t"
	check_eq "$bc: pool" "$pool" "$(sed -n 's/^pool: //p' mnt/tapes/$bc/.status)"
	check_eq "$bc: scratch" "scratch" "$(sed -n 's/^state: //p' mnt/tapes/$bc/.status)"
	check_eq "$bc: in slot $slot" "slot $slot" "$(sed -n 's/^location: //p' mnt/tapes/$bc/.status)"
	check "$bc: the label is on cart-0000$slot" bash -c "'$TAPEFS' vtape export lib/tapes/cart-0000$slot.vtape 0 - | tar -xOf - TAPEFS.LABEL | grep -qx 'barcode=$bc'"
	check "$bc: put back into slot $slot" grep -qx "slot $slot cart-0000$slot" lib/state
done
check "the drives are empty" bash -c "grep -qx 'drive 0 -' lib/state && grep -qx 'drive 1 -' lib/state"
check "an inventory keeps them in their slots" lib inventory
for _ in $(seq 100); do grep -q '^inventory: done' mnt/.library && break; sleep 0.1; done
check_eq "A00001L9 still in slot 1" "slot 1" "$(sed -n 's/^location: //p' mnt/tapes/A00001L9/.status)"
check "the inventory read the cartridge of slot 3" grep -q '^inventory: done .*, 0 of 1 cartridges without a tag named by their label' mnt/.library
check "its look-alike label is not taken for A00001L9" grep -q '^error: .*slot 3: its label names A00001L9, but not the tape of the catalog' mnt/.status
tf_umount mnt

# The operator moves the cartridge of A00001L9 to slot 4 by hand; the next
# inventory reads it and learns where it is.
sed -i 's/^slot 1 cart-00001$/slot 1 -/; s/^slot 4 -$/slot 4 cart-00001/' lib/state
check "mount" tf_mount tapefs.ini mnt
check "inventory" lib inventory
for _ in $(seq 100); do grep -q '^inventory: done' mnt/.library && break; sleep 0.1; done
check "it named one of two untagged cartridges" grep -q '^inventory: done .*, 1 of 2 cartridges without a tag named by their label' mnt/.library
check_eq "A00001L9 found in slot 4" "slot 4" "$(sed -n 's/^location: //p' mnt/tapes/A00001L9/.status)"
check "put back into slot 4" grep -qx 'slot 4 cart-00001' lib/state
check_eq "B00001L9 still in slot 2" "slot 2" "$(sed -n 's/^location: //p' mnt/tapes/B00001L9/.status)"
tf_umount mnt

# A new mount: only the catalog knows which slot holds which barcode.
check "mount again" tf_mount tapefs.ini mnt
head -c $((3 << 20)) /dev/urandom > data.bin
mkdir -p mnt/staging/run1 && cp data.bin mnt/staging/run1/data.bin
echo now > mnt/.dump
tf_wait_dumps 1 30
check "the dump committed" grep -q '^dumps_committed: 1' mnt/.dump
copies=$(getfattr --only-values -n user.tapefs.copies mnt/archive/run1/data.bin 2>/dev/null)
check "a copy on A00001L9" grep -q 'A00001L9:1:' <<<"$copies"
check "a copy on B00001L9" grep -q 'B00001L9:1:' <<<"$copies"
check "read back through archive/" cmp data.bin mnt/archive/run1/data.bin
tf_umount mnt
rm -rf cache
check "mount a third time (tapes left in the drives)" tf_mount tapefs.ini mnt
check "read back from tape again" cmp data.bin mnt/archive/run1/data.bin
check "daemon up" kill -0 "$TF_PID"
tf_umount mnt
check "tapefs fsck" "$TAPEFS" fsck -c tapefs.ini
