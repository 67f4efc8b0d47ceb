# tests/t_install.sh - `make install DESTDIR=... PREFIX=/usr` lays out what
# docs/install.md lists (binary, scripts, man pages that render, the systemd
# unit, an example config that tapefs accepts, bash completion), never
# overwrites an existing example config, and `make uninstall` leaves
# nothing behind. Also: `tapefs --version` names VERSION, and the config
# keys of docs/config.md are all in tapefs.conf(5) and the example.
. "$TOP/tests/lib.sh"

root=$TEST_TMP/root
version=$(cat "$TOP/VERSION")
scripts=$(cd "$TOP/scripts" && ls tapefs-*)
pages=$(cd "$TOP/man" && ls)

# make on the built tree: the test runs under make check, so nothing is
# rebuilt (install keeps the build's flags) and nothing needs root.
mk() {
	make -s -C "$TOP" BUILD="$BUILD" PREFIX=/usr DESTDIR="$root" "$@" >"$TEST_TMP/make.log" 2>&1 ||
		{ sed 's/^/# /' "$TEST_TMP/make.log"; return 1; }
}

# ---- version ---------------------------------------------------------------
check_eq "VERSION is one x.y.z line" 1 "$(grep -cE '^[0-9]+\.[0-9]+\.[0-9]+$' "$TOP/VERSION")"
check_eq "tapefs --version names VERSION" "tapefs $version" "$("$TAPEFS" --version | head -n 1)"
check "tapefs --version names the FUSE library" \
	grep -qE '^FUSE library 3\.[0-9]+' <("$TAPEFS" --version)
check_eq "tapefs version = tapefs --version" "$("$TAPEFS" --version)" "$("$TAPEFS" version)"
check_eq "debian/changelog is at VERSION" "tapefs ($version)" \
	"$(head -n 1 "$TOP/debian/changelog" | cut -d' ' -f1-2)"

# ---- install ---------------------------------------------------------------
flags=$(cat "$BUILD/.flags")
check "make install DESTDIR PREFIX=/usr" mk install
check_eq "make install kept the build's flags" "$flags" "$(cat "$BUILD/.flags")"
check "tapefs in /usr/bin" test -x "$root/usr/bin/tapefs"
check_eq "installed tapefs runs" "tapefs $version" "$("$root/usr/bin/tapefs" --version | head -n 1)"
for s in $scripts; do
	check "script $s in /usr/bin" test -x "$root/usr/bin/$s"
	check "script $s has a man page" test -f "$TOP/man/$s.1"
done
check "tapefs(8) and tapefs.conf(5) exist" test -f "$TOP/man/tapefs.8" -a -f "$TOP/man/tapefs.conf.5"

# man pages: in manN by their suffix, rendered by man(1) without a warning
render() { # FILE: man -l must print the page; groff must not warn
	local out warn
	out=$(MANWIDTH=80 man -l "$1" 2>&1) || return 1
	[ "$(wc -l <<<"$out")" -gt 20 ] || return 1
	warn=$(groff -t -mandoc -Tutf8 -ww -z "$1" 2>&1)
	[ -z "$warn" ] || { echo "$warn"; return 1; }
}
for p in $pages; do
	f=$root/usr/share/man/man${p##*.}/$p
	check "man page $p installed in man${p##*.}" test -f "$f"
	check "man -l $p renders without warnings" render "$f"
	if command -v mandoc >/dev/null; then
		check "mandoc -T lint $p" mandoc -T lint -W warning "$f"
	fi
done
command -v mandoc >/dev/null || echo "# mandoc not installed: lint skipped (scripts/install-deps)"
check "tapefs(8) names the version subcommand and the signals" \
	grep -q "SIGHUP" <(MANWIDTH=80 man -l "$root/usr/share/man/man8/tapefs.8" 2>/dev/null)

# the unit: the installed binary, Type=notify, a clean stop
unit=$root/usr/lib/systemd/system/tapefs@.service
check "tapefs@.service installed" test -f "$unit"
check "unit runs /usr/bin/tapefs -f on /etc/tapefs/%i.ini" \
	grep -qxF 'ExecStart=/usr/bin/tapefs -f -c /etc/tapefs/%i.ini $TAPEFS_OPTIONS ${TAPEFS_MOUNT}' "$unit"
check "unit is Type=notify" grep -qx 'Type=notify' "$unit"
check "unit stops with fusermount3 -u" grep -qxF 'ExecStop=/bin/fusermount3 -u ${TAPEFS_MOUNT}' "$unit"
check "unit has no sandboxing that hides the mount" \
	bash -c "! grep -qE '^(PrivateTmp|ProtectSystem|ProtectHome|PrivateMounts|MountFlags)=' '$unit'"
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$TEST_TMP/unit"
	sed "s|/usr/bin/tapefs|$root/usr/bin/tapefs|" "$unit" >"$TEST_TMP/unit/tapefs@lab.service"
	out=$(systemd-analyze verify --man=no "$TEST_TMP/unit/tapefs@lab.service" 2>&1)
	check_eq "systemd-analyze verify tapefs@lab.service" "" "$out"
else
	echo "# systemd-analyze not installed: unit not verified"
fi

# the example config: tapefs accepts it, it names every documented key
ex=$root/etc/tapefs/example.ini
check "example config in /etc/tapefs" test -f "$ex"
check "tapefs config accepts the example" "$TAPEFS" config -c "$ex"
check_eq "the example is a real library" "changer = mtx" \
	"$("$TAPEFS" config -c "$ex" | grep '^changer')"
keys=$(grep -oE '^\| `[a-z_A-Z]+`' "$TOP/docs/config.md" | tr -d '|` ' | sort -u)
check "docs/config.md lists keys" test "$(wc -w <<<"$keys")" -ge 15
for k in $keys; do
	ik=$k; [ "$k" = driveN ] && ik=drive0
	check "example.ini has $k" grep -qE "^;?$ik = " "$ex"
	[ "$k" = driveN ] && ik='drive Ns Ar N'
	check "tapefs.conf(5) describes $k" grep -qE "^\.It Ic $ik( |$)" "$TOP/man/tapefs.conf.5"
done

# tapefs config: a bad file names its line, usage is exit 2
printf '[tapefs]\ncopies = 1\npools = A\n[library]\ndrive0 = /dev/nst0\nbogus = 1\n' >bad.ini
check_eq "tapefs config names the bad line" \
	"tapefs config: bad.ini:6: unknown key 'bogus' in [library]" "$("$TAPEFS" config -c bad.ini 2>&1)"
"$TAPEFS" config -c bad.ini >/dev/null 2>&1
check_eq "tapefs config of a bad file exits 1" 1 $?
"$TAPEFS" config >/dev/null 2>&1
check_eq "tapefs config without -c exits 2" 2 $?
printf '[tapefs]\ncopies = 1\npools = A\n[library]\ndrive0 = /dev/nst0\n' >good.ini
"$TAPEFS" config -c good.ini >printed.ini
check_eq "tapefs config prints defaults and absolute paths" \
	"catalog = $TEST_TMP/catalog.db|cache_size = 10G|changer = none|tape = st" \
	"$(grep -E '^(catalog|cache_size|changer|tape) =' printed.ini | paste -sd'|')"
check "what tapefs config prints is a valid config" "$TAPEFS" config -c printed.ini

# completion: subcommands, options, the scripts' options from their --help
comp=$root/usr/share/bash-completion/completions
check "completion for tapefs" test -f "$comp/tapefs"
for s in $scripts; do
	check "completion link for $s" test "$(readlink "$comp/$s")" = tapefs
done
complete_words() { # WORD... : what completing the last word offers
	PATH=$root/usr/bin:$PATH bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		f=$(complete -p "$1" | sed -E "s/.*-F ([^ ]+) .*/\1/")
		$f "$1"; printf "%s\n" "${COMPREPLY[@]}" | sort | paste -sd" "' _ "$comp/tapefs" "$@"
}
check_eq "tapefs <TAB>: subcommands" "adopt config export fsck mkvlib rebuild version vtape" "$(complete_words tapefs '' | tr ' ' '\n' | grep -vx -e root -e unit | paste -sd' ')"
check_eq "tapefs fsck --<TAB>" "--help --repair" "$(complete_words tapefs fsck --)"
check_eq "tapefs export --format <TAB>" "csv jsonl" "$(complete_words tapefs export --format '')"
check_eq "tapefs vtape inject IMG <TAB>" "clear flip protect unreadable write-fail" \
	"$(complete_words tapefs vtape inject img '')"
check_eq "tapefs -o allow_other,def<TAB>" "allow_other,default_permissions" \
	"$(complete_words tapefs -o allow_other,def)"
check "tapefs-import --<TAB> offers --mount" grep -qw -- --mount <<<"$(complete_words tapefs-import --)"

# ---- an existing example config is kept --------------------------------------
echo "; changed by the operator" >>"$ex"
check "make install again" mk install
check "install kept the operator's example.ini" grep -q "changed by the operator" "$ex"
check "make uninstall" mk uninstall
check_eq "uninstall kept the changed example.ini, removed the rest" "$ex" \
	"$(find "$root" ! -type d)"

# ---- uninstall removes exactly what install put ------------------------------
rm -f "$ex"
check "make install (fresh)" mk install
n=$(find "$root" ! -type d | wc -l)
check "install put files" test "$n" -ge $((6 + 3 * $(wc -w <<<"$scripts")))
check "make uninstall (fresh)" mk uninstall
check_eq "nothing left after uninstall" "" "$(find "$root" ! -type d)"
check "/etc/tapefs removed" test ! -e "$root/etc/tapefs"
