# With changer = mtx (the real mtx over the SG_IO shim, st over the st
# shim), the first mount registers every cartridge by loading it, reading
# its label and putting it back; then a dump works as on vlib.
. "$TOP/tests/lib.sh"
SG=$BUILD/tests/libsgshim.so ST=$BUILD/tests/libstshim.so
[ -x /usr/sbin/mtx ] && [ -f "$SG" ] && [ -f "$ST" ] ||
	{ not_ok "needs /usr/sbin/mtx, $SG and $ST"; exit 1; }
REAL_TAPEFS=$TAPEFS

"$TAPEFS" mkvlib lib --drives 2 --slots 5 --capacity 32M --pools 2 --tapes 4 >/dev/null
export TAPEFS_SGSHIM=/dev/sg9=$PWD/lib
export TAPEFS_STSHIM=/dev/nst0=$PWD/lib/drive0,/dev/nst1=$PWD/lib/drive1
cat > tapefs-shimmed <<SH
#!/bin/sh
export LD_PRELOAD="$SG $ST"
export ASAN_OPTIONS="verify_asan_link_order=0:\${ASAN_OPTIONS:-}"
exec "$REAL_TAPEFS" "\$@"
SH
chmod +x tapefs-shimmed
TAPEFS=$PWD/tapefs-shimmed
cat > tapefs.ini <<'INI'
[tapefs]
staging = stg
catalog = cat.db
cache = cache
copies = 2
pools = A,B
[dump]
bytes = 1T
files = 1000000
idle = 0
[library]
changer = mtx
path = /dev/sg9
mtx = /usr/sbin/mtx
tape = st
drives = 2
drive0 = /dev/nst0
drive1 = /dev/nst1
INI
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
