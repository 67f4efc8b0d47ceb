# A shared mount, seen by a user who is not root (made here, removed at
# exit): with allow_other alone, and with allow_other,default_permissions,
# no byte of root's 0600 files (archived or staged) reaches the user, the
# user cannot delete or rename root's staged files, cannot list or stat
# inside a 0700 directory, and the texts (verify results, .recall,
# .status) show nothing of what the user could not stat. What the daemon
# makes on disk (catalog and its WAL, cache, tape images, staging) is
# private; what the user makes in staging/ keeps the user's modes.
. "$TOP/tests/lib.sh"
tf_need /usr/sbin/useradd /usr/sbin/userdel /usr/bin/setpriv

U=tfperm$$
useradd -M -N -g nogroup -s /usr/sbin/nologin "$U" || { not_ok "useradd $U"; exit 1; }
trap 'userdel "$U" 2>/dev/null; t_cleanup' EXIT
asu() { setpriv --reuid="$U" --regid=nogroup --init-groups "$@"; }
chmod 755 . # the user reaches the mount through the scratch directory

tf_setup --drives 2 --slots 4 --capacity 32M --pools 2 -- copies=1 pools=A block_size=64K
mkdir -m 1777 stg # shared staging, as docs/mount.md says
mkdir -p src/d/priv
head -c 200000 /dev/urandom >src/d/priv/hidden-name
echo "root's secret" >src/d/secret
echo "for everyone" >src/d/pub
chmod 700 src/d/priv && chmod 600 src/d/secret src/d/priv/hidden-name && chmod 644 src/d/pub

# attacks MNT-OPTIONS: what the user tries, on the mount as it is now
attacks() {
	local o=$1
	check_fails "$o: archived 0600 file unreadable" "Permission denied" asu cat mnt/archive/d/secret
	check_fails "$o: its copy in tapes/ too" "Permission denied" asu cat mnt/tapes/A00001L9/0001/d/secret
	check_fails "$o: its md5 attribute too" "Permission denied" \
		asu getfattr -n user.tapefs.md5 mnt/archive/d/secret
	check "$o: a 0644 archived file reads" asu cmp src/d/pub mnt/archive/d/pub
	check_fails "$o: a 0700 directory cannot be listed" "Permission denied" asu ls mnt/archive/d/priv
	check_fails "$o: nor a name in it stat'ed" "Permission denied" asu stat mnt/archive/d/priv/hidden-name
	check_fails "$o: staged 0600 file unreadable" "Permission denied" asu cat mnt/staging/staged-secret
	check_fails "$o: nor written" "Permission denied" asu sh -c 'echo x >> mnt/staging/staged-secret'
	check_fails "$o: root's staged file cannot be deleted" "Operation not permitted" \
		asu rm -f mnt/staging/staged-public
	check_fails "$o: nor renamed" "Operation not permitted" \
		asu mv mnt/staging/staged-public mnt/staging/moved
	check "$o: it is still there" cmp mnt/staging/staged-public stg/staged-public
	check_fails "$o: nor chmod'ed" "Operation not permitted" asu chmod 666 mnt/staging/staged-secret
	check_eq "$o: the secret is untouched" "root's secret 2" "$(cat stg/staged-secret)"
}

check "mount with allow_other only" tf_mount tapefs.ini mnt -o allow_other
check "the daemon turned default_permissions on" \
	grep -q " $(realpath mnt) fuse.*default_permissions" /proc/mounts
cp -a src/d mnt/staging/d
echo "now d" >mnt/.dump
check "d archived" tf_wait_dumps 1 60
(umask 077 && echo "root's secret 2" >mnt/staging/staged-secret)
echo public >mnt/staging/staged-public
attacks allow_other

# the user's own entries keep the user's modes (the daemon's umask is 077)
asu sh -c 'umask 022; echo mine > mnt/staging/ufile; mkdir mnt/staging/udir'
asu sh -c 'umask 077; echo mine > mnt/staging/uprivate'
check_eq "a user's file: 0644 with umask 022" "644 $U" "$(stat -c '%a %U' stg/ufile)"
check_eq "a user's directory: 0755" "755 $U" "$(stat -c '%a %U' stg/udir)"
check_eq "a user's file with umask 077: 0600" "600" "$(stat -c '%a' stg/uprivate)"

# texts: verify results, failures, .recall, .status
b=$(getfattr --only-values -n user.tapefs.copies mnt/archive/d/priv/hidden-name | cut -d: -f3)
check "a byte of the hidden file flipped on tape" \
	"$TAPEFS" vtape inject lib/tapes/A00001L9.vtape flip $((b + 2)) 100
run=$(tf_verify all)
check "a verification ran" test -n "$run"
r=mnt/verify/$run
check "root sees the hidden file in the tape's results" grep -q "d/priv/hidden-name" "$r/A00001L9"
check "and in the failures" grep -q "BAD .* d/priv/hidden-name" "$r/failures"
asu cat "$r/A00001L9" >user-results
check "the user reads the tape's results" test -s user-results
check "they hold d/pub" grep -q " d/pub$" user-results
check "nothing of the 0700 directory" bash -c "! grep -q 'priv' user-results"
check "nor its md5" bash -c "! grep -q \"$(grep hidden-name "$r/A00001L9" | cut -d' ' -f2)\" user-results"
asu cat "$r/failures" >user-failures
check "the user reads the failures" test -e user-failures
check_eq "the user's failures: empty" "" "$(cat user-failures)"
echo "archive/d/priv/hidden-name" >mnt/.recall 2>/dev/null
echo "archive/d/pub" >mnt/.recall
for _ in $(seq 100); do
	grep -q "^  OK d/pub" mnt/.recall && grep -q "^  FAILED d/priv/hidden-name" mnt/.recall && break
	sleep 0.1
done
check "the hidden file's recall failed (its only copy is bad)" \
	grep -q "^  FAILED d/priv/hidden-name" mnt/.recall
check "root's .recall names the hidden file" grep -q "d/priv/hidden-name" mnt/.recall
asu cat mnt/.recall >user-recall
check ".recall shows the user d/pub" grep -q '^  OK d/pub' user-recall
check "and nothing of the hidden file" bash -c "! grep -q hidden user-recall"
echo "now d/priv/nope" >mnt/.dump 2>/dev/null
check "root's .status names the refused path" grep -q "d/priv/nope" mnt/.status
asu cat mnt/.status >user-status
check "the user reads .status" grep -q '^drives: 2' user-status
check ".status shows the user no message" bash -c "! grep -q 'priv' user-status"
check_eq ".status gives the user the count" "$(grep '^errors:' mnt/.status)" \
	"$(grep '^errors:' user-status)"
check_eq "its size is the user's text (tail shows its end)" "$(tail -n 1 user-status)" \
	"$(asu tail -n 1 mnt/.status)"
check_fails ".status.json is root's and the owner's" "Permission denied" asu cat mnt/.status.json
check_fails "the user cannot write .dump" "Permission denied" asu sh -c 'echo now > mnt/.dump'

# what the daemon made on disk is private
check_eq "catalog 0600" 600 "$(stat -c %a cat.db)"
check_eq "its WAL 0600" 600 "$(stat -c %a cat.db-wal)"
check_eq "its shared-memory index 0600" 600 "$(stat -c %a cat.db-shm)"
check_fails "the user cannot read the catalog" "Permission denied" asu cat cat.db
check_fails "nor its WAL" "Permission denied" asu cat cat.db-wal
check_fails "nor its shared-memory index" "Permission denied" asu cat cat.db-shm
check_eq "tape images 0600" "600 600" "$(stat -c %a lib/tapes/A00001L9.vtape lib/tapes/B00001L9.vtape | paste -sd' ')"
check_eq "the library directory 0700" 700 "$(stat -c %a lib)"
check_fails "the user cannot read a tape image" "Permission denied" asu cat lib/tapes/A00001L9.vtape
check_eq "the cache directory 0700" 700 "$(stat -c %a cache)"
check "the cache holds recalled files" test -n "$(find cache -type f | head -n 1)"
check_eq "every cache file 0600" "" "$(find cache -type f ! -perm 600)"
tf_umount mnt

check "mount with allow_other,default_permissions" \
	tf_mount tapefs.ini mnt -o allow_other,default_permissions
attacks both

# a catalog made 0644 by an older tapefs is made private at mount
tf_umount mnt
chmod 644 cat.db
check "mount again" tf_mount tapefs.ini mnt -o allow_other
check_eq "the old catalog is now 0600" 600 "$(stat -c %a cat.db)"
tf_umount mnt

# a staging directory and catalog the daemon makes are private
tf_config fresh.ini staging=new/stg catalog=new/cat.db cache=new/cache
check "mount a fresh config" tf_mount fresh.ini mnt2 -o allow_other
check_eq "staging made 0700" 700 "$(stat -c %a new/stg)"
check_eq "its parent too" 700 "$(stat -c %a new)"
check_eq "a new catalog 0600" 600 "$(stat -c %a new/cat.db)"
