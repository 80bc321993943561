"""Files and images from containers: cp, diff, commit.

`cp` follows Docker's copy rules (docker/cli cp.go with moby's
pkg/archive copy.go): the archive the daemon sends or receives is renamed
on the way so that `cp SRC DST` gives what `cp -a` would locally --
a directory copied into an existing directory lands inside it, `SRC/.`
copies its contents, a trailing "/" asserts a directory.
"""
from __future__ import annotations

import json
import os
import posixpath
import sys

from barge.cli.commands._common import F, parse
from barge.cli.context import Context

CP_USAGE = ("docker cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
            "\tdocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH")
CP_DESC = ("Copy files/folders between a container and the local filesystem\n\n"
           "Use '-' as the source to read a tar archive from stdin\n"
           "and extract it to a directory destination in a container.\n"
           "Use '-' as the destination to stream a tar archive of a\n"
           "container source to stdout.")


class CopyError(Exception):
    """A client-side copy failure, printed as it is (exit 1)."""


# --- path rules (pure) ------------------------------------------------------

def split_cp_arg(arg: str) -> tuple[str, str]:
    """("container", "path") or ("", local path), as Docker's splitCpArg."""
    if arg.startswith("/"):
        return "", arg
    head, sep, rest = arg.partition(":")
    if not sep or head.startswith("."):
        return "", arg
    return head, rest


def has_trailing_sep(p: str) -> bool:
    return p.endswith("/")


def specifies_current_dir(p: str) -> bool:
    return posixpath.basename(p) == "."


def split_dir_entry(p: str) -> tuple[str, str]:
    cleaned = posixpath.normpath(p) if p else "."
    if specifies_current_dir(p):
        cleaned = cleaned.rstrip("/") + "/." if cleaned != "/" else "/."
    d, b = posixpath.dirname(cleaned), posixpath.basename(cleaned)
    return d or ".", b or cleaned


def prepare_copy(src_is_dir: bool, src_base: str, dst_path: str, dst_exists: bool,
                 dst_is_dir: bool) -> tuple[str, tuple[str, str] | None]:
    """Docker's PrepareArchiveCopy: (directory to extract into, rename of the
    archive's top entry (old, new) or None)."""
    dst_dir, dst_base = split_dir_entry(dst_path)
    if dst_exists and dst_is_dir:
        return dst_path, None
    if dst_exists and src_is_dir:
        raise CopyError("cannot copy directory")
    if dst_exists or src_is_dir:
        return dst_dir, (src_base, dst_base)
    if has_trailing_sep(dst_path):
        raise CopyError("no such directory")
    return dst_dir, (src_base, dst_base)


def rebase(name: str, old: str, new: str) -> str:
    """Rename the archive's top entry `old` (and what is under it) to `new`."""
    if old == "/":
        return new if name == "/" else new.rstrip("/") + "/" + name.lstrip("/")
    if name == old:
        return new
    if name.startswith(old + "/"):
        return new + name[len(old):]
    return name


def _with_trailing(orig: str, path: str) -> str:
    if specifies_current_dir(orig) and not specifies_current_dir(path):
        return path.rstrip("/") + "/."
    if has_trailing_sep(orig) and not path.endswith("/"):
        return path + "/"
    return path


def resolve_local_path(p: str) -> str:
    return _with_trailing(p, os.path.abspath(p))


# --- the commands -----------------------------------------------------------

def cp(ctx: Context, argv: list[str]) -> int:
    flags = [F("archive", "a", "bool", False, "Archive mode (copy all uid/gid information)"),
             F("follow-link", "L", "bool", False, "Always follow symbol link in SRC_PATH"),
             F("quiet", "q", "bool", False, "Suppress progress output during copy. Progress output "
               "is automatically suppressed if no terminal is attached")]
    p = parse(ctx, "cp", CP_USAGE, CP_DESC, flags, argv, min_args=2, max_args=2)
    src, dst = p.args
    src_ctr, src_path = split_cp_arg(src)
    dst_ctr, dst_path = split_cp_arg(dst)
    if src_ctr and dst_ctr:
        ctx.err("copying between containers is not supported")
        return 1
    if not src_ctr and not dst_ctr:
        ctx.err("must specify at least one container source")
        return 1
    if not src_path:
        ctx.err("source can not be empty")
        return 1
    if not dst_path:
        ctx.err("destination can not be empty")
        return 1
    progress = not p.opts["quiet"] and sys.stderr.isatty()
    from barge.client.http import APIError, ConnectError
    try:
        if src_ctr:
            n = _from_container(ctx, src_ctr, src_path, dst_path, p.opts["follow-link"])
            shown = dst_path
        else:
            n = _to_container(ctx, src_path, dst_ctr, dst_path, p.opts["follow-link"], p.opts["archive"])
            shown = dst
    except (APIError, ConnectError) as e:
        return ctx.daemon_error(e)
    except CopyError as e:
        ctx.err(str(e))
        return 1
    except OSError as e:
        ctx.err(_os_message(e))
        return 1
    if progress and n is not None:
        from barge.spec.units import human_size
        sys.stderr.write(f"Successfully copied {human_size(n)} to {shown}\n")
    return 0


def _os_message(e: OSError) -> str:
    text = (e.strerror or str(e))
    text = text[0].lower() + text[1:] if text else text
    return f"{e.filename}: {text}" if e.filename else text


def _stat(ctx: Context, container: str, path: str) -> dict:
    import base64
    from barge.client.http import APIError
    try:
        r = ctx.client.request("HEAD", f"/containers/{container}/archive", {"path": path})
    except APIError as e:       # a HEAD answer carries no message, only the status
        raise APIError(e.status, f"{container}:{path}: HTTP {e.status}") from None
    r.close()
    raw = r.headers.get("x-docker-container-path-stat", "")
    return json.loads(base64.b64decode(raw)) if raw else {}


GO_MODE_DIR = 1 << 31
GO_MODE_SYMLINK = 1 << 27
GO_MODE_IRREGULAR_TYPES = (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19)


def _from_container(ctx: Context, container: str, src_path: str, dst_path: str, follow: bool) -> int | None:
    rebase_name = ""
    if follow:
        from barge.client.http import APIError
        try:
            st = _stat(ctx, container, src_path)
        except APIError:
            st = {}
        if st.get("mode", 0) & GO_MODE_SYMLINK:
            target = st.get("linkTarget", "")
            if not target.startswith("/"):
                target = posixpath.join(split_dir_entry(src_path)[0], target)
            target, rebase_name = _rebase_name(src_path, target)
            src_path = target
    resp = ctx.client.get(f"/containers/{container}/archive", {"path": src_path})
    try:
        if dst_path == "-":
            out = sys.stdout.buffer
            for chunk in resp.iter_chunks(1 << 20):
                out.write(chunk)
            out.flush()
            return None
        import base64
        raw = resp.headers.get("x-docker-container-path-stat", "")
        st = json.loads(base64.b64decode(raw)) if raw else {}
        src_is_dir = bool(st.get("mode", 0) & GO_MODE_DIR)
        # a local destination that is a symlink is followed
        if os.path.islink(dst_path):
            target = os.readlink(dst_path)
            if not os.path.isabs(target):
                target = os.path.join(split_dir_entry(dst_path)[0], target)
            dst_path = target
        exists, is_dir = _local_dest_info(dst_path)
        src_base = split_dir_entry(src_path)[1]
        if rebase_name:
            src_base_for_rename = rebase_name
        else:
            src_base_for_rename = "/" if posixpath.normpath("/" + src_path) == "/" and not specifies_current_dir(src_path) else src_base
        dst_dir, rename = prepare_copy(src_is_dir, src_base_for_rename, dst_path, exists, is_dir)
        renames = []
        if rebase_name:
            renames.append((split_dir_entry(src_path)[1], rebase_name))
        if rename:
            renames.append(rename)
        return _untar_local(resp, dst_dir, renames)
    finally:
        resp.close()


def _rebase_name(path: str, resolved: str) -> tuple[str, str]:
    """Docker's GetRebaseName: keep the asked-for name when following a link."""
    rebase = ""
    if specifies_current_dir(path) and not specifies_current_dir(resolved):
        resolved += "/."
    if has_trailing_sep(path) and not has_trailing_sep(resolved):
        resolved += "/"
    if posixpath.basename(path.rstrip("/")) != posixpath.basename(resolved.rstrip("/")):
        rebase = posixpath.basename(path.rstrip("/") or "/")
    return resolved, rebase


def _local_dest_info(path: str) -> tuple[bool, bool]:
    """Docker's CopyInfoDestinationPath: (exists, is a directory); a missing
    destination needs an existing parent directory."""
    try:
        st = os.stat(path)
        import stat as st_mod
        return True, st_mod.S_ISDIR(st.st_mode)
    except FileNotFoundError:
        pass
    except NotADirectoryError:
        raise CopyError("not a directory") from None
    parent = split_dir_entry(path)[0]
    try:
        st = os.stat(parent)
    except FileNotFoundError:
        raise CopyError(f"stat {parent}: no such file or directory") from None
    import stat as st_mod
    if not st_mod.S_ISDIR(st.st_mode):
        raise CopyError("not a directory")
    return False, False


class _RespReader:
    def __init__(self, resp) -> None:
        self.resp = resp
        self.buf = b""
        self.total = 0

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            data = self.buf + self.resp.read()
            self.buf = b""
            self.total += len(data)
            return data
        while len(self.buf) < n:
            chunk = self.resp.read_chunk(max(n, 1 << 16))
            if not chunk:
                break
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        self.total += len(data)
        return data


def _untar_local(resp, dst_dir: str, renames: list[tuple[str, str]]) -> int:
    """Extract the daemon's tar below `dst_dir` with the renames applied;
    owners are not changed (Docker's NoLchown) and nothing lands outside."""
    import stat as st_mod
    import tarfile

    class _NoChown(tarfile.TarFile):
        def chown(self, tarinfo, targetpath, numeric_owner):   # noqa: D401
            return None

    src = _RespReader(resp)
    real_dst = os.path.realpath(dst_dir)
    dirs = []
    with _NoChown.open(fileobj=src, mode="r|") as tar:
        for m in tar:
            name = m.name
            for old, new in renames:
                name = rebase(name, old, new)
            rel = posixpath.normpath(name.lstrip("/"))
            if rel in ("", "."):
                continue
            if rel.startswith("../"):
                raise CopyError(f"invalid tar entry: {m.name}")
            parent = os.path.realpath(os.path.join(real_dst, posixpath.dirname(rel)))
            if parent != real_dst and not parent.startswith(real_dst + "/"):
                raise CopyError(f"invalid tar entry: {m.name} escapes the destination")
            target = os.path.join(parent, posixpath.basename(rel))
            if m.islnk():
                link_rel = posixpath.normpath(rebase_all(m.linkname, renames).lstrip("/"))
                m.linkname = os.path.join(real_dst, link_rel)
                lparent = os.path.realpath(os.path.dirname(m.linkname))
                if lparent != real_dst and not lparent.startswith(real_dst + "/"):
                    raise CopyError(f"invalid hardlink: {m.linkname}")
            try:
                existing = os.lstat(target)
            except FileNotFoundError:
                existing = None
            if existing is not None:
                is_dir = st_mod.S_ISDIR(existing.st_mode)
                if is_dir and not m.isdir():
                    raise CopyError(f'cannot overwrite directory "{target}" with non-directory "{dst_dir}"')
                if not is_dir and m.isdir():
                    raise CopyError(f'cannot overwrite non-directory "{target}" with directory "{dst_dir}"')
                if not is_dir:
                    os.unlink(target)
            m.name = os.path.relpath(target, "/")
            if m.isdir():
                os.makedirs(target, exist_ok=True)
                os.chmod(target, m.mode & 0o7777)
                dirs.append((target, m.mtime))
                continue
            os.makedirs(parent, exist_ok=True)
            tar._extract_member(m, target, set_attrs=True, numeric_owner=True)  # noqa: SLF001
        for path, mtime in reversed(dirs):
            try:
                os.utime(path, (mtime, mtime))
            except OSError:
                pass
    return src.total


def rebase_all(name: str, renames: list[tuple[str, str]]) -> str:
    for old, new in renames:
        name = rebase(name, old, new)
    return name


def _to_container(ctx: Context, src_path: str, container: str, dst_path: str, follow: bool,
                  copy_uid_gid: bool) -> int:
    from barge.client.http import APIError
    if src_path != "-":
        src_path = resolve_local_path(src_path)
    dst_info_path = dst_path
    try:
        st = _stat(ctx, container, dst_path)
        stat_err = None
    except APIError as e:
        st, stat_err = {}, e
    if stat_err is None and st.get("mode", 0) & GO_MODE_SYMLINK:
        target = st.get("linkTarget", "")
        if not target.startswith("/"):
            target = posixpath.join(split_dir_entry(dst_path)[0], target)
        dst_info_path = target
        try:
            st = _stat(ctx, container, target)
        except APIError as e:
            st, stat_err = {}, e
    mode = st.get("mode", 0)
    if stat_err is None and mode & GO_MODE_IRREGULAR_TYPES:
        raise CopyError(f'destination "{container}:{dst_path}" must be a directory or a regular file')
    dst_exists = stat_err is None
    dst_is_dir = bool(mode & GO_MODE_DIR)
    if src_path == "-":
        if not dst_is_dir:
            raise CopyError(f'destination "{container}:{dst_path}" must be a directory')
        body = _counting(iter(lambda: sys.stdin.buffer.read(1 << 20), b""))
        resolved = dst_info_path
    else:
        real, rebase_name = _host_source(src_path, follow)
        import stat as st_mod
        try:
            lst = os.lstat(real)
        except FileNotFoundError:
            raise CopyError(f"lstat {real.rstrip('/') or '/'}: no such file or directory") from None
        src_is_dir = st_mod.S_ISDIR(lst.st_mode)
        src_dir, src_base = split_dir_entry(real)
        resolved, rename = prepare_copy(src_is_dir, rebase_name or src_base, dst_info_path,
                                        dst_exists, dst_is_dir)
        top = rename[1] if rename else (rebase_name or src_base)
        body = _counting(_tar_stream(os.path.join(src_dir, src_base), top))
    r = ctx.client.request("PUT", f"/containers/{container}/archive",
                           {"path": resolved, "noOverwriteDirNonDir": "true",
                            "copyUIDGID": "true" if copy_uid_gid else None}, body=body)
    r.read()
    r.close()
    return body.total


def _host_source(path: str, follow: bool) -> tuple[str, str]:
    """Docker's ResolveHostSourcePath: (path to read, name to give it)."""
    if follow:
        resolved = os.path.realpath(path)
        resolved, rebase_name = _rebase_name(path, resolved)
        return resolved.rstrip("/") if resolved != "/" else resolved, rebase_name
    d, b = os.path.split(path.rstrip("/") if path != "/" else path)
    resolved = os.path.join(os.path.realpath(d or "."), b)
    rebase_name = ""
    if has_trailing_sep(path) and os.path.basename(path.rstrip("/")) != os.path.basename(resolved):
        rebase_name = os.path.basename(path.rstrip("/"))
    if specifies_current_dir(path):
        resolved = os.path.join(os.path.realpath(path.rstrip(".").rstrip("/") or "/"), ".")
    return resolved, rebase_name


class _counting:
    def __init__(self, it) -> None:
        self.it = it
        self.total = 0

    def __iter__(self):
        for chunk in self.it:
            self.total += len(chunk)
            yield chunk


def _tar_stream(path: str, arcname: str):
    """A tar of `path` named `arcname`, produced in a thread as it is sent."""
    import queue
    import tarfile
    import threading
    q: queue.Queue = queue.Queue(8)
    END = object()

    class W:
        def __init__(self) -> None:
            self.buf = bytearray()
            self.pos = 0

        def write(self, b) -> int:
            self.buf += b
            self.pos += len(b)
            if len(self.buf) >= 1 << 20:
                q.put(bytes(self.buf))
                self.buf.clear()
            return len(b)

        def tell(self) -> int:
            return self.pos

    def produce() -> None:
        w = W()
        try:
            with tarfile.open(fileobj=w, mode="w", format=tarfile.PAX_FORMAT) as tar:
                tar.add(path, arcname=arcname if arcname != "." else ".", recursive=True)
            if w.buf:
                q.put(bytes(w.buf))
            q.put(END)
        except BaseException as e:
            q.put(e)
    threading.Thread(target=produce, daemon=True).start()
    while True:
        item = q.get()
        if item is END:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


def diff(ctx: Context, argv: list[str]) -> int:
    p = parse(ctx, "diff", "docker diff CONTAINER",
              "Inspect changes to files or directories on a container's filesystem", [], argv,
              min_args=1, max_args=1)
    try:
        items = ctx.client.get_json(f"/containers/{p.args[0]}/changes") or []
    except Exception as e:
        return ctx.daemon_error(e)
    letters = {0: "C", 1: "A", 2: "D"}
    sys.stdout.write("".join(f"{letters.get(i.get('Kind'), '?')} {i.get('Path')}\n" for i in items))
    return 0


def split_repo_tag(ref: str) -> tuple[str, str]:
    name, tag = ref, ""
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        name, tag = ref[:colon], ref[colon + 1:]
    return name, tag


def commit(ctx: Context, argv: list[str]) -> int:
    flags = [F("author", "a", "string", "", 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")'),
             F("change", "c", "list", None, "Apply Dockerfile instruction to the created image"),
             F("message", "m", "string", "", "Commit message"),
             F("pause", "p", "bool", True, "Pause container during commit")]
    p = parse(ctx, "commit", "docker commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
              "Create a new image from a container's changes", flags, argv, min_args=1, max_args=2,
              interspersed=False)
    container = p.args[0]
    repo, tag = split_repo_tag(p.args[1]) if len(p.args) > 1 else ("", "")
    if len(p.args) > 1:
        from barge.errdefs import InvalidParameter
        from barge.spec import reference
        try:
            reference.normalize(p.args[1])
        except InvalidParameter as e:
            ctx.err(str(e))
            return 1
    params = {"container": container, "repo": repo or None, "tag": tag or None,
              "comment": p.opts["message"] or None, "author": p.opts["author"] or None,
              "pause": "1" if p.opts["pause"] else "0", "changes": p.opts["change"] or None}
    try:
        r = ctx.client.post("/commit", params, body=b"")
        out = r.json()
    except Exception as e:
        return ctx.daemon_error(e)
    ctx.out(out.get("Id", ""))
    return 0
