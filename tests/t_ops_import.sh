# tapefs-import as an operator runs it again and again: --check compares
# every source's MD5 with the archived one; a second run skips what is
# archived alike (nothing new on tape); a run after an interrupted one
# copies again a partial copy left in staging/ and archives what is
# missing; an item archived with other content is refused, or with
# --update archived anew (only what changed); a byte changed behind the
# same size and time is found by --check; and the exit status says what
# happened: 0 done, 1 failed, 2 timed out, 3 dumps paused, 64 usage.
. "$TOP/tests/lib.sh"
S=$TOP/scripts
imp() { "$S/tapefs-import" --mount mnt --prefix imp "$@"; }
archives() { cat mnt/tapes/*/.status | awk '/^archives: / { n += $2 } END { print n }'; }

tf_setup --drives 2 --slots 6 --tapes 4 --capacity 64M --pools 2 -- copies=2 "pools=A, B" block_size=64K
check "mount" tf_mount tapefs.ini mnt

mkdir src
for i in 1 2 3; do
	mkdir -p "src/run $i/sub"
	head -c $((20000 + i * 1000)) /dev/urandom > "src/run $i/data.bin"
	echo "notes $i" > "src/run $i/sub/notes.txt"
done
mkdir "src/caf"$'\xe9'" old"
echo latin1 > "src/caf"$'\xe9'" old/f.txt"
echo single > src/single.txt
printf '%s\n' "src/run 1" "src/run 2" "src/run 3" "src/caf"$'\xe9'" old" src/single.txt > list

# ---- usage -------------------------------------------------------------------
imp --bogus list 2>/dev/null; check_eq "a bad option: exit 64" "64" "$?"
imp --jobs x list 2>/dev/null; check_eq "a bad --jobs: exit 64" "64" "$?"
"$S/tapefs-import" 2>/dev/null; check_eq "no LIST: exit 64" "64" "$?"
"$S/tapefs-import" --help | grep -q '^  64  usage' ; check_eq "--help lists the exit codes" "0" "$?"

# ---- first run, with --check ----------------------------------------------------
imp --check list > run1.out 2> run1.err
check_eq "first run: exit 0" "0" "$?"
check_eq "five items archived, MD5s equal" "5" "$(grep -c $'\tarchived\tok$' run1.out)"
check "the name that is not UTF-8 as it is" grep -q "^src/caf"$'\xe9'" old"$'\t'"archive/imp/caf"$'\xe9'" old"$'\t' run1.out
check "its bytes" cmp "src/caf"$'\xe9'" old/f.txt" "mnt/archive/imp/caf"$'\xe9'" old/f.txt"
n1=$(archives)

# ---- again: nothing to do --------------------------------------------------------
imp --check list > run2.out 2>/dev/null
check_eq "second run: exit 0" "0" "$?"
check_eq "every item skipped, MD5s equal" "5" "$(grep -c $'\tskipped\tok$' run2.out)"
check_eq "the same tape files reported" "$(cut -f1-3 run1.out)" "$(cut -f1-3 run2.out)"
check_eq "nothing new on tape" "$n1" "$(archives)"

# ---- after an interrupted run -----------------------------------------------------
mkdir -p "src/run 4/sub" "mnt/staging/imp/run 4/sub"
head -c 300000 /dev/urandom > "src/run 4/data.bin"
echo "notes 4" > "src/run 4/sub/notes.txt"
head -c 1000 "src/run 4/data.bin" > "mnt/staging/imp/run 4/data.bin" # cp killed
echo "src/run 4" > list4
imp list4 > run4.out 2>/dev/null
check_eq "resumed: exit 0" "0" "$?"
check "run 4 archived" grep -q $'^src/run 4\tarchive/imp/run 4\t.*\tarchived$' run4.out
check "the partial copy was copied again" cmp "src/run 4/data.bin" "mnt/archive/imp/run 4/data.bin"
check "and the rest" cmp "src/run 4/sub/notes.txt" "mnt/archive/imp/run 4/sub/notes.txt"
check_eq "nothing left in staging/" "" "$(find mnt/staging -type f | head -n 1)"

# ---- other content ------------------------------------------------------------------
before=$(getfattr --only-values -n user.tapefs.copies "mnt/archive/imp/run 1/sub/notes.txt")
echo more >> "src/run 1/data.bin"
imp <(echo "src/run 1") > /dev/null 2> run5.err
check_eq "archived with other content: exit 1" "1" "$?"
check "it says why" grep -q "archived earlier with other content ('data.bin' differs" run5.err
check_eq "nothing staged" "" "$(find mnt/staging -type f | head -n 1)"
imp --update --check <(echo "src/run 1") > run6.out 2>/dev/null
check_eq "--update: exit 0" "0" "$?"
check "archived anew, MD5 ok" grep -q $'\tarchived\tok$' run6.out
check "the new version in archive/" cmp "src/run 1/data.bin" "mnt/archive/imp/run 1/data.bin"
check_eq "the unchanged file was not archived again" "$before" \
	"$(getfattr --only-values -n user.tapefs.copies "mnt/archive/imp/run 1/sub/notes.txt")"
check_eq "the item's tape files: both archives" "4" "$(cut -f3 run6.out | tr ',' '\n' | wc -l)"

# ---- a changed byte behind the same size and time -----------------------------------
touch -r "src/run 2/data.bin" ref
printf '\x00' | dd of="src/run 2/data.bin" bs=1 seek=10 conv=notrunc status=none
printf '\x01' | dd of="src/run 2/data.bin" bs=1 seek=11 conv=notrunc status=none
touch -r ref "src/run 2/data.bin"
imp --check <(echo "src/run 2") > run7.out 2> run7.err
check_eq "--check finds it: exit 1" "1" "$?"
check "skipped (same size and time), mismatch" grep -q $'\tskipped\tmismatch$' run7.out
check "the file is named" grep -q 'check: MISMATCH  src/run 2/data.bin' run7.err

# ---- timed out, then resumed ------------------------------------------------------------
for t in $(ls mnt/tapes); do
	grep -q '^pool: B' "mnt/tapes/$t/.status" && echo close > "mnt/tapes/$t/.ctl"
done
mkdir -p "src/run 5"; echo five > "src/run 5/f.txt"
imp --timeout 2 <(echo "src/run 5") > /dev/null 2> run8.err
check_eq "no tape for copy B: timed out, exit 2" "2" "$?"
check "it says so" grep -q 'timeout: 1 items not on tape after 2s' run8.err
for t in $(ls mnt/tapes); do
	grep -q '^state: closed' "mnt/tapes/$t/.status" && echo reopen > "mnt/tapes/$t/.ctl"
done
imp <(echo "src/run 5") > run9.out 2>/dev/null
check_eq "run again after the fix: exit 0" "0" "$?"
check "run 5 archived" cmp "src/run 5/f.txt" "mnt/archive/imp/run 5/f.txt"
tf_umount mnt

# ---- dumps paused ---------------------------------------------------------------------
tf_mkvlib small --drives 1 --slots 2 --tapes 1 --capacity 8M --pools 1
tf_config small.ini copies=1 pools=A block_size=64K library.path=small \
	tapefs.staging=stg2 tapefs.catalog=small.db tapefs.cache=cache2
check "mount (one 8 MiB tape)" tf_mount small.ini mnt
for i in 1 2 3; do head -c $((9 << 20)) /dev/zero > "big$i.bin"; done
printf '%s\n' big1.bin big2.bin big3.bin > biglist
"$S/tapefs-import" --mount mnt --jobs 1 biglist > /dev/null 2> run10.err
check_eq "files larger than any tape: exit 1" "1" "$?"
check "it says which" grep -q "'big1.bin': 1 files larger than any tape .*stay in staging/" run10.err
check_eq "dumps not paused" "" "$(grep '^dump_paused' mnt/.status)"
tf_umount mnt
