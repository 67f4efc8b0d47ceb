#!/usr/bin/env python3
"""tests/mk_foreign.py - foreign tape layouts for t_adopt.sh, as files of
records to put on a vtape with `tapefs vtape import` (one tape file each):

  mk_foreign.py papertape OUTDIR SRC   OUTDIR/p0 (file 0: the catalog in
      NUL-padded 32 KiB records, with NULs inside too, as dd's conv=sync
      pads short reads), OUTDIR/p1, p2 (each a tar of a file list and an
      inner tar paper.4242.N.tar of members paper.4242.N/host1:/PATH);
      the catalog names every file of SRC with its MD5 but one whose MD5
      is wrong, and one item that no archive holds
  mk_foreign.py hostile OUT            a tar of ../ and absolute names,
      symlinks out of the tree, a ".." in the middle, and last a member
      declaring 1 GiB whose data stops after 100 KiB (no end blocks)
"""
import hashlib, io, os, sys, tarfile

REC = 10240


def pad(data, rec=REC):
    return data + b"\0" * (-len(data) % rec)


def tar_bytes(members):
    """members: (name, bytes or ('sym', target) or ('dir',))"""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, what in members:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            if isinstance(what, tuple) and what[0] == "sym":
                ti.type, ti.linkname = tarfile.SYMTYPE, what[1]
                t.addfile(ti)
            elif isinstance(what, tuple):
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                t.addfile(ti)
            else:
                ti.size, ti.mode = len(what), 0o644
                t.addfile(ti, io.BytesIO(what))
    return pad(buf.getvalue())


def papertape(out, src):
    files = []
    for root, _, names in sorted(os.walk(src)):
        for n in sorted(names):
            p = os.path.join(root, n)
            files.append(("/data/" + os.path.relpath(p, src), open(p, "rb").read()))
    half = (len(files) + 1) // 2
    groups = [files[:half], files[half:]]
    lines = ["## papertape catalog", "## host1 tape PAPER01", "## item:tape:archive:md5:host:/path"]
    item = 0
    for idx, group in enumerate(groups, 1):
        inner = [("paper.4242.%d/" % idx, ("dir",))]
        listing = []
        for path, data in group:
            item += 1
            md5 = hashlib.md5(data).hexdigest()
            if item == 2:
                md5 = "0" * 32  # the catalog's MD5 is wrong for this one
            lines.append("%d:1:%d:%s:host1:%s" % (item, idx, md5, path))
            inner.append(("paper.4242.%d/host1:%s" % (idx, path), data))
            listing.append("host1:" + path)
        inner_tar = tar_bytes(inner)
        outer = [("paper.4242.%d.list" % idx, ("\n".join(listing) + "\n").encode()),
                 ("paper.4242.%d.tar" % idx, inner_tar)]
        open(os.path.join(out, "p%d" % idx), "wb").write(tar_bytes(outer))
    lines.append("%d:1:2:%s:host1:/data/gone.dat" % (item + 1, "1" * 32))
    text = ("\n".join(lines) + "\n").encode()
    # two short reads padded by conv=sync, then the rest
    blk = 32768
    recs = [text[:50], text[50:120], text[120:]]
    data = b"".join(pad(r, blk) for r in recs)
    open(os.path.join(out, "p0"), "wb").write(data)


def hostile(out):
    members = [
        ("../../evil.txt", b"escaped?\n"),
        ("/tmp/tapefs-adopt-abs.txt", b"absolute\n"),
        ("ok/../../../up.txt", b"dotdot inside\n"),
        ("./ok/plain.txt", b"plain\n"),
        ("ok/passwd", ("sym", "/etc/passwd")),
        ("ok/up", ("sym", "../../../../..")),
    ]
    body = tar_bytes(members)
    body = body[: body.rstrip(b"\0").__len__()]
    body += b"\0" * (-len(body) % 512)
    big = tarfile.TarInfo("ok/huge.bin")
    big.size, big.mtime = 1 << 30, 1700000000
    data = body + big.tobuf(format=tarfile.GNU_FORMAT) + os.urandom(100 * 1024)
    open(out, "wb").write(pad(data))


if __name__ == "__main__":
    if sys.argv[1] == "papertape":
        papertape(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "hostile":
        hostile(sys.argv[2])
    else:
        sys.exit("usage: mk_foreign.py papertape OUTDIR SRC | hostile OUT")
