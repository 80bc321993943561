"""COPY and ADD: sources found in the context (or another stage/image),
Docker's destination rules, the content checksum that keys the cache."""
from __future__ import annotations

import fnmatch
import hashlib
import os
import posixpath
import stat
import tarfile
import urllib.error
import urllib.request

from barge.builder.backend import CopyItem
from barge.builder.errors import StepFailed
from barge.spec import users
from barge.util.fspath import read_in_root, secure_join


def heredoc_command(shell: list[str], cmd) -> list[str]:
    """`RUN <<EOF` and `RUN cmd <<EOF`: the shell reads the line and the bodies."""
    return shell + [cmd.shell_text()]


def _sources(root: str, patterns: list[str], what: str, ignore=None) -> list[tuple[str, str]]:
    """(pattern, host path) for each source, globs expanded within `root`;
    what .dockerignore excludes is not there."""
    out = []
    for pat in patterns:
        clean = posixpath.normpath("/" + pat).lstrip("/")
        if posixpath.normpath(pat).startswith("../") or posixpath.normpath(pat) == "..":
            raise StepFailed(f"{what} failed: forbidden path outside the build context: {pat} ()")
        if any(ch in clean for ch in "*?["):
            found = [p for p in _glob(root, clean) if not _ignored(ignore, root, p)]
            if not found:
                raise StepFailed(f"{what} failed: no source files were specified")
            out += [(pat, p) for p in found]
            continue
        path = secure_join(root, clean) if clean else root
        if not os.path.lexists(path) or _ignored(ignore, root, path):
            raise StepFailed(f"{what} failed: file not found in build context or excluded by .dockerignore: "
                          f"stat {clean or '.'}: file does not exist")
        out.append((pat, path))
    return out


def _ignored(ignore, root: str, path: str) -> bool:
    if ignore is None or path == root:
        return False
    return ignore.excluded(os.path.relpath(path, root), os.path.isdir(path))


def _glob(root: str, pattern: str) -> list[str]:
    parts = pattern.split("/")
    cur = [root]
    for part in parts:
        nxt = []
        for d in cur:
            if not os.path.isdir(d) or os.path.islink(d):
                continue
            for name in sorted(os.listdir(d)):
                if fnmatch.fnmatchcase(name, part):
                    nxt.append(os.path.join(d, name))
        cur = nxt
    return cur


def destination(dest: str, workdir: str, many: bool) -> tuple[str, bool]:
    """(absolute dest, is it a directory)."""
    is_dir = dest.endswith("/") or dest in (".", "") or many
    if not dest.startswith("/"):
        dest = posixpath.join(workdir or "/", dest)
    return posixpath.normpath(dest), is_dir


def _walk(src: str, dest: str, uid: int, gid: int, mode: int | None, root: str = "",
          ignore=None) -> list[CopyItem]:
    """A source directory's contents (not the directory itself) under dest."""
    items = [CopyItem(src=src, dest=dest, uid=uid, gid=gid, mode=mode)]
    for dirpath, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if not _ignored(ignore, root, os.path.join(dirpath, d)))
        files = [f for f in files if not _ignored(ignore, root, os.path.join(dirpath, f))]
        rel = os.path.relpath(dirpath, src)
        for name in dirs + sorted(files):
            target = posixpath.normpath(posixpath.join(dest, rel, name))
            items.append(CopyItem(src=os.path.join(dirpath, name), dest=target, uid=uid, gid=gid, mode=mode))
    return items


def checksum(items: list[CopyItem], digests: dict | None = None) -> str:
    """The content key: names, modes, owners and bytes of everything copied.
    `digests` remembers file digests by inode, size and times, so a file not
    touched since the last build is not read again."""
    h = hashlib.sha256()
    for it in items:
        h.update(f"{it.dest}\0{it.uid}:{it.gid}:{it.mode}\0{it.extract}\0".encode())
        if it.content is not None:
            h.update(it.content)
            continue
        st = os.lstat(it.src)
        h.update(f"{stat.S_IFMT(st.st_mode)}:{stat.S_IMODE(st.st_mode)}\0".encode())
        if stat.S_ISLNK(st.st_mode):
            h.update(os.readlink(it.src).encode())
        elif stat.S_ISREG(st.st_mode):
            h.update(file_digest(it.src, st, digests))
    return h.hexdigest()


def file_digest(path: str, st: os.stat_result, digests: dict | None) -> bytes:
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if digests is not None and key in digests:
        return digests[key]
    d = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            d.update(chunk)
    out = d.digest()
    if digests is not None:
        if len(digests) > 200_000:
            digests.clear()
        digests[key] = out
    return out


def _is_archive(path: str) -> bool:
    try:
        return os.path.isfile(path) and tarfile.is_tarfile(path)
    except OSError:
        return False


def _fetch(url: str, dest_dir: str) -> str:
    name = posixpath.basename(url.split("?", 1)[0]) or "download"
    path = os.path.join(dest_dir, name)
    try:
        with urllib.request.urlopen(url, timeout=30) as r, open(path, "wb") as f:
            while chunk := r.read(1 << 20):
                f.write(chunk)
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        raise StepFailed(f"ADD failed: failed to GET {url}: {reason}") from None
    return path


async def _owner(b, st, chown: str) -> tuple[int, int]:
    if not chown:
        return 0, 0
    user, _, group = chown.partition(":")
    if user.isdigit() and (not group or group.isdigit()):
        return int(user), int(group or user)
    if not st.image:
        raise StepFailed(f"unable to convert uid/gid chown string to host mapping: no such user: {user}")
    async with b.backend.rootfs(st.image) as root:
        passwd = read_in_root(root, "etc/passwd")
        group_text = read_in_root(root, "etc/group")
    try:
        u = users.resolve(chown if group else user, passwd, group_text, [])
    except Exception as e:
        raise StepFailed(f"unable to convert uid/gid chown string to host mapping: {e}") from None
    return u.uid, u.gid


async def copy_step(b, st, cmd, is_add: bool) -> None:
    what = "ADD" if is_add else "COPY"
    uid, gid = await _owner(b, st, cmd.chown)
    mode = int(cmd.chmod, 8) if cmd.chmod else None
    if cmd.heredocs:
        await _commit_items(b, st, cmd, what, _heredoc_items(cmd, st, uid, gid, mode))
        return
    from_ = getattr(cmd, "from_", "")
    if from_:
        ref = b.stage_images.get(from_.lower())
        image = ref or (await b.backend.image(from_))[0]
        async with b.backend.rootfs(image) as root:
            await _copy_from(b, st, cmd, what, root, uid, gid, mode, is_add=False)
        return
    await _copy_from(b, st, cmd, what, b.context, uid, gid, mode, is_add)


def _heredoc_items(cmd, st, uid, gid, mode) -> list[CopyItem]:
    dest, _ = destination(cmd.dest, st.config.get("WorkingDir") or "", len(cmd.heredocs) > 1)
    out = []
    for doc in cmd.heredocs:
        target = posixpath.join(dest, doc.name) if cmd.dest.endswith("/") or len(cmd.heredocs) > 1 else dest
        out.append(CopyItem(src="", dest=target, uid=uid, gid=gid, mode=mode if mode is not None else 0o644,
                            content=doc.content.encode()))
    return out


async def _copy_from(b, st, cmd, what: str, root: str, uid: int, gid: int, mode, is_add: bool) -> None:
    import tempfile
    urls = [s for s in cmd.sources if is_add and s.startswith(("http://", "https://"))]
    local = [s for s in cmd.sources if s not in urls]
    ignore = b.ignore if root == b.context else None
    srcs = _sources(root, local, what, ignore)
    tmp = tempfile.mkdtemp(prefix="barge-add-") if urls else ""
    try:
        for u in urls:
            srcs.append((u, _fetch(u, tmp)))
        dest, to_dir = destination(cmd.dest, st.config.get("WorkingDir") or "", len(srcs) > 1)
        if len(srcs) > 1 and not cmd.dest.endswith("/"):
            raise StepFailed(f"When using {what} with more than one source file, the destination must be a "
                          "directory and end with a /")
        items: list[CopyItem] = []
        for pat, path in srcs:
            if os.path.isdir(path) and not os.path.islink(path):
                items += _walk(path, dest, uid, gid, mode, root, ignore)
            elif is_add and pat not in urls and _is_archive(path):
                items.append(CopyItem(src=path, dest=dest, uid=uid, gid=gid, mode=mode, extract=True))
            else:
                name = posixpath.basename(path)
                target = posixpath.join(dest, name) if to_dir else dest
                items.append(CopyItem(src=path, dest=target, uid=uid, gid=gid, mode=mode))
        await _commit_items(b, st, cmd, what, items)
    finally:
        if tmp:
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)


async def _commit_items(b, st, cmd, what: str, items: list[CopyItem]) -> None:
    import asyncio
    digests = getattr(b.backend, "digests", None)
    digest = await asyncio.get_running_loop().run_in_executor(None, checksum, items, digests)
    kind = "multi" if len(cmd.sources) > 1 or len(cmd.heredocs) > 1 else (
        "dir" if items and items[0].src and os.path.isdir(items[0].src) else "file")
    dest = items[0].dest if items else cmd.dest
    text = f"{what} {kind}:{digest} in {dest} "
    cc = b.cache_key(st, ["/bin/sh", "-c", f"#(nop) {text}"])
    hit = await b.cached(st, cc)
    if hit is None:
        layer = await b.backend.layer_of_files(st.image, items)
        hit = await b.backend.commit(st.image, st.config, cc, " ".join(cc["Cmd"]), layer, st.author)
    await b.adopt(st, hit)
