# tests/t_stshim_mt.sh - fidelity of the st shim: the real mt (mt-st) and
# GNU tar, preloaded with the shim, drive /dev/nst0 served from a vtape
# image; what they see must agree with tapefs's own view of the image
# (tapefs vtape ls/info) and with plain files written by the same tools.
source "$TOP/tests/lib.sh"

SHIM="$BUILD/tests/libstshim.so"
IMG="$PWD/A00001L9.vtape"
DRV="$PWD/drive0"
RECORD=262144

# run PROGRAM... with /dev/nst0 served by the shim
on_tape() { LD_PRELOAD="$SHIM" TAPEFS_STSHIM="/dev/nst0=$DRV" "$@"; }
# mt status -> "FILE BLOCK"
pos() { on_tape mt -f /dev/nst0 status | sed -n 's/^File number=\(-*[0-9]*\), block number=\(-*[0-9]*\),.*/\1 \2/p'; }
bits() { on_tape mt -f /dev/nst0 status | sed -n '/General status bits/{n;p}'; }
info() { "$TAPEFS" vtape info "$IMG" | sed -n "s/^$1: //p"; }
# records of file N per `tapefs vtape ls`
ls_records() { "$TAPEFS" vtape ls "$IMG" | awk -v f="$1" '$1 == f { print $2 }'; }
md5() { md5sum <"$1" | cut -d' ' -f1; }
reload() { rm -f "$DRV"; ln -s "$IMG" "$DRV"; } # a changer's load: at BOT

check "shim built" test -f "$SHIM"
check "mt-st and GNU tar present" command -v mt tar bsdtar >/dev/null
check "create image" "$TAPEFS" vtape create "$IMG" --barcode A00001L9 --capacity 64M
reload

# Two trees; the first spans several records.
mkdir -p one/sub two
head -c 700000 /dev/urandom >one/big
seq 1 5000 >one/sub/list
echo small >two/note
touch -d '2020-01-01 00:00' one one/big one/sub one/sub/list two two/note
tar -b 512 -cf plain1.tar one
tar -b 512 -cf plain2.tar two
recs1=$(( $(stat -c %s plain1.tar) / RECORD ))
recs2=$(( $(stat -c %s plain2.tar) / RECORD ))

check_eq "blank tape at BOT" "0 0" "$(pos)"
check "BOT and ONLINE bits" grep -q 'BOT.*ONLINE' <<<"$(bits)"
check "tar -cf one" on_tape tar -b 512 -cf /dev/nst0 one
check_eq "after the first archive: file 1" "1 0" "$(pos)"
check "tar -cf two" on_tape tar -b 512 -cf /dev/nst0 two
check_eq "after the second archive: file 2" "2 0" "$(pos)"

check_eq "vtape ls: records of file 0 as tar wrote them" "$recs1" "$(ls_records 0)"
check_eq "vtape ls: records of file 1" "$recs2" "$(ls_records 1)"
check_eq "vtape info: filemarks" 2 "$(info filemarks)"
check_eq "vtape info: records" $((recs1 + recs2)) "$(info records)"
check_eq "vtape info: bytes used" $(( $(stat -c %s plain1.tar) + $(stat -c %s plain2.tar) )) "$(info used)"

check "mt rewind" on_tape mt -f /dev/nst0 rewind
check_eq "rewound" "0 0" "$(pos)"
check "mt fsf 1" on_tape mt -f /dev/nst0 fsf 1
check_eq "at file 1" "1 0" "$(pos)"
check_eq "tar -tvf of file 1 = of the plain archive" "$(tar -tvf plain2.tar)" "$(on_tape tar -b 512 -tvf /dev/nst0)"
check_eq "tar read file 1's record, not its filemark" "1 $recs2" "$(pos)"
check "mt bsf 1" on_tape mt -f /dev/nst0 bsf 1
check_eq "bsf 1 stops on the BOT side of file 0's filemark" "0 $recs1" "$(pos)"
check_fails "mt bsf past BOT" "Input/output error" on_tape mt -f /dev/nst0 bsf 5
check_eq "bsf past BOT: at BOT" "0 0" "$(pos)"
check "mt fsf 1 again" on_tape mt -f /dev/nst0 fsf 1
check_eq "back at file 1" "1 0" "$(pos)"
check "mt rewind" on_tape mt -f /dev/nst0 rewind
mkdir out
check "tar -xf of file 0" on_tape tar -b 512 -xf /dev/nst0 -C out
check_eq "extracted big file" "$(md5 one/big)" "$(md5 out/one/big)"
check_eq "extracted list" "$(md5 one/sub/list)" "$(md5 out/one/sub/list)"
check "mt eod" on_tape mt -f /dev/nst0 eod
check_eq "at end of data: file 2" "2 0" "$(pos)"
check_eq "mt tell = records + filemarks" "At block $((recs1 + recs2 + 2))." "$(on_tape mt -f /dev/nst0 tell)"
check "mt seek to file 1's first record" on_tape mt -f /dev/nst0 seek $((recs1 + 1))
check_eq "seek: file 1 block 0" "1 0" "$(pos)"

# Export to plain files: byte-identical to what tar wrote to a file.
check "export file 0" "$TAPEFS" vtape export "$IMG" 0 exp0.tar
check "export file 1" "$TAPEFS" vtape export "$IMG" 1 exp1.tar
check_eq "export 0 = plain tar" "$(md5 plain1.tar)" "$(md5 exp0.tar)"
check_eq "export 1 = plain tar" "$(md5 plain2.tar)" "$(md5 exp1.tar)"
mkdir bsd
check "bsdtar extracts the export" bsdtar -xf exp0.tar -C bsd
check_eq "bsdtar: same bytes" "$(md5 one/big)" "$(md5 bsd/one/big)"
check_fails "export of a missing file" "has no file 5" "$TAPEFS" vtape export "$IMG" 5 x.tar

# A weof in the middle truncates: file 1 and what follows are gone.
check "seek to file 1" on_tape mt -f /dev/nst0 seek $((recs1 + 1))
check "mt weof" on_tape mt -f /dev/nst0 weof 1
check_eq "vtape info after weof: filemarks" 2 "$(info filemarks)"
check_eq "vtape info after weof: records" "$recs1" "$(info records)"

# Offline: the drive is empty until a load.
check "mt offline" on_tape mt -f /dev/nst0 offline
check "status after offline: DR_OPEN" grep -q DR_OPEN <<<"$(bits)"
check_fails "tar on an empty drive" "No medium found" on_tape tar -b 512 -tf /dev/nst0
reload
check_eq "after a load: BOT" "0 0" "$(pos)"

# Write-protect: tar cannot write, mt reports WR_PROT.
check "protect on" "$TAPEFS" vtape inject "$IMG" protect on
check "WR_PROT bit" grep -q WR_PROT <<<"$(bits)"
check_fails "tar -cf on a protected tape" "Read-only file system" on_tape tar -b 512 -cf /dev/nst0 two
check "protect off" "$TAPEFS" vtape inject "$IMG" protect off

# An unreadable record: tar reports an I/O error, never silent success.
check "make record 1 unreadable" "$TAPEFS" vtape inject "$IMG" unreadable 1
reload
check_fails "tar -xf over an unreadable record" "Input/output error" on_tape tar -b 512 -xf /dev/nst0 -C out
check "clear" "$TAPEFS" vtape inject "$IMG" clear

# A write failure part-way through an archive: tar sees an I/O error.
check "write-fail after 300K" "$TAPEFS" vtape inject "$IMG" write-fail 300K
reload
check_fails "tar -cf into a failing write" "Input/output error" on_tape tar -b 512 -cf /dev/nst0 one
check "clear" "$TAPEFS" vtape inject "$IMG" clear

# import: a plain archive becomes a tape file that tar reads through st.
IMG2="$PWD/B00001L9.vtape"
check "create a second image" "$TAPEFS" vtape create "$IMG2" --barcode B00001L9 --capacity 16M --early-warning 1M
check_eq "import plain1.tar" "file 0: $recs1 records" "$("$TAPEFS" vtape import "$IMG2" plain1.tar)"
check_eq "import plain2.tar from stdin" "file 1: $recs2 records" "$("$TAPEFS" vtape import "$IMG2" - <plain2.tar)"
check_eq "tar reads the imported file 1" "$(tar -tvf plain2.tar)" \
	"$(LD_PRELOAD="$SHIM" TAPEFS_STSHIM="/dev/nst0=$IMG2" sh -c 'mt -f /dev/nst0 fsf 1 && tar -b 512 -tvf /dev/nst0')"
check_eq "info: early warning" 1048576 "$("$TAPEFS" vtape info "$IMG2" | sed -n 's/^early_warning: //p')"

# Command line errors: usage exits 2, failures exit 1 with a reason.
"$TAPEFS" vtape create x.vtape --barcode X 2>/dev/null; check_eq "create without capacity: exit 2" 2 $?
"$TAPEFS" vtape create x.vtape --barcode X --capacity 12Q 2>/dev/null; check_eq "bad size: exit 2" 2 $?
"$TAPEFS" vtape inject "$IMG" melt 2>/dev/null; check_eq "unknown fault: exit 2" 2 $?
"$TAPEFS" vtape set "$IMG" speed=3 2>/dev/null; check_eq "unknown model key: exit 2" 2 $?
"$TAPEFS" vtape info nosuch.vtape 2>/dev/null; check_eq "missing image: exit 1" 1 $?
check_fails "missing image: a reason" "tapefs vtape: cannot read 'nosuch.vtape'" "$TAPEFS" vtape info nosuch.vtape
check_fails "not an image" "not a vtape image" "$TAPEFS" vtape info plain1.tar
check_fails "flip past the record" "no data record at lblock 0" "$TAPEFS" vtape inject "$IMG2" flip 0 99999999
check "set the model" "$TAPEFS" vtape set "$IMG2" rate=300 locate=2.5 scale=0
check_eq "model shown by info" "300 2.5" "$("$TAPEFS" vtape info "$IMG2" | awk -F': ' '/^rate_mbps/{r=$2} /^locate_s/{l=$2} END{print r, l}')"

# A tape too small for the archive: tar meets early warning and ENOSPC.
IMG3="$PWD/C00001L9.vtape"
check "create a small tape" "$TAPEFS" vtape create "$IMG3" --barcode C00001L9 --capacity 512K --early-warning 128K
check_fails "tar -cf onto a full tape" "No space left on device" \
	env LD_PRELOAD="$SHIM" TAPEFS_STSHIM="/dev/nst0=$IMG3" tar -b 512 -cf /dev/nst0 one
check_eq "records up to early warning are on tape" 2 "$("$TAPEFS" vtape info "$IMG3" | sed -n 's/^records: //p')"
check_eq "and the close wrote a filemark" 1 "$("$TAPEFS" vtape info "$IMG3" | sed -n 's/^filemarks: //p')"
