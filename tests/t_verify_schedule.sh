# Verification on a schedule. Four archives on A00001L9, never verified.
# With [verify] every = 1d and sample = 50 the mount starts a run by
# itself ("scheduled:") on the idle library; a file of the tape it reads
# is recalled while that run goes on (its job gives the drive up between
# archives: the read returns, with its bytes, before the run ends); the run
# reads half of each copy's files, and that counts as their verification:
# the tape's last_verified is set. Then the manifest member is verified
# with the rest: flipped, it is one BAD.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 4 --capacity 64M --pools 1 -- copies=1 pools=A block_size=64K
field() { sed -n "s/^$1: //p" "$2"; }
# wait_run STATE: the newest run reaches STATE (running|done); prints it
wait_run() {
	local r
	for _ in $(seq 400); do
		r=$(readlink mnt/verify/latest 2>/dev/null) &&
			grep -q "^state: $1" "mnt/verify/$r/summary" 2>/dev/null && { echo "$r"; return 0; }
		sleep 0.05
	done
	return 1
}

mkdir -p src
for d in d1 d2 d3 d4; do
	mkdir -p src/$d
	for i in 1 2 3 4; do head -c $((i * 100000 + 11)) /dev/urandom > src/$d/f$i; done
done
check "mount" tf_mount tapefs.ini mnt
for d in d1 d2 d3 d4; do check "dump $d" tf_dump_dir $d; done
check_eq "no run yet" "" "$(readlink mnt/verify/latest 2>/dev/null)"
check_eq "A00001L9 never verified" never "$(field last_verified mnt/tapes/A00001L9/.status)"
tf_umount mnt

tf_set_rate 1
tf_config tapefs.ini copies=1 pools=A block_size=64K verify.every=1d verify.sample=50
check "mount (every = 1d, sample = 50)" tf_mount tapefs.ini mnt
run=$(wait_run running)
check "a run started by itself" test -n "$run"
check "... on the schedule, a sample" grep -q '^request: scheduled: verified before .*, sample 50%$' "mnt/verify/$run/summary"
check "d4/f4 recalled while it runs" cmp mnt/archive/d4/f4 src/d4/f4
check_eq "... and the run still goes on" running "$(field state "mnt/verify/$run/summary")"
check_eq "the run ends" "$run" "$(wait_run done)"
s=mnt/verify/$run/summary
check_eq "every copy" 4 "$(field archives "$s")"
check_eq "half of each copy's files, OK" 8 "$(field ok "$s")"
check_eq "0 bad" 0 "$(field bad "$s")"
check "it counts as their verification: A00001L9 verified" bash -c "! grep -qx 'last_verified: never' mnt/tapes/A00001L9/.status"
check_eq "copies_verified" 4/4 "$(field copies_verified mnt/tapes/A00001L9/.status)"
blk=$(getfattr --only-values -n user.tapefs.copies mnt/archive/d4/f1 | sed -n 's/^A00001L9:4://p')
tf_umount mnt

# The manifest is verified with the rest: a byte flipped in d4's manifest
# (its magic line) is one BAD of that copy, named in .status.
"$TAPEFS" vtape export lib/tapes/A00001L9.vtape 4 d4.tar
off=$(grep -boa 'tapefs-manifest 2' d4.tar | head -n 1 | cut -d: -f1)
check "d4's manifest found ($off)" test -n "$off"
"$TAPEFS" vtape inject lib/tapes/A00001L9.vtape flip $((blk + off / 65536)) $((off % 65536 + 3)) || not_ok "flip"
tf_set_rate 0
tf_config tapefs.ini copies=1 pools=A block_size=64K
check "mount again" tf_mount tapefs.ini mnt
run=$(tf_verify "tape A00001L9")
s=mnt/verify/$run/summary
check_eq "every file OK" 16 "$(field ok "$s")"
check_eq "the manifest BAD" 1 "$(field bad "$s")"
check "named in .status" grep -q "verify: A00001L9 file 4: manifest does not parse" mnt/.status
check_eq "that copy failed" 1 "$(field copies_failed_verify mnt/tapes/A00001L9/.status)"
tf_umount mnt
