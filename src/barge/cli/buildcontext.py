"""The build context `docker build` sends with its classic builder
(DOCKER_BUILDKIT=0), made the way docker's CLI makes it:

- a directory: a tar of what .dockerignore keeps (the Dockerfile and
  .dockerignore always go, even when listed), names relative and sorted,
  directories as "dir/", symlinks as symlinks, hard links as links, modes
  kept, owners 0:0 (docker's ChownOpts), no entry for the root;
- `-`: stdin, sent as it is when it starts like a tar (or a compressed
  stream); otherwise it is a Dockerfile, sent as a tar holding only
  "Dockerfile";
- `-f -`, or `-f` naming a file outside the context: the Dockerfile is added
  to the tar as ".dockerfile.<20 hex>", and that name is appended to the
  .dockerignore in the tar (created if missing) so the daemon leaves it out
  of the image.

The tar is produced lazily in chunks (never the whole context in memory),
with Go's archive/tar header layout (USTAR, PAX records only when a field
needs them), ending with two zero blocks. Errors are InvalidParameter
carrying the text docker prints.
"""
from __future__ import annotations

import errno
import os
import stat
import time
TYPE_CHECKING = False   # typing is slow to import; annotations only need it for checkers
if TYPE_CHECKING:
    from typing import BinaryIO, Iterable, Iterator

from barge.errdefs import InvalidParameter
from barge.util.dockerignore import Patterns, read_lines, walk_context

CHUNK = 1 << 20
_BLOCK = 512
_END = bytes(2 * _BLOCK)
DEFAULT_DOCKERFILE = "Dockerfile"
_MAX_LINKS = 255


class BuildContext:
    """`chunks` yields the request body once; `dockerfile` is the `dockerfile`
    query value ("" sends none)."""
    __slots__ = ("chunks", "dockerfile")

    def __init__(self, chunks: Iterable[bytes], dockerfile: str) -> None:
        self.chunks, self.dockerfile = chunks, dockerfile


def prepare(context: str, dockerfile: str, stdin: BinaryIO, compress: bool = False) -> BuildContext:
    """The context for `docker build [-f dockerfile] context` (docker's RunBuild)."""
    if dockerfile == "-" and context == "-":
        raise InvalidParameter("invalid argument: can't use stdin for both build context and dockerfile")
    if context == "-":
        built = from_reader(stdin, dockerfile)
    elif _exists(context):
        built = from_directory(context, dockerfile, stdin)
    elif _is_remote(context):
        raise InvalidParameter(f"unable to prepare context: remote build contexts are not supported: {context}")
    else:
        from barge.spec.gostrconv import go_quote
        raise InvalidParameter(f"unable to prepare context: path {go_quote(context)} not found")
    if compress:
        built.chunks = _gzip(built.chunks)
    return built


def _exists(path: str) -> bool:
    try:
        os.stat(path)
    except (OSError, ValueError):
        return False
    return True


def _is_remote(context: str) -> bool:
    """docker's urlutil.IsGitURL or IsURL."""
    return context.startswith(("http://", "https://", "git://", "github.com/", "git@"))


# ---- stdin ------------------------------------------------------------------

def from_reader(src: BinaryIO, dockerfile: str) -> BuildContext:
    """stdin as the context: a tar (maybe compressed) is sent unchanged,
    anything else is a Dockerfile (docker's GetContextFromReader)."""
    head = src.read(2 * _BLOCK)              # a buffered read: all 1 KiB unless the input ends
    if is_archive(head):
        return BuildContext(_prepend(head, src), dockerfile)
    if dockerfile:
        raise InvalidParameter("unable to prepare context: ambiguous Dockerfile source: "
                               "both stdin and flag correspond to Dockerfiles")
    data = head + src.read()
    umask = os.umask(0)
    os.umask(umask)
    entry = _file_entry(DEFAULT_DOCKERFILE.encode(), data, 0o666 & ~umask, int(time.time()),
                        os.getuid(), os.getgid())
    return BuildContext(iter([entry + _END]), DEFAULT_DOCKERFILE)


def _prepend(head: bytes, src: BinaryIO) -> Iterator[bytes]:
    if head:
        yield head
    while data := src.read(CHUNK):
        yield data


_COMPRESSED_MAGIC = (b"\x1f\x8b\x08", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")
_NUMERIC_FIELDS = ((100, 108), (108, 116), (116, 124), (124, 136), (136, 148))


def is_archive(head: bytes) -> bool:
    """docker's IsArchive on the first 1 KiB: a compressed stream, or a
    first tar entry Go's tar reader reads from it without error."""
    return head.startswith(_COMPRESSED_MAGIC) or _tar_entry_ok(head, 0, 0)


def _tar_entry_ok(head: bytes, off: int, depth: int) -> bool:
    block = head[off:off + _BLOCK]
    if len(block) < _BLOCK or not block.strip(b"\0"):
        return False
    chksum = _tar_number(block[148:156])
    spaced = block[:148] + b" " * 8 + block[156:]
    if chksum not in (sum(spaced), sum(b - 256 if b > 127 else b for b in spaced)):
        return False
    if any(_tar_number(block[a:b]) is None for a, b in _NUMERIC_FIELDS):
        return False
    if block[156:157] in (b"x", b"L", b"K") and depth < 4:
        size = _tar_number(block[124:136]) or 0     # an extension entry: the real header follows it
        return _tar_entry_ok(head, off + _BLOCK + size + (-size % _BLOCK), depth + 1)
    return True


def _tar_number(field: bytes) -> int | None:
    """Go's tar parseNumeric: base-256, or octal trimmed of NULs and spaces; None if bad."""
    if field[:1] and field[0] & 0x80:
        return int.from_bytes(bytes([field[0] & 0x7f]) + field[1:], "big")
    digits = field.strip(b" \0").split(b"\0")[0]
    if not digits:
        return 0
    if digits.strip(b"01234567"):
        return None
    return int(digits, 8)


# ---- a directory ------------------------------------------------------------

def from_directory(context: str, dockerfile: str, stdin: BinaryIO) -> BuildContext:
    """A local directory as the context (docker's GetContextFromLocalDir and
    the tar it makes with TarWithOptions)."""
    root = _context_root(context)
    rel = dockerfile_rel_path(root, os.path.abspath(dockerfile) if dockerfile not in ("", "-") else dockerfile)
    outside = None
    if rel.startswith("../"):
        try:
            outside = open(dockerfile, "rb")
        except OSError as e:
            raise InvalidParameter(f"unable to open Dockerfile: {_os_error('open', dockerfile, e)}") from None
    excludes = read_dockerignore(root)
    try:
        check_context(root, Patterns(excludes))
    except InvalidParameter as e:
        raise InvalidParameter(f"error checking context: {e}") from None
    patterns = Patterns(trim_build_files(excludes, rel, dockerfile == "-"))
    if outside is None and dockerfile != "-":
        return BuildContext(_coalesce(_tree(root, patterns, None)), rel)
    if outside is None:
        content = stdin.read()
    else:
        with outside:
            content = outside.read()
    import secrets
    name = ".dockerfile." + secrets.token_hex(10)
    return BuildContext(_coalesce(_tree(root, patterns, (name, content))), name)


def _context_root(context: str) -> str:
    path = os.path.abspath(context)
    try:
        path = eval_symlinks(path)
    except OSError as e:
        raise InvalidParameter(f"unable to prepare context: unable to evaluate symlinks in context path: {e}") from None
    try:
        st = os.lstat(path)
    except OSError as e:
        from barge.spec.gostrconv import go_quote
        raise InvalidParameter(f"unable to prepare context: unable to stat context directory "
                               f"{go_quote(path)}: {_os_error('lstat', path, e)}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise InvalidParameter(f"unable to prepare context: context must be a directory: {path}")
    return path


def dockerfile_rel_path(root: str, dockerfile: str) -> str:
    """The Dockerfile's path relative to the context root `root` ("../x" when
    outside); `dockerfile` is "" (the default), "-" or absolute."""
    if dockerfile == "-":
        return dockerfile
    path = dockerfile
    if not path:
        path = os.path.join(root, DEFAULT_DOCKERFILE)
        lower = os.path.join(root, DEFAULT_DOCKERFILE.lower())
        if not os.path.lexists(path) and os.path.lexists(lower):
            path = lower
    path = os.path.join(root, path)
    try:
        path = eval_symlinks(path)
    except OSError as e:
        raise InvalidParameter(f"unable to prepare context: unable to evaluate symlinks in Dockerfile path: {e}") \
            from None
    return os.path.relpath(path, root)


def eval_symlinks(path: str) -> str:
    """Go's filepath.EvalSymlinks for an absolute path; an OSError's text is
    Go's ("lstat /a/b: no such file or directory")."""
    parts = [p for p in path.split("/") if p]
    done, links = "/", 0
    while parts:
        part = parts.pop(0)
        if part == ".":
            continue
        if part == "..":
            done = os.path.dirname(done)
            continue
        candidate = os.path.join(done, part)
        try:
            st = os.lstat(candidate)
        except OSError as e:
            raise _GoError(e.errno, _os_error("lstat", candidate, e)) from None
        if not stat.S_ISLNK(st.st_mode):
            if parts and not stat.S_ISDIR(st.st_mode):
                raise _GoError(errno.ENOTDIR, "not a directory")     # Go returns a bare ENOTDIR here
            done = candidate
            continue
        links += 1
        if links > _MAX_LINKS:
            raise _GoError(0, "EvalSymlinks: too many links")
        target = os.readlink(candidate)
        if target.startswith("/"):
            done = "/"
        parts = [p for p in target.split("/") if p] + parts
    return done


class _GoError(OSError):
    """An OSError whose text is Go's message alone."""

    def __str__(self) -> str:
        return self.strerror


def _os_error(op: str, path: str, e: OSError) -> str:
    """A Go *PathError's text: "open /x: permission denied"."""
    return f"{op} {path}: {(e.strerror or str(e)).lower()}"


def read_dockerignore(root: str) -> list[str]:
    """The patterns of the context's .dockerignore ([] without one)."""
    path = os.path.join(root, ".dockerignore")
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return []
    except OSError as e:
        raise InvalidParameter(_os_error("open", path, e)) from None
    with f:
        try:
            data = f.read()
        except OSError as e:
            raise InvalidParameter(f"error reading .dockerignore: {_os_error('read', path, e)}") from None
    return read_lines(data.decode("utf-8", "surrogateescape"))


def check_context(root: str, patterns: Patterns) -> None:
    """docker's ValidateContextDirectory: every file sent can be read."""
    def onerror(rel: str, path: str, e: OSError) -> None:
        if isinstance(e, PermissionError):
            raise InvalidParameter(f"can't stat '{path}'")
        if isinstance(e, FileNotFoundError):
            raise InvalidParameter(f"file ('{path}') not found or excluded by .dockerignore")
        raise InvalidParameter(_os_error("lstat", path, e))

    for _, path, st in walk_context(root, patterns, onerror):
        if stat.S_ISREG(st.st_mode) and not os.access(path, os.R_OK):
            raise InvalidParameter(f"no permission to read from '{path}'")


def trim_build_files(excludes: list[str], dockerfile: str, dockerfile_from_stdin: bool) -> list[str]:
    """docker's TrimBuildFilesFromExcludes: exceptions that keep .dockerignore
    and the Dockerfile in the tar (the daemon drops them from the build)."""
    matcher = Patterns(excludes)
    out = list(excludes)
    if matcher.legacy_matches(".dockerignore"):
        out.append("!.dockerignore")
    if not dockerfile_from_stdin and matcher.legacy_matches(dockerfile):
        out.append("!" + dockerfile)
    return out


# ---- the tar ----------------------------------------------------------------

def _tree(root: str, patterns: Patterns, added: tuple[str, bytes] | None) -> Iterator[bytes]:
    """The context tar's pieces; `added` is (name, content) of a Dockerfile
    to append, which also goes into .dockerignore."""
    inodes: dict[int, bytes] = {}
    ignore_done = added is None
    now = int(time.time())
    for rel, path, st in walk_context(root, patterns):
        if not ignore_done and rel == ".dockerignore" and stat.S_ISREG(st.st_mode):
            ignore_done = True
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            yield _file_entry(b".dockerignore", data + f"\n{added[0]}\n".encode(), stat.S_IMODE(st.st_mode),
                              st.st_mtime_ns // 1_000_000_000, 0, 0)
            continue
        yield from _entry(rel, path, st, inodes)
    if added is not None:
        yield _file_entry(added[0].encode(), added[1], 0o600, now, 0, 0)
        if not ignore_done:
            yield _file_entry(b".dockerignore", f".dockerignore\n{added[0]}\n".encode(), 0o600, now, 0, 0)
    yield _END


def _entry(rel: str, path: str, st: os.stat_result, inodes: dict[int, bytes]) -> Iterator[bytes]:
    """One walked entry as moby's addTarFile writes it (owner 0:0)."""
    mode = st.st_mode
    name = os.fsencode(rel)
    kind = _TYPEFLAGS.get(stat.S_IFMT(mode))
    if kind is None:                         # sockets: Go's tar can't, docker skips them
        return
    linkname = b""
    size = 0
    dev = (0, 0)
    if kind == b"5":
        name += b"/"
    elif kind == b"2":
        try:
            linkname = os.readlink(os.fsencode(path))
        except OSError:
            return
    elif kind in (b"3", b"4"):
        dev = (os.major(st.st_rdev), os.minor(st.st_rdev))
    if kind != b"5" and st.st_nlink > 1:
        if st.st_ino in inodes:
            kind, linkname = b"1", inodes[st.st_ino]
        else:
            inodes[st.st_ino] = name
    f = None
    if kind == b"0":
        size = st.st_size
        if size:
            try:
                f = open(path, "rb")
            except OSError:
                return
    records = _capability(path)
    yield tar_header(name, kind, stat.S_IMODE(mode), size=size, mtime=st.st_mtime_ns // 1_000_000_000,
                     linkname=linkname, dev=dev, records=records)
    if f is not None:
        with f:
            yield from _file_data(f, size)


_TYPEFLAGS = {stat.S_IFREG: b"0", stat.S_IFLNK: b"2", stat.S_IFCHR: b"3", stat.S_IFBLK: b"4",
              stat.S_IFDIR: b"5", stat.S_IFIFO: b"6"}


def _file_data(f: BinaryIO, size: int) -> Iterator[bytes]:
    """Exactly `size` bytes of `f` and the block padding (zeros if it shrank)."""
    left = size
    while left:
        data = f.read(min(CHUNK, left))
        if not data:
            break
        left -= len(data)
        yield data
    yield bytes(left + (-size) % _BLOCK)


def _file_entry(name: bytes, data: bytes, mode: int, mtime: int, uid: int, gid: int) -> bytes:
    return (tar_header(name, b"0", mode, size=len(data), mtime=mtime, uid=uid, gid=gid)
            + data + bytes(-len(data) % _BLOCK))


def _capability(path: str) -> dict[bytes, bytes] | None:
    """security.capability as a PAX record, as moby keeps it (v3 made v2)."""
    try:
        cap = os.getxattr(path, "security.capability", follow_symlinks=False)
    except OSError:
        return None
    if len(cap) > 3 and cap[3] == 3:
        cap = cap[:3] + b"\x02" + cap[4:20]
    return {b"SCHILY.xattr.security.capability": cap}


def tar_header(name: bytes, typeflag: bytes, mode: int, *, size: int = 0, mtime: int = 0, uid: int = 0,
               gid: int = 0, linkname: bytes = b"", dev: tuple[int, int] = (0, 0),
               records: dict[bytes, bytes] | None = None) -> bytes:
    """A header as Go's archive/tar writes it: USTAR when every field fits
    (a long name split into prefix and name), else a PAX header first."""
    pax: dict[bytes, bytes] = {}
    ustar = not records
    name_field, prefix = name, b""
    if len(name) > 100 or not name.isascii():
        pax[b"path"] = name
        split = _split_ustar(name)
        if split is None:
            ustar = False
        else:
            prefix, name_field = split
    if len(linkname) > 100 or not linkname.isascii():
        pax[b"linkpath"] = linkname
        ustar = False
    for key, value, width in ((b"uid", uid, 8), (b"gid", gid, 8), (b"size", size, 12), (b"mtime", mtime, 12)):
        if not _fits_octal(value, width):
            pax[key] = str(value).encode()
            ustar = False
    if ustar:
        return _block(name_field, prefix, typeflag, mode, uid, gid, size, mtime, linkname, dev)
    for k, v in (records or {}).items():
        pax.setdefault(k, v)
    data = b"".join(_pax_record(k, pax[k]) for k in sorted(pax))
    import posixpath
    head, base = posixpath.split(name)
    xname = _ascii(posixpath.normpath(posixpath.join(head, b"PaxHeaders.0", base)))[:100].rstrip(b"/")
    return (_block(xname, b"", b"x", 0, 0, 0, len(data), 0, b"", None) + data + bytes(-len(data) % _BLOCK)
            + _block(_ascii(name)[:100], b"", typeflag, mode, uid, gid, size, mtime, _ascii(linkname)[:100], dev))


def _fits_octal(value: int, width: int) -> bool:
    return 0 <= value < 1 << (3 * (width - 1))


def _split_ustar(name: bytes) -> tuple[bytes, bytes] | None:
    """Go's splitUSTARPath: the longest prefix (<= 155) at a "/" leaving a name <= 100."""
    length = len(name)
    if length <= 100 or not name.isascii():
        return None
    if length > 156:
        length = 156
    elif name[length - 1:length] == b"/":
        length -= 1
    i = name.rfind(b"/", 0, length)
    if i <= 0 or len(name) - i - 1 > 100 or len(name) - i - 1 == 0 or i > 155:
        return None
    return name[:i], name[i + 1:]


def _ascii(s: bytes) -> bytes:
    return bytes(c for c in s if c < 0x80)


def _pax_record(key: bytes, value: bytes) -> bytes:
    size = len(key) + len(value) + 3
    size += len(str(size))
    record = b"%d %s=%s\n" % (size, key, value)
    if len(record) != size:
        record = b"%d %s=%s\n" % (len(record), key, value)
    return record


def _block(name: bytes, prefix: bytes, typeflag: bytes, mode: int, uid: int, gid: int, size: int, mtime: int,
           linkname: bytes, dev: tuple[int, int] | None) -> bytes:
    """One header block; `dev` None leaves the device fields empty (Go's
    extension headers)."""
    b = bytearray(_BLOCK)

    def octal(off: int, width: int, value: int) -> None:
        digits = b"%0*o" % (width - 1, value if _fits_octal(value, width) else 0)
        b[off:off + width] = digits + b"\0"

    b[0:len(name)] = name
    octal(100, 8, mode)
    octal(108, 8, uid)
    octal(116, 8, gid)
    octal(124, 12, size)
    octal(136, 12, mtime)
    b[156:157] = typeflag
    b[157:157 + len(linkname)] = linkname
    b[257:265] = b"ustar\x0000"
    if dev is not None:
        octal(329, 8, dev[0])
        octal(337, 8, dev[1])
    b[345:345 + len(prefix)] = prefix
    b[148:156] = b" " * 8
    b[148:155] = b"%06o\0" % sum(b)
    return bytes(b)


# ---- streaming --------------------------------------------------------------

def _coalesce(pieces: Iterable[bytes], size: int = CHUNK) -> Iterator[bytes]:
    """Small pieces joined into chunks of about `size` bytes."""
    buf = bytearray()
    for piece in pieces:
        if buf and len(buf) + len(piece) > size:
            yield bytes(buf)
            buf.clear()
        if len(piece) >= size:
            yield piece
            continue
        buf += piece
        if len(buf) >= size:
            yield bytes(buf)
            buf.clear()
    if buf:
        yield bytes(buf)


def _gzip(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """--compress: the context gzip'd, as a stream."""
    import zlib
    z = zlib.compressobj(wbits=31)
    for chunk in chunks:
        if out := z.compress(chunk):
            yield out
    yield z.flush()
