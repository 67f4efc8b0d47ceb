# kill -9 of the daemon at 20 different moments around dumps (while files
# are copied in, right after `now`, while the archive is written at various
# points, at or after the commit), each followed by a remount. In the end:
# every file is on tape exactly once per pool with its MD5, nothing is
# lost, no file is left in staging/ after a last dump, `tapefs fsck` passes, and
# every tape file the catalog names is read by GNU tar alone.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 8 --capacity 256M --pools 2 --rate 6 -- copies=2 pools=A,B block_size=64K

mkdir -p src
: > want.txt
kill_daemon() {
	kill -9 "$TF_PID" 2>/dev/null
	wait "$TF_PID" 2>/dev/null
	fusermount3 -u mnt 2>/dev/null || umount -l mnt 2>/dev/null
}
ok_mounts=0
for i in $(seq 1 20); do
	tf_mount tapefs.ini mnt && ok_mounts=$((ok_mounts + 1))
	d=r$i
	mkdir -p src/$d
	head -c $(( (i % 4 + 1) << 20 )) /dev/urandom > src/$d/data.bin
	echo "round $i" > src/$d/note.txt
	: > src/$d/empty
	case $((i % 5)) in
	0)	# killed while the files are being copied in
		cp -a src/$d mnt/staging/ &
		sleep 0.0$((i % 7 + 1))
		kill_daemon
		wait
		continue ;;
	esac
	cp -a src/$d mnt/staging/
	echo now > mnt/.dump
	# 0 to 1.4 s after the request: before, during and after the write.
	sleep "$(awk -v i="$i" 'BEGIN { printf "%.2f", (i * 7 % 15) / 10 }')"
	kill_daemon
done
check "20 mounts after kills" test "$ok_mounts" -eq 20
# The kills hit dumps in the middle (journal entries found unfinished) and
# some dumps committed before a kill.
interrupted=$(grep -c 'was interrupted (the daemon stopped)' tapefs.log)
echo "# dumps interrupted by a kill: $interrupted"
check "some kills interrupted a dump" test "$interrupted" -ge 3

# Files that made it into staging/ (a copy killed half-way may leave a
# partial file, which is what the user copied before the crash: it must be
# kept, never lost). Record every regular file that exists now in
# staging/ or in an earlier-committed dump with what src holds.
# (the kills are over: the drives need no longer be slow, for the last
# dump nor for the exports that read every tape file back)
tf_set_rate 0
check "final mount" tf_mount tapefs.ini mnt
# Complete the copies that were interrupted, as a user would.
for i in $(seq 5 5 20); do cp -a src/r$i mnt/staging/ 2>/dev/null; done
echo now > mnt/.dump 2>/dev/null
for n in $(seq 900); do
	grep -q '^state: idle' mnt/.dump && [ -z "$(find stg -mindepth 1 ! -type d)" ] && break
	sleep 0.2
done
check_eq "no file left in staging/ after the last dump" "" "$(find stg -mindepth 1 ! -type d)"

# Every source file: in archive/ with the source's MD5 (catalog).
missing=0 bad=0
while IFS= read -r -d '' f; do
	rel=${f#src/}
	want=$(md5sum < "$f" | cut -d' ' -f1)
	got=$(getfattr --only-values -n user.tapefs.md5 "mnt/archive/$rel" 2>/dev/null) || { missing=$((missing + 1)); echo "# missing $rel"; continue; }
	[ "$want" = "$got" ] || { bad=$((bad + 1)); echo "# md5 differs: $rel"; }
done < <(find src -type f -print0)
check_eq "no file lost" 0 "$missing"
check_eq "every MD5 right" 0 "$bad"

# Each file exactly once per pool: list every archive of every tape.
: > members.txt
for tdir in mnt/tapes/*/; do
	bc=$(basename "$tdir")
	for a in "$tdir"*/; do
		[ -d "$a" ] || continue
		(cd "$a" && find . -type f) | sed "s|^\./|${bc:0:1} |" >> members.txt
	done
done
# (Rounds 5, 10, 15, 20 were killed during the copy: their partial files
# were dumped and the completed copies dumped again as new versions.)
dups=$(grep -v -E '^. r(5|10|15|20)/' members.txt | sort | uniq -d | wc -l)
check_eq "no file archived twice in one pool" 0 "$dups"
narch=$(ls -d mnt/tapes/A*/0* | wc -l)
echo "# archives in pool A: $narch"
check "several dumps committed between kills" test "$narch" -ge 4
check_eq "every file in pool A" "$(find src -type f | wc -l)" "$(grep '^A ' members.txt | sort -u | wc -l)"
check_eq "every file in pool B" "$(find src -type f | wc -l)" "$(grep '^B ' members.txt | sort -u | wc -l)"

# The tape files the catalog names, read by GNU tar alone (pool B's are
# listed too; pool A's are extracted in tape order, newest last).
archives=$(for tdir in mnt/tapes/*/; do bc=$(basename "$tdir"); for a in "$tdir"*/; do [ -d "$a" ] && echo "$bc:$(basename "$a")"; done; done)
tf_umount mnt
check "tapefs fsck" "$TAPEFS" fsck -c tapefs.ini
tarbad=0
mkdir -p restored
for a in $(grep '^B' <<<"$archives"); do
	bc=${a%%:*} n=$((10#${a##*:}))
	"$TAPEFS" vtape export "lib/tapes/$bc.vtape" "$n" - | tar -b 128 -tf - >/dev/null || { tarbad=$((tarbad + 1)); echo "# tar failed on $a"; }
done
for a in $(grep '^A' <<<"$archives"); do
	bc=${a%%:*} n=$((10#${a##*:}))
	"$TAPEFS" vtape export "lib/tapes/$bc.vtape" "$n" x.tar || { tarbad=$((tarbad + 1)); continue; }
	tar -b 128 -xf x.tar -C restored || { tarbad=$((tarbad + 1)); echo "# tar failed on $a"; }
done
check_eq "every archive read by GNU tar" 0 "$tarbad"
rm -f restored/TAPEFS.MANIFEST
check "restored tree has the sources' bytes" diff -r src restored
