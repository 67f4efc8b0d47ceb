# tests/t_library_drive_ids.sh - [library] drive_ids = 1 on a 2-drive
# library: the mount drives drive 1 only. A dump lands through drive 1,
# .status, .status.json, .metrics and drives/ show drive 1 alone, the
# robot never touches drive 0 (which holds a cartridge put there before,
# as another host's drive would), and a recall of a file on that
# cartridge waits for it and is served through drive 1 once it is back in
# its slot.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 4 --capacity 64M --pools 1 -- copies=1 pools=A \
	block_size=64K dump.idle=0 library.drive_ids=1
# A00004L9 into drive 0 before the mount (through the real mtx over the
# SCSI shim), as a host driving drive 0 would have it
SG=$BUILD/tests/libsgshim.so
TAPEFS_SGSHIM=/dev/sg9=$PWD/lib LD_PRELOAD=$SG mtx -f /dev/sg9 load 4 0 >/dev/null
check "drive 0 holds A00004L9 before the mount" grep -qx 'drive 0 A00004L9 4' lib/state

check "mount" tf_mount tapefs.ini mnt
s=$(cat mnt/.status)
check_eq ".status: one drive" "drives: 1" "$(grep '^drives:' <<<"$s")"
check ".status: drive1 listed" grep -q '^drive1: idle empty' <<<"$s"
check ".status: no drive0 line" bash -c "! grep -q '^drive0:' <<<'$s'"
check_eq "drives/ lists drive 1 only" "1" "$(ls mnt/drives)"
check "drives/1 says drive 1" grep -qx 'drive: 1' mnt/drives/1
check "drives/0 does not exist" test ! -e mnt/drives/0
check_eq ".status.json: drive numbers" "[1]" \
	"$("$TF_PYTHON" -c 'import json,sys; print([d["drive"] for d in json.load(sys.stdin)["drives"]])' <mnt/.status.json | tr -d ' ')"
check ".metrics: drive 1 and no drive 0" bash -c \
	"grep -q 'tapefs_drive_loads_total{drive=\"1\"}' mnt/.metrics && ! grep -q 'drive=\"0\"' mnt/.metrics"

# a dump: through drive 1
mkdir -p mnt/staging/d
head -c 300000 /dev/urandom >src.bin
cp src.bin mnt/staging/d/f
echo "now d" >mnt/.dump
for i in $(seq 300); do
	grep -q '^dumps_committed: 1' mnt/.dump && break
	sleep 0.1
done
check "the dump committed" grep -q '^dumps_committed: 1' mnt/.dump
tape=$(sed -n 's/^last_dump: .* tapes \([A-Z0-9]*\):.*/\1/p' mnt/.dump)
check "the dump's tape is in drive 1" grep -q "^drive 1 $tape " lib/state
check "drive 0 untouched" grep -qx 'drive 0 A00004L9 4' lib/state
check "the log: the dump's tape loaded into drive 1" \
	grep -q "robot move: barcode=$tape from=\"slot [0-9]*\" to=\"drive 1\"" tapefs.log
check "the log: no move of drive 0" bash -c "! grep -q 'robot move: .*drive 0' tapefs.log"
check ".status: drive1 holds the dump's tape" grep -q "^drive1: idle $tape" mnt/.status
check "the bytes are archived" cmp src.bin mnt/archive/d/f
tf_umount mnt

# The other host: drive_ids = 0, its own catalog, staging and cache, on
# the same library: its dump goes through drive 0, drive 1 keeps the tape
# the first mount left in it.
tf_config other.ini copies=1 pools=A block_size=64K dump.idle=0 \
	library.drive_ids=0 catalog=other.db staging=stg0 cache=cache0
check "the other host's mount" tf_mount other.ini mnt0
check_eq "its .status: drive0 only" "drive0:" "$(grep -o '^drive[0-9][0-9]*:' mnt0/.status)"
mkdir -p mnt0/staging/e
cp src.bin mnt0/staging/e/g
echo "now e" >mnt0/.dump
for i in $(seq 300); do
	grep -q '^dumps_committed: 1' mnt0/.dump && break
	sleep 0.1
done
check "the other host's dump committed" grep -q '^dumps_committed: 1' mnt0/.dump
tape0=$(sed -n 's/^last_dump: .* tapes \([A-Z0-9]*\):.*/\1/p' mnt0/.dump)
check "not on the first mount's tape (its archives are unknown here)" test "$tape0" != "$tape"
check "its tape is in drive 0" grep -q "^drive 0 $tape0 " lib/state
check "drive 1 still holds $tape" grep -q "^drive 1 $tape " lib/state
check "the other host's bytes are archived" cmp src.bin mnt0/archive/e/g
tf_umount mnt0
