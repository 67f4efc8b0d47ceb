# A bad config fails the mount with exit 1 and "tapefs: CONFIG:LINE: reason";
# relative paths in a good one are relative to the config file's directory.
. "$TOP/tests/lib.sh"

mkdir -p mnt
# bad_config NAME WANT-TEXT CONTENT: tapefs must exit 1, say WANT-TEXT
# (with the config's path and line), and leave nothing mounted.
bad_config() {
	local name=$1 want=$2 out rc
	printf '%s\n' "$3" > "$name.ini"
	out=$(timeout 20 "$TAPEFS" -f -c "$name.ini" mnt 2>&1); rc=$?
	check_eq "$name: exit 1" 1 "$rc"
	case "$out" in
	*"tapefs: $name.ini$want"*) ok "$name: says '$want'" ;;
	*) not_ok "$name: wanted [tapefs: $name.ini$want] got [$out]" ;;
	esac
	check "$name: nothing mounted" sh -c "! grep -q ' $(pwd)/mnt ' /proc/mounts"
}
L='[library]
changer = none
drive0 = /dev/null'
bad_config unknown_key ":2: unknown key 'colour' in [tapefs]" "[tapefs]
colour = red
$L"
bad_config unknown_section ":2: unknown section [tape]" "[tape]
x = 1"
bad_config bad_size ":5: cache_size" "$L
[tapefs]
cache_size = lots"
bad_config bad_block ":2: block_size" "[tapefs]
block_size = 1000
$L"
bad_config bad_copies ":2: copies" "[tapefs]
copies = 0
$L"
bad_config too_few_pools ":2: copies = 3 needs as many pools" "[tapefs]
copies = 3
pools = A,B
$L"
bad_config dup_pool ":2: pools: pool 'A' listed twice" "[tapefs]
pools = A,A"
bad_config bad_changer ":2: changer: 'robot'" "[library]
changer = robot"
bad_config vlib_no_path ":2: changer = vlib needs 'path'" "[library]
changer = vlib"
bad_config none_no_drive ":2: changer = none needs 'drive0'" "[library]
changer = none"
bad_config syntax ":3: syntax error" "[tapefs]
copies = 1
this line is not ini"
bad_config outside ":1: key 'catalog' outside a section" "catalog = x.db"
bad_config bad_idle ":2: idle" "[dump]
idle = -5
$L"
bad_config bad_drives ":5: drives" "[library]
changer = vlib
path = lib
tape = vtape
drives = 99"

out=$("$TAPEFS" -f -c missing.ini mnt 2>&1); rc=$?
check_eq "missing config: exit 1" 1 "$rc"
check "missing config: says so" grep -q "missing.ini:0: cannot read: No such file" <<<"$out"
out=$("$TAPEFS" -f mnt 2>&1); rc=$?
check_eq "no -c: usage, exit 2" 2 "$rc"

# a vlib path that is not a library: clear error, exit 1
printf '[library]\nchanger = vlib\npath = nolib\n' > nolib.ini
out=$(timeout 20 "$TAPEFS" -f -c nolib.ini mnt 2>&1); rc=$?
check_eq "missing library: exit 1" 1 "$rc"
check "missing library: names it" grep -q "nolib" <<<"$out"

# relative paths resolve against the config's directory, not the cwd
mkdir -p conf
"$TAPEFS" mkvlib conf/lib --drives 1 --slots 2 --capacity 16M --pools 1 >/dev/null
printf '[tapefs]\nstaging = st\ncatalog = c.db\ncopies = 1\npools = A\nblock_size = 64K\n[dump]\nidle = 0\n[library]\nchanger = vlib\npath = lib\n' > conf/t.ini
mkdir -p elsewhere
(cd elsewhere && "$TAPEFS" -c ../conf/t.ini ../mnt) # background daemon
check "background mount comes up" tf_wait_mount mnt 20
T_MOUNTS+=(mnt)
check "staging made in the config's directory" test -d conf/st
check "catalog made in the config's directory" test -f conf/c.db
check "nothing made in the cwd" test ! -e elsewhere/st
echo hi > mnt/staging/x
check_eq "the daemonized mount works" "hi" "$(cat conf/st/x)"
check "README's restore command uses the configured block size" grep -q "tar -b 128 -xf" mnt/README
# (this test's daemon: the one with its TEST_TMP, whatever else runs)
pid=$(for p in $(pgrep -f -- "-c ../conf/t.ini"); do
	tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qxF "TEST_TMP=$TEST_TMP" && echo "$p"
done | head -n1)
check "the daemon runs in the background" test -n "$pid"
fusermount3 -u mnt
n=50; while [ -e "/proc/$pid" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n-1)); done
check "daemon exits at unmount" test ! -e "/proc/$pid"
