# tests/t_install_deb.sh - `make deb` builds a Debian package (debian/,
# dpkg-buildpackage -b -us -uc in a copy of the tree) whose contents are
# what `make install PREFIX=/usr` lays out, whose control fields name the
# runtime dependencies, and whose binary runs. Skipped, saying so, where
# debhelper is not installed (scripts/install-deps installs it).
. "$TOP/tests/lib.sh"

if ! command -v dh >/dev/null || ! command -v dpkg-buildpackage >/dev/null; then
	echo "# SKIP: debhelper or dpkg-dev not installed (scripts/install-deps installs them)"
	exit 0
fi
version=$(cat "$TOP/VERSION")
out=$BUILD/deb
flags=$(cat "$BUILD/.flags")
# the package build is a make of its own: none of this make's variables
check "make deb" env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	make -s -C "$TOP" BUILD="$BUILD" deb
check_eq "make deb left this build alone (its flags stamp)" "$flags" "$(cat "$BUILD/.flags")"
deb=$out/tapefs_${version}_$(dpkg --print-architecture).deb
check "make deb made $(basename "$deb")" test -f "$deb"
[ -f "$deb" ] || { tail -n 30 "$out/build.log"; exit 1; }

echo "# dpkg-deb -c $(basename "$deb"):"
dpkg-deb -c "$deb" | sed 's/^/#   /'
list=$(dpkg-deb -c "$deb" | awk '{ print $6 }')
want=(./usr/bin/tapefs ./usr/lib/systemd/system/tapefs@.service
	./usr/share/bash-completion/completions/tapefs ./etc/tapefs/example.ini
	./usr/share/doc/tapefs/README.md.gz)
for s in $(cd "$TOP/scripts" && ls tapefs-*); do
	want+=("./usr/bin/$s" "./usr/share/bash-completion/completions/$s")
done
for p in $(cd "$TOP/man" && ls); do
	want+=("./usr/share/man/man${p##*.}/$p.gz")
done
for w in "${want[@]}"; do
	check "package holds $w" grep -qxF "$w" <<<"$list"
done
check_eq "nothing under /usr/local" "" "$(grep '^./usr/local' <<<"$list")"

field() { dpkg-deb -f "$deb" "$1"; }
check_eq "package version is VERSION" "$version" "$(field Version)"
for dep in fuse3 attr 'libfuse3-3' 'libsqlite3-0' 'libpq5' 'libarchive13' 'libinih1' 'libssl3' 'libxxhash0'; do
	check "Depends names $dep" grep -qE "(^|, )$dep( |,|$)" <<<"$(field Depends)"
done
check_eq "Recommends mt-st and mtx" "mt-st, mtx" "$(field Recommends)"
check_eq "the example config is a conffile" "/etc/tapefs/example.ini" \
	"$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)"

# the package runs: its binary, its config check, its man pages
x=$TEST_TMP/x
dpkg-deb -x "$deb" "$x"
check_eq "packaged tapefs --version" "tapefs $version" "$("$x/usr/bin/tapefs" --version | head -n 1)"
check "packaged tapefs accepts the packaged example" \
	"$x/usr/bin/tapefs" config -c "$x/etc/tapefs/example.ini"
check "packaged tapefs(8) renders" grep -q "tapefs.conf(5)" \
	<(MANWIDTH=80 man -l "$x/usr/share/man/man8/tapefs.8.gz" 2>/dev/null)
check_eq "the unit runs the packaged binary" "ExecStart=/usr/bin/tapefs" \
	"$(grep -o '^ExecStart=[^ ]*' "$x/usr/lib/systemd/system/tapefs@.service")"
# it installs: apt resolves its dependencies (simulated, nothing changes)
check "apt-get install -s the package" apt-get install -s -q "$deb"
