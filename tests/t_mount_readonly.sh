# Everything outside staging/ is read-only (EROFS); control files take
# writes from the mount owner and root only; malformed control writes fail
# with EINVAL, are explained in .status, and the daemon stays up.
. "$TOP/tests/lib.sh"
chmod 755 . # other users reach the mount through the scratch dir

tf_setup --drives 2 --slots 4 --capacity 16M --pools 2
check "mount with allow_other" tf_mount tapefs.ini mnt -o allow_other
RO="Read-only file system"

for d in archive tapes drives tapes/A00001L9; do
	check_fails "create in $d/" "$RO" touch mnt/$d/newfile
	check_fails "mkdir in $d/" "$RO" mkdir mnt/$d/newdir
	check_fails "symlink in $d/" "$RO" ln -s x mnt/$d/newlink
done
check_fails "create at the root" "$RO" touch mnt/newfile
check_fails "mkdir at the root" "$RO" mkdir mnt/newdir
check_fails "unlink README" "$RO" rm -f mnt/README
check_fails "rename README" "$RO" mv mnt/README mnt/README2
check_fails "rmdir staging" "$RO" rmdir mnt/staging
check_fails "rename staging" "$RO" mv mnt/staging mnt/staging2
check_fails "rmdir a tape" "$RO" rmdir mnt/tapes/A00001L9
check_fails "write .status" "$RO" sh -c 'echo x > mnt/.status'
check_fails "write README" "$RO" sh -c 'echo x >> mnt/README'
check_fails "write drives/0" "$RO" sh -c 'echo x > mnt/drives/0'
check_fails "write a tape's .status" "$RO" sh -c 'echo x > mnt/tapes/A00001L9/.status'
check_fails "chmod README" "$RO" chmod 777 mnt/README
check_fails "chmod archive/" "$RO" chmod 777 mnt/archive
check_fails "chown a tape dir" "$RO" chown 1:1 mnt/tapes/A00001L9
check_fails "utimens README" "$RO" touch mnt/README
check_fails "truncate .status" "$RO" truncate -s 0 mnt/.status
check_fails "setfattr on a tape dir" "$RO" setfattr -n user.x -v 1 mnt/tapes/A00001L9
echo data > mnt/staging/f
check_fails "rename out of staging" "$RO" mv -T mnt/staging/f mnt/archive/f
check "the file stayed in staging" test -f stg/f
check_fails "hard link into tapes/" "$RO" ln mnt/staging/f mnt/tapes/f

# .dump: malformed requests
for req in "" "later" "dump everything" "now ../etc" "nowx" "$(head -c 5000 /dev/zero | tr '\0' a)"; do
	check_fails ".dump refuses '${req:0:20}'" "Invalid argument" bash -c "printf '%s\n' '$req' > mnt/.dump"
done
check_fails ".dump refuses a NUL" "Invalid argument" bash -c "printf 'now\0x\n' > mnt/.dump"
check ".status names the refusal" grep -q "dump" mnt/.status
check ".status lists an error" grep -Eq "^errors: [1-9]" mnt/.status
check ".dump says why" grep -qi "error\|refus\|usage" mnt/.dump
check ".status.json lists the errors" python3 -c 'import json; d=json.load(open("mnt/.status.json")); assert d["errors_total"] >= 1 and len(d["errors"]) >= 1, d'
check "tail of .status shows its last line" sh -c 'tail -n 1 mnt/.status | grep -q "^error: "'

# control files: the owner (root here) may write, others may not
nob() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
check_fails "another user cannot write .dump" "Permission denied" nob sh -c 'echo now > mnt/.dump'
check "another user can read .status" nob cat mnt/.status
check "another user can read README" nob cat mnt/README

# as root with allow_other, what a user creates is theirs
chmod 1777 stg
nob sh -c 'echo mine > mnt/staging/users-file && mkdir mnt/staging/users-dir && ln -s x mnt/staging/users-link'
check_eq "new file belongs to the caller" "65534:65534" "$(stat -c %u:%g stg/users-file)"
check_eq "new dir belongs to the caller" "65534:65534" "$(stat -c %u:%g stg/users-dir)"
check_eq "new symlink belongs to the caller" "65534:65534" "$(stat -c %u:%g stg/users-link)"

check "daemon still up" kill -0 "$TF_PID"
check "mount still answers" stat mnt/.status
