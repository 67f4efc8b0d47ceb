# With changer = mtx (the real mtx over the SG_IO shim, st over the st
# shim), the first mount registers every cartridge by loading it, reading
# its label and putting it back; then a dump works as on vlib.
. "$TOP/tests/lib.sh"
SG=$BUILD/tests/libsgshim.so ST=$BUILD/tests/libstshim.so
tf_need /usr/sbin/mtx "$SG" "$ST"

tf_setup --drives 2 --slots 5 --capacity 32M --pools 2 --tapes 4 -- copies=2 pools=A,B \
	library.changer=mtx library.path=/dev/sg9 library.mtx=/usr/sbin/mtx library.tape=st \
	library.drives=2 library.drive0=/dev/nst0 library.drive1=/dev/nst1
export TAPEFS_SGSHIM=/dev/sg9=$PWD/lib
export TAPEFS_STSHIM=/dev/nst0=$PWD/lib/drive0,/dev/nst1=$PWD/lib/drive1
TAPEFS=$(tf_preloaded "$SG" "$ST")
check "mount over mtx/st" tf_mount tapefs.ini mnt
check_eq "every cartridge registered" "A00001L9 A00002L9 B00001L9 B00002L9" \
	"$(ls mnt/tapes | paste -sd' ')"
check "pools from the labels" grep -q "^pool: B" mnt/tapes/B00002L9/.status
check "label uuid recorded" grep -Eq "^label_uuid: [0-9a-f-]{36}" mnt/tapes/A00001L9/.status
check "back in its slot" grep -q "^location: slot" mnt/tapes/A00002L9/.status
check_eq "drives empty again" "2" "$(grep -c 'idle empty' mnt/.status)"
check_eq "no errors" "errors: 0" "$(grep '^errors:' mnt/.status)"
check_eq "the library agrees: drives empty" "2" \
	"$(LD_PRELOAD=$SG /usr/sbin/mtx -f /dev/sg9 status | grep -c 'Data Transfer Element [01]:Empty')"

head -c 300000 /dev/urandom > src.bin
cp src.bin mnt/staging/f.bin
echo now > mnt/.dump
n=300; while [ -e stg/f.bin ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n-1)); done
check "dumped through mtx/st" cmp src.bin mnt/archive/f.bin
tf_umount mnt

# a second mount knows the tapes: no robot moves to register them again
before=$(stat -c %.9Y lib/state)
check "mount again" tf_mount tapefs.ini mnt
check_eq "no robot move at the second mount" "$before" "$(stat -c %.9Y lib/state)"
check_eq "same tapes" "A00001L9 A00002L9 B00001L9 B00002L9" "$(ls mnt/tapes | paste -sd' ')"
check_eq "no errors the second time" "errors: 0" "$(grep '^errors:' mnt/.status)"
