# staging, the cache and the catalog's directory must be distinct and
# none inside another (and catalog_backup neither in staging nor in the
# cache, nor they in it): a config that sets `cache =` to the staging
# directory or to the catalog's directory (or nests them) is refused by
# the mount and by `tapefs config -c`, with FILE:LINE and the reason, and
# nothing is mounted or deleted. The cache keeps its files in a
# tapefs-cache/ directory of its own, and the sweep at mount deletes only
# its own leftovers there: a stray file in the cache directory (or in its
# own directory), a symlink, files named like its own outside it, all
# survive a mount. A symlink in place of tapefs-cache/ is refused.
. "$TOP/tests/lib.sh"

tf_setup --drives 1 --slots 4 --capacity 256M --pools 1 -- copies=1 pools=A block_size=64K
mkdir -p stg db
echo staged > stg/keep.txt
echo precious > db/precious.txt

# bad NAME LINE WANT KEY=VALUE...: refused by the mount (exit 1) and by
# `tapefs config -c` (exit 1), both saying NAME.ini:LINE: WANT.
bad() {
	local name=$1 line=$2 want=$3 out rc; shift 3
	tf_config "$name.ini" "$@"
	out=$(timeout 20 "$TAPEFS" -f -c "$name.ini" mnt 2>&1); rc=$?
	check_eq "$name: mount exits 1" 1 "$rc"
	case "$out" in
	*"tapefs: $name.ini:$line: "*"$want"*) ok "$name: mount says it" ;;
	*) not_ok "$name: wanted [$name.ini:$line: ...$want] got [$out]" ;;
	esac
	out=$("$TAPEFS" config -c "$name.ini" 2>&1); rc=$?
	check_eq "$name: config -c exits 1" 1 "$rc"
	case "$out" in
	*"tapefs config: $name.ini:$line: "*"$want"*) ok "$name: config -c says it" ;;
	*) not_ok "$name: config -c: wanted [$name.ini:$line: ...$want] got [$out]" ;;
	esac
	check "$name: nothing mounted" sh -c "! grep -q ' $PWD/mnt ' /proc/mounts"
}
mkdir -p mnt
# (the config's [tapefs] lines: 1 [tapefs], 2 staging, 3 catalog, 4 cache)
bad cache_is_staging 4 "cache directory '$PWD/stg' is also the staging directory" cache=stg
bad cache_in_staging 4 "cache directory '$PWD/stg/cache' is inside the staging directory" cache=stg/cache
bad cache_is_catalog_dir 4 "catalog's directory '$PWD/db' is also the cache directory" catalog=db/cat.db cache=db
bad cache_by_dotdot 4 "catalog's directory '$PWD/db' is also the cache directory" catalog=db/cat.db cache=nowhere/../db
bad catalog_in_staging 3 "catalog's directory '$PWD/stg' is also the staging directory" catalog=stg/cat.db
bad staging_in_cache 4 "staging directory '$PWD/stg' is inside the cache directory '$PWD'" cache=.
# catalog_backup (line 5): neither in staging nor in the cache, nor they in it
bad backup_in_staging 5 "catalog_backup directory '$PWD/stg/bk' is inside the staging directory '$PWD/stg' (catalog_backup may be neither" catalog_backup=stg/bk
bad backup_is_cache 5 "catalog_backup directory '$PWD/cache' is also the cache directory" catalog_backup=cache
bad staging_in_backup 5 "staging directory '$PWD/stg' is inside the catalog_backup directory '$PWD'" catalog_backup=.
check "nothing made in staging for a refused backup" test ! -e stg/bk
check_eq "staging untouched" "staged" "$(cat stg/keep.txt)"
check_eq "the catalog's directory untouched" "precious" "$(cat db/precious.txt)"
check "a good config passes config -c" sh -c "'$TAPEFS' config -c tapefs.ini >/dev/null"

# Strays in the cache survive a mount; its own leftovers go.
mkdir -p cache/tapefs-cache elsewhere
echo stray > cache/stray.txt
echo named-like-ours > cache/m77
echo mine > cache/tapefs-cache/notes.txt
echo target > elsewhere/t.txt
ln -s "$PWD/elsewhere/t.txt" cache/tapefs-cache/m5
echo partial > cache/tapefs-cache/m424242.part
check "mount" tf_mount tapefs.ini mnt
check_eq "cache/stray.txt survives" stray "$(cat cache/stray.txt)"
check_eq "cache/m77 survives" named-like-ours "$(cat cache/m77)"
check_eq "tapefs-cache/notes.txt survives" mine "$(cat cache/tapefs-cache/notes.txt)"
check "tapefs-cache/m5 (a symlink) survives" test -L cache/tapefs-cache/m5
check_eq "and what it points to" target "$(cat elsewhere/t.txt)"
check "the sweep removed its own leftover" test ! -e cache/tapefs-cache/m424242.part
check_eq "tapefs-cache/ is 0700" 700 "$(stat -c %a cache/tapefs-cache)"
# A recall lands in tapefs-cache/.
head -c 100000 /dev/urandom > r.bin
cp r.bin mnt/staging/r.bin
echo now > mnt/.dump
check "dumped" tf_wait_dumps 1
check "recalled through archive/" cmp r.bin mnt/archive/r.bin
check "the cached copy is in tapefs-cache/" sh -c 'ls cache/tapefs-cache | grep -qx "m[0-9]*"'
tf_umount mnt
check "remount" tf_mount tapefs.ini mnt
check_eq "strays survive a second mount" "stray named-like-ours mine" \
	"$(cat cache/stray.txt cache/m77 cache/tapefs-cache/notes.txt | tr '\n' ' ' | sed 's/ $//')"
tf_umount mnt

# A symlink where tapefs-cache/ should be: refused, never followed.
mkdir -p cache2 victim
echo victim > victim/m1
ln -s "$PWD/victim" cache2/tapefs-cache
tf_config sym.ini cache=cache2
out=$(timeout 20 "$TAPEFS" -f -c sym.ini mnt 2>&1); rc=$?
check_eq "symlinked tapefs-cache: mount exits 1" 1 "$rc"
check "and says why" grep -q "cache '$PWD/cache2': Too many levels of symbolic links" <<<"$out"
check_eq "what the link points to is untouched" victim "$(cat victim/m1)"
