# `.verify` on a 4-drive virtual library holding 4 copies (pools A-D):
# `all` keeps the four drives reading at the same time (every tape's reads
# begin before any tape's reads end, in the vtape trace) and verifies every
# copy; a byte flipped on one of the four tapes makes exactly that member
# BAD on exactly that tape.
. "$TOP/tests/lib.sh"

tf_setup --drives 4 --slots 8 --capacity 256M --pools 4 -- copies=4 pools=A,B,C,D library.drives=4
export TAPEFS_VTAPE_TRACE="$PWD/trace"


mkdir -p src/d
for i in $(seq 12); do head -c $((i * 20011)) /dev/urandom > "src/d/f$i"; done
head -c $((1 << 20)) /dev/urandom > src/d/big
check "mount" tf_mount tapefs.ini mnt
cp -a src/d mnt/staging/
echo now > mnt/.dump
tf_wait_dumps 1 30
check "dumped" grep -q '^dumps_committed: 1$' mnt/.dump
tapes=$(getfattr --only-values -n user.tapefs.copies mnt/archive/d/f1 | tr ',' '\n' | cut -d: -f1 | sort | tr '\n' ' ')
check_eq "four copies" "A00001L9 B00001L9 C00001L9 D00001L9 " "$tapes"

tf_set_rate 2
: > trace
run=$(tf_verify all)
s=mnt/verify/$run/summary
check_eq "all: state" done "$(tf_field state "$s")"
check_eq "all: tapes" 4 "$(tf_field tapes "$s")"
check_eq "all: ok" 52 "$(tf_field ok "$s")"
check_eq "all: bad+unreadable" "0 0" "$(tf_field bad "$s") $(tf_field unreadable "$s")"
for t in $tapes; do
	check_eq "all: $t: 13 members OK" 13 "$(grep -c '^OK ' "mnt/verify/$run/$t")"
done
check_eq "all: four drives report MB/s" 4 "$(grep -c '^drive[0-3]: [0-9.]* MB/s' "$s")"
overlap=$(awk '$2 == "read" { n++; if (!($1 in first)) first[$1] = n; last[$1] = n }
	END { mf = 0; ml = n + 1; k = 0
	      for (b in first) { k++; if (first[b] > mf) mf = first[b]; if (last[b] < ml) ml = last[b] }
	      print (k == 4 && mf < ml) ? "yes" : "no" }' trace)
check_eq "all: the four tapes were read at the same time" yes "$overlap"

tf_set_rate 0
blk=$(getfattr --only-values -n user.tapefs.copies mnt/archive/d/big | tr ',' '\n' | sed -n 's/^C00001L9:[0-9]*://p')
check "flip a byte of d/big on C" "$TAPEFS" vtape inject lib/tapes/C00001L9.vtape flip $((blk + 2)) 77
run=$(tf_verify all)
check_eq "flip: failures" "C00001L9 BAD d/big" "$(awk '{ print $1, $2, $4 }' "mnt/verify/$run/failures")"
check_eq "flip: ok" 51 "$(tf_field ok "mnt/verify/$run/summary")"
tf_umount mnt
