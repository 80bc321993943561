"""Row contexts for `docker ps`, `docker images` and `docker history`.

Each row wraps one API list item; its properties carry Docker's template
field names (`{{.ID}}`, `{{.RunningFor}}`, ...) and return the strings the
Docker CLI (28.x) prints. `__json__()` is what `{{json .}}` prints: every
field, keys sorted, as Docker marshals its format contexts.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
TYPE_CHECKING = False   # typing is slow to import; annotations only need it for checkers
if TYPE_CHECKING:
    from typing import Any

from barge.cli.format import ellipsis

__all__ = [
    "ContainerRow", "HISTORY_HEADERS", "HISTORY_TABLE", "HISTORY_TABLE_NON_HUMAN",
    "HistoryRow", "IMAGES_HEADERS", "IMAGES_RAW", "IMAGES_RAW_DIGESTS", "IMAGES_TABLE",
    "IMAGES_TABLE_DIGESTS", "ImageRow", "PS_HEADERS", "PS_RAW", "PS_TABLE", "Platform", "displayable_ports", "go_time_string",
    "history_format", "image_rows", "images_format", "ps_format", "ps_needs_size",
    "rfc3339", "truncate_id",
]

PS_TABLE = ("table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}"
            "\t{{.Ports}}\t{{.Names}}")
PS_RAW = ("container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\n"
          "created_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\n"
          "status: {{- pad .Status 1 0}}\nnames: {{.Names}}\n"
          "labels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n")
PS_HEADERS: Mapping[str, str] = {
    "ID": "CONTAINER ID", "Names": "NAMES", "Image": "IMAGE", "Command": "COMMAND",
    "CreatedAt": "CREATED AT", "RunningFor": "CREATED", "Ports": "PORTS", "State": "STATE",
    "Status": "STATUS", "Size": "SIZE", "Labels": "LABELS", "Mounts": "MOUNTS",
    "LocalVolumes": "LOCAL VOLUMES", "Networks": "NETWORKS", "Platform": "PLATFORM",
}

IMAGES_TABLE = ("table {{.Repository}}\t{{.Tag}}\t{{.ID}}"
                "\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}")
IMAGES_TABLE_DIGESTS = ("table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}"
                        "\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}")
IMAGES_RAW = ("repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\n"
              "created_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n")
IMAGES_RAW_DIGESTS = ("repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\n"
                      "image_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n")
IMAGES_HEADERS: Mapping[str, str] = {
    "ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST",
    "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE",
    "Containers": "CONTAINERS", "VirtualSize": "SIZE", "SharedSize": "SHARED SIZE",
    "UniqueSize": "UNIQUE SIZE",
}

HISTORY_TABLE = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
HISTORY_TABLE_NON_HUMAN = "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
HISTORY_HEADERS: Mapping[str, str] = {
    "ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT",
    "CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT",
}

QUIET_FORMAT = "{{.ID}}"
NONE = "<none>"
# Go's zero time.Time as Unix seconds: an image "created" then has no age.
_GO_ZERO_TIME = -62135596800
# Docker shows no age for history entries from before 2000 (often build tools
# that zero the timestamps).
_HISTORY_EPOCH = 946684800


# ---- formats per command ------------------------------------------------------

def ps_format(fmt: str, quiet: bool, size: bool) -> str:
    """Docker's NewContainerFormat. With `quiet`, any custom format gives way
    to the IDs (Docker also warns on stderr: "WARNING: Ignoring custom format,
    because both --format and --quiet are set.")."""
    if fmt in ("", "table"):
        if quiet:
            return QUIET_FORMAT
        return PS_TABLE + ("\t{{.Size}}" if size else "")
    if fmt == "raw":
        if quiet:
            return "container_id: {{.ID}}"
        return PS_RAW + ("size: {{.Size}}\n" if size else "")
    return QUIET_FORMAT if quiet else fmt


def images_format(fmt: str, quiet: bool, digests: bool) -> str:
    """Docker's NewImageFormat: `-q` only overrides "table" and "raw"; a
    custom `table` gets a DIGEST column appended with --digests."""
    if fmt in ("", "table"):
        if quiet:
            return QUIET_FORMAT
        return IMAGES_TABLE_DIGESTS if digests else IMAGES_TABLE
    if fmt == "raw":
        if quiet:
            return "image_id: {{.ID}}"
        return IMAGES_RAW_DIGESTS if digests else IMAGES_RAW
    if fmt.startswith("table") and digests and "{{.Digest}}" not in fmt:
        return fmt + "\t{{.Digest}}"
    return fmt


def history_format(fmt: str, quiet: bool, human: bool) -> str:
    """Docker's NewHistoryFormat: `-q` only overrides "table"."""
    if fmt in ("", "table"):
        if quiet:
            return QUIET_FORMAT
        return HISTORY_TABLE if human else HISTORY_TABLE_NON_HUMAN
    return fmt


def ps_needs_size(fmt: str) -> bool:
    """Whether a `docker ps --format` uses `.Size`, so the CLI must ask the
    daemon for sizes (Docker executes the raw format on an empty row to find
    out). Raises InvalidParameter with Docker's wording for a bad template."""
    from barge.errdefs import InvalidParameter
    from barge.util import gotemplate

    try:
        template = gotemplate.parse(fmt)
    except InvalidParameter as e:
        raise InvalidParameter(f"failed to parse template: {e}") from None
    probe = ContainerRow({})
    try:
        template.execute(probe)
    except InvalidParameter as e:
        raise InvalidParameter(f"failed to execute template: {e}") from None
    return probe.size_used


# ---- shared helpers -------------------------------------------------------------

def truncate_id(value: str) -> str:
    """Docker's stringid.TruncateID: drop an `algo:` prefix, keep 12 characters."""
    _, colon, rest = value.partition(":")
    return (rest if colon else value)[:12]


def _local(ts: int, utc: bool) -> tuple[time.struct_time, str, int]:
    """The broken-down time, zone name and UTC offset (seconds)."""
    if utc:
        # Go names its UTC zone "UTC", where gmtime says "GMT".
        return time.gmtime(ts), "UTC", 0
    t = time.localtime(ts)
    return t, t.tm_zone or "UTC", t.tm_gmtoff or 0


def go_time_string(ts: int, utc: bool = False) -> str:
    """Go's time.Unix(ts, 0).String(): "2024-01-02 15:04:05 +0000 UTC", in
    the local zone unless `utc`."""
    t, name, offset = _local(ts, utc)
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset) // 60, 60)
    return f"{time.strftime('%Y-%m-%d %H:%M:%S', t)} {sign}{hours:02d}{minutes:02d} {name}"


def rfc3339(ts: int, utc: bool = False) -> str:
    """Go's time.Unix(ts, 0).Format(time.RFC3339) in the local zone (or UTC)."""
    t, _, offset = _local(ts, utc)
    if offset == 0:
        suffix = "Z"
    else:
        hours, minutes = divmod(abs(offset) // 60, 60)
        suffix = f"{'-' if offset < 0 else '+'}{hours:02d}:{minutes:02d}"
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + suffix


def _ago(now: float, created: float) -> str:
    from barge.spec.units import human_duration
    return human_duration(now - created) + " ago"


def _join_host_port(host: str, port: str) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _port_group(key: str, first: int, last: int) -> str:
    ip, slash, proto = key.partition("/")
    if not slash:
        ip, proto = "", key
    group = str(first) if first == last else f"{first}-{last}"
    if ip:
        group = f"{_join_host_port(ip, group)}->{group}"
    return f"{group}/{proto}"


def displayable_ports(ports: Iterable[Mapping[str, Any]]) -> str:
    """Docker's DisplayablePorts: "0.0.0.0:8080->80/tcp, 7000-7001/tcp".
    Ports published on the same number are collapsed into ranges per address
    and protocol; those published elsewhere are listed last."""
    items = sorted(ports, key=lambda p: (p.get("PrivatePort") or 0, p.get("IP") or "",
                                         p.get("PublicPort") or 0, p.get("Type") or ""))
    groups: dict[str, list[int]] = {}
    result: list[str] = []
    host_mappings: list[str] = []
    for p in items:
        private, proto, ip = p.get("PrivatePort") or 0, p.get("Type") or "", p.get("IP") or ""
        key = proto
        if ip:
            public = p.get("PublicPort") or 0
            if public != private:
                host_mappings.append(f"{_join_host_port(ip, str(public))}->{private}/{proto}")
                continue
            key = f"{ip}/{proto}"
        group = groups.get(key)
        if group is None:
            groups[key] = [private, private]
        elif private == group[1] + 1:
            group[1] = private
        else:
            # A gap ends the range; keys keep the order they were first seen in.
            result.append(_port_group(key, group[0], group[1]))
            groups[key] = [private, private]
    result.extend(_port_group(k, first, last) for k, (first, last) in groups.items())
    return ", ".join(result + host_mappings)


class Platform:
    """An image platform as `{{.Platform}}` prints it ("linux/amd64")."""

    __slots__ = ("_p",)

    def __init__(self, platform: Mapping[str, Any]) -> None:
        self._p = platform

    def __str__(self) -> str:
        p = self._p
        os_name = p.get("os") or ""
        if not os_name:
            return "unknown"
        if p.get("os.version"):
            os_name = f"{os_name}({p['os.version']})"
        return "/".join(x for x in (os_name, p.get("architecture"), p.get("variant")) if x)

    def __json__(self) -> dict[str, Any]:
        p = self._p
        out: dict[str, Any] = {"architecture": p.get("architecture") or "",
                               "os": p.get("os") or ""}
        for key in ("os.version", "os.features", "variant"):
            if p.get(key):
                out[key] = p[key]
        return out


class _Row:
    """Common base: `__json__` reads the fields named in `_JSON_FIELDS`."""

    __slots__ = ()
    _JSON_FIELDS: tuple[str, ...] = ()

    def __json__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._JSON_FIELDS}


# ---- docker ps --------------------------------------------------------------------

class ContainerRow(_Row):
    """One GET /containers/json item, as `docker ps` shows it."""

    __slots__ = ("_c", "_trunc", "_now", "_utc", "size_used")
    __go_type__ = "*formatter.ContainerContext"
    _JSON_FIELDS = ("Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes", "Mounts",
                    "Names", "Networks", "Platform", "Ports", "RunningFor", "Size", "State",
                    "Status")

    def __init__(self, summary: Mapping[str, Any], trunc: bool = True,
                 now: float | None = None, utc: bool = False) -> None:
        self._c = summary
        self._trunc = trunc
        self._now = time.time() if now is None else now
        self._utc = utc
        # Set once `.Size` is read: `docker ps` then asks the daemon for sizes.
        self.size_used = False

    @property
    def ID(self) -> str:  # noqa: N802 - Go template field names
        cid = self._c.get("Id") or ""
        return truncate_id(cid) if self._trunc else cid

    @property
    def Names(self) -> str:  # noqa: N802
        names = [n.removeprefix("/") for n in self._c.get("Names") or ()]
        if self._trunc:
            # Names with a slash inside are legacy link aliases ("/web/db").
            for name in names:
                if "/" not in name:
                    return name
        return ",".join(names)

    @property
    def Image(self) -> str:  # noqa: N802
        image = self._c.get("Image") or ""
        if not image:
            return "<no image>"
        if not self._trunc:
            return image
        short = truncate_id(self._c.get("ImageID") or "")
        if short == truncate_id(image):
            return short
        from barge.errdefs import InvalidParameter
        from barge.spec import reference
        try:
            ref = reference.parse(image)
        except InvalidParameter:
            return image
        return reference.Reference(ref.domain, ref.path, ref.tag).familiar()

    @property
    def Command(self) -> str:  # noqa: N802
        from barge.util.gotemplate_fmt import go_quote
        command = self._c.get("Command") or ""
        return go_quote(ellipsis(command, 20) if self._trunc else command)

    @property
    def CreatedAt(self) -> str:  # noqa: N802
        return go_time_string(int(self._c.get("Created") or 0), self._utc)

    @property
    def RunningFor(self) -> str:  # noqa: N802
        return _ago(self._now, int(self._c.get("Created") or 0))

    @property
    def Ports(self) -> str:  # noqa: N802
        return displayable_ports(self._c.get("Ports") or ())

    @property
    def State(self) -> str:  # noqa: N802
        return self._c.get("State") or ""

    @property
    def Status(self) -> str:  # noqa: N802
        return self._c.get("Status") or ""

    @property
    def Size(self) -> str:  # noqa: N802
        from barge.spec.units import human_size
        self.size_used = True
        rw = human_size(self._c.get("SizeRw") or 0)
        root = self._c.get("SizeRootFs") or 0
        return f"{rw} (virtual {human_size(root)})" if root > 0 else rw

    @property
    def Labels(self) -> str:  # noqa: N802
        labels = self._c.get("Labels") or {}
        return ",".join(sorted(f"{k}={v}" for k, v in labels.items()))

    def Label(self, name: str) -> str:  # noqa: N802
        return (self._c.get("Labels") or {}).get(name, "")

    @property
    def Mounts(self) -> str:  # noqa: N802
        names = []
        for m in self._c.get("Mounts") or ():
            name = m.get("Name") or m.get("Source") or ""
            names.append(ellipsis(name, 15) if self._trunc else name)
        return ",".join(names)

    @property
    def LocalVolumes(self) -> str:  # noqa: N802
        return str(sum(1 for m in self._c.get("Mounts") or () if m.get("Driver") == "local"))

    @property
    def Networks(self) -> str:  # noqa: N802
        settings = self._c.get("NetworkSettings") or {}
        return ",".join(settings.get("Networks") or {})

    @property
    def Platform(self) -> Platform | None:  # noqa: N802
        descriptor = self._c.get("ImageManifestDescriptor") or {}
        platform = descriptor.get("platform")
        return Platform(platform) if platform else None


# ---- docker images ---------------------------------------------------------------------

class ImageRow(_Row):
    """One line of `docker images`: an image under one repository and tag
    (or digest)."""

    __slots__ = ("_i", "_repo", "_tag", "_digest", "_trunc", "_now", "_utc")
    __go_type__ = "*formatter.imageContext"
    _JSON_FIELDS = ("Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "Repository",
                    "SharedSize", "Size", "Tag", "UniqueSize", "VirtualSize")

    def __init__(self, summary: Mapping[str, Any], repo: str = NONE, tag: str = NONE,
                 digest: str = NONE, trunc: bool = True, now: float | None = None,
                 utc: bool = False) -> None:
        self._i = summary
        self._repo = repo
        self._tag = tag
        self._digest = digest
        self._trunc = trunc
        self._now = time.time() if now is None else now
        self._utc = utc

    @property
    def ID(self) -> str:  # noqa: N802
        iid = self._i.get("Id") or ""
        return truncate_id(iid) if self._trunc else iid

    @property
    def Repository(self) -> str:  # noqa: N802
        return self._repo

    @property
    def Tag(self) -> str:  # noqa: N802
        return self._tag

    @property
    def Digest(self) -> str:  # noqa: N802
        return self._digest

    @property
    def CreatedSince(self) -> str:  # noqa: N802
        created = int(self._i.get("Created") or 0)
        return "" if created == _GO_ZERO_TIME else _ago(self._now, created)

    @property
    def CreatedAt(self) -> str:  # noqa: N802
        return go_time_string(int(self._i.get("Created") or 0), self._utc)

    @property
    def Size(self) -> str:  # noqa: N802
        from barge.spec.units import human_size
        return human_size(self._i.get("Size") or 0)

    @property
    def Containers(self) -> str:  # noqa: N802
        count = self._i.get("Containers") or 0
        return "N/A" if count == -1 else str(count)

    @property
    def VirtualSize(self) -> str:  # noqa: N802
        from barge.spec.units import human_size
        return human_size(self._i.get("Size") or 0, 4)

    @property
    def SharedSize(self) -> str:  # noqa: N802
        from barge.spec.units import human_size
        shared = self._i.get("SharedSize") or 0
        return "N/A" if shared == -1 else human_size(shared, 4)

    @property
    def UniqueSize(self) -> str:  # noqa: N802
        from barge.spec.units import human_size
        size, shared = self._i.get("Size") or 0, self._i.get("SharedSize") or 0
        return "N/A" if -1 in (size, shared) else human_size(size - shared, 4)


def _is_dangling(summary: Mapping[str, Any]) -> bool:
    tags, digests = summary.get("RepoTags") or [], summary.get("RepoDigests") or []
    if not tags and not digests:
        return True
    return tags == ["<none>:<none>"] and digests == ["<none>@<none>"]


def _by_repository(refs: Sequence[str], want_tag: bool) -> dict[str, list[str]]:
    """Familiar repository -> tags (or digests), in the order first seen;
    references that do not parse, or lack the part wanted, are skipped."""
    from barge.errdefs import InvalidParameter
    from barge.spec import reference

    out: dict[str, list[str]] = {}
    for s in refs:
        try:
            ref = reference.parse(s)
        except InvalidParameter:
            continue
        part = ref.tag if want_tag else ref.digest
        if part:
            out.setdefault(ref.repository, []).append(part)
    return out


def image_rows(summaries: Iterable[Mapping[str, Any]], show_all: bool = False,
               digests: bool = False, trunc: bool = True, now: float | None = None,
               fmt: str = "", utc: bool = False) -> list[ImageRow]:
    """Docker's expansion of GET /images/json into `docker images` lines:
    one per repository and tag (times each digest when digests are shown),
    then one per repository known only by digest; a dangling image is one
    `<none>` line. `show_all` changes nothing here (the daemon filters for
    -a); `fmt` matters because a format naming `{{.Digest}}` shows digests.

    Docker walks Go maps here, so its order of repositories varies from run
    to run; this keeps the order of RepoTags and RepoDigests."""
    del show_all
    now = time.time() if now is None else now
    need_digest = digests or "{{.Digest}}" in fmt
    rows: list[ImageRow] = []
    for summary in summaries:

        def add(repo: str, tag: str, digest: str, summary: Mapping[str, Any] = summary) -> None:
            rows.append(ImageRow(summary, repo, tag, digest, trunc, now, utc))

        if _is_dangling(summary):
            add(NONE, NONE, NONE)
            continue
        repo_tags = _by_repository(summary.get("RepoTags") or [], want_tag=True)
        repo_digests = _by_repository(summary.get("RepoDigests") or [], want_tag=False)
        for repo, tags in repo_tags.items():
            repo_dgsts = repo_digests.pop(repo, [])
            if not need_digest:
                repo_dgsts = []
            for tag in tags:
                for dgst in repo_dgsts or [NONE]:
                    add(repo, tag, dgst)
        for repo, dgsts in repo_digests.items():
            if digests:
                for dgst in dgsts:
                    add(repo, NONE, dgst)
            else:
                add(repo, NONE, "")
    return rows


# ---- docker history ------------------------------------------------------------------------

class HistoryRow(_Row):
    """One GET /images/{name}/history item, as `docker history` shows it."""

    __slots__ = ("_h", "_human", "_trunc", "_now", "_utc")
    __go_type__ = "*image.historyContext"
    _JSON_FIELDS = ("Comment", "CreatedAt", "CreatedBy", "CreatedSince", "ID", "Size")

    def __init__(self, item: Mapping[str, Any], human: bool = True, trunc: bool = True,
                 now: float | None = None, utc: bool = False) -> None:
        self._h = item
        self._human = human
        self._trunc = trunc
        self._now = time.time() if now is None else now
        self._utc = utc

    @property
    def ID(self) -> str:  # noqa: N802
        hid = self._h.get("Id") or ""
        return truncate_id(hid) if self._trunc else hid

    @property
    def CreatedAt(self) -> str:  # noqa: N802
        return rfc3339(int(self._h.get("Created") or 0), self._utc)

    @property
    def CreatedSince(self) -> str:  # noqa: N802
        if not self._human:
            return self.CreatedAt
        created = int(self._h.get("Created") or 0)
        return "N/A" if created <= _HISTORY_EPOCH else _ago(self._now, created)

    @property
    def CreatedBy(self) -> str:  # noqa: N802
        created_by = (self._h.get("CreatedBy") or "").replace("\t", " ")
        return ellipsis(created_by, 45) if self._trunc else created_by

    @property
    def Size(self) -> str:  # noqa: N802
        size = self._h.get("Size") or 0
        if not self._human:
            return str(size)
        from barge.spec.units import human_size
        return human_size(size)

    @property
    def Comment(self) -> str:  # noqa: N802
        return self._h.get("Comment") or ""
