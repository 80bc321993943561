"""A streaming tar reader for image layers.

Hand-written rather than `tarfile` because `tarfile` ends an archive
silently at a truncated or corrupt header after the first member; a layer
must either unpack completely or fail. It reads ustar, GNU (long names and
links) and PAX (per-entry records; global ones are skipped, as Docker does),
follows Go's archive/tar on what ends an archive, and hashes every byte it
consumes so the caller gets the diff_id without a second pass.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Protocol

from barge.errdefs import InvalidParameter

BLOCK = 512
_ZERO_BLOCK = bytes(BLOCK)
_CHUNK = 1 << 20
_MAX_META = 1 << 20  # largest PAX or GNU long-name payload accepted, as Go

REG, LNK, SYM, CHR, BLK, DIR, FIFO = "0", "1", "2", "3", "4", "5", "6"
_HEADER_ONLY = {LNK, SYM, CHR, BLK, DIR, FIFO}  # their size field carries no data
_META_TYPES = {"x", "g", "L", "K"}

_ENCODING = "utf-8"
_ERRORS = "surrogateescape"  # keeps non-UTF-8 names byte-exact for os calls


@dataclass
class TarHeader:
    name: str
    type: str  # one of REG, LNK, SYM, CHR, BLK, DIR, FIFO
    mode: int
    uid: int
    gid: int
    size: int
    mtime_ns: int
    linkname: str = ""
    devmajor: int = 0
    devminor: int = 0
    xattrs: dict[str, bytes] = field(default_factory=dict)


class Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


def _invalid(what: str = "invalid tar header") -> InvalidParameter:
    return InvalidParameter(what)


class HashingInput:
    """Buffered reads from a byte stream, hashing everything it pulls in."""

    def __init__(self, raw: Readable, errors: tuple[type[BaseException], ...] = (),
                 what: str = "tar") -> None:
        self._raw = raw
        self._errors = errors  # decompressor errors that mean corrupt input
        self._what = what
        self._buf = memoryview(b"")
        self._pos = 0
        self._hash = hashlib.sha256()

    def read(self, n: int) -> memoryview:
        """Up to `n` bytes; empty only at end of stream."""
        if self._pos >= len(self._buf) and not self._fill():
            return memoryview(b"")
        out = self._buf[self._pos:self._pos + n]
        self._pos += len(out)
        return out

    def read_exact(self, n: int) -> bytes:
        parts = []
        while n > 0:
            chunk = self.read(n)
            if not chunk:
                raise _invalid("unexpected EOF in tar stream")
            parts.append(chunk)
            n -= len(chunk)
        return b"".join(parts)

    def drain(self) -> None:
        """Consume the rest of the stream (tar padding, trailing records)."""
        self._pos = len(self._buf)
        while self._fill():
            self._pos = len(self._buf)

    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()

    def _fill(self) -> bool:
        try:
            data = self._raw.read(_CHUNK)
        except self._errors as exc:
            raise InvalidParameter(f"invalid {self._what} stream: {exc}") from exc
        if not data:
            return False
        self._hash.update(data)
        self._buf = memoryview(data)
        self._pos = 0
        return True


class TarReader:
    """Iterates headers; the data of the current entry is read with
    `copy_data` before the next `next()` (or skipped by it)."""

    def __init__(self, inp: HashingInput) -> None:
        self._in = inp
        self._remaining = 0
        self._padding = 0

    def __iter__(self) -> Iterator[TarHeader]:
        while (hdr := self.next()) is not None:
            yield hdr

    def next(self) -> TarHeader | None:
        self._skip_data()
        pax: dict[str, bytes] = {}
        longs: dict[str, bytes] = {}
        while True:
            block = self._header_block()
            if block is None:
                if pax or longs:  # an extended header describes an entry to come
                    raise _invalid("unexpected EOF in tar stream")
                return None
            typeflag, size = _typeflag(block), _number(block[124:136])
            if typeflag not in _META_TYPES:
                hdr = _build_header(block, typeflag, pax, longs)
                self._start_data(0 if hdr.type in _HEADER_ONLY else hdr.size)
                return hdr
            payload = self._meta_payload(size)
            if typeflag == "x":
                pax.update(parse_pax(payload))
            elif typeflag in ("L", "K"):
                longs[typeflag] = payload.split(b"\x00", 1)[0]

    def copy_data(self, write: Callable[[memoryview], object]) -> int:
        """Hand the current entry's data to `write` chunk by chunk."""
        copied = 0
        while self._remaining:
            chunk = self._in.read(min(self._remaining, _CHUNK))
            if not chunk:
                raise _invalid("unexpected EOF in tar stream")
            write(chunk)
            self._remaining -= len(chunk)
            copied += len(chunk)
        return copied

    def _start_data(self, size: int) -> None:
        self._remaining = size
        self._padding = -size % BLOCK

    def _skip_data(self) -> None:
        self.copy_data(lambda _chunk: None)
        if self._padding:
            self._in.read_exact(self._padding)
            self._padding = 0

    def _meta_payload(self, size: int) -> bytes:
        if not 0 <= size <= _MAX_META:
            raise _invalid("tar extended header too large")
        payload = self._in.read_exact(size)
        self._in.read_exact(-size % BLOCK)
        return payload

    def _header_block(self) -> bytes | None:
        """The next header block, or None at the end of the archive: a clean
        EOF on a block boundary or two zero blocks, as Go's reader has it."""
        block = self._block_or_eof()
        if block is None or block != _ZERO_BLOCK:
            return block
        second = self._block_or_eof()
        if second is None or second == _ZERO_BLOCK:
            return None
        raise _invalid()

    def _block_or_eof(self) -> bytes | None:
        first = self._in.read(BLOCK)
        if not first:
            return None
        block = bytes(first)
        if len(block) < BLOCK:
            block += self._in.read_exact(BLOCK - len(block))
        return block


def _typeflag(block: bytes) -> str:
    _check_checksum(block)
    return chr(block[156]) if block[156] else "\x00"


def _check_checksum(block: bytes) -> None:
    stored = _number(block[148:156])
    unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:])
    if stored == unsigned:
        return
    high = sum(1 for b in block[:148] + block[156:] if b >= 128)
    if stored != unsigned - 256 * high:  # some old tars summed signed chars
        raise _invalid()


def _number(field_: bytes) -> int:
    """An octal field, or GNU base-256 when the high bit of byte 0 is set."""
    if field_ and field_[0] & 0x80:
        value = int.from_bytes(bytes([field_[0] & 0x7F]) + field_[1:], "big")
        if field_[0] & 0x40:  # negative: two's complement of the 8n-1 bits
            value -= 1 << (8 * len(field_) - 1)
        return value
    text = field_.strip(b" \x00")
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise _invalid() from None


def _cstring(field_: bytes) -> bytes:
    return field_.split(b"\x00", 1)[0]


def _decode(raw: bytes) -> str:
    return raw.decode(_ENCODING, _ERRORS)


def _entry_type(typeflag: str, name: bytes) -> str:
    if typeflag == "\x00":  # pre-POSIX: a trailing slash marks a directory
        return DIR if name.endswith(b"/") else REG
    if typeflag == "7":  # contiguous file
        return REG
    if typeflag in (REG, LNK, SYM, CHR, BLK, DIR, FIFO):
        return typeflag
    raise _invalid(f"unsupported tar entry type {typeflag!r}")


def _header_name(block: bytes) -> bytes:
    name = _cstring(block[0:100])
    if block[257:263] == b"ustar\x00":  # POSIX ustar: prefix field; GNU has none
        prefix = _cstring(block[345:500])
        if prefix:
            name = prefix + b"/" + name
    return name


def _build_header(block: bytes, typeflag: str, pax: dict[str, bytes],
                  longs: dict[str, bytes]) -> TarHeader:
    name = pax.get("path", longs.get("L", _header_name(block)))
    link = pax.get("linkpath", longs.get("K", _cstring(block[157:257])))
    hdr = TarHeader(
        name=_decode(name), type=_entry_type(typeflag, name),
        mode=_number(block[100:108]) & 0o7777,
        uid=_number(block[108:116]), gid=_number(block[116:124]),
        size=_number(block[124:136]), mtime_ns=_number(block[136:148]) * 10**9,
        linkname=_decode(link),
        devmajor=_number(block[329:337]), devminor=_number(block[337:345]),
    )
    _apply_pax(hdr, pax)
    if hdr.size < 0 or hdr.uid < 0 or hdr.gid < 0:
        raise _invalid()
    return hdr


def _apply_pax(hdr: TarHeader, pax: dict[str, bytes]) -> None:
    for key, value in pax.items():
        if key.startswith("GNU.sparse."):
            raise _invalid("sparse tar entries are not supported")
        if key.startswith("SCHILY.xattr."):
            hdr.xattrs[key[len("SCHILY.xattr."):]] = value
        elif key in ("size", "uid", "gid"):
            setattr(hdr, key, _pax_int(value))
        elif key == "mtime":
            hdr.mtime_ns = _pax_time_ns(value)


def _pax_int(value: bytes) -> int:
    if not value.isdigit():
        raise _invalid("invalid PAX record")
    return int(value)


def _pax_time_ns(value: bytes) -> int:
    try:
        return int(Decimal(value.decode("ascii")).scaleb(9))
    except (InvalidOperation, UnicodeDecodeError, ValueError):
        raise _invalid("invalid PAX record") from None


def parse_pax(data: bytes) -> dict[str, bytes]:
    """PAX records, "<len> <key>=<value>\\n"; a record with an empty value
    unsets its key."""
    records: dict[str, bytes] = {}
    data = data.rstrip(b"\x00")
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos, pos + 20)
        length_text = data[pos:space]
        if space < 0 or not length_text.isdigit():
            raise _invalid("invalid PAX record")
        end = pos + int(length_text)
        if end <= space + 1 or end > len(data) or data[end - 1] != 0x0A:
            raise _invalid("invalid PAX record")
        key, eq, value = data[space + 1:end - 1].partition(b"=")
        if not eq or not key:
            raise _invalid("invalid PAX record")
        records.pop(_decode(key), None)
        if value:
            records[_decode(key)] = value
        pos = end
    return records
