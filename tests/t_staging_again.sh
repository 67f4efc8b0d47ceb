# A file written again under its name right after a dump took it: the
# kernel may still hold its entry for the removed file (the staging entry
# timeout); the write must create the new file, never fail. In a
# directory that stays, as an instrument writes into one.
. "$TOP/tests/lib.sh"
tf_setup --drives 2 --slots 4 --capacity 64M --pools 2
check "mount" tf_mount tapefs.ini mnt
mkdir mnt/staging/run7 # directories stay after a dump
for i in 1 2 3; do
	echo "take $i" > mnt/staging/run7/a.dat
	ls -l mnt/staging/run7/a.dat > /dev/null # the kernel now holds its entry
	echo now > mnt/.dump
	n=200; while [ -e stg/run7/a.dat ] && [ $n -gt 0 ]; do sleep 0.05; n=$((n-1)); done
	check "take $i dumped" test ! -e stg/run7/a.dat
	check "take $i: the same name written again at once" \
		sh -c "echo 'again $i' > mnt/staging/run7/a.dat"
	check_eq "take $i: its bytes" "again $i" "$(cat mnt/staging/run7/a.dat)"
	rm -f mnt/staging/run7/a.dat
done
tf_umount mnt
