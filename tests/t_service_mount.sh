# tests/t_service_mount.sh - tapefs at boot: `mount -t fuse.tapefs CONFIG
# MNT -o allow_other` and an fstab line (`mount -a -T FILE`) mount the
# library the way an operator's system does. mount.fuse3 runs the helper
# as `/bin/sh -c 'tapefs CONFIG MNT -o rw,...,dev,suid'` with no PATH (the
# shell's default one), so the test puts the built tapefs into
# /usr/local/sbin, for its own mount namespace only. The mount shows the
# config as its source and fuse.tapefs as its type, so that a second
# `mount -a` knows it is mounted; SIGHUP leaves it mounted; `umount` ends
# the daemon.
. "$TOP/tests/lib.sh"
tf_private_ns "$@"

command -v mount.fuse3 >/dev/null || { not_ok "mount.fuse3 not installed (fuse3)"; exit 1; }
check "a writable /usr/local/sbin for this test" tf_overlay /usr/local/sbin
ln -sf "$TF_TAPEFS" /usr/local/sbin/tapefs
tf_setup --drives 2 --slots 6 --capacity 64M --pools 2
cfg=$PWD/tapefs.ini mnt=$PWD/mnt
mkdir -p mnt src/d
head -c 300000 /dev/urandom >src/d/f

# the mount of MNT in /proc/mounts: "SOURCE TYPE OPTIONS"
mounted() { awk -v m="$mnt" '$2 == m { print $1, $3, $4 }' /proc/mounts; }
# the daemon serving MNT (found by its command line; never killed by it)
daemon() { pgrep -f "^tapefs $cfg $mnt " | head -n 1; }
gone() { # PID: waits (30 s) until it exited
	local n=300
	while kill -0 "$1" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	! kill -0 "$1" 2>/dev/null
}

# ---- mount -t fuse.tapefs ----------------------------------------------------
check "mount -t fuse.tapefs CONFIG MNT -o allow_other" \
	mount -t fuse.tapefs "$cfg" "$mnt" -o allow_other
T_MOUNTS+=("$mnt")
check "the mount answers" tf_wait_mount mnt 30
m=$(mounted)
check_eq "source CONFIG, type fuse.tapefs" "$cfg fuse.tapefs" "${m% *}"
check "allow_other" grep -q 'allow_other' <<<"${m##* }"
pid=$(daemon)
check "the daemon runs in the background" test -n "$pid"
check "staging/ takes a file and it is dumped" tf_dump_dir d
check "archive/ has it" cmp src/d/f mnt/archive/d/f
kill -HUP "$pid"
sleep 0.5
check "SIGHUP: the daemon lives" kill -0 "$pid"
check "SIGHUP: still mounted" tf_wait_mount mnt 5
check "SIGHUP: still answers" cmp src/d/f mnt/archive/d/f
check "umount MNT" umount "$mnt"
check "the daemon exits" gone "$pid"
check_eq "nothing mounted" "" "$(mounted)"

# ---- an fstab line -------------------------------------------------------------
printf '%s %s fuse.tapefs allow_other,default_permissions,nofail 0 0\n' "$cfg" "$mnt" >fstab
check "mount -a -T fstab" mount -a -T fstab
check "the mount answers" tf_wait_mount mnt 30
m=$(mounted)
check_eq "fstab: source CONFIG, type fuse.tapefs" "$cfg fuse.tapefs" "${m% *}"
check "fstab: default_permissions and allow_other" \
	grep -qE 'default_permissions.*allow_other' <<<"${m##* }"
check "the archive is there" cmp src/d/f mnt/archive/d/f
pid=$(daemon)
check "mount -a again" mount -a -T fstab
check_eq "mount -a again: still one mount" 1 "$(awk -v m="$mnt" '$2 == m' /proc/mounts | wc -l)"
out=$(mount -T fstab "$mnt" 2>&1)
rc=$?
check "mount MNT of the mounted fstab line: refused" test "$rc" -ne 0
check "refused: already mounted" grep -qF "$mnt: already mounted (tapefs of $cfg)" <<<"$out"
check_eq "still one mount" 1 "$(awk -v m="$mnt" '$2 == m' /proc/mounts | wc -l)"
check "umount MNT" umount "$mnt"
check "the daemon exits" gone "$pid"

# ---- the helper's errors reach mount's caller ----------------------------------
printf '[tapefs]\ncopies = 3\npools = A,B\n' >bad.ini
out=$(mount -t fuse.tapefs "$PWD/bad.ini" "$mnt" 2>&1)
rc=$?
check "a bad config: mount fails" test "$rc" -ne 0
check "a bad config: the line and the reason" grep -qF "bad.ini:2: copies = 3 needs as many pools" <<<"$out"
check_eq "a bad config: nothing mounted" "" "$(mounted)"
