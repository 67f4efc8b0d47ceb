# Staged directories stay: an instrument makes staging/run7/ once and
# writes a file there at a steady pace while dumps run (the pattern - a
# file every second for a minute, a dump every 10 s - shortened fourfold:
# a file every 0.25 s for 15 s, a dump every 2.5 s). The writer never sees
# an error and every file reaches tape; a dumped directory is not dumped
# again for nothing; once empty and untouched for dir_keep seconds it goes
# (archive/ still shows it); with dir_keep 0 it never goes.
. "$TOP/tests/lib.sh"

tf_setup --drives 2 --slots 8 --capacity 64M --pools 2 -- copies=2 pools=A,B dump.dir_keep=3
check "mount" tf_mount tapefs.ini mnt
mkdir mnt/staging/run7
: > errors
(
	for i in $(seq -w 1 60); do
		echo "sample $i" > mnt/staging/run7/f$i.dat 2>>errors || echo "f$i: failed" >>errors
		sleep 0.25
	done
) &
writer=$!
(
	for _ in $(seq 7); do
		sleep 2.5
		echo now > mnt/.dump 2>/dev/null
	done
) &
dumper=$!
wait $writer
wait $dumper
check_eq "the writer never saw an error" "" "$(cat errors)"
check "dumps ran while it wrote" test "$(tf_field dumps_committed mnt/.dump)" -ge 4
check "run7 stayed while it wrote" test -d stg/run7
echo now > mnt/.dump
n=0
for _ in $(seq 300); do
	n=$(ls mnt/archive/run7 2>/dev/null | wc -l)
	[ "$n" = 60 ] && grep -q '^state: idle' mnt/.dump && break
	sleep 0.1
done
check_eq "every file reached tape" "60" "$n"
ok=0
for i in $(seq -w 1 60); do [ "$(cat mnt/archive/run7/f$i.dat)" = "sample $i" ] && ok=$((ok + 1)); done
check_eq "with its bytes" "60" "$ok"
check_eq "no file left staged" "" "$(find stg -type f)"
# Nothing new: no dump takes the directory again (an idle trigger of 1 s
# would fire at once if it were pending).
before=$(tf_field dumps_committed mnt/.dump)
check_eq "nothing pending" "0" "$(tf_field pending_files mnt/.dump)"
sleep 1
check_eq "no dump of the directory alone" "$before" "$(tf_field dumps_committed mnt/.dump)"
# Empty and untouched for dir_keep (3 s): it goes; archive/ shows it still.
for _ in $(seq 100); do [ -d stg/run7 ] || break; sleep 0.1; done
check "run7 went once empty and untouched for dir_keep" test ! -d stg/run7
check "archive/run7 still shows" test -d mnt/archive/run7
# A new empty directory is dumped first, then goes.
mkdir mnt/staging/empty
echo now > mnt/.dump
for _ in $(seq 100); do [ -d mnt/archive/empty ] && break; sleep 0.1; done
check "a new empty directory is archived" test -d mnt/archive/empty
for _ in $(seq 100); do [ -d stg/empty ] || break; sleep 0.1; done
check "then it goes" test ! -d stg/empty
tf_umount mnt

# dir_keep 0: never.
tf_config tapefs.ini copies=2 pools=A,B dump.dir_keep=0
check "mount (dir_keep 0)" tf_mount tapefs.ini mnt
mkdir -p mnt/staging/keep
echo x > mnt/staging/keep/x
echo now > mnt/.dump
for _ in $(seq 100); do [ -e stg/keep/x ] || break; sleep 0.1; done
check "keep/x dumped" test -e mnt/archive/keep/x
sleep 2
touch -d '2 days ago' stg/keep
sleep 1.5
check "dir_keep 0: the directory stays" test -d stg/keep
check_eq "tapefs config shows dir_keep" "dir_keep = 0" "$("$TAPEFS" config -c tapefs.ini | grep '^dir_keep')"
tf_umount mnt
check "tapefs fsck" "$TAPEFS" fsck -c tapefs.ini
