# A barcode is a barcode: 1 to 16 of A-Z and 0-9. A cartridge whose label
# names "..", "a/b" or anything else (vlib, found by .library inventory),
# or whose volume tag in `mtx status` says so (mtx over the SG_IO shim), is
# refused with a line in .status and left alone: it never enters the
# catalog, `ls tapes` keeps working, nothing is written to it. `.library
# label` refuses such a barcode too.
. "$TOP/tests/lib.sh"
SG=$BUILD/tests/libsgshim.so ST=$BUILD/tests/libstshim.so

# label IMAGE BARCODE: write a tapefs label naming BARCODE as the image's
# file 0 (what a cartridge from elsewhere could carry)
label() {
	rm -rf lab && mkdir lab
	printf 'format=tapefs-label 1\nbarcode=%s\nuuid=%s\npool=A\ncreated=1\nblock_size=65536\n' \
		"$2" "$(cat /proc/sys/kernel/random/uuid)" >lab/TAPEFS.LABEL
	tar --format=pax -b 20 -C lab -cf label.tar TAPEFS.LABEL &&
		"$TAPEFS" vtape import "$1" --block 10240 label.tar >/dev/null
}

# --- vlib without a barcode reader: the labels name the cartridges --------
tf_setup --drives 2 --slots 6 --tapes 3 --capacity 16M --pools 1 --no-barcodes -- copies=1 pools=A
check "label '..' on cart-00001" label lib/tapes/cart-00001.vtape ..
check "label 'a/b' on cart-00002" label lib/tapes/cart-00002.vtape a/b
check "label 'A00009L9' on cart-00003" label lib/tapes/cart-00003.vtape A00009L9
check "mount" tf_mount tapefs.ini mnt
echo inventory >mnt/.library
for _ in $(seq 300); do grep -q '^inventory: done' mnt/.library && break; sleep 0.1; done
check "the inventory ran" grep -q '^inventory: done' mnt/.library
check_eq "only the real barcode is a tape" "A00009L9" "$(ls mnt/tapes | paste -sd' ')"
check "ls -l tapes works" ls -l mnt/tapes
check ".status: '..' refused" grep -q "^error: .*slot 1: its label names '..', which is not a barcode (1 to 16 of A-Z and 0-9): left alone" mnt/.status
check ".status: 'a/b' refused" grep -q "^error: .*slot 2: its label names 'a/b', which is not a barcode" mnt/.status
check_eq "the catalog holds A00009L9 only" "A00009L9" "$(sqlite3 cat.db 'SELECT barcode FROM tape' | paste -sd' ')"
check_eq "the refused cartridges are back in their slots" "2" "$(grep -c 'idle empty' mnt/.status)"
check "nothing written after their label" \
	bash -c "[ \$(\"$TAPEFS\" vtape ls lib/tapes/cart-00001.vtape | tail -n +2 | wc -l) -eq 1 ]"
for bad in .. a/b a00001l9 A00001L9A00001L9X 'A_1' 'A-1'; do
	check_fails ".library label 3 '$bad': refused" "Invalid argument" \
		bash -c "echo 'label 3 $bad A' > mnt/.library"
done
check ".library says why" grep -q "^reason: label: 'A-1' is not a barcode (1 to 16 of A-Z 0-9)" mnt/.library
tf_umount mnt

# --- mtx: volume tags that are not barcodes --------------------------------
rm -rf lib stg cat.db* cache
tf_setup --drives 2 --slots 5 --capacity 32M --pools 2 --tapes 4 -- copies=1 pools=A \
	library.changer=mtx library.path=/dev/sg9 library.mtx=/usr/sbin/mtx library.tape=st \
	library.drives=2 library.drive0=/dev/nst0 library.drive1=/dev/nst1
if [ -x /usr/sbin/mtx ] && [ -e "$SG" ] && [ -e "$ST" ]; then
	printf 'A00002L9 ..\nB00002L9 a/b\n' >lib/sgshim.tags
	export TAPEFS_SGSHIM=/dev/sg9=$PWD/lib
	export TAPEFS_STSHIM=/dev/nst0=$PWD/lib/drive0,/dev/nst1=$PWD/lib/drive1
	check "mtx status shows the tags" bash -c \
		"LD_PRELOAD=$SG /usr/sbin/mtx -f /dev/sg9 status | grep -q 'VolumeTag *= *a/b'"
	TAPEFS=$(tf_preloaded "$SG" "$ST")
	check "mount over mtx" tf_mount tapefs.ini mnt
	check_eq "the tagged cartridges with barcodes are tapes" "A00001L9 B00001L9" \
		"$(ls mnt/tapes | paste -sd' ')"
	check ".status: tag '..' refused" grep -q "^error: .*the cartridge in slot [0-9]*: its volume tag '..' is not a barcode (1 to 16 of A-Z and 0-9): left alone" mnt/.status
	check ".status: tag 'a/b' refused" grep -q "^error: .*its volume tag 'a/b' is not a barcode" mnt/.status
	echo inventory >mnt/.library
	for _ in $(seq 300); do grep -q '^inventory: done' mnt/.library && break; sleep 0.1; done
	check_eq "an inventory does not take them either" "A00001L9 B00001L9" \
		"$(ls mnt/tapes | paste -sd' ')"
	check "a dump still works" bash -c "echo data > mnt/staging/f && echo now > mnt/.dump"
	check "dumped" tf_wait_dumps 1 60
	check "nothing was written to the refused cartridges" bash -c \
		"[ \$(\"$TF_TAPEFS\" vtape ls lib/tapes/A00002L9.vtape | tail -n +2 | wc -l) -eq 1 ]"
else
	ok "mtx or the shims missing: the mtx part skipped"
fi
