# Listings and entries of archive/ stay in the kernel's cache (archived
# members never change), and a commit drops what it changed: a listing
# repeated is answered without the daemon; after a dump into the same
# directory the new file, a new version and a file that became a
# directory show at once, never a stale entry. A dump's clean-up drops
# the kernel's entries of the staged files it removed.
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 2 --capacity 64M --pools 1 -- copies=1 pools=A
# -d: every request the kernel sends is in the log
check "mount" tf_mount tapefs.ini mnt -d
M=mnt/staging
since() { tail -n +$(($1 + 1)) tapefs.log; }
# asked MARK OPCODES: the requests of those kinds since MARK, one a line
asked() { since "$1" | grep -E "opcode: ($2)\b"; }

mkdir $M/d
for i in 1 2 3; do echo "v1 $i" > $M/d/f$i; done
echo x > $M/d/x
ls -l $M/d > /dev/null # the kernel holds the staged entries
echo "now d" > mnt/.dump
check "dumped" tf_wait_dumps 1
check "the clean-up's files are gone for the kernel at once" test ! -e $M/d/f1
check_eq "and staging/d lists nothing" "" "$(ls $M/d)"

ls -l mnt/archive/d > ls1.out
mark=$(wc -l < tapefs.log)
ls -l mnt/archive/d > ls2.out
check_eq "a listing repeated shows the same" "$(cat ls1.out)" "$(cat ls2.out)"
check_eq "and the daemon was not asked for it" "" \
	"$(asked "$mark" 'READDIRPLUS|READDIR|LOOKUP')"
# (but for the directory's own attributes: a listing marks its atime
# stale in the kernel, and ls -l asks for it)
check "nor for its entries' attributes" test "$(asked "$mark" GETATTR | wc -l)" -le 1

# the same directory gets a new file, a new version, a file that became
# a directory
mkdir $M/d/x.new
echo "v2 1 longer" > $M/d/f1
echo new > $M/d/f4
rm -f $M/d/x.new/* && rmdir $M/d/x.new
mkdir -p $M/d/x 2>/dev/null || { rm -f $M/d/x; mkdir $M/d/x; }
echo y > $M/d/x/y
echo "now d" > mnt/.dump
check "dumped again" tf_wait_dumps 2
check_eq "the new file is listed at once" "f1 f2 f3 f4 x" \
	"$(ls mnt/archive/d | tr '\n' ' ' | sed 's/ $//')"
check_eq "the new version's size at once" 12 "$(stat -c %s mnt/archive/d/f1)"
check_eq "and its bytes" "v2 1 longer" "$(cat mnt/archive/d/f1)"
check_eq "the file that became a directory is one" directory \
	"$(stat -c %F mnt/archive/d/x)"
check_eq "with its file" y "$(cat mnt/archive/d/x/y)"
check_eq "ls -l agrees" "d f1 12" \
	"$(ls -l mnt/archive/d | awk '$NF == "x" { t = substr($1, 1, 1) } $NF == "f1" { s = $5 } END { print t, "f1", s }')"
check_eq "an unchanged file keeps its bytes" "v1 2" "$(cat mnt/archive/d/f2)"
check_eq "tapes/ shows the second archive" "f1 f4 x" \
	"$(ls mnt/tapes/*/0002/d | tr '\n' ' ' | sed 's/ $//')"

check "daemon still up" kill -0 "$TF_PID"
tf_umount mnt
