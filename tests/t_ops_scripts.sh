# The operator scripts over a real mount: tapefs-import of 30 directories
# (some with spaces in their names) makes one archive each and says where;
# tapefs-check finds every file matching, and after one flipped byte names
# exactly that file; `tapefs-report LABEL | md5sum -c` run inside the tape's
# directory passes (every member recalled from tape); bad inputs fail.
. "$TOP/tests/lib.sh"
S=$TOP/scripts

tf_setup --drives 2 --slots 6 --tapes 4 --capacity 64M --pools 2 -- copies=2 "pools=A, B" block_size=64K
check "mount" tf_mount tapefs.ini mnt

for s in tapefs-import tapefs-check tapefs-report tapefs-where tapefs-dmls; do
	check "$s --help" bash -c "'$S/$s' --help | grep -q '^usage: $s'"
	check_fails "$s with a bad option" "unknown option" "$S/$s" --bogus
	"$S/$s" --bogus >/dev/null 2>&1
	check_eq "$s: a usage error exits 64" "64" "$?"
done

mkdir src
: > list
for i in $(seq 1 30); do
	d="src/run $i"; [ $((i % 3)) -eq 0 ] && d="src/run_$i"
	mkdir -p "$d/sub"
	head -c $((1000 + i * 997)) /dev/urandom > "$d/data.bin"
	echo "run $i notes" > "$d/sub/notes.txt"
	echo "$d" >> list
done

check_fails "import of a missing item" "no such file" "$S/tapefs-import" --mount mnt <(echo src/nosuch)
check_fails "import of two items with one name" "would both be staged" "$S/tapefs-import" --mount mnt <(printf 'src/run 1\nsrc/run 1/\n')
check_eq "nothing staged by refused imports" "" "$(ls mnt/staging)"

check "tapefs-import of 30 directories" bash -c "'$S/tapefs-import' --mount mnt --prefix imp --jobs 4 list > import.out 2> import.err"
check_eq "one report line per item" "30" "$(wc -l < import.out)"
check_eq "every item in two tape files (one per copy)" "30" "$(cut -f3 import.out | grep -c '^[A-Z0-9]*:[0-9]*,[A-Z0-9]*:[0-9]*$')"
check_eq "30 distinct archives" "30" "$(cut -f3 import.out | sort -u | wc -l)"
check "report names the archive path" grep -q $'^src/run 1\tarchive/imp/run 1\t' import.out
check_eq "every item archived by this run" "30" "$(cut -f4 import.out | grep -cx archived)"
check "progress line" grep -q 'on tape 30/30' import.err
check_eq "no file left staged" "" "$(find mnt/staging -mindepth 2 ! -type d | head -n 1)"
la=$(ls mnt/tapes | head -n 1)
check_eq "tape $la holds 30 archives" "30" "$(sed -n 's/^archives: //p' "mnt/tapes/$la/.status")"
check "archived bytes equal" cmp "src/run 7/data.bin" "mnt/archive/imp/run 7/data.bin"
"$S/tapefs-import" --mount mnt --prefix imp <(echo "src/run 2") > again.out 2>/dev/null
check_eq "importing the same item again: skipped, exit 0" "0" "$?"
check "it says where it is" grep -q $'^src/run 2\tarchive/imp/run 2\t[A-Z0-9]*:[0-9]*,[A-Z0-9]*:[0-9]*\tskipped$' again.out

echo "a single file" > single.txt
check "import of a single file" bash -c "'$S/tapefs-import' --mount mnt --prefix files <(echo single.txt) > single.out 2>/dev/null"
check "it went to its own archive" grep -Eq $'^single.txt\tarchive/files/single.txt\t[A-Z0-9]+:31,[A-Z0-9]+:31\tarchived$' single.out
check "its bytes" cmp single.txt mnt/archive/files/single.txt
check "tapefs-check: all match" bash -c "'$S/tapefs-check' --mount mnt --prefix imp src/* > check.out"
check_eq "total" "total: 60 files, 60 ok, 0 mismatch, 0 missing" "$(tail -n 1 check.out)"
printf '\x5a' | dd of="src/run 7/data.bin" bs=1 seek=100 conv=notrunc status=none
if cmp -s "src/run 7/data.bin" "mnt/archive/imp/run 7/data.bin"; then
	printf '\xa5' | dd of="src/run 7/data.bin" bs=1 seek=100 conv=notrunc status=none
fi
check_fails "tapefs-check after a flipped byte fails" "" "$S/tapefs-check" --mount mnt --prefix imp src/*
"$S/tapefs-check" --mount mnt --prefix imp src/* > check2.out
check_eq "exactly that file named" "MISMATCH  src/run 7/data.bin" "$(grep -v '^OK ' check2.out | grep -v '^total')"
echo new > "src/run 8/new.txt"
"$S/tapefs-check" --mount mnt --prefix imp "src/run 8" > check3.out
check "a file never archived is MISSING" grep -qx 'MISSING   src/run 8/new.txt' check3.out
check_fails "check of a missing local path" "no such file" "$S/tapefs-check" --mount mnt nosuch

"$S/tapefs-report" --mount mnt > report.out
check "report: header" grep -q '^LABEL *STATE *POOL *ARCHIVES *GB *VERIFIED *LOCATION' report.out
check_eq "report: every tape" "4" "$(grep -c '^A0\|^B0' report.out)"
check "report: tape $la open with 31 archives" grep -Eq "^$la +open +A +31 " report.out
check "tapefs-report LABEL | md5sum -c inside the tape directory" \
	bash -c "cd 'mnt/tapes/$la' && '$S/tapefs-report' $la > ../../../members.md5 && md5sum -c --quiet ../../../members.md5"
check_eq "report lists every member (60 + the single file)" "61" "$(wc -l < members.md5)"
check "member paths are NNNN/PATH" grep -q '^[0-9a-f]\{32\}  0001/imp/run' members.md5
check_fails "report of an unknown tape" "unknown tape" "$S/tapefs-report" --mount mnt NOSUCH
check "daemon up" kill -0 "$TF_PID"
tf_umount mnt
check_fails "scripts refuse a directory that is no mount" "not a tapefs mount" "$S/tapefs-report" --mount mnt
