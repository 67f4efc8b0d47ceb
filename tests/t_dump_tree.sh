# A tree with awkward names, empty files, symlinks and a 100 MiB file,
# copied into staging/ with cp -a and dumped with `echo now > .dump`:
# both copies (pools A and B) hold every file with its bytes, MD5, mode and
# mtime, readable by GNU tar alone; the catalog has the same MD5s;
# archive/ serves the bytes; no file is left in staging/ afterwards (directories stay).
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 6 --capacity 512M --pools 2 -- copies=2 pools=A,B

# The source tree.
mkdir -p src/a/b/c src/empty-dir "src/with space" src/utf8-é-ñ-日本
long150=$(printf 'd%.0s' $(seq 150))
long140=$(printf 'f%.0s' $(seq 140))
mkdir -p "src/$long150"
echo "three hundred" > "src/$long150/$long140"  # a 300-byte path
: > src/empty-file
: > src/a/b/c/empty2
echo "nested" > src/a/b/c/deep.txt
printf 'space\n' > "src/with space/file name.txt"
printf 'nl\n' > "src/new
line"
printf 'unicode\n' > "src/utf8-é-ñ-日本/файл.txt"
ln -s a/b/c/deep.txt src/link-rel
ln -s /nonexistent/target src/link-dangling
chmod 0600 src/a/b/c/deep.txt
chmod 0750 src/a/b
head -c $((100 << 20)) /dev/urandom > src/big.bin
touch -d '2020-02-03 04:05:06.123456789' src/a/b/c/deep.txt
touch -h -d '2019-01-01 00:00:00' src/link-rel

check "mount" tf_mount tapefs.ini mnt
cp -a src/. mnt/staging/
check "cp -a into staging" diff -r --no-dereference src stg

# What tar shows of a tree: type, mode, mtime (ns), size, symlink target,
# MD5 of the data, one line per entry (directory mtimes are left out: the
# kernel updates them as entries come and go).
manifest() { # DIR
	(cd "$1" && find . -mindepth 1 ! -name TAPEFS.MANIFEST -print0 | sort -z |
	while IFS= read -r -d '' p; do
		if [ -L "$p" ]; then
			printf '%s|l|%s|%s\n' "$p" "$(stat -c '%a %.9Y' "$p")" "$(readlink "$p")"
		elif [ -d "$p" ]; then
			printf '%s|d|%s\n' "$p" "$(stat -c '%a' "$p")"
		else
			printf '%s|f|%s|%s\n' "$p" "$(stat -c '%a %.9Y %s' "$p")" "$(md5sum < "$p" | cut -d' ' -f1)"
		fi
	done)
}
manifest src > want.txt

echo now > mnt/.dump
check "dump requested" test $? -eq 0
tf_wait_dumps 1 120
cat mnt/.dump > dump-status.txt
check "dump committed" grep -q '^dumps_committed: 1' dump-status.txt
check_eq "no file left in staging/" "" "$(find stg -mindepth 1 ! -type d)"
check_eq "none through the mount" "" "$(find mnt/staging -mindepth 1 ! -type d)"

# Which tapes: "tapes A00001L9:1,B00001L9:1".
tapes=$(sed -n 's/^last_dump: .* tapes //p' dump-status.txt)
check "two copies recorded" test "$(echo "$tapes" | tr ',' '\n' | wc -l)" -eq 2
pools=$(echo "$tapes" | tr ',' '\n' | cut -c1 | sort | tr -d '\n')
check_eq "copies on pools A and B" "AB" "$pools"

tf_umount mnt
for t in $(echo "$tapes" | tr ',' ' '); do
	bc=${t%%:*} fileno=${t##*:}
	"$TAPEFS" vtape export "lib/tapes/$bc.vtape" "$fileno" "$bc.tar"
	mkdir "x-$bc"
	check "GNU tar reads $bc" tar -b 512 -xf "$bc.tar" -C "x-$bc"
	manifest "x-$bc" > "got-$bc.txt"
	check "$bc: every file, bytes, MD5, mode, mtime" diff want.txt "got-$bc.txt"
done
check "both copies are the same bytes" cmp $(for t in $(echo "$tapes" | tr ',' ' '); do echo "${t%%:*}.tar"; done)

# The catalog, through the mount: MD5 in user.tapefs.md5, bytes via recall.
check "remount" tf_mount tapefs.ini mnt
want_md5=$(md5sum < src/big.bin | cut -d' ' -f1)
got_md5=$(getfattr --only-values -n user.tapefs.md5 mnt/archive/big.bin 2>/dev/null)
check_eq "user.tapefs.md5 of big.bin" "$want_md5" "$got_md5"
got_md5=$(getfattr --only-values -n user.tapefs.md5 mnt/archive/a/b/c/deep.txt 2>/dev/null)
check_eq "user.tapefs.md5 of deep.txt" "$(md5sum < src/a/b/c/deep.txt | cut -d' ' -f1)" "$got_md5"
check_eq "archive/: mode and mtime" "$(stat -c '%a %.9Y' src/a/b/c/deep.txt)" "$(stat -c '%a %.9Y' mnt/archive/a/b/c/deep.txt)"
check_eq "archive/: symlink" "a/b/c/deep.txt" "$(readlink mnt/archive/link-rel)"
check "archive/: bytes of the 300-byte path" cmp "src/$long150/$long140" "mnt/archive/$long150/$long140"
check "archive/: bytes of a name with a newline" cmp "src/new
line" "mnt/archive/new
line"
check "archive/: bytes of big.bin" cmp src/big.bin mnt/archive/big.bin
check "archive/: empty file" test -f mnt/archive/empty-file -a ! -s mnt/archive/empty-file
check "archive/: empty directory" test -d mnt/archive/empty-dir
tf_umount mnt
check "tapefs fsck" "$TAPEFS" fsck -c tapefs.ini
