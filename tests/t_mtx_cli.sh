# tests/t_mtx_cli.sh - the unmodified Debian mtx drives a virtual library
# through the SG_IO shim: its status text is the golden one, loads,
# unloads and transfers change the library (state and drive symlinks), and
# each refusal of a real library comes back as mtx prints it, with the
# library unchanged.
source "$TOP/tests/lib.sh"
SHIM=$BUILD/tests/libsgshim.so
G=$TOP/tests/golden/mtx
tf_need /usr/sbin/mtx "$SHIM"

tf_mkvlib lib --drives 2 --slots 6 --ie 1 --capacity 2M --pools 2
check "mkvlib" test -f lib/state
export TAPEFS_SGSHIM=/dev/sg9=$PWD/lib
mtx() { LD_PRELOAD=$SHIM /usr/sbin/mtx -f /dev/sg9 "$@"; }
state() { md5sum <lib/state; }

check_eq "status is the golden text" "$(cat "$G/shim-2x6.txt")" "$(mtx status)"
check_eq "nobarcode status" "$(cat "$G/shim-2x6-nobarcode.txt")" "$(mtx nobarcode status)"
check "inquiry: a medium changer" grep -q "Product Type: Medium Changer" <(mtx inquiry)
check "inventory (initialize element status)" mtx inventory

check_eq "load" "Loading media from Storage Element 3 into drive 1...done" "$(mtx load 3 1)"
check_eq "drive symlink follows" "tapes/A00002L9.vtape" "$(readlink lib/drive1)"
check "the loaded tape is the labelled image" grep -q "barcode: A00002L9" <("$TAPEFS" vtape info lib/drive1)
check "transfer to the mailbox" mtx transfer 1 7
check_eq "status after the moves" "$(cat "$G/shim-2x6-moved.txt")" "$(mtx status)"

before=$(state)
check_fails "load from an empty slot" "Source Element Address 4096 is Empty" mtx load 1 0
check_fails "load into a full drive" "Drive 1 Full (Storage Element 3 loaded)" mtx load 2 1
check_fails "unload an empty drive" "Data Transfer Element 0 is Empty" mtx unload 3 0
check_fails "unload to a full slot" "Storage Element 2 is Already Full" mtx unload 2 1
check_fails "transfer to a full slot" "Destination Element Address 4097 is Already Full" mtx transfer 7 2
check_fails "unknown slot" "Invalid <storage-element-number> argument '42'" mtx load 42 0
check_fails "device missing" "cannot open SCSI device '/dev/sg8' - No such file or directory" \
	env LD_PRELOAD="$SHIM" /usr/sbin/mtx -f /dev/sg8 status
exec 9<lib/drive1
flock -x 9
check_fails "a tape open in its drive stays there" "Additional Sense Code = 53" mtx unload 3 1
exec 9<&-
check_eq "no refusal changed the library" "$before" "$(state)"
check_eq "drive still loaded" "tapes/A00002L9.vtape" "$(readlink lib/drive1)"

check_eq "unload home" "Unloading drive 1 into Storage Element 3...done" "$(mtx unload 3 1)"
check "drive symlink gone" test ! -e lib/drive1
check "transfer back" mtx transfer 7 1
check_eq "back to the start" "$(cat "$G/shim-2x6.txt")" "$(mtx status)"

# two mtx at once on two drives, as two hosts without the catalog's robot
# lock would: the library's arm is one, so a move asked while the other is
# under way is refused and recorded in lib/overlaps (never waited for, never
# half done); asked again, it happens. Nothing is lost either way.
mtx load 1 0 >/dev/null 2>&1 & p1=$!
mtx load 2 1 >/dev/null 2>&1 & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
if [ "$r1 $r2" != "0 0" ]; then
	check "parallel loads: a refused move is recorded as an overlap" test -s lib/overlaps
	[ "$r1" = 0 ] || mtx load 1 0 >/dev/null
	[ "$r2" = 0 ] || mtx load 2 1 >/dev/null
else
	ok "parallel loads: both moves done at once"
fi
check_eq "six cartridges, one each" "6" "$(mtx status | grep -c 'VolumeTag')"
check "drive 0 has A00001L9" grep -q "Data Transfer Element 0:Full (Storage Element 1 Loaded):VolumeTag = A00001L9" <(mtx status)
check "drive 1 has B00001L9" grep -q "Data Transfer Element 1:Full (Storage Element 2 Loaded):VolumeTag = B00001L9" <(mtx status)
