"""Blob and upload handlers: GET/HEAD/DELETE blobs, POST/PATCH/PUT/GET/DELETE uploads, mounts."""
from __future__ import annotations

import asyncio
import contextlib
import re

from barge.distribution.registry import manifests as mf
from barge.distribution.registry.errors import RegistryError
from barge.distribution.registry.httpserver import FileRange, Request, Response

STREAM_CHUNK = 1 << 20
RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
CONTENT_RANGE_RE = re.compile(r"^(?:bytes[ =])?(\d+)-(\d+)(?:/(?:\d+|\*))?$")


def parse_range(value: str | None, size: int) -> tuple[int, int] | None:
    """`Range: bytes=a-b` → (start, end inclusive); None for the whole blob; 416 if unsatisfiable."""
    if not value:
        return None
    m = RANGE_RE.match(value.strip())
    if not m or (not m.group(1) and not m.group(2)):
        raise RegistryError("RANGE_INVALID", headers=[("Content-Range", f"bytes */{size}")])
    if not m.group(1):
        start, end = max(0, size - int(m.group(2))), size - 1
    else:
        start = int(m.group(1))
        end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    if start >= size or end < start:
        raise RegistryError("RANGE_INVALID", headers=[("Content-Range", f"bytes */{size}")])
    return start, end


def parse_content_range(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    m = CONTENT_RANGE_RE.match(value.strip())
    if not m or int(m.group(2)) < int(m.group(1)):
        raise RegistryError("RANGE_INVALID", f"invalid Content-Range {value!r}")
    return int(m.group(1)), int(m.group(2))


async def get_blob(reg, req: Request, name: str, digest: str) -> Response:
    mf.check_digest(digest)
    size = reg.storage.repo_blob_size(name, digest)
    if size is None:
        raise RegistryError("BLOB_UNKNOWN", detail={"digest": digest})
    headers = [("Docker-Content-Digest", digest), ("Content-Type", "application/octet-stream"),
               ("Accept-Ranges", "bytes"), ("ETag", f'"{digest}"'),
               ("Cache-Control", "max-age=31536000")]
    rng = parse_range(req.header("range"), size)
    start, end, status = (0, size - 1, 200) if rng is None else (*rng, 206)
    if status == 206:
        headers.append(("Content-Range", f"bytes {start}-{end}/{size}"))
    if req.method == "HEAD":
        return Response(status, headers, length=end - start + 1, stream=_empty())
    f = open(reg.storage.blob_path(digest), "rb")
    return Response(status, headers, file=FileRange(f, start, end - start + 1), length=end - start + 1)


async def _empty():
    return
    yield b""


async def delete_blob(reg, req: Request, name: str, digest: str) -> Response:
    mf.check_digest(digest)
    if not reg.storage.unlink_blob(name, digest):
        raise RegistryError("BLOB_UNKNOWN", detail={"digest": digest})
    return Response(202, [("Docker-Content-Digest", digest)])


def _upload_headers(name: str, upload_id: str, offset: int) -> list[tuple[str, str]]:
    return [("Location", f"/v2/{name}/blobs/uploads/{upload_id}"), ("Docker-Upload-UUID", upload_id),
            ("Range", f"0-{max(offset - 1, 0)}")]


def _created(name: str, digest: str) -> Response:
    return Response(201, [("Location", f"/v2/{name}/blobs/{digest}"), ("Docker-Content-Digest", digest)])


async def start_upload(reg, req: Request, name: str) -> Response:
    mount, source = req.arg("mount"), req.arg("from")
    if mount and source and mf.valid_name(source) and mf.is_digest(mount):
        if reg.may(req, source, "pull") and reg.storage.repo_blob_size(source, mount) is not None:
            reg.storage.link_blob(name, mount)
            return _created(name, mount)
    digest = req.arg("digest")
    upload_id = await asyncio.to_thread(reg.storage.start_upload, name)
    if digest is not None:
        mf.check_digest(digest)
        try:
            await _write_chunk(reg, req, name, upload_id, None)
            await reg.commit(name, upload_id, digest)
        except BaseException:
            with contextlib.suppress(RegistryError):
                reg.storage.cancel_upload(name, upload_id)
            raise
        return _created(name, digest)
    return Response(202, _upload_headers(name, upload_id, 0) + [("OCI-Chunk-Min-Length", "0")])


async def _write_chunk(reg, req: Request, name: str, upload_id: str, rng: tuple[int, int] | None) -> int:
    """Append the request body at the upload's offset (checked against `rng`); returns the new offset."""
    length = req.header("content-length")
    if rng and length is not None and length.isdigit() and int(length) != rng[1] - rng[0] + 1:
        raise RegistryError("RANGE_INVALID", "Content-Range does not match Content-Length")
    async with reg.upload_lock(upload_id):
        f, state = reg.storage.open_chunk(name, upload_id, rng[0] if rng else None)
        try:
            written = 0
            while chunk := await req.body.read():
                f.write(chunk)
                written += len(chunk)
            if rng and written != rng[1] - rng[0] + 1:
                raise RegistryError("SIZE_INVALID", detail={"expected": rng[1] - rng[0] + 1, "got": written})
            return await asyncio.to_thread(reg.storage.record_chunk, upload_id, f, state, written)
        finally:
            f.close()


async def patch_upload(reg, req: Request, name: str, upload_id: str) -> Response:
    rng = parse_content_range(req.header("content-range"))
    try:
        offset = await _write_chunk(reg, req, name, upload_id, rng)
    except RegistryError as e:
        if e.code == "RANGE_INVALID":
            state = reg.storage.upload_state(name, upload_id)
            e.headers = _upload_headers(name, upload_id, state["offset"])
        raise
    return Response(202, _upload_headers(name, upload_id, offset))


async def put_upload(reg, req: Request, name: str, upload_id: str) -> Response:
    digest = req.arg("digest")
    if not digest:
        raise RegistryError("DIGEST_INVALID", "digest missing")
    mf.check_digest(digest)
    rng = parse_content_range(req.header("content-range"))
    await _write_chunk(reg, req, name, upload_id, rng)
    await reg.commit(name, upload_id, digest)
    return _created(name, digest)


async def upload_status(reg, req: Request, name: str, upload_id: str) -> Response:
    state = reg.storage.upload_state(name, upload_id)
    return Response(204, _upload_headers(name, upload_id, state["offset"]))


async def cancel_upload(reg, req: Request, name: str, upload_id: str) -> Response:
    async with reg.upload_lock(upload_id):
        reg.storage.cancel_upload(name, upload_id)
    reg.forget_upload(upload_id)
    return Response(204)
