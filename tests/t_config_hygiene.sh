# tests/t_config_hygiene.sh - a config file means what docs/config.md says:
# '#' and ';' comments after a value, sizes with a blank before the unit,
# a key set twice refused with both lines, errors on the line that is wrong
# (a missing key: its section's line; an indented line; a line too long)
# with the real cause (`drives = 5` on a 2-drive library says so before
# anything is mounted; so does drive_ids = 1,2), drive_ids, host and
# lease checked (duplicates, out of range, garbage, 65 ids), log_level checked, staging, cache and catalog on a
# pseudo file system refused, a pool named like cleaning cartridges
# refused; a catalog URI without catalog_backup refused, and with no server
# there the mount and the commands fail saying where: its password shown
# by none of them.
. "$TOP/tests/lib.sh"

L='[library]
changer = none
drive0 = /dev/null'
# conf NAME CONTENT: write NAME.ini; print what `tapefs config` says
conf() {
	printf '%s\n' "$2" >"$1.ini"
	"$TAPEFS" config -c "$1.ini" 2>&1
}
# bad NAME WANT CONTENT: `tapefs config` exits 1 with exactly WANT
bad() {
	local out rc
	out=$(conf "$1" "$3")
	rc=$?
	check_eq "$1: exit 1" 1 "$rc"
	check_eq "$1: the line and the cause" "tapefs config: $1.ini:$2" "$out"
}
# val NAME KEY CONTENT: the value `tapefs config` prints for KEY
val() { conf "$1" "$3" | sed -n "s/^$2 = //p"; }

# ---- comments and sizes ------------------------------------------------------------
check_eq "'#' after a value is a comment" "$PWD/cat.db" \
	"$(val hash catalog "[tapefs]
catalog = cat.db # the catalog
$L")"
check_eq "';' after a value is a comment" "$PWD/cat.db" \
	"$(val semi catalog "[tapefs]
catalog = cat.db	; the catalog
$L")"
check_eq "a '#' inside a word stays" "$PWD/run#7.db" \
	"$(val inword catalog "[tapefs]
catalog = run#7.db
$L")"
check_eq "'#' and ';' lines are comments" "1" \
	"$(val lines copies "# a comment
; another
[tapefs]
  # indented
copies = 1
pools = A
$L")"
check_eq "'10 GB' is 10G" "10G" "$(val space cache_size "[tapefs]
cache_size = 10 GB
$L")"
check_eq "'512 K' is 512K" "512K" "$(val spacek block_size "[tapefs]
block_size = 512 K  # per record
$L")"
check_eq "'10 GiB' is 10G" "10G" "$(val spacegib cache_size "[tapefs]
cache_size = 10 GiB
$L")"

# ---- errors on the right line, with the real cause ------------------------------------
bad twice "5: 'copies' in [tapefs] is set twice: lines 2 and 5" "[tapefs]
copies = 1
pools = A
# later, by mistake
copies = 2
$L"
bad twice_sections "7: 'drive0' in [library] is set twice: lines 4 and 7" "[tapefs]
copies = 1
[library]
drive0 = /dev/null
[tapefs]
[library]
drive0 = /dev/nst1"
bad missing_drive "3: changer = none (the default) needs 'drive0' (the drive's device) in [library]" "[tapefs]
copies = 1
[library]
mtx = mtx"
bad missing_section "2: changer = none (the default) needs 'drive0' (the drive's device) in [library]" "[tapefs]
copies = 1"
bad indented "3: an indented line continues the value of 'catalog': remove the indentation" "[tapefs]
catalog = cat.db
  staging = stg
$L"
long=$(printf 'x%.0s' $(seq 230))
bad long_line "3: line longer than 197 characters" "[tapefs]
copies = 1
catalog = /data/$long/cat.db
$L"
bad log_level "2: log_level: 'loud' is not err, warning, notice, info or debug" "[tapefs]
log_level = loud
$L"
check_eq "log_level = debug" debug "$(val debug log_level "[tapefs]
log_level = debug
$L")"
check_eq "log_level: info by default" info "$(val deflevel log_level "$L")"
bad cln_pool "2: pools: pool name 'CLN': barcodes starting with CLN are cleaning cartridges" "[tapefs]
pools = A,CLN
$L"

# ---- drive_ids: the drives of a host sharing the library --------------------------------
V='[library]
changer = vlib
path = lib'
check_eq "drive_ids = 3, 1 kept ascending" "3,1 -> 1,3" \
	"3,1 -> $(val ids drive_ids "$V
drive_ids = 3, 1")"
check_eq "drives = 2 prints as drives" "2" "$(val two drives "$V
drives = 2")"
check_eq "drives = 2 and drive_ids = 0,1 agree" "0,1" "$(val agree drive_ids "$V
drives = 2
drive_ids = 0,1")"
bad ids_disagree "5: drives = 2 (drives 0 to 1) and drive_ids disagree: give one of them" "$V
drive_ids = 2,3
drives = 2"
bad ids_dup "4: drive_ids: drive 2 is listed twice" "$V
drive_ids = 2,3,2"
bad ids_range "4: drive_ids: '64' is not a drive number (0 to 63)" "$V
drive_ids = 1,64"
bad ids_garbage "4: drive_ids: 'x' is not a drive number (0 to 63)" "$V
drive_ids = 1,x"
bad ids_negative "4: drive_ids: '-1' is not a drive number (0 to 63)" "$V
drive_ids = -1"
bad ids_empty "4: drive_ids: '1,,2' must be drive numbers 0 to 63, comma separated (2,3)" "$V
drive_ids = 1,,2"
bad ids_trailing "4: drive_ids: '1,' must be drive numbers 0 to 63, comma separated (2,3)" "$V
drive_ids = 1,"
bad ids_blank "4: drive_ids: '1 2' must be drive numbers 0 to 63, comma separated (2,3)" "$V
drive_ids = 1 2"
ids65=$(seq -s, 0 63),0
bad ids_65 "4: drive_ids: drive 0 is listed twice" "$V
drive_ids = $ids65"
bad ids_drive_dev "5: drive1 is set but is not in drive_ids" "$V
drive_ids = 2,3
drive1 = /dev/nst1"
check_eq "driveN of a listed drive is fine" "/dev/nst3" "$(val dev3 drive3 "$V
drive_ids = 2,3
drive3 = /dev/nst3")"
bad ids_none "4: changer = none drives exactly one drive (drive_ids = 0)" "$L
drive_ids = 1"

# ---- host: this daemon's name among the hosts of the library -----------------------------
check_eq "host: the machine's short name by default" "$(hostname -s)" "$(val defhost host "$V")"
check_eq "host = tape-2.a_b" "tape-2.a_b" "$(val host host "$V
host = tape-2.a_b")"
bad host_blank "4: host: 'a b' must be 1 to 63 letters, digits, '.', '-' or '_'" "$V
host = a b"
bad host_quote "4: host: 'a\"b' must be 1 to 63 letters, digits, '.', '-' or '_'" "$V
host = a\"b"
h64=$(printf 'h%.0s' $(seq 64))
bad host_long "4: host: '$h64' must be 1 to 63 letters, digits, '.', '-' or '_'" "$V
host = $h64"
check_eq "lease: 30 s by default" "30s" "$(val deflease lease "$V")"
check_eq "lease = 5m" "5m" "$(val lease5m lease "$V
lease = 5m")"
check_eq "lease = 3 (seconds)" "3s" "$(val lease3 lease "$V
lease = 3")"
for v in 0 1 1s 3601 61m -5 2.5 x 2x 99999999999999999999 ''; do
	bad "lease_$(printf %s "$v" | tr -c 'a-z0-9' _)" "4: lease: '$v' must be 2 to 3600 seconds (30s; or minutes: 5m)" "$V
lease = $v"
done
check "no host given: one host alone, said" grep -qx "; one host alone: joins no hosts of the catalog (set host to join)" <<<"$(conf alone "$V")"
out=$(conf joined "$V
host = b1")
check_eq "host given: it joins (not said alone)" 0 "$(grep -c 'one host alone' <<<"$out")"

# ---- pseudo file systems --------------------------------------------------------------
bad proc_staging "2: staging = /proc/tapefs-staging is on proc, a pseudo file system: it needs a disk" "[tapefs]
staging = /proc/tapefs-staging
$L"
bad sys_catalog "3: catalog = /sys/kernel/tapefs/cat.db is on sysfs, a pseudo file system: it needs a disk" "[tapefs]
copies = 1
catalog = /sys/kernel/tapefs/cat.db
$L"
bad proc_cache "2: cache = /proc/self/cache is on proc, a pseudo file system: it needs a disk" "[tapefs]
cache = /proc/self/cache
$L"
mkdir -p mnt
out=$(timeout 20 "$TAPEFS" -f -c proc_staging.ini mnt 2>&1)
check_eq "the mount refuses it too, exit 1" "1 tapefs: proc_staging.ini:2: staging = /proc/tapefs-staging is on proc, a pseudo file system: it needs a disk" "$? $out"
check "nothing made in /proc" test ! -e /proc/tapefs-staging

# ---- drives the library does not have ---------------------------------------------------
tf_mkvlib lib --drives 2 --slots 4 --capacity 16M --pools 2
tf_config five.ini library.drives=5
out=$(timeout 20 "$TAPEFS" -f -c five.ini mnt 2>&1)
rc=$?
check_eq "drives = 5 on a 2-drive library: exit 1" 1 "$rc"
check "drives = 5: says so, with its line" \
	grep -qxF "tapefs: $PWD/five.ini:12: drives = 5, but the library has 2 drives" <<<"$out"
check "drives = 5: not the scheduler's EINVAL" bash -c "! grep -q 'Invalid argument' <<<'$out'"
check "drives = 5: nothing mounted" bash -c "! grep -q ' $PWD/mnt ' /proc/mounts"
tf_config drive3.ini library.drive3=/dev/nst3
out=$(timeout 20 "$TAPEFS" -f -c drive3.ini mnt 2>&1)
check_eq "drive3 on a 2-drive library: exit 1" 1 "$?"
check "drive3: says so, with its line" \
	grep -qxF "tapefs: $PWD/drive3.ini:12: drive3 is set, but the library has 2 drives (drive0 to drive1)" <<<"$out"
tf_config ids.ini library.drive_ids=1,2
out=$(timeout 20 "$TAPEFS" -f -c ids.ini mnt 2>&1)
check_eq "drive_ids = 1,2 on a 2-drive library: exit 1" 1 "$?"
check "drive_ids = 1,2: says so, with its line" \
	grep -qxF "tapefs: $PWD/ids.ini:12: drive_ids names drive 2, but the library has 2 drives (0 to 1)" <<<"$out"

# ---- a catalog that is not a file -------------------------------------------------------
# Only the URI schemes of a server are one; its password is never shown,
# not even in a refusal. It has no directory for the backups' default:
# catalog_backup is required.
check_eq "postgresql:/x (one slash) is a file" "$PWD/postgresql:/x" \
	"$(val oneslash catalog "[tapefs]
catalog = postgresql:/x
$L")"
bad pg_nobackup "2: catalog = postgresql://tapefs:***@/tapefs?host=/nonexistent&password=*** is not a file: set catalog_backup (a directory for its backups, sqlite files; on a disk every host reaches) or catalog_backup = none" "[tapefs]
catalog = postgresql://tapefs:s3cret@/tapefs?host=/nonexistent&password=s3cret
$L"
out=$(timeout 20 "$TAPEFS" -f -c pg_nobackup.ini mnt 2>&1)
check_eq "the mount refuses it too, exit 1" 1 "$?"
check "it shows it masked" grep -qF "postgresql://tapefs:***@/tapefs" <<<"$out"
check "the mount never shows the password" eval '! grep -q s3cret <<<"$out"'
conf pg_none "[tapefs]
catalog = postgresql://tapefs:s3cret@/tapefs?host=/nonexistent
catalog_backup = none
$L" >pg_none.out
check "with catalog_backup = none it loads, shown masked" grep -qxF "catalog = postgresql://tapefs:***@/tapefs?host=/nonexistent" pg_none.out
check "nor tapefs config shows the password" eval '! grep -q s3cret pg_none.out'
# no server there: each command fails, saying where, masked
for cmd in fsck:2 export:1 rebuild:1; do
	want=${cmd#*:} cmd=${cmd%:*}
	out=$(timeout 20 "$TAPEFS" $cmd -c pg_none.ini 2>&1)
	check_eq "tapefs $cmd: no server: exit $want" "$want" "$?"
	check "tapefs $cmd shows it masked" grep -qF "tapefs:***@/tapefs" <<<"$out"
	check "tapefs $cmd never shows the password" eval '! grep -q s3cret <<<"$out"'
done
out=$(timeout 20 "$TAPEFS" -f -c pg_none.ini mnt 2>&1)
check_eq "the mount: no server: exit 1" 1 "$?"
check "the mount says where, masked" grep -qF "tapefs:***@/tapefs" <<<"$out"
check "the mount never shows the password" eval '! grep -q s3cret <<<"$out"'
check "no file is named after the URI" eval '! ls -a | grep -q -e postgres -e nonexistent'
