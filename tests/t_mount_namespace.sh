# The shape of the mount: README, .status(.json), drives/, tapes/, and after
# a dump archive/ and tapes/LABEL/NNNN/ with the catalog's attributes and
# extended attributes - all without touching a tape.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 6 --capacity 32M --pools 2 -- copies=2 pools=A,B
check "mount" tf_mount tapefs.ini mnt

check_eq "root listing" ".dump .library .library.svg .metrics .recall .status .status.json .verify README archive drives staging tapes verify" \
	"$(ls -A mnt | LC_ALL=C sort | paste -sd' ')"
for w in staging/ archive/ tapes/ verify/ drives/ .status .status.json .metrics .library.svg .dump .verify .recall .library \
	user.tapefs.md5 user.tapefs.state user.tapefs.copies user.tapefs.archived \
	"now PATH" "sample PCT" unverified "tape LABEL" "fusermount3 -u"; do
	check "README explains '$w'" grep -qF -- "$w" mnt/README
done
check_eq "README size is its length" "$(cat mnt/README | wc -c)" "$(stat -c %s mnt/README)"
for k in drives drive0 drive1 dump staged_files staged_bytes verify recall_queue tapes_scratch errors; do
	check ".status has '$k:'" grep -q "^$k: " mnt/.status
done
check_eq ".status counts the library's tapes" "tapes_scratch: 6" "$(grep '^tapes_scratch:' mnt/.status)"
check ".status.json is JSON" python3 -c 'import json,sys; d=json.load(open("mnt/.status.json")); assert len(d["drives"]) == 2 and d["tapes"]["by_state"]["scratch"] == 6, d'
check_eq "drives/ lists every drive" "0 1" "$(ls mnt/drives | paste -sd' ')"
check "drives/0 says its state" grep -q "^state: idle" mnt/drives/0
check_fails "drives/2 does not exist" "No such file" cat mnt/drives/2
check_eq "tapes/ lists the library" "A00001L9 A00002L9 A00003L9 B00001L9 B00002L9 B00003L9" \
	"$(ls mnt/tapes | paste -sd' ')"
check "a tape's .status names its pool" grep -q "^pool: B" mnt/tapes/B00002L9/.status
check "a new tape is scratch" grep -q "^state: scratch" mnt/tapes/A00001L9/.status
check_fails "unknown tape" "No such file" ls mnt/tapes/NOPE
check_fails "unknown top-level name" "No such file" stat mnt/nope

# a dump, then the namespace of what it wrote
mkdir -p "mnt/staging/proj/sub dir" mnt/staging/proj/empty
head -c 200000 /dev/urandom > src.bin
cp src.bin "mnt/staging/proj/sub dir/data.bin"
echo "notes" > mnt/staging/proj/notes.txt
echo "cold" > mnt/staging/proj/cold.txt
chmod 0600 mnt/staging/proj/notes.txt
touch -d '2020-05-06 07:08:09' mnt/staging/proj/notes.txt
chown 1234:5678 mnt/staging/proj/notes.txt
ln -s "sub dir/data.bin" mnt/staging/proj/link
echo now > mnt/.dump
n=300; while [ -n "$(find stg -mindepth 1 ! -type d)" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n-1)); done
check_eq "no file staged after the dump" "" "$(find stg -mindepth 1 ! -type d)"
check_eq "archive/ has the tree" "cold.txt empty link notes.txt sub dir" "$(ls mnt/archive/proj | paste -sd' ')"
check_eq "mode from the catalog" "600" "$(stat -c %a mnt/archive/proj/notes.txt)"
check_eq "owner from the catalog" "1234:5678" "$(stat -c %u:%g mnt/archive/proj/notes.txt)"
check_eq "mtime from the catalog" "2020-05-06 07:08:09" "$(stat -c %y mnt/archive/proj/notes.txt | cut -c1-19)"
check_eq "size from the catalog" "200000" "$(stat -c %s "mnt/archive/proj/sub dir/data.bin")"
check_eq "symlink target" "sub dir/data.bin" "$(readlink mnt/archive/proj/link)"
check "empty directory kept" test -d mnt/archive/proj/empty
check_eq "nothing cached yet: du is 0" "0" "$(du -k "mnt/archive/proj/sub dir/data.bin" | cut -f1)"
md5=$(md5sum < src.bin | cut -d' ' -f1)
check_eq "user.tapefs.md5" "$md5" "$(getfattr --only-values -n user.tapefs.md5 "mnt/archive/proj/sub dir/data.bin")"
check_eq "user.tapefs.state archived" "archived" "$(getfattr --only-values -n user.tapefs.state "mnt/archive/proj/sub dir/data.bin")"
copies=$(getfattr --only-values -n user.tapefs.copies "mnt/archive/proj/sub dir/data.bin")
check "user.tapefs.copies names a tape of each pool" grep -Eq '^A[0-9]+L9:1:[0-9]+,B[0-9]+L9:1:[0-9]+$|^B[0-9]+L9:1:[0-9]+,A[0-9]+L9:1:[0-9]+$' <<<"$copies"
check "user.tapefs.archived is a time" grep -Eq '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T' <<<"$(getfattr --only-values -n user.tapefs.archived mnt/archive/proj/notes.txt)"
check_eq "listxattr" "user.tapefs.archived user.tapefs.copies user.tapefs.dmstate user.tapefs.md5 user.tapefs.state" \
	"$(getfattr -m - mnt/archive/proj/notes.txt | grep '^user' | sort | paste -sd' ')"
check_fails "no other xattr" "No such attribute" getfattr -n user.other mnt/archive/proj/notes.txt
# no ACLs and no security labels: said once for the mount (EOPNOTSUPP, which
# `ls -l` remembers) rather than "none here" for every entry it lists
check_fails "no ACLs" "Operation not supported" getfattr -n system.posix_acl_access mnt/archive/proj/notes.txt
check_fails "no security labels" "Operation not supported" getfattr -n security.selinux mnt/archive/proj/notes.txt
check_fails "nor on a directory" "Operation not supported" getfattr -n system.posix_acl_default mnt/archive/proj
check_fails "another system name is none here" "No such attribute" getfattr -n system.other mnt/archive/proj/notes.txt
check_eq "ls -l shows no ACL mark" "-rw-------" "$(ls -l mnt/archive/proj/notes.txt | cut -d" " -f1)"
labA=$(cut -d, -f1 <<<"$copies" | cut -d: -f1)
labB=$(cut -d, -f2 <<<"$copies" | cut -d: -f1)
check_eq "the tape holds file 0001" "0001" "$(ls mnt/tapes/$labA)"
check_eq "tapes/LABEL/0001 holds the tree" "proj" "$(ls mnt/tapes/$labB/0001)"
check_eq "same attributes under tapes/" "600 1234:5678" "$(stat -c '%a %u:%g' mnt/tapes/$labA/0001/proj/notes.txt)"
check_fails "a file number must be written as 0001" "No such file" ls mnt/tapes/$labA/1
check_fails "no such tape file" "No such file" ls mnt/tapes/$labA/0002
check "the tape is open now" grep -q "^state: open" mnt/tapes/$labA/.status
check "the tape's .status counts the archive" grep -q "^archives: 1" mnt/tapes/$labA/.status
check_eq "the drives did nothing for all this: no reads" "" "$(grep -l '^state: reading' mnt/drives/*)"
ino1=$(stat -c %i mnt/archive/proj/notes.txt)

# archived content is read-only
check_fails "write to an archived file" "Read-only file system" bash -c 'echo x >> mnt/archive/proj/notes.txt'
check_fails "unlink an archived file" "Read-only file system" rm -f mnt/archive/proj/notes.txt
check_fails "rename in archive/" "Read-only file system" mv mnt/archive/proj/notes.txt mnt/archive/proj/n2
check_fails "chmod an archived file" "Read-only file system" chmod 777 mnt/archive/proj/notes.txt
check_fails "setfattr on an archived file" "Read-only file system" setfattr -n user.tapefs.md5 -v 0 mnt/archive/proj/notes.txt
check_fails "create in a tape's archive" "Read-only file system" touch mnt/tapes/$labA/0001/proj/new

nonblock_open() { python3 -c '
import os, sys
try:
    os.close(os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK))
    print("opened")
except OSError as e:
    print(os.strerror(e.errno))' "$1"; }
check_eq "O_NONBLOCK open of an offline file: EAGAIN" "Resource temporarily unavailable" \
	"$(nonblock_open mnt/archive/proj/cold.txt)"
check_eq "and it stays offline" "archived" "$(getfattr --only-values -n user.tapefs.state mnt/archive/proj/cold.txt)"

# reading recalls it (through the recall engine), from both copies
check "read through archive/ gives the bytes" cmp src.bin "mnt/archive/proj/sub dir/data.bin"
check "read through the copy on $labB" cmp src.bin "mnt/tapes/$labB/0001/proj/sub dir/data.bin"
check_eq "O_NONBLOCK open of a cached file works" "opened" \
	"$(nonblock_open "mnt/archive/proj/sub dir/data.bin")"
check_eq "state cached after the read" "cached" "$(getfattr --only-values -n user.tapefs.state "mnt/archive/proj/sub dir/data.bin")"
check "du counts the cached bytes" test "$(du -k "mnt/archive/proj/sub dir/data.bin" | cut -f1)" -ge 195

# inode numbers are stable across a remount
tf_umount mnt
check "mount again" tf_mount tapefs.ini mnt
check_eq "same inode after a remount" "$ino1" "$(stat -c %i mnt/archive/proj/notes.txt)"
check_eq "content after a remount" "notes" "$(cat mnt/archive/proj/notes.txt)"
check "daemon still up" kill -0 "$TF_PID"
tf_umount mnt
check "no sanitizer report in the daemon's log" sh -c '! grep -Eq "Sanitizer|runtime error" tapefs.log'
