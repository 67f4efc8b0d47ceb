# Control writes are checked whole before anything of them is applied: a
# malformed line refuses the whole write (EINVAL, or the errno of what it
# names), nothing of it starts, and the control file shows the request and
# the reason; a NUL is refused with its reason; a request complete in one
# write() gets its answer from that write() (4096 bytes without a newline
# included: no request is that long); 64 MiB without a newline fail at the
# first write with the daemon's memory unchanged; a long list written in
# 4 KiB pieces (as stdio writes it) is put back together; a refused request
# is shown with '?' for each ASCII control character (a terminal escape)
# and a name as its bytes, and .status.json stays valid JSON with them
# (U+FFFD and message_hex). A user who is not root (made here, removed at
# exit) cannot write a control file and sees no request or reason of the
# owner's.
. "$TOP/tests/lib.sh"
tf_need /usr/sbin/useradd /usr/sbin/userdel /usr/bin/setpriv

tf_setup --drives 2 --slots 4 --capacity 32M --pools 2 -- block_size=64K
check "mount" tf_mount tapefs.ini mnt
T1=A00001L9
mkdir -p src/d
for i in $(seq 1 300); do echo "file $i" >"src/d/file-with-a-longish-name-$i"; done
check "a directory archived" tf_dump_dir d
refused() { grep -q "^refused: '$1' at " "mnt/$2" && grep -q "^reason: $3" "mnt/$2"; } # REQ FILE REASON

# One write() each: env printf (coreutils) writes its output at once, where
# bash's builtin printf and echo write line by line (each line then is a
# write of its own, checked and applied alone).
# .verify: a good line and a bad one: nothing started
check_fails "sample 5 + bogus: refused" "Invalid argument" bash -c "env printf 'sample 5\nbogus\n' > mnt/.verify"
check "no run was started" test ! -e mnt/verify/latest
check ".verify is idle" grep -q '^state: idle' mnt/.verify
check ".verify shows the request and the reason" refused bogus .verify "unknown request 'bogus'"
check ".status has it too" grep -q "^error: .*\.verify: unknown request 'bogus' (refused: 'bogus')" mnt/.status
check_fails "a bad label after a good request: refused" "Invalid argument" \
	bash -c "env printf 'all\ntape NOPE0001\n' > mnt/.verify"
check "still no run" test ! -e mnt/verify/latest

# .dump: "now" then garbage: no dump queued
committed=$(tf_field dumps_committed mnt/.dump)
echo x >mnt/staging/pending
check_fails ".dump: now + bogus refused" "Invalid argument" bash -c "env printf 'now\nlater\n' > mnt/.dump"
sleep 1
check_eq "no dump ran" "$committed" "$(tf_field dumps_committed mnt/.dump)"
check "the file is still staged" test -f stg/pending
check ".dump says why" refused later .dump "unknown request"
check_fails ".dump: a path not in staging refuses the write" "No such file" \
	bash -c "env printf 'now pending\nnow nope\n' > mnt/.dump"
sleep 1
check_eq "still no dump" "$committed" "$(tf_field dumps_committed mnt/.dump)"

# tapes/LABEL/.ctl: location then garbage: location unchanged
loc=$(tf_field location mnt/tapes/$T1/.status)
check_fails ".ctl: location + bogus refused" "Invalid argument" \
	bash -c "env printf 'location shelf 9\nexplode\n' > mnt/tapes/$T1/.ctl"
check_eq "location unchanged" "$loc" "$(tf_field location mnt/tapes/$T1/.status)"
check ".ctl shows the refusal" refused explode "tapes/$T1/.ctl" "unknown request 'explode'"
check "two good lines: both applied" bash -c "env printf 'location shelf 9\nserial SN7\n' > mnt/tapes/$T1/.ctl"
check_eq "location set" "shelf 9" "$(tf_field location mnt/tapes/$T1/.status)"
check_eq "serial set" "SN7" "$(tf_field serial mnt/tapes/$T1/.status)"

# .library: inventory then garbage: no inventory ran
check_fails ".library: inventory + bogus refused" "Invalid argument" \
	bash -c "env printf 'inventory\nexplode\n' > mnt/.library"
check "no inventory ran" grep -q '^inventory: none since the mount' mnt/.library
check ".library shows the refusal" refused explode .library "unknown request 'explode'"

# .recall: a good path then a missing one: nothing queued
check_fails ".recall: good + missing refused" "No such file" \
	bash -c "env printf 'archive/d/file-with-a-longish-name-1\narchive/d/nope\n' > mnt/.recall"
check "nothing recalled" bash -c "! grep -q '^  OK ' mnt/.recall"
check ".recall shows the refusal" refused archive/d/nope .recall "'archive/d/nope': no archived file"

# a NUL byte: EINVAL, the reason recorded
check_fails ".dump: a NUL refused" "Invalid argument" bash -c "env printf 'now\0x\n' > mnt/.dump"
check ".dump shows the NUL's reason" refused 'now?x?' .dump "a NUL byte (byte 3 of the write)"
check_eq "its size counts the refusal (tail shows it)" "reason: a NUL byte (byte 3 of the write)" \
	"$(tail -n 1 mnt/.dump)"
check_fails ".verify: a NUL refused" "Invalid argument" bash -c "env printf 'all\0' > mnt/.verify"
check ".verify shows the NUL's reason" refused 'all?' .verify "a NUL byte"

# a request that is not UTF-8 and holds a terminal escape: refused, the
# escape shown as '?', the name as its bytes, .status.json valid with them
check_fails ".verify: a request not UTF-8 refused" "Invalid argument" \
	bash -c "env printf 'tape A\xff\xfe\x1b[2J\n' > mnt/.verify"
req="tape A$(printf '\xff\xfe')?\[2J"
check ".verify shows it, the escape as '?'" env LC_ALL=C grep -q "^refused: '$req' at " mnt/.verify
check ".status has its error" env LC_ALL=C grep -q "^error: .*\.verify: .*(refused: '$req')" mnt/.status
check "no escape byte in .verify" bash -c "! grep -q $'\x1b' mnt/.verify"
cat mnt/.status.json >s.json
check ".status.json is valid, typed JSON" python3 "$TOP/tests/check_status_json.py" s.json
check ".status.json: U+FFFD in the text, the exact bytes in message_hex" python3 -c '
import json
e = json.load(open("s.json"))["errors"][-1]
assert "tape A\ufffd\ufffd?[2J" in e["message"], e
assert b"tape A\xff\xfe?[2J" in bytes.fromhex(e["message_hex"]), e'

# a request complete in one write is answered by that write (bash's
# printf writes these 4095 and 4096 bytes in one write())
long="archive/$(printf 'b/%.0s' $(seq 2043))c" # 4095 bytes
check_eq "a path of 4095 bytes" 4095 "${#long}"
check_fails "4095 bytes without a newline: answered (ENOENT) at write" "No such file" \
	bash -c "printf '%s' '$long' > mnt/.recall"
check_fails "4096 bytes without a newline: refused at write" "Invalid argument" \
	bash -c "printf '%s' 'a$long' > mnt/.recall"
check ".recall says it is too long" grep -q "^reason: a request over 4095 bytes" mnt/.recall
check_fails "4096 bytes without a newline to .verify" "Invalid argument" \
	bash -c "printf '%s' 'a$long' > mnt/.verify"
check "still no run" test ! -e mnt/verify/latest

# 64 MiB without a newline: the first write fails, memory stays put
rss() { awk '/^VmRSS:/ { print $2 }' /proc/$TF_PID/status; }
before=$(rss)
dd if=/dev/zero bs=1M count=64 2>dd.err | tr '\0' a | dd of=mnt/.dump bs=1M iflag=fullblock 2>dd2.err
check "dd of 64 MiB failed" grep -q "Invalid argument" dd2.err
check "at its first write" grep -q "^0+0 records out" dd2.err
after=$(rss)
check "daemon RSS stays bounded (${before} -> ${after} KiB)" test "$after" -lt $((before + 16384))
check ".dump says why" grep -q "^reason: a request over 4095 bytes" mnt/.dump

# a long list in 4 KiB pieces (lines cut across writes) is put together
find "$PWD/mnt/archive/d" -type f | sort >list
check "the list is longer than two pages" test "$(stat -c %s list)" -gt 8192
check "written in 4096-byte pieces" dd if=list of=mnt/.recall bs=4096 status=none
cached() { [ "$(getfattr --only-values -n user.tapefs.state "$1" 2>/dev/null)" = cached ]; }
n=0
for _ in $(seq 300); do
	n=0
	while read -r f; do cached "$f" && n=$((n + 1)); done <list
	[ "$n" -ge 300 ] && break
	sleep 0.2
done
check_eq "every path of the list recalled" 300 "$n"
check "no line of it refused" bash -c "! grep -q '^refused: .*longish-name' mnt/.recall"

# another user cannot write, and does not see the requests or reasons
U=tfctl$$
useradd -M -N -g nogroup -s /usr/sbin/nologin "$U" || { not_ok "useradd $U"; exit 1; }
trap 'userdel "$U" 2>/dev/null; t_cleanup' EXIT
nob() { setpriv --reuid="$U" --regid=nogroup --init-groups "$@"; }
chmod 755 .
tf_umount mnt
check "mount with allow_other" tf_mount tapefs.ini mnt -o allow_other
check_fails ".dump: refused" "Invalid argument" bash -c "echo bogus > mnt/.dump"
check "root sees the refusal" grep -q "^refused: 'bogus'" mnt/.dump
check "another user does not" bash -c "! nob cat mnt/.dump | grep -q bogus"
check "nor in .status" bash -c "! nob cat mnt/.status | grep -q bogus"
check_eq "but the count" "$(grep '^errors:' mnt/.status)" "$(nob cat mnt/.status | grep '^errors:')"
for f in .dump .verify .recall .library tapes/$T1/.ctl; do
	check_fails "the user cannot write $f" "Permission denied" nob sh -c "echo now > mnt/$f"
done
check_fails "nor read .status.json" "Permission denied" nob cat mnt/.status.json
check "daemon still up" kill -0 "$TF_PID"
