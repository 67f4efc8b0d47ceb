# Dumps sized to the tapes: 18 MiB staged for 16 MiB tapes with 2 copies
# is cut into archives that each fit, the first tapes filled to within one
# record of their early warning, in path order, with no pause and no tape
# marked full; every byte is archived. Then `now PATH` of a tree larger
# than a tape is cut where directories begin, and `.dump` says so. The
# fill of every tape is printed ("fill: ...").
. "$TOP/tests/lib.sh"

BS=262144
tf_setup --drives 2 --slots 10 --capacity 16M --pools 2 -- copies=2 pools=A,B
check "mount" tf_mount tapefs.ini mnt

# 288 files of 64 KiB in four directories: 18 MiB.
mkdir -p src
for d in 1 2 3 4; do
	mkdir -p src/data/d$d
	for f in $(seq -w 1 72); do
		head -c 65536 /dev/urandom > src/data/d$d/f$f.bin
	done
done
cp -r src/data mnt/staging/
echo now > mnt/.dump
check "the dump ends in two archives" tf_wait_dumps 2 120
check_eq "no pause" "" "$(grep '^paused' mnt/.dump)"
check "no error" test -z "$(tf_field last_error mnt/.dump)"
check_eq "no file left in staging/" "" "$(find stg -type f)"
n=0
for f in $(cd src && find data -type f | sort); do
	cmp -s "src/$f" "mnt/archive/$f" && n=$((n + 1))
done
check_eq "every file archived with its bytes" "288" "$n"

# Per tape: capacity, early warning and data bytes from the image.
fill() {
	"$TAPEFS" vtape info "lib/tapes/$1.vtape" | awk -v bc="$1" -v bs=$BS '
		/^capacity:/ {c=$2} /^early_warning:/ {e=$2} /^used:/ {u=$2}
		END {printf "%s used %d of %d before early warning, %d left (%.2f records)\n",
			bc, u, c - e, c - e - u, (c - e - u) / bs}'
}
gap() { "$TAPEFS" vtape info "lib/tapes/$1.vtape" | awk '
		/^capacity:/ {c=$2} /^early_warning:/ {e=$2} /^used:/ {u=$2}
		END {print c - e - u}'; }
for bc in A00001L9 B00001L9 A00002L9 B00002L9; do echo "fill: $(fill $bc)"; done
for bc in A00001L9 B00001L9; do
	g=$(gap $bc)
	check "$bc filled to within one record of early warning ($g bytes left)" \
		test "$g" -ge 0 -a "$g" -le $BS
	check_eq "$bc holds one archive" "0001" "$(ls mnt/tapes/$bc | tr '\n' ' ' | sed 's/ $//')"
done
check_eq "the second archive on the next tapes" "A00002L9:1,B00002L9:1" "$(tf_last_tapes)"
check "no tape marked full" test -z "$(grep -l '^state: full' mnt/tapes/*/.status)"
# Path order: the first tape holds a prefix of the sorted names.
first=$(ls mnt/tapes/A00001L9/0001/data/d1 | wc -l)
check_eq "d1 whole on the first tape" "72" "$first"
check "d4's last file on the second tape" test -e mnt/tapes/A00002L9/0001/data/d4/f72.bin

# now PATH of a tree larger than a tape: cut where directories begin.
mkdir -p src/big
for d in a b c; do
	mkdir -p src/big/$d
	for f in $(seq -w 1 96); do head -c 65536 /dev/urandom > src/big/$d/f$f.bin; done
done
cp -r src/big mnt/staging/
echo "now big" > mnt/.dump
check "now big: in several archives" tf_wait_dumps 4 120
check ".dump says it was cut along directories" grep -q "^last_cut: 'big' .*cut along directories" mnt/.dump
for d in a b c; do
	where=$(ls -d mnt/tapes/A0000*/000*/big/$d 2>/dev/null | wc -l)
	check_eq "big/$d in one archive" "1" "$where"
	n=$(ls mnt/tapes/A0000*/000*/big/$d | wc -l)
	check_eq "big/$d whole in it" "96" "$n"
done
check "big/c archived" cmp src/big/c/f96.bin mnt/archive/big/c/f96.bin
for bc in A00002L9 B00002L9 A00003L9 B00003L9; do echo "fill: $(fill $bc)"; done
check_eq "no pause" "" "$(grep '^paused' mnt/.dump)"
tf_umount mnt
check "tapefs fsck" "$TAPEFS" fsck -c tapefs.ini
