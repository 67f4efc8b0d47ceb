# tests/t_mtx_e2e.sh - tapefs end to end on a "real" library: changer = mtx
# (the Debian mtx over the SG_IO shim) and tape = st (the st backend over
# the st shim), both over one virtual library. The same story runs first on
# vlib/vtape and then on mtx/st, on identical libraries: a dump with 2
# copies, a verify of everything, a recall; the results must be the same.
. "$TOP/tests/lib.sh"
SG=$BUILD/tests/libsgshim.so ST=$BUILD/tests/libstshim.so
[ -x /usr/sbin/mtx ] && [ -f "$SG" ] && [ -f "$ST" ] ||
	{ not_ok "needs /usr/sbin/mtx, $SG and $ST"; exit 1; }
REAL_TAPEFS=$TAPEFS

mkdir -p src/d1/sub
for i in $(seq 12); do head -c $((i * 7919 % 300000 + 1)) /dev/urandom > "src/d1/f$i"; done
head -c 2000000 /dev/urandom > src/d1/sub/big
: > src/d1/sub/empty
(cd src && find d1 -type f -print0 | sort -z | xargs -0 md5sum) > want.md5

# story NAME CONFIG-LIBRARY-SECTION: mkvlib, mount, dump, verify, recall;
# leaves NAME/result (what must agree between the two runs).
story() {
	local n=$1 lib=$2 run f
	mkdir -p "$n"
	"$REAL_TAPEFS" mkvlib "$n/lib" --drives 2 --slots 6 --capacity 64M --pools 2 >/dev/null
	cat > "$n/tapefs.ini" <<INI
[tapefs]
staging = stg
catalog = cat.db
cache = cache
block_size = 64K
copies = 2
pools = A,B
[dump]
bytes = 1T
files = 1000000
idle = 0
INI
	# tapes come into the catalog at the first mount, through vlib (see
	# docs/library.md: with mtx an unknown tape is not used until its
	# label is read)
	printf '[library]\nchanger = vlib\npath = lib\n' > "$n/first.ini"
	cat "$n/tapefs.ini" "$n/first.ini" > "$n/mount1.ini"
	tf_mount "$n/mount1.ini" "$n/mnt" || return 1
	tf_umount "$n/mnt"
	printf '%s\n' "$lib" >> "$n/tapefs.ini"
	tf_mount "$n/tapefs.ini" "$n/mnt" || return 1
	cp -a src/d1 "$n/mnt/staging/"
	echo "now d1" > "$n/mnt/.dump" || return 1
	for _ in $(seq 600); do
		[ -e "$n/mnt/staging/d1" ] || break
		sleep 0.1
	done
	[ -d "$n/mnt/archive/d1" ] || return 1
	echo all > "$n/mnt/.verify" || return 1
	for _ in $(seq 600); do
		run=$(readlink "$n/mnt/verify/latest" 2>/dev/null)
		[ -n "$run" ] && grep -qE '^state: (done|interrupted)' "$n/mnt/verify/$run/summary" && break
		sleep 0.1
	done
	{
		echo "== tapes"; ls "$n/mnt/tapes"
		echo "== archives"; (cd "$n/mnt/tapes" && ls *)
		echo "== verify"; grep -E '^(state|tapes|archives|members|ok|bad|unreadable):' "$n/mnt/verify/$run/summary"
		echo "== copies"; getfattr --only-values -n user.tapefs.copies "$n/mnt/archive/d1/sub/big"; echo
		echo "== recall"; (cd "$n/mnt/archive" && find d1 -type f -print0 | sort -z | xargs -0 md5sum)
	} > "$n/result" 2>&1
	cp "$n/mnt/verify/$run/summary" "$n/summary"
	tf_umount "$n/mnt"
}

check "story on vlib + vtape" story v '[library]
changer = vlib
path = lib'
export TAPEFS_SGSHIM=/dev/sg9=$PWD/m/lib
export TAPEFS_STSHIM=/dev/nst0=$PWD/m/lib/drive0,/dev/nst1=$PWD/m/lib/drive1
# only the daemon (and the mtx it runs) get the shims
cat > tapefs-shimmed <<SH
#!/bin/sh
export LD_PRELOAD="$SG $ST"
export ASAN_OPTIONS="verify_asan_link_order=0:\${ASAN_OPTIONS:-}"
exec "$REAL_TAPEFS" "\$@"
SH
chmod +x tapefs-shimmed
TAPEFS=$PWD/tapefs-shimmed
check "story on mtx + st over the shims" story m '[library]
changer = mtx
path = /dev/sg9
mtx = /usr/sbin/mtx
tape = st
drives = 2
drive0 = /dev/nst0
drive1 = /dev/nst1'
TAPEFS=$REAL_TAPEFS

check_eq "recalled bytes (vlib)" "$(cat want.md5)" "$(sed -n '/^== recall/,$p' v/result | tail -n +2)"
check_eq "recalled bytes (mtx/st)" "$(cat want.md5)" "$(sed -n '/^== recall/,$p' m/result | tail -n +2)"
check "verify: every member of both copies ok" grep -q '^ok: 28$' m/result
check_eq "mtx/st gives the vlib/vtape results" "$(cat v/result)" "$(cat m/result)"
check "mtx really ran: drives loaded through it" grep -q "Full (Storage Element" <(LD_PRELOAD=$SG /usr/sbin/mtx -f /dev/sg9 status)
