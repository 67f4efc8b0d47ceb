# Foreign tapes adopted read-only (docs/adopt.md): a GNU tar tape of three
# tape files (10 KiB and 32 KiB records, ustar and pax) by `tapefs adopt`
# offline; a tapeop-like tape (one tar per directory, absolute names,
# 64 KiB records), a papertape tape (file 0 its catalog in NUL-padded
# 32 KiB records, nested tars, one wrong MD5 and one missing item in its
# catalog) and a hostile tar (../, absolute names, symlinks out, a member
# declaring 1 GiB cut short) by `echo adopt > .library`; a tape of neither
# layout and a tapefs tape refused. Every adopted member is recalled with
# its MD5; nothing is written outside the cache; no write path takes an
# adopted tape, and the adopted tape files are byte for byte the same
# after a dump that ran while they were in the library.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 8 --capacity 64M --pools 1 -- copies=1 pools=A block_size=64K
lib() { bash -c "echo '$1' > mnt/.library"; }
adopt_wait() { # LABEL: until .library says the adoption of LABEL ended
	for _ in $(seq 200); do grep -q "^last_adopt: done .*: $1 " mnt/.library && return 0; sleep 0.05; done
	return 1
}
tape_files() { # IMAGE: one MD5 per tape file, from file 0
	local img=$1 n
	n=$("$TF_TAPEFS" vtape ls "$img" | awk 'NR > 1 { n = $1 } END { print n + 0 }')
	for f in $(seq 0 "$n"); do
		echo "$f $("$TF_TAPEFS" vtape export "$img" "$f" - | md5sum | cut -d' ' -f1)"
	done
}
foreign() { # SLOT BARCODE FILE:BLOCK...: a tape of those tape files in SLOT
	local slot=$1 bc=$2 f
	shift 2
	rm -f lib/tapes/A0000${slot}L9.vtape
	"$TF_TAPEFS" vtape create lib/tapes/$bc.vtape --barcode $bc --capacity 64M >/dev/null
	for f in "$@"; do "$TF_TAPEFS" vtape import lib/tapes/$bc.vtape --block ${f#*:} ${f%:*} >/dev/null || return 1; done
	sed -i "s/^slot $slot A0000${slot}L9\$/slot $slot $bc/" lib/state
}

# the trees the tapes hold
mkdir -p src/d1/sub src/d2 src/top1 src/top2 src/new fx
head -c 300000 /dev/urandom > src/d1/a.bin; echo hello > src/d1/sub/h.txt
head -c 70000 /dev/urandom > src/d2/b.bin; ln -s ../d1/a.bin src/d2/link
head -c 200000 /dev/urandom > src/top1/t1.bin; echo top2 > src/top2/t2.txt
echo new > src/new/n.txt
(cd src && tar -b 20 -cf ../fx/g0 d1 && tar --format=pax -b 20 -cf ../fx/g1 d2 && tar -b 64 -cf ../fx/g2 ./d1 ./d2) &&
	tar -P -b 128 -cf fx/t0 "$PWD/src/top1" && tar -P -b 128 -cf fx/t1 "$PWD/src/top2" &&
	python3 "$TOP/tests/mk_foreign.py" papertape fx src/d1 &&
	python3 "$TOP/tests/mk_foreign.py" hostile fx/h0 &&
	head -c 65536 /dev/urandom > fx/j0
check "fixtures made" test -s fx/h0
check "GNU tar tape" foreign 4 GTAR01 fx/g0:10K fx/g1:10K fx/g2:32K
check "tapeop-like tape" foreign 5 TOP01 fx/t0:64K fx/t1:64K
check "papertape tape" foreign 6 PAPER01 fx/p0:32K fx/p1:10K fx/p2:10K
check "hostile tape" foreign 7 HOST01 fx/h0:10K
check "a tape of neither" foreign 8 JUNK01 fx/j0:64K
for bc in GTAR01 TOP01 PAPER01 HOST01 JUNK01; do tape_files lib/tapes/$bc.vtape > $bc.before; done

# offline: tapefs adopt
out=$("$TF_TAPEFS" adopt -c tapefs.ini GTAR01 2>adopt.err)
check_eq "tapefs adopt GTAR01" "GTAR01: layout tar, 3 tape files adopted from file 0 (0 not), 14 members (740012 bytes), 0 names neutralised, 0 members not recorded, 0.9 MB read" "$out"
check_fails "tapefs adopt of a tape of neither layout" "neither a tar archive nor a papertape catalog" "$TF_TAPEFS" adopt -c tapefs.ini JUNK01
check_fails "tapefs adopt of a tapefs tape" "is a tape of this catalog" "$TF_TAPEFS" adopt -c tapefs.ini A00001L9

check "mount" tf_mount tapefs.ini mnt
check_eq "GTAR01 is adopted" "adopted" "$(tf_field state mnt/tapes/GTAR01/.status)"
check_eq "tapes/GTAR01 holds its tape files 0-2" "0000 0001 0002" "$(ls mnt/tapes/GTAR01 | xargs)"
check "tapes/GTAR01/.status says it is never written" grep -qx "note: a foreign tape adopted read-only: never written (docs/adopt.md)" mnt/tapes/GTAR01/.status
check_eq "tapes/GTAR01/.status: not writable" "no" "$(tf_field writable mnt/tapes/GTAR01/.status)"
check_eq "archive/ listed before (the kernel may keep it)" "adopted" "$(ls mnt/archive | xargs)"
check_eq "archive/adopted listed before" "GTAR01" "$(ls mnt/archive/adopted | xargs)"
check "adopt TOP01 queued" lib "adopt TOP01 proj/tapeop"
check "adopt TOP01 done" adopt_wait TOP01
check "adopt TOP01: 2 files, absolute names neutralised" grep -q "^last_adopt: done .*: TOP01 layout tar, 2 tape files adopted from file 0 (0 not), .* members (200005 bytes), [1-9][0-9]* names neutralised, 0 members not recorded" mnt/.library
check "adopt PAPER01 queued" lib "adopt PAPER01"
check "adopt PAPER01 done" adopt_wait PAPER01
check_eq "archive/ lists the new prefix at once" "adopted proj" "$(ls mnt/archive | xargs)"
check_eq "archive/adopted lists PAPER01 at once" "GTAR01 PAPER01" "$(ls mnt/archive/adopted | xargs)"
check "papertape: MD5s checked against its catalog" grep -q "^last_adopt: done .*: PAPER01 layout papertape, 2 tape files adopted from file 1 (0 not), .*; papertape MD5s: 1 match, 1 differ, 1 items not found" mnt/.library
check "papertape: the wrong MD5 in .status" grep -q "error: .*adopt PAPER01: file 2: paper.4242.2/host1:/data/sub/h.txt: MD5 .* papertape's catalog says 00000000000000000000000000000000" mnt/.status || grep PAPER01 mnt/.status
check "papertape: the missing item in .status" grep -q "error: .*adopt PAPER01: papertape's catalog names host1:/data/gone.dat in file 2" mnt/.status
check "adopt HOST01 queued" lib "adopt HOST01 hostile"
check "adopt HOST01 done" adopt_wait HOST01
check "hostile: adopted, names neutralised, the cut member not recorded" grep -q "^last_adopt: done .*: HOST01 layout tar, 1 tape files adopted from file 0 (0 not), 6 members (.* bytes), 3 names neutralised, 1 members not recorded" mnt/.library
check "hostile: the cut member in .status" grep -q "error: .*adopt HOST01: file 0: ok/huge.bin (1073741824 bytes): cut short or corrupt: not recorded" mnt/.status
check_fails "adopt of a tape of this catalog refused" "File exists" lib "adopt A00001L9"
check_fails "adopt of a bad prefix refused" "Invalid argument" lib "adopt JUNK01 ../x"
check "adopt JUNK01 queued" lib "adopt JUNK01"
check "adopt JUNK01 done" adopt_wait JUNK01
check "JUNK01 refused" grep -q "^last_adopt: done .*: JUNK01 failed: file 0 is neither a tar archive nor a papertape catalog: not adopted, untouched" mnt/.library
check "JUNK01 not in the catalog" test ! -e mnt/tapes/JUNK01

# every adopted member recalled, MD5 equal to its source
A=mnt/archive/adopted/GTAR01
for f in d1/a.bin d1/sub/h.txt d2/b.bin; do
	check_eq "GTAR01 $f" "$(md5sum < src/$f)" "$(md5sum < $A/$f)"
done
check_eq "GTAR01 pax tape file: tapes/GTAR01/0001" "$(md5sum < src/d2/b.bin)" "$(md5sum < mnt/tapes/GTAR01/0001/adopted/GTAR01/d2/b.bin)"
check_eq "GTAR01 symlink kept as a link" "../d1/a.bin" "$(readlink $A/d2/link)"
check_eq "GTAR01 copies name the tape's own file" "GTAR01:2:" "$(getfattr --only-values -n user.tapefs.copies $A/d1/a.bin | cut -c1-9)"
T=mnt/archive/proj/tapeop$PWD/src
check_eq "TOP01 top1/t1.bin" "$(md5sum < src/top1/t1.bin)" "$(md5sum < $T/top1/t1.bin)"
check_eq "TOP01 top2/t2.txt" "$(md5sum < src/top2/t2.txt)" "$(md5sum < $T/top2/t2.txt)"
P=mnt/archive/adopted/PAPER01
for f in a.bin sub/h.txt; do
	check_eq "PAPER01 inner member $f" "$(md5sum < src/d1/$f)" "$(md5sum < $P/paper.4242.*/host1:/data/$f)"
done
check_eq "PAPER01 the inner tar itself" "$(tar -xOf fx/p1 paper.4242.1.tar | md5sum)" "$(md5sum < $P/paper.4242.1.tar)"
every_md5() { # every file below the prefixes: its bytes recalled from tape have the MD5 the adoption read
	local f bad=0 n=0
	while IFS= read -r -d '' f; do
		n=$((n + 1))
		[ "$(md5sum < "$f" | cut -d' ' -f1)" = "$(getfattr --only-values -n user.tapefs.md5 "$f")" ] || { echo "MD5 differs: $f"; bad=1; }
	done < <(find mnt/archive/adopted mnt/archive/proj mnt/archive/hostile -type f -print0)
	echo "$n files"
	return $bad
}
check_eq "every adopted file recalled, MD5 equal to the catalog's" "15 files" "$(every_md5)"
H=mnt/archive/hostile
check_eq "hostile ../../evil.txt below the prefix" "escaped?" "$(cat $H/%2E%2E/%2E%2E/evil.txt)"
check_eq "hostile absolute name below the prefix" "absolute" "$(cat $H/tmp/tapefs-adopt-abs.txt)"
check_eq "hostile .. inside" "dotdot inside" "$(cat $H/ok/%2E%2E/%2E%2E/%2E%2E/up.txt)"
check_eq "hostile symlink is only a link" "/etc/passwd" "$(readlink $H/ok/passwd)"
check "hostile: the cut member is not there" test ! -e $H/ok/huge.bin
check "nothing written outside the cache" test ! -e /tmp/tapefs-adopt-abs.txt -a ! -e ../evil.txt -a ! -e ../../evil.txt -a ! -e "$TEST_TMP/up.txt"

run=$(tf_verify "tape GTAR01 TOP01 PAPER01 HOST01")
check "a verification of the adopted tapes ran" test -n "$run"
check "it read every adopted member, none bad" grep -qx "bad: 0" mnt/verify/$run/summary
check_eq "it checked them all" "18 18" "$(tf_field members mnt/verify/$run/summary) $(tf_field ok mnt/verify/$run/summary)"

# adopted tapes are never written
check_fails "reopen refused" "Operation not permitted" bash -c "echo reopen > mnt/tapes/GTAR01/.ctl"
check_fails "retire refused" "Operation not permitted" bash -c "echo retire > mnt/tapes/PAPER01/.ctl"
check "a dump while they are in the library" tf_dump_dir new
check_eq "it went to a tape of pool A" "A0000" "$(getfattr --only-values -n user.tapefs.copies mnt/archive/new/n.txt | cut -c1-5)"
check "copy A lists no adopted archive" lib "copy A"
for _ in $(seq 100); do grep -q '^last_lifecycle:' mnt/.library && break; sleep 0.1; done
check "copy A copied nothing" grep -q "^last_lifecycle: copy A: 0 " mnt/.library
tf_umount mnt
for bc in GTAR01 TOP01 PAPER01 HOST01 JUNK01; do
	tape_files lib/tapes/$bc.vtape > $bc.after
	check "$bc: every tape file byte for byte as before" cmp -s $bc.before $bc.after
done
"$TF_TAPEFS" fsck -c tapefs.ini > fsck.out 2>&1
check_eq "tapefs fsck: only JUNK01 (not in the catalog) is a problem" "1 problem found" "$(grep -o '[0-9]* problems* found' fsck.out)"
check "tapefs fsck: JUNK01" grep -q 'tape "JUNK01" in the library is not in the catalog' fsck.out
