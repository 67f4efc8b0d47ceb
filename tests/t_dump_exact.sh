# Exactly what was staged goes to tape: hard links, user extended
# attributes, POSIX ACLs and a sparse file round-trip through the mount,
# a dump, a recall, GNU tar (--xattrs --acls) and bsdtar reading the
# exported tape file. setfattr/setfacl on a staged file reach the staging
# disk; the names of a hard-linked file leave staging together and are
# not dumped again; either name recalls the bytes, also once the other
# shows a newer version; a 20 MiB sparse file of 128 KiB data makes an
# archive of about its data; a verification finds every member good.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 4 --capacity 64M --pools 2 -- block_size=64K copies=2 pools=A,B
check "mount" tf_mount tapefs.ini mnt
S=mnt/staging

# the sparse file, alone in its archive: 20 MiB with 64 KiB at 1 MiB and
# at 12 MiB, the same made locally to compare
mkdir -p src "$S/sp"
head -c 65536 /dev/urandom > src/blk1
head -c 65536 /dev/urandom > src/blk2
mk_sparse() {
	truncate -s 20M "$1" &&
	dd if=src/blk1 of="$1" bs=64K seek=16 conv=notrunc status=none &&
	dd if=src/blk2 of="$1" bs=64K seek=192 conv=notrunc status=none
}
mk_sparse src/sparse.bin
check "sparse file written through the mount" mk_sparse "$S/sp/sparse.bin"
check "the staging disk holds it sparse" test "$(stat -c %b stg/sp/sparse.bin)" -lt 1024
echo "now sp" > mnt/.dump
check "sparse dumped" tf_wait_dumps 1
sp_tape=$(tf_last_tapes | cut -d, -f1)
"$TAPEFS" vtape export "lib/tapes/${sp_tape%%:*}.vtape" "${sp_tape##*:}" sp.tar
sp_bytes=$(stat -c %s sp.tar)
echo "# sparse: 20971520 bytes apparent, 131072 data, archive $sp_bytes bytes"
check "its archive is about its data" test "$sp_bytes" -le $((512 * 1024))

# hard links, attributes, ACLs
mkdir -p "$S/x/d" "$S/x/dacl"
head -c 200000 /dev/urandom > src/a
cp src/a "$S/x/a"
ln "$S/x/a" "$S/x/b"
ln "$S/x/a" "$S/x/d/c"
check "setfattr on a staged file" setfattr -n user.color -v blue "$S/x/a"
check_eq "it is on the staging disk" blue "$(getfattr --only-values -n user.color stg/x/a)"
check "setfattr on a staged directory" setfattr -n user.run -v 7 "$S/x/d"
head -c 1000 /dev/urandom > "$S/x/acl.txt"
check "setfacl on a staged file" setfacl -m u:12345:r,g:23456:rw "$S/x/acl.txt"
check "it is on the staging disk" bash -c "getfacl -n stg/x/acl.txt | grep -qx 'user:12345:r--'"
check "setfacl -d on a staged directory" setfacl -d -m u:12345:rx "$S/x/dacl"
check "getfacl through the mount" bash -c "getfacl -n $S/x/dacl | grep -qx 'default:user:12345:r-x'"
echo "now x" > mnt/.dump
check "dumped" tf_wait_dumps 2
x_tape=$(tf_last_tapes | cut -d, -f1)
check_eq "every name left staging" "" "$(find $S/x ! -type d)"
check "now: nothing to dump (ENODATA)" bash -c "echo now 2>&1 >mnt/.dump | grep -q 'No data available'"
check "nothing dumped again" tf_wait_dumps 2
check_eq "nothing staged" 0 "$(tf_field staged_files mnt/.dump)"

A=mnt/archive/x
check "a recalled" cmp src/a $A/a
check "b recalled" cmp src/a $A/b
check "d/c recalled" cmp src/a $A/d/c
check_eq "one MD5 for all names" "$(getfattr --only-values -n user.tapefs.md5 $A/a)" "$(getfattr --only-values -n user.tapefs.md5 $A/d/c)"
check_eq "user.color on the archived file" blue "$(getfattr --only-values -n user.color $A/a)"
check_eq "and on its other name" blue "$(getfattr --only-values -n user.color $A/b)"
check_eq "user.run on the archived directory" 7 "$(getfattr --only-values -n user.run $A/d)"
check "listxattr names it" bash -c "getfattr -d $A/a | grep -qx 'user.color=\"blue\"'"
check "the ACL on the archived file" bash -c "getfacl -n $A/acl.txt | grep -qx 'group:23456:rw-'"
check "the default ACL on the archived directory" bash -c "getfacl -n $A/dacl | grep -qx 'default:user:12345:r-x'"
check "sparse recalled" cmp src/sparse.bin mnt/archive/sp/sparse.bin
check_eq "its MD5 is the whole file's" "$(md5sum < src/sparse.bin | cut -d' ' -f1)" "$(getfattr --only-values -n user.tapefs.md5 mnt/archive/sp/sparse.bin)"
run=$(tf_verify all)
check_eq "verify: every member good" "0 0" "$(tf_field bad mnt/verify/$run/summary) $(tf_field unreadable mnt/verify/$run/summary)"

# a newer a: b still recalls the old bytes, from tape
echo new > "$S/x/a"
echo "now x/a" > mnt/.dump
check "a new version of a" tf_wait_dumps 3
echo "release x" > mnt/.recall
sleep 0.3
check_eq "archive/x/a is the new one" new "$(cat $A/a)"
check "b recalled from tape after a changed" cmp src/a $A/b

# the tape file, read by GNU tar and bsdtar, once the drives let go of it
# (the recall of b may still read on after cmp has had its bytes)
for _ in $(seq 100); do
	grep -q '^state: [^i]' mnt/drives/[0-9]* || break
	sleep 0.1
done
"$TAPEFS" vtape export "lib/tapes/${x_tape%%:*}.vtape" "${x_tape##*:}" x.tar
restored() { # DIR: what a restore must show
	local d=$1/x
	cmp src/a "$d/a" && cmp src/a "$d/d/c" &&
	[ "$(stat -c %i "$d/a")" = "$(stat -c %i "$d/b")" ] &&
	[ "$(stat -c %h "$d/a")" = 3 ] &&
	[ "$(getfattr --only-values -n user.color "$d/a")" = blue ] &&
	[ "$(getfattr --only-values -n user.run "$d/d")" = 7 ] &&
	getfacl -n "$d/acl.txt" | grep -qx 'user:12345:r--' &&
	getfacl -n "$d/dacl" | grep -qx 'default:user:12345:r-x' &&
	cmp src/sparse.bin "$1/sp/sparse.bin" &&
	[ "$(stat -c %b "$1/sp/sparse.bin")" -lt 2048 ]
}
mkdir gnu bsd
tar --xattrs --acls -b 128 -xf x.tar -C gnu 2>gnu.err && tar -b 128 -xf sp.tar -C gnu 2>>gnu.err
cat gnu.err
check_eq "GNU tar says nothing" "" "$(cat gnu.err)"
check "GNU tar restores links, xattrs, ACLs, the sparse file" restored gnu
bsdtar --xattrs --acls -xf x.tar -C bsd && bsdtar -xf sp.tar -C bsd
check "bsdtar restores links, xattrs, ACLs, the sparse file" restored bsd

check "unmount" tf_umount mnt
