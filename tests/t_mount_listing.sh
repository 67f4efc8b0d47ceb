# A listing of archive/ longer than one reply is made in steps (the first
# reply's entries in the request, the rest by a lister thread while the
# first replies go out): every name comes once, in byte order, with its
# attributes; a listing read from a later offset, rewound, or closed half
# read is right and leaves the daemon up; listings made at once in more
# directories than there are listers are all whole.
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 2 --capacity 64M --pools 1 -- copies=1 pools=A
check "mount" tf_mount tapefs.ini mnt
M=mnt/staging
# d1..d6 of 1000 files each (a reply of readdirplus holds some 370): names
# of varied length so that replies end at varied places, each file's
# content its own name (its size the name's length + 1)
long=$(printf 'L%.0s' $(seq 1 150))
for d in 1 2 3 4 5 6; do
	mkdir $M/d$d
	(cd $M/d$d && for i in $(seq 1 1000); do
		case $((i % 7)) in 0) n=$long$i ;; 1) n=x$i ;; *) n=file_$i ;; esac
		echo $n > $n
	done)
done
echo now > mnt/.dump
check "dumped" tf_wait_dumps 1 120
expect() { (cd $TEST_TMP && for i in $(seq 1 1000); do
	case $((i % 7)) in 0) echo $long$i ;; 1) echo x$i ;; *) echo file_$i ;; esac
done) | LC_ALL=C sort; }
expect > want.txt

# names as read, in their order, without . and ..
names() { ls -f "$1" | grep -vx '\.\.\?'; }
names mnt/archive/d1 > got.txt
check_eq "d1: 1000 names" 1000 "$(wc -l < got.txt)"
check_eq "d1: in byte order, none twice" "" "$(LC_ALL=C sort -c -u got.txt 2>&1)"
check "d1: the names dumped" cmp -s want.txt got.txt
check_eq "d1: every size right (ls -l: the last reply's entries too)" 0 \
	"$(ls -l mnt/archive/d1 | awk 'NR > 1 && $5 != length($NF) + 1' | wc -l)"
check_eq "d1: the last name's attributes" \
	"$(($(tail -n 1 want.txt | wc -c))) regular file 644" \
	"$(stat -c '%s %F %a' mnt/archive/d1/$(tail -n 1 want.txt))"

# closed after a few entries, again and again (the kernel's copy of the
# listing stays partial: the next opens read on from the daemon at an
# offset), then whole
partial() {
	python3 -c '
import os, sys
for k in range(20):
    it = os.scandir(sys.argv[1])
    for _ in range(1 + 37 * k):
        if next(it, None) is None:
            break
    it.close()' "$1"
}
check "d2: 20 listings closed half read" partial mnt/archive/d2
check "d2: then whole" cmp -s want.txt <(names mnt/archive/d2)

# rewound half way (rewinddir), then read to the end
rewound() {
	python3 -c '
import ctypes, sys
libc = ctypes.CDLL(None)
libc.opendir.restype = ctypes.c_void_p
libc.readdir64.restype = ctypes.c_void_p
libc.readdir64.argtypes = libc.rewinddir.argtypes = libc.closedir.argtypes = [ctypes.c_void_p]
d = libc.opendir(sys.argv[1].encode())
for _ in range(500):
    libc.readdir64(d)
libc.rewinddir(d)
n = 0
while libc.readdir64(d):
    n += 1
libc.closedir(d)
print(n)' "$1"
}
check_eq "d3: rewound after 500 entries, 1002 read" 1002 "$(rewound mnt/archive/d3)"
check "d3: and a listing after it whole" cmp -s want.txt <(names mnt/archive/d3)

# three listings at once (two listers at most: the third is made whole in
# its request)
pids=()
for d in 4 5 6; do
	names mnt/archive/d$d > got$d.txt &
	pids+=($!)
done
wait "${pids[@]}" # (not the daemon: it runs in the background too)
for d in 4 5 6; do
	check "d$d: whole, listed beside two others" cmp -s want.txt got$d.txt
done

check "daemon still up" kill -0 "$TF_PID"
tf_umount mnt
