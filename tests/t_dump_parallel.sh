# Two copies are written at the same time on two drives: with drives
# rate-limited so that the dump lasts, .status shows both drives writing
# the same dump at once, on tapes of pools A and B. Also: `now PATH` dumps
# only that subtree, as one archive; malformed .dump writes fail with
# EINVAL (ENOENT for a path not staged) and say why; the daemon stays up.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 4 --capacity 256M --pools 2 --rate 12 -- copies=2 pools=A,B block_size=64K
check "mount" tf_mount tapefs.ini mnt
mkdir -p mnt/staging/run1 mnt/staging/run2
head -c $((24 << 20)) /dev/urandom > src-run1.bin
cp src-run1.bin mnt/staging/run1/data.bin
echo small > mnt/staging/run2/small.txt

# Bad requests first: each fails, .dump and .status say why.
check_fails "empty request" "Invalid argument" bash -c 'echo > mnt/.dump'
check_fails "unknown word" "Invalid argument" bash -c 'echo later > mnt/.dump'
check_fails "now with trailing garbage" "Invalid argument" bash -c 'echo "nowx" > mnt/.dump'
check_fails "path with .." "Invalid argument" bash -c 'echo "now ../etc" > mnt/.dump'
check_fails "path not staged" "No such file" bash -c 'echo "now nothing/here" > mnt/.dump'
check ".dump says why" grep -q "^reason: .*not in staging" mnt/.dump
check ".status says why" grep -q "^error: .*\.dump: .*not in staging" mnt/.status
check_fails "10 KB of garbage" "Invalid argument" bash -c 'head -c 10240 /dev/urandom | tr -d "\n" > mnt/.dump'
check "daemon still up" kill -0 "$TF_PID"

echo "now run1" > mnt/.dump
both=0 rate=0
for i in $(seq 300); do
	s=$(cat mnt/.status)
	n=$(grep -c '^drive[01]: writing .*(dump ' <<<"$s")
	if [ "$n" -eq 2 ]; then
		both=1
		if [ "$(grep -c '^drive[01]: writing .*% .* MB/s eta .*(dump ' <<<"$s")" -eq 2 ]; then
			rate=1; break
		fi
	fi
	sleep 0.05
done
check "both drives writing the dump at the same time" test "$both" -eq 1
check "both drive lines show progress, rate and eta" test "$rate" -eq 1
for i in $(seq 600); do
	grep -q '^dumps_committed: 1' mnt/.dump && grep -q '^state: idle' mnt/.dump && break
	sleep 0.1
done
check "dump of run1 committed" grep -q '^dumps_committed: 1' mnt/.dump
check "run1's files left staging" test -z "$(find stg/run1 ! -type d)"
check "run2 still staged" test -f stg/run2/small.txt
check "run1 is archived" cmp src-run1.bin mnt/archive/run1/data.bin
tapes=$(sed -n 's/^last_dump: .* tapes //p' mnt/.dump)
for t in $(echo "$tapes" | tr ',' ' '); do
	bc=${t%%:*}
	check_eq "tapes/$bc/0001 holds run1 only" "run1" "$(ls "mnt/tapes/$bc/0001")"
done
check_eq "tapes in pools A and B" "AB" "$(echo "$tapes" | tr ',' '\n' | cut -c1 | sort | tr -d '\n')"
