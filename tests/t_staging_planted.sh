# A symlink a user plants in staging/ never redirects a dump: with
# staging/proj -> a directory outside staging (root's), `now proj/data`,
# `each proj/data` and `each proj` are refused (ELOOP, ENOTDIR) with the
# reason, a whole `now` archives the link itself, and a request accepted
# while real was a real directory, swapped for a symlink before its dump
# runs, fails without reading anything. Nothing outside staging/ is
# archived or deleted, and no byte of it reaches a tape.
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 4 --capacity 256M --pools 1 --rate 4 -- copies=1 pools=A block_size=64K
tf_user
mkdir -m 1777 stg
check "mount (allow_other, default_permissions)" tf_mount tapefs.ini mnt -o allow_other,default_permissions

# Root's directory outside staging, with a marker no tape may hold.
marker=OUTSIDE-$(head -c 16 /dev/urandom | md5sum | cut -c1-32)
mkdir -p outside/data
echo "$marker" > outside/data/secret.txt
head -c 100000 /dev/urandom > outside/data/blob.bin
chmod 600 outside/data/secret.txt
before=$(cd outside && find . -type f -exec md5sum {} + | sort)

check "the user plants staging/proj -> outside" tf_as "$TF_USER" ln -s "$PWD/outside" mnt/staging/proj
check_eq "the link is the user's" "$TF_USER" "$(stat -c %U mnt/staging/proj)"
control=STAGED-$(head -c 16 /dev/urandom | md5sum | cut -c1-32)
tf_as "$TF_USER" sh -c "echo $control > mnt/staging/control.txt"

# Requests through the link: refused at once, with the reason.
check_fails "now proj/data: ELOOP" "Too many levels of symbolic links" bash -c 'echo "now proj/data" > mnt/.dump'
check "the reason names the symlink" grep -q "'proj/data': a symlink is on its way in staging/" mnt/.dump
check_fails "now proj/data/secret.txt: ELOOP" "Too many levels of symbolic links" bash -c 'echo "now proj/data/secret.txt" > mnt/.dump'
check_fails "each proj/data: ELOOP" "Too many levels of symbolic links" bash -c 'echo "each proj/data" > mnt/.dump'
check_fails "each proj: not a directory" "Not a directory" bash -c 'echo "each proj" > mnt/.dump'

# A whole dump archives the link as a link.
echo now > mnt/.dump
check "the whole dump commits" tf_wait_dumps 1
check_eq "archive/proj is the symlink" "$PWD/outside" "$(readlink mnt/archive/proj)"
check "control.txt archived" test -f mnt/archive/control.txt
check "a tape holds what was staged (the search below works)" grep -q "$control" lib/tapes/*.vtape

# Accepted while real is a directory, swapped before its dump runs: a slow
# first dump keeps the second one queued.
tf_as "$TF_USER" mkdir -p mnt/staging/slow mnt/staging/real/data
tf_as "$TF_USER" sh -c 'head -c $((24 << 20)) /dev/urandom > mnt/staging/slow/big.bin'
tf_as "$TF_USER" sh -c 'echo mine > mnt/staging/real/data/f.txt'
echo "now slow" > mnt/.dump
for _ in $(seq 100); do grep -q '^state: running' mnt/.dump && break; sleep 0.1; done
check "the first dump runs" grep -q '^state: running' mnt/.dump
check "now real/data accepted (a directory now)" bash -c 'echo "now real/data" > mnt/.dump'
tf_as "$TF_USER" mv mnt/staging/real mnt/staging/real.old
check "swapped for a symlink" tf_as "$TF_USER" ln -s "$PWD/outside" mnt/staging/real
check "the slow dump commits" tf_wait_dumps 2 120
for _ in $(seq 300); do grep -q "snapshot of 'real/data'" tapefs.log && break; sleep 0.1; done
check "the queued one did nothing, and says why" grep -q "snapshot of 'real/data': Too many levels of symbolic links" tapefs.log
sleep 1
check_eq "no third dump" "dumps_committed: 2" "$(grep '^dumps_committed' mnt/.dump)"

check_eq "outside/ is intact, byte for byte" "$before" "$(cd outside && find . -type f -exec md5sum {} + | sort)"
check "the user's files are still staged" test -f mnt/staging/real.old/data/f.txt
check "the link is still staged" test -L mnt/staging/real
check "no tape holds outside's marker" sh -c "! grep -q '$marker' lib/tapes/*.vtape"
tf_umount mnt
