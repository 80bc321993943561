"""barge.util.tarlayer on a real filesystem: unpacking layers in overlayfs
form, path safety, corrupt input, and writing layers and trees back."""
from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import os
import socket
import stat
import sys
import tarfile
from pathlib import Path

import pytest

from barge.errdefs import InvalidParameter, System
from barge.util.tarlayer import LayerApplyResult, apply_layer, write_layer_from_upper, write_tree
from barge.util.tarread import HashingInput, TarReader

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (mknod, chown, trusted.* xattrs)")

OPAQUE = "trusted.overlay.opaque"
T0 = 1_600_000_000


# --- helpers ------------------------------------------------------------------

def info(name: str, kind: bytes = tarfile.REGTYPE, **attrs: object) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mtime = T0
    ti.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    for key, value in attrs.items():
        setattr(ti, key, value)
    return ti


def reg(name: str, data: bytes = b"", **attrs: object) -> tuple[tarfile.TarInfo, bytes]:
    return info(name, tarfile.REGTYPE, size=len(data), **attrs), data


def make_tar(*entries: tarfile.TarInfo | tuple[tarfile.TarInfo, bytes],
             fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for entry in entries:
            if isinstance(entry, tuple):
                tar.addfile(entry[0], io.BytesIO(entry[1]))
            else:
                tar.addfile(entry)
    return buf.getvalue()


def apply(data: bytes, dest: Path) -> LayerApplyResult:
    dest.mkdir(exist_ok=True)
    return apply_layer(io.BytesIO(data), str(dest))


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_names(data: bytes) -> list[str]:
    return [hdr.name for hdr in TarReader(HashingInput(io.BytesIO(data)))]


def all_paths(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    path = tmp_path / "dest"
    path.mkdir()
    return path


# --- unpacking: file types and metadata ---------------------------------------

def test_regular_files_dirs_and_metadata(dest: Path) -> None:
    data = make_tar(
        info("bin", tarfile.DIRTYPE, mode=0o750, uid=10, gid=20, mtime=T0 + 5),
        reg("bin/sh", b"#!/bin/sh\n", mode=0o4755, uid=1000, gid=1001, mtime=T0 + 1),
        reg("tmp/sticky", b"x", mode=0o1777),
        reg("bin/empty"),
    )
    result = apply(data, dest)
    assert result.size == len(b"#!/bin/sh\n") + 1
    assert result.diff_id == sha(data)
    sh = os.lstat(dest / "bin/sh")
    assert (dest / "bin/sh").read_bytes() == b"#!/bin/sh\n"
    assert stat.S_IMODE(sh.st_mode) == 0o4755
    assert (sh.st_uid, sh.st_gid, sh.st_mtime) == (1000, 1001, T0 + 1)
    assert stat.S_IMODE(os.lstat(dest / "tmp/sticky").st_mode) == 0o1777
    bindir = os.lstat(dest / "bin")
    # Set after bin/sh and bin/empty were written into it.
    assert (stat.S_IMODE(bindir.st_mode), bindir.st_uid, bindir.st_gid) == (0o750, 10, 20)
    assert bindir.st_mtime == T0 + 5
    assert stat.S_IMODE(os.lstat(dest / "tmp").st_mode) == 0o755  # implicit parent


def test_symlinks_are_data_and_keep_owner_and_time(dest: Path) -> None:
    data = make_tar(
        info("etc-link", tarfile.SYMTYPE, linkname="/etc", uid=5, gid=6, mtime=T0 + 9),
        info("rel", tarfile.SYMTYPE, linkname="../../../../x"),
    )
    apply(data, dest)
    st = os.lstat(dest / "etc-link")
    assert stat.S_ISLNK(st.st_mode)
    assert os.readlink(dest / "etc-link") == "/etc"
    assert (st.st_uid, st.st_gid, st.st_mtime) == (5, 6, T0 + 9)
    assert os.readlink(dest / "rel") == "../../../../x"


def test_hardlinks_share_an_inode(dest: Path) -> None:
    data = make_tar(
        reg("a/file", b"shared", mode=0o600),
        info("b/link", tarfile.LNKTYPE, linkname="a/file"),
        info("c/abs", tarfile.LNKTYPE, linkname="/a/file"),
    )
    result = apply(data, dest)
    assert result.size == 6
    first = os.lstat(dest / "a/file")
    assert os.lstat(dest / "b/link").st_ino == first.st_ino
    assert os.lstat(dest / "c/abs").st_ino == first.st_ino
    assert first.st_nlink == 3


def test_device_nodes_and_fifos(dest: Path) -> None:
    data = make_tar(
        info("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666),
        info("dev/loop9", tarfile.BLKTYPE, devmajor=7, devminor=9, mode=0o660, gid=6),
        info("run/fifo", tarfile.FIFOTYPE, mode=0o620),
    )
    apply(data, dest)
    null = os.lstat(dest / "dev/null")
    assert stat.S_ISCHR(null.st_mode) and null.st_rdev == os.makedev(1, 3)
    assert stat.S_IMODE(null.st_mode) == 0o666
    loop = os.lstat(dest / "dev/loop9")
    assert stat.S_ISBLK(loop.st_mode) and loop.st_rdev == os.makedev(7, 9)
    assert loop.st_gid == 6
    fifo = os.lstat(dest / "run/fifo")
    assert stat.S_ISFIFO(fifo.st_mode) and stat.S_IMODE(fifo.st_mode) == 0o620


def test_pax_xattrs_are_applied_but_overlay_ones_dropped(dest: Path) -> None:
    data = make_tar(
        reg("f", b"x", pax_headers={
            "SCHILY.xattr.user.comment": "hello",
            "SCHILY.xattr.trusted.meta": "t",
            "SCHILY.xattr.trusted.overlay.redirect": "/evil",
        }),
        info("d", tarfile.DIRTYPE, pax_headers={"SCHILY.xattr.trusted.dir": "yes"}),
        info("l", tarfile.SYMTYPE, linkname="f", pax_headers={"SCHILY.xattr.trusted.lnk": "1"}),
    )
    apply(data, dest)
    assert os.getxattr(dest / "f", "user.comment") == b"hello"
    assert os.getxattr(dest / "f", "trusted.meta") == b"t"
    assert "trusted.overlay.redirect" not in os.listxattr(dest / "f")
    assert os.getxattr(dest / "d", "trusted.dir") == b"yes"
    assert os.getxattr(dest / "l", "trusted.lnk", follow_symlinks=False) == b"1"
    assert "trusted.lnk" not in os.listxattr(dest / "f")


def test_binary_xattr_value_survives(dest: Path) -> None:
    cap = bytes([1, 0, 0, 2, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    data = make_tar(reg("ping", b"x", pax_headers={
        "SCHILY.xattr.security.capability": cap.decode("utf-8", "surrogateescape")}))
    apply(data, dest)
    assert os.getxattr(dest / "ping", "security.capability") == cap


def test_long_names_in_pax_and_gnu_formats(dest: Path) -> None:
    long_dir = "/".join(["d" * 60] * 4)
    for fmt in (tarfile.PAX_FORMAT, tarfile.GNU_FORMAT):
        target = dest / str(fmt)
        data = make_tar(
            reg(f"{long_dir}/{'f' * 120}", b"deep"),
            info(f"{long_dir}/link", tarfile.SYMTYPE, linkname="t" * 300),
            info(f"{long_dir}/hard", tarfile.LNKTYPE, linkname=f"{long_dir}/{'f' * 120}"),
            fmt=fmt,
        )
        apply(data, target)
        assert (target / long_dir / ("f" * 120)).read_bytes() == b"deep"
        assert os.readlink(target / long_dir / "link") == "t" * 300
        assert (target / long_dir / "hard").read_bytes() == b"deep"


def test_non_utf8_and_ustar_prefix_names(dest: Path) -> None:
    odd = b"caf\xe9".decode("utf-8", "surrogateescape")
    data = make_tar(reg(odd, b"1"), reg("p" * 90 + "/" + "q" * 90, b"2"), fmt=tarfile.USTAR_FORMAT)
    apply(data, dest)
    assert b"caf\xe9" in os.listdir(os.fsencode(dest))
    assert (dest / odd).read_bytes() == b"1"
    assert (dest / ("p" * 90) / ("q" * 90)).read_bytes() == b"2"


def test_pax_mtime_with_nanoseconds(dest: Path) -> None:
    data = make_tar(reg("f", b"", pax_headers={"mtime": "1600000000.123456789"}))
    apply(data, dest)
    assert os.lstat(dest / "f").st_mtime_ns == 1600000000_123456789


def test_root_entry_sets_dest_metadata(dest: Path) -> None:
    data = make_tar(info("./", tarfile.DIRTYPE, mode=0o711, mtime=T0), reg("./a", b"x"))
    apply(data, dest)
    st = os.lstat(dest)
    assert stat.S_IMODE(st.st_mode) == 0o711 and st.st_mtime == T0
    assert (dest / "a").read_bytes() == b"x"


def test_global_pax_headers_are_ignored(dest: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT,
                      pax_headers={"comment": "git archive"}) as tar:
        ti, data = reg("a", b"x")
        tar.addfile(ti, io.BytesIO(data))
    apply(buf.getvalue(), dest)
    assert all_paths(dest) == {"a"}


# --- unpacking: replacing entries --------------------------------------------

def test_later_entries_replace_earlier_ones_of_other_types(dest: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    data = make_tar(
        reg("a", b"file"),
        info("a", tarfile.DIRTYPE),
        reg("a/child", b"c"),
        info("b", tarfile.DIRTYPE),
        reg("b/x", b"x"),
        reg("b", b"now a file"),
        info("c", tarfile.SYMTYPE, linkname=str(outside / "victim")),
        reg("c", b"replaces the link"),
        reg("d", b"old"),
        reg("d", b"new"),
        info("e", tarfile.DIRTYPE, mode=0o700),
        reg("e/keep", b"k"),
        info("e", tarfile.DIRTYPE, mode=0o755),
    )
    apply(data, dest)
    assert (dest / "a/child").read_bytes() == b"c"
    assert (dest / "b").read_bytes() == b"now a file"
    assert not os.path.islink(dest / "c") and (dest / "c").read_bytes() == b"replaces the link"
    assert not (outside / "victim").exists()
    assert (dest / "d").read_bytes() == b"new"
    assert (dest / "e/keep").exists() and stat.S_IMODE(os.lstat(dest / "e").st_mode) == 0o755


# --- unpacking: whiteouts -----------------------------------------------------

def is_whiteout(path: Path) -> bool:
    st = os.lstat(path)
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def test_whiteouts_become_char_devices(dest: Path) -> None:
    data = make_tar(
        info("etc", tarfile.DIRTYPE),
        info("etc/.wh.passwd", uid=3, gid=4),
        info(".wh.top"),
        info("new/dir/.wh.gone"),
    )
    result = apply(data, dest)
    assert result.size == 0
    assert is_whiteout(dest / "etc/passwd")
    assert os.lstat(dest / "etc/passwd").st_uid == 3
    assert is_whiteout(dest / "top")
    assert is_whiteout(dest / "new/dir/gone")
    assert not any(".wh." in p for p in all_paths(dest))


def test_opaque_marker_becomes_xattr(dest: Path) -> None:
    data = make_tar(
        info("a", tarfile.DIRTYPE),
        info("a/.wh..wh..opq"),
        reg("a/b", b"x"),
        info("c/.wh..wh..opq"),  # before its directory, as the spec allows
        info("c", tarfile.DIRTYPE, mode=0o700),
    )
    apply(data, dest)
    assert os.getxattr(dest / "a", OPAQUE) == b"y"
    assert os.getxattr(dest / "c", OPAQUE) == b"y"
    assert stat.S_IMODE(os.lstat(dest / "c").st_mode) == 0o700
    assert all_paths(dest) == {"a", "a/b", "c"}


def test_whiteout_and_directory_of_one_name_in_one_layer(dest: Path) -> None:
    data = make_tar(
        info("x/.wh.d1"),
        info("x/d1", tarfile.DIRTYPE),
        info("x/d2", tarfile.DIRTYPE),
        info("x/.wh.d2"),
        reg("x/f"),
        info("x/.wh.f"),
    )
    apply(data, dest)
    # Both directories replace a lower one, so neither may merge with it.
    assert os.getxattr(dest / "x/d1", OPAQUE) == b"y"
    assert os.getxattr(dest / "x/d2", OPAQUE) == b"y"
    assert stat.S_ISREG(os.lstat(dest / "x/f").st_mode)


def test_aufs_metadata_is_skipped(dest: Path) -> None:
    data = make_tar(
        info(".wh..wh.plnk", tarfile.DIRTYPE),
        reg(".wh..wh.plnk/123.456", b"x"),
        info("a/.wh..wh.aufs"),
        reg("a/real"),
    )
    apply(data, dest)
    assert all_paths(dest) == {"a", "a/real"}


def test_whiteout_without_a_name_is_rejected(dest: Path) -> None:
    with pytest.raises(InvalidParameter, match="whiteout"):
        apply(make_tar(info("a/.wh.")), dest)


# --- unpacking: compression and digests ---------------------------------------

def test_gzip_layer_and_diff_id_of_uncompressed_bytes(dest: Path) -> None:
    raw = make_tar(reg("a", b"abc" * 1000), reg("b", os.urandom(70000)))
    result = apply(gzip.compress(raw), dest)
    assert result.diff_id == sha(raw)
    assert result.size == 3000 + 70000
    assert (dest / "a").read_bytes() == b"abc" * 1000


def test_diff_id_covers_trailing_padding(dest: Path) -> None:
    raw = make_tar(reg("a", b"x")) + bytes(4096)
    assert apply(raw, dest).diff_id == sha(raw)


def test_multi_member_gzip(dest: Path) -> None:
    raw = make_tar(reg("a", b"x" * 5000))
    compressed = gzip.compress(raw[:2048]) + gzip.compress(raw[2048:])
    assert apply(compressed, dest).diff_id == sha(raw)


def test_xz_and_bzip2_layers(tmp_path: Path) -> None:
    raw = make_tar(reg("a", b"x"))
    assert apply(lzma.compress(raw), tmp_path / "xz").diff_id == sha(raw)
    assert apply(bz2.compress(raw), tmp_path / "bz2").diff_id == sha(raw)
    assert (tmp_path / "bz2/a").read_bytes() == b"x"


def test_plain_tar_whose_first_name_starts_like_bzip2(dest: Path) -> None:
    raw = make_tar(reg("BZh9-notes", b"x"))
    assert apply(raw, dest).diff_id == sha(raw)


def test_zstd_layer(dest: Path) -> None:
    zstandard = pytest.importorskip("zstandard")
    raw = make_tar(reg("a", b"z" * 3000))
    result = apply(zstandard.ZstdCompressor().compress(raw), dest)
    assert result.diff_id == sha(raw)
    assert (dest / "a").read_bytes() == b"z" * 3000


def test_zstd_without_the_package(dest: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "zstandard", None)
    with pytest.raises(InvalidParameter, match="zstandard package"):
        apply(b"\x28\xb5\x2f\xfd" + bytes(20), dest)


def test_empty_stream_is_an_empty_layer(dest: Path) -> None:
    result = apply(b"", dest)
    assert (result.size, result.diff_id) == (0, sha(b""))


# --- unpacking: path safety ---------------------------------------------------

def test_dotdot_escape_is_rejected(tmp_path: Path, dest: Path) -> None:
    for name in ("../x", "a/../../x", "/../x"):
        with pytest.raises(InvalidParameter, match="escapes"):
            apply(make_tar(reg(name, b"pwned")), dest)
    assert not (tmp_path / "x").exists()


def test_error_names_the_entry(dest: Path) -> None:
    with pytest.raises(InvalidParameter, match=r"'\.\./evil'"):
        apply(make_tar(reg("../evil", b"pwned")), dest)


def test_absolute_names_are_relative_to_dest(dest: Path) -> None:
    apply(make_tar(reg("/abs/file", b"x"), info("/abs/l", tarfile.LNKTYPE, linkname="/abs/file")), dest)
    assert (dest / "abs/file").read_bytes() == b"x"
    assert os.lstat(dest / "abs/l").st_ino == os.lstat(dest / "abs/file").st_ino


@pytest.mark.parametrize("link", ["ABS", "../../../../../ABS"])
def test_writing_through_a_symlink_to_a_missing_dir_is_refused(tmp_path: Path, dest: Path, link: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    data = make_tar(info("evil", tarfile.SYMTYPE, linkname=link.replace("ABS", str(outside))),
                    reg("evil/passwd", b"pwned"))
    with pytest.raises(InvalidParameter, match="symbolic link"):
        apply(data, dest)
    assert list(outside.iterdir()) == []


def test_writing_through_a_symlink_stays_inside(tmp_path: Path, dest: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    inside_path = str(outside).lstrip("/")
    data = make_tar(
        info(inside_path, tarfile.DIRTYPE),
        info("evil", tarfile.SYMTYPE, linkname=str(outside)),
        reg("evil/passwd", b"pwned"),
        info("rel", tarfile.SYMTYPE, linkname="../../../../../" + str(outside)),
        reg("rel/shadow", b"pwned"),
        info("rel2", tarfile.SYMTYPE, linkname="../../.."),
        info("rel2/sub", tarfile.DIRTYPE),
    )
    apply(data, dest)
    assert list(outside.iterdir()) == []
    assert not (tmp_path / "sub").exists()
    # Resolved as if dest were "/", the way a chroot would.
    inside = dest / inside_path
    assert (inside / "passwd").read_bytes() == b"pwned"
    assert (inside / "shadow").read_bytes() == b"pwned"
    assert (dest / "sub").is_dir()
    assert os.path.islink(dest / "evil")


def test_symlink_loops_are_rejected(dest: Path) -> None:
    data = make_tar(info("a", tarfile.SYMTYPE, linkname="b"),
                    info("b", tarfile.SYMTYPE, linkname="a"), reg("a/x"))
    with pytest.raises(InvalidParameter, match="symbolic links"):
        apply(data, dest)


def test_writing_below_a_file_is_rejected(dest: Path) -> None:
    with pytest.raises(InvalidParameter, match="not a directory"):
        apply(make_tar(reg("f"), reg("f/x")), dest)


def test_hardlink_escapes_are_rejected(tmp_path: Path, dest: Path) -> None:
    with pytest.raises(InvalidParameter, match="escapes"):
        apply(make_tar(info("passwd", tarfile.LNKTYPE, linkname="../../etc/passwd")), dest)
    assert not (dest / "passwd").exists()
    secret = tmp_path / "secret"
    secret.write_bytes(b"host")
    data = make_tar(info("evil", tarfile.SYMTYPE, linkname=str(tmp_path)),
                    info("stolen", tarfile.LNKTYPE, linkname="evil/secret"))
    with pytest.raises(InvalidParameter, match="hardlink"):
        apply(data, dest)
    assert os.lstat(secret).st_nlink == 1
    assert not (dest / "stolen").exists()


def test_hardlink_to_missing_target_is_rejected(dest: Path) -> None:
    with pytest.raises(InvalidParameter, match="hardlink"):
        apply(make_tar(info("l", tarfile.LNKTYPE, linkname="nope")), dest)


def test_hardlink_to_a_symlink_links_the_symlink(tmp_path: Path, dest: Path) -> None:
    data = make_tar(info("s", tarfile.SYMTYPE, linkname=str(tmp_path / "host")),
                    info("h", tarfile.LNKTYPE, linkname="s"))
    apply(data, dest)
    assert os.path.islink(dest / "h") and os.lstat(dest / "h").st_ino == os.lstat(dest / "s").st_ino


# --- unpacking: corrupt input --------------------------------------------------

def test_garbage_is_rejected(dest: Path) -> None:
    with pytest.raises(InvalidParameter, match="invalid tar header"):
        apply(b"this is not a tar file" * 100, dest)


@pytest.mark.parametrize("cut", [100, 512 + 300, 512 * 2 + 10, 512 * 3 + 200])
def test_truncated_tar_is_rejected(dest: Path, cut: int) -> None:
    raw = make_tar(reg("a", b"x" * 600), reg("b", b"y" * 10), fmt=tarfile.GNU_FORMAT)
    with pytest.raises(InvalidParameter, match="unexpected EOF"):
        apply(raw[:cut], dest)


def test_tar_ending_on_an_entry_boundary_without_end_blocks_is_accepted(dest: Path) -> None:
    raw = make_tar(reg("a", b"x"), fmt=tarfile.GNU_FORMAT)[:1024]  # as Go's reader allows
    assert apply(raw, dest).diff_id == sha(raw)
    assert (dest / "a").read_bytes() == b"x"


def test_extended_header_with_no_entry_is_rejected(dest: Path) -> None:
    raw = make_tar(reg("x" * 200, b"data"))
    with pytest.raises(InvalidParameter, match="unexpected EOF"):
        apply(raw[:1024] + bytes(1024), dest)


def test_truncated_inside_pax_header_is_rejected(dest: Path) -> None:
    raw = make_tar(reg("x" * 200, b"data"))
    with pytest.raises(InvalidParameter, match="unexpected EOF"):
        apply(raw[:512], dest)


def test_corrupt_header_after_the_first_is_rejected(dest: Path) -> None:
    raw = bytearray(make_tar(reg("a", b"x"), reg("b", b"y"), fmt=tarfile.GNU_FORMAT))
    raw[1024 + 10] ^= 0xFF  # inside the second header's name
    with pytest.raises(InvalidParameter, match="invalid tar header"):
        apply(bytes(raw), dest)


def test_truncated_gzip_is_rejected(dest: Path) -> None:
    compressed = gzip.compress(make_tar(reg("a", os.urandom(5000))))
    with pytest.raises(InvalidParameter):
        apply(compressed[: len(compressed) // 2], dest)


def test_corrupt_gzip_is_rejected(dest: Path) -> None:
    compressed = bytearray(gzip.compress(make_tar(reg("a", b"x" * 5000))))
    compressed[-6] ^= 0xFF  # the CRC
    with pytest.raises(InvalidParameter, match="gzip"):
        apply(bytes(compressed), dest)


def test_bad_pax_record_is_rejected(dest: Path) -> None:
    raw = bytearray(make_tar(reg("x" * 200, b"data")))
    body = raw[512:1024]
    raw[512:1024] = body.replace(b"path=", b"path ", 1)
    with pytest.raises(InvalidParameter, match="PAX"):
        apply(bytes(raw), dest)


def test_sparse_entries_are_rejected(dest: Path) -> None:
    with pytest.raises(InvalidParameter, match="sparse|unsupported"):
        apply(make_tar(info("s", b"S")), dest)


# --- writing ------------------------------------------------------------------

def set_time(path: Path, when: int = T0) -> None:
    os.utime(path, (when, when), follow_symlinks=False)


def build_upper(upper: Path, outside: Path) -> None:
    """An overlay upper dir with one of everything."""
    (upper / "bin").mkdir(parents=True)
    (upper / "bin/sh").write_bytes(b"#!shell")
    os.chmod(upper / "bin/sh", 0o4755)
    os.chown(upper / "bin/sh", 1000, 1001)
    os.link(upper / "bin/sh", upper / "bin/ash")
    (upper / "bin/link").symlink_to(outside)
    os.chown(upper / "bin/link", 7, 8, follow_symlinks=False)
    (upper / "etc").mkdir()
    (upper / "etc/conf").write_bytes(b"k=v\n" * 10000)
    os.setxattr(upper / "etc/conf", "user.note", b"\x00\xffbin")
    os.setxattr(upper / "etc/conf", "trusted.overlay.origin", b"lower-fh")
    os.mknod(upper / "etc/gone", stat.S_IFCHR, 0)
    os.link(upper / "etc/gone", upper / "etc/gone-too")  # as kernels share whiteout inodes
    (upper / "opaque").mkdir(mode=0o700)
    os.chmod(upper / "opaque", 0o700)
    os.setxattr(upper / "opaque", OPAQUE, b"y")
    (upper / "opaque/new").write_bytes(b"n")
    os.mknod(upper / "dev-null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    os.mknod(upper / "loop", stat.S_IFBLK | 0o660, os.makedev(7, 1))
    os.mkfifo(upper / "fifo", 0o644)
    os.chmod(upper / "fifo", 0o644)
    (upper / ("long" * 40)).write_bytes(b"L")
    (upper / b"caf\xe9".decode("utf-8", "surrogateescape")).write_bytes(b"latin-1 name")
    for path in sorted(upper.rglob("*"), key=lambda p: -len(p.parts)):
        set_time(path, T0 + len(path.parts))


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Everything a layer carries, per path, plus which paths share inodes."""
    out: dict[str, tuple[object, ...]] = {}
    inodes: dict[int, list[str]] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
            inodes.setdefault(st.st_ino, []).append(rel)
        whiteout = stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
        content = path.read_bytes() if stat.S_ISREG(st.st_mode) else (
            os.readlink(path) if stat.S_ISLNK(st.st_mode) else None)
        xattrs = {k: os.getxattr(path, k, follow_symlinks=False)
                  for k in os.listxattr(path, follow_symlinks=False)
                  if not k.startswith("trusted.overlay.") or k == OPAQUE}
        out[rel] = (st.st_mode, st.st_uid, st.st_gid, st.st_rdev,
                    None if whiteout else st.st_mtime, content, xattrs)
    out["<hardlinks>"] = tuple(sorted(tuple(v) for v in inodes.values()))
    return out


def test_round_trip_upper_to_layer_and_back(tmp_path: Path) -> None:
    upper = tmp_path / "upper"
    build_upper(upper, tmp_path / "outside")
    out = io.BytesIO()
    diff_id = write_layer_from_upper(str(upper), out)
    layer = out.getvalue()
    assert diff_id == sha(layer)
    names = tar_names(layer)
    assert "etc/.wh.gone" in names and "etc/.wh.gone-too" in names
    assert names[names.index("opaque/") + 1] == "opaque/.wh..wh..opq"
    assert all(not n.startswith(("./", "/")) for n in names)

    dest = tmp_path / "dest"
    result = apply(layer, dest)
    assert result.diff_id == diff_id
    assert snapshot(dest) == snapshot(upper)
    assert "trusted.overlay.origin" not in os.listxattr(dest / "etc/conf")


def test_layer_entries_and_their_headers(tmp_path: Path) -> None:
    upper = tmp_path / "upper"
    build_upper(upper, tmp_path / "outside")
    out = io.BytesIO()
    write_layer_from_upper(str(upper), out)
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert tar_names(out.getvalue())[:3] == ["bin/", "bin/ash", "bin/link"]
    assert members["bin/sh"].type == tarfile.LNKTYPE and members["bin/sh"].linkname == "bin/ash"
    assert members["bin/link"].linkname == str(tmp_path / "outside")
    whiteout = members["etc/.wh.gone"]
    assert (whiteout.type, whiteout.size, whiteout.mode) == (tarfile.REGTYPE, 0, 0o600)
    opq = members["opaque/.wh..wh..opq"]
    assert (opq.type, opq.mode) == (tarfile.REGTYPE, 0o700)
    assert "SCHILY.xattr.trusted.overlay.opaque" not in members["opaque"].pax_headers
    assert members["dev-null"].devmajor == 1 and members["dev-null"].devminor == 3
    assert members["etc/conf"].pax_headers["SCHILY.xattr.user.note"].encode(
        "utf-8", "surrogateescape") == b"\x00\xffbin"
    assert "long" * 40 in members


def test_layer_output_is_deterministic(tmp_path: Path) -> None:
    upper = tmp_path / "upper"
    build_upper(upper, tmp_path / "outside")
    first, second = io.BytesIO(), io.BytesIO()
    assert write_layer_from_upper(str(upper), first) == write_layer_from_upper(str(upper), second)
    assert first.getvalue() == second.getvalue()


def test_upper_with_redirect_dirs_is_refused(tmp_path: Path) -> None:
    upper = tmp_path / "upper"
    (upper / "moved").mkdir(parents=True)
    os.setxattr(upper / "moved", "trusted.overlay.redirect", b"/orig")
    with pytest.raises(System, match="redirect"):
        write_layer_from_upper(str(upper), io.BytesIO())


def test_empty_upper_is_an_empty_layer(tmp_path: Path) -> None:
    out = io.BytesIO()
    diff_id = write_layer_from_upper(str(tmp_path), out)
    assert tar_names(out.getvalue()) == [] and diff_id == sha(out.getvalue())


def test_write_tree_keeps_devices_and_never_follows_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    (root / "dev").mkdir(parents=True)
    os.mknod(root / "dev/wh", stat.S_IFCHR, 0)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"host-secret")
    (root / "escape").symlink_to(outside)
    (root / "etc").mkdir()
    (root / "etc/hosts").write_bytes(b"127.0.0.1 localhost\n")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock"))
    sock.close()
    out = io.BytesIO()
    write_tree(str(root), out)
    assert tar_names(out.getvalue()) == ["dev/", "dev/wh", "escape", "etc/", "etc/hosts"]
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        assert tar.getmember("dev/wh").ischr()
        assert tar.getmember("escape").issym()
    assert b"host-secret" not in out.getvalue()

    dest = tmp_path / "copy"
    apply(out.getvalue(), dest)
    assert (dest / "etc/hosts").read_bytes() == b"127.0.0.1 localhost\n"
    assert is_whiteout(dest / "dev/wh")


def test_write_tree_to_an_unwritable_sink_is_a_system_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x")
    with open(os.devnull, "rb") as sink, pytest.raises(System):
        write_tree(str(tmp_path), sink)
