"""Table tests for barge.cli.format and barge.cli.rows: `docker ps`,
`docker images` and `docker history` output. Golden outputs were printed by
the Docker CLI 28.2.2 for the same API items (times fixed with `now`)."""

from __future__ import annotations

import pytest

from barge.cli import format as F
from barge.cli import rows as R
from barge.errdefs import InvalidParameter
from barge.util.gotemplate_fmt import to_json

BUSYBOX_ID = "sha256:bc38a0ad63c1f15c69a7d63098137b708048351581ef4b1843755911d5f2a77d"
T0 = 1795442822  # 2026-11-23 14:07:02 UTC

FMT3 = {
    "Id": "de05a0bbf38150fd76482e7fa1c95d4cf0058d5b0b6f727e769d0a3bdb43a57b",
    "Names": ["/fmt3"], "Image": "busybox", "ImageID": BUSYBOX_ID,
    "Command": "sh -c 'exit 3'", "Created": T0, "Ports": [],
    "Labels": {"u": "日本語", "z": "😀a"}, "State": "exited",
    "Status": "Exited (3) 2 seconds ago", "NetworkSettings": {"Networks": {"bridge": {}}},
    "Mounts": [],
}
FMTCHECK = {
    "Id": "f8f423f02d856621f8bbc6ebe740b8612d2e7165f416edf4eeec24e7df93a988",
    "Names": ["/fmtcheck"], "Image": "busybox", "ImageID": BUSYBOX_ID,
    "Command": "sleep 600", "Created": T0,
    "Ports": [
        {"PrivatePort": 7005, "Type": "tcp"},
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"IP": "0.0.0.0", "PrivatePort": 9000, "PublicPort": 9000, "Type": "udp"},
        {"IP": "::", "PrivatePort": 9000, "PublicPort": 9000, "Type": "udp"},
        {"IP": "0.0.0.0", "PrivatePort": 9001, "PublicPort": 9001, "Type": "udp"},
        {"IP": "::", "PrivatePort": 9001, "PublicPort": 9001, "Type": "udp"},
        {"IP": "0.0.0.0", "PrivatePort": 9002, "PublicPort": 9002, "Type": "udp"},
        {"IP": "::", "PrivatePort": 9002, "PublicPort": 9002, "Type": "udp"},
        {"IP": "127.0.0.1", "PrivatePort": 53, "PublicPort": 5353, "Type": "udp"},
        {"PrivatePort": 7000, "Type": "tcp"},
        {"PrivatePort": 7001, "Type": "tcp"},
    ],
    "Labels": {"b": "2", "a": "1"}, "State": "running", "Status": "Up 2 seconds",
    "NetworkSettings": {"Networks": {"bridge": {}}},
    "Mounts": [
        {"Type": "volume", "Name": "fmtvol", "Source": "/var/lib/docker/volumes/fmtvol/_data",
         "Destination": "/data", "Driver": "local"},
        {"Type": "bind", "Source": "/tmp", "Destination": "/mnt/tmp"},
    ],
    "SizeRw": 0, "SizeRootFs": 1984172,
}
HARDCORE = {
    "Id": "dc0a067c107e6c0f9b904530e441f4aa15bfd0c77d51e2877d59d9127ac3a4e3",
    "Names": ["/hardcore_pare"], "Image": "busybox", "ImageID": BUSYBOX_ID,
    "Command": "true", "Created": 1795441504, "Ports": [], "Labels": {}, "State": "exited",
    "Status": "Exited (0) 21 minutes ago", "NetworkSettings": {"Networks": {"bridge": {}}},
    "Mounts": [],
}
FMTCHECK_PORTS = ("7000-7001/tcp, 7005/tcp, 0.0.0.0:9000-9002->9000-9002/udp, "
                  "[::]:9000-9002->9000-9002/udp, 127.0.0.1:5353->53/udp, "
                  "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp")

PS_GOLDEN = (
    "CONTAINER ID   IMAGE     COMMAND            CREATED          STATUS" + " " * 22
    + "PORTS" + " " * 151 + "NAMES\n"
    "de05a0bbf381   busybox   \"sh -c 'exit 3'\"   2 seconds ago    Exited (3) 2 seconds ago"
    + " " * 160 + "fmt3\n"
    "f8f423f02d85   busybox   \"sleep 600\"        2 seconds ago    Up 2 seconds                "
    + FMTCHECK_PORTS + "   fmtcheck\n"
    "dc0a067c107e   busybox   \"true\"             22 minutes ago   Exited (0) 21 minutes ago"
    + " " * 159 + "hardcore_pare\n"
)


def container(summary: dict, trunc: bool = True, now: float = T0 + 2) -> R.ContainerRow:
    return R.ContainerRow(summary, trunc=trunc, now=now, utc=True)


# ---- tabwriter ------------------------------------------------------------------

@pytest.mark.parametrize("rows, expected", [
    ([], ""),
    ([["a"]], "a\n"),
    ([["a", "b"]], "a         b\n"),
    ([["CONTAINER ID", "NAMES"], ["abc", "x"]],
     "CONTAINER ID   NAMES\nabc            x\n"),
    # the last cell of a line is never padded
    ([["a", "b", "c"], ["dddddddddddd", "e", "ffffffffffffffffffff"]],
     "a              b         c\ndddddddddddd   e         ffffffffffffffffffff\n"),
    # an empty cell is padded like any other
    ([["NAMES", "", "CONTAINER ID"], ["fmt2", "", "93997cb77eff"]],
     "NAMES" + " " * 15 + "CONTAINER ID\nfmt2" + " " * 16 + "93997cb77eff\n"),
    # a trailing tab leaves an empty last cell, so the column before is padded
    ([["NAMES", "CONTAINER ID", ""], ["fmt2", "93997cb77eff", ""]],
     "NAMES     CONTAINER ID   \nfmt2      93997cb77eff   \n"),
    # wide characters take two columns, combining marks and controls none
    ([["日本語", "x"], ["e\u0301x", "y"], ["😀a", "z"], ["a\x01b", "w"], ["…§±", "v"]],
     "日本語    x\ne\u0301x        y\n😀a       z\na\x01b        w\n…§±       v\n"),
])
def test_tabwrite(rows: list[list[str]], expected: str) -> None:
    assert F.tabwrite(rows) == expected


@pytest.mark.parametrize("text, expected", [
    # a one-cell line ends the block: the lines after it align on their own
    ("NAMES\nCONTAINER ID\tSTATE\nfmt2\n93997cb77eff\trunning\n",
     "NAMES\nCONTAINER ID   STATE\nfmt2\n93997cb77eff   running\n"),
    # columns are per contiguous block of lines that have them
    ("a\tb\tc\nxxxxxxxxxxxx\tyy\n\tzzzzzzzzzzzzzz\tq\n",
     "a              b         c\nxxxxxxxxxxxx   yy\n"
     "               zzzzzzzzzzzzzz   q\n"),
    # no final newline: the text after the last tab is written as it is
    ("ab\tc", "ab        c"),
    # a form feed ends the block and prints as a newline
    ("aaaaaaaaaaaaaa\tb\n\fc\td\n", "aaaaaaaaaaaaaa   b\n\nc         d\n"),
    ("a\vb\n", "a         b\n"),
])
def test_tabwrite_text(text: str, expected: str) -> None:
    assert F.tabwrite_text(text) == expected


@pytest.mark.parametrize("text, width", [
    ("", 0), ("abc", 3), ("a\x01\x7fb", 2), ("日本語", 6), ("é", 1), ("e\u0301", 1),
    ("😀", 2), ("…", 1), ("a\u200bb", 2), ("Ａ", 2),
])
def test_display_width(text: str, width: int) -> None:
    assert F.display_width(text) == width


@pytest.mark.parametrize("text, width, expected", [
    ("sleep 300", 20, "sleep 300"),
    ("12345678901234567890", 20, "12345678901234567890"),
    ("123456789012345678901", 20, "1234567890123456789…"),
    ("abc", 1, "a"),
    ("abc", 0, ""),
    ("日本語日本語", 6, "日本…"),
    ("日本語", 6, "日本語"),
    ("aé" * 5, 5, "aéaé…"),
    ("日本語", 2, "日本語"),  # Docker leaves it when the first character is too wide
])
def test_ellipsis(text: str, width: int, expected: str) -> None:
    assert F.ellipsis(text, width) == expected


# ---- render -------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, expected", [
    ("table {{.ID}}", (True, "{{.ID}}")),
    ("table    {{.Names}}  ", (True, "{{.Names}}")),
    ("  table {{.Names}}", (False, "table {{.Names}}")),
    ("{{.Names}}\\t{{.ID}}\\n", (False, "{{.Names}}\t{{.ID}}\n")),
    ("json", (False, "{{json .}}")),
    ("table\t{{.ID}}", (True, "\t{{.ID}}")),
])
def test_prepare_format(fmt: str, expected: tuple[bool, str]) -> None:
    assert F.prepare_format(fmt) == expected


def test_render_default_ps_table_matches_docker() -> None:
    rows = [container(c) for c in (FMT3, FMTCHECK, HARDCORE)]
    assert F.render(rows, "", R.PS_TABLE, R.PS_HEADERS) == PS_GOLDEN
    assert F.render(rows, "table", R.PS_TABLE, R.PS_HEADERS) == PS_GOLDEN
    assert F.render(rows, None, R.PS_TABLE, R.PS_HEADERS) == PS_GOLDEN


def test_render_empty_table_prints_header() -> None:
    assert F.render([], "", R.PS_TABLE, R.PS_HEADERS) == (
        "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n")
    assert F.render([], "table {{.Names}}\\t{{.ID}}", R.PS_TABLE, R.PS_HEADERS) == (
        "NAMES     CONTAINER ID\n")
    assert F.render([], "{{.Names}}", R.PS_TABLE, R.PS_HEADERS) == ""


@pytest.mark.parametrize("fmt, expected", [
    ("table {{.Names}}\\t{{.Status}}",
     "NAMES           STATUS\nfmt3            Exited (3) 2 seconds ago\n"
     "fmtcheck        Up 2 seconds\nhardcore_pare   Exited (0) 21 minutes ago\n"),
    ("table {{.Names}}", "NAMES\nfmt3\nfmtcheck\nhardcore_pare\n"),
    # not a table: no header, no alignment, tabs kept
    ("{{.Names}}\\t{{.ID}}",
     "fmt3\tde05a0bbf381\nfmtcheck\tf8f423f02d85\nhardcore_pare\tdc0a067c107e\n"),
    ("{{.Names}}\\n", "fmt3\n\nfmtcheck\n\nhardcore_pare\n\n"),
    ("  table {{.Names}}", "table fmt3\ntable fmtcheck\ntable hardcore_pare\n"),
    ("table    {{.Names}}  ", "NAMES\nfmt3\nfmtcheck\nhardcore_pare\n"),
    ('table {{.Names}}\\t{{.Label "a"}}\\tX',
     "NAMES           a         X\nfmt3                      X\n"
     "fmtcheck        1         X\nhardcore_pare             X\n"),
    ('table {{.Label "com.docker.compose-x_y.project"}}|',
     "project|\n|\n|\n|\n"),
    ("table {{json .Names}}\\t{{upper .Status}}\\t{{pad .State 1 1}}|",
     'NAMES             STATUS                       STATE |\n'
     '"fmt3"            EXITED (3) 2 SECONDS AGO     exited |\n'
     '"fmtcheck"        UP 2 SECONDS                 running |\n'
     '"hardcore_pare"   EXITED (0) 21 MINUTES AGO    exited |\n'),
    ("table {{.Names}}\\n{{.ID}}\\t{{.State}}",
     "NAMES\nCONTAINER ID   STATE\nfmt3\nde05a0bbf381   exited\nfmtcheck\n"
     "f8f423f02d85   running\nhardcore_pare\ndc0a067c107e   exited\n"),
    ("table {{.Platform}}\\t{{.Names}}",
     "PLATFORM   NAMES\n<nil>      fmt3\n<nil>      fmtcheck\n<nil>      hardcore_pare\n"),
    # a field without a header prints Go's "<no value>" in the header
    ("table {{.Names}}\\t{{.Size}}", None),
])
def test_render_formats(fmt: str, expected: str | None) -> None:
    rows = [container(c) for c in (FMT3, FMTCHECK, HARDCORE)]
    out = F.render(rows, fmt, R.PS_TABLE, R.PS_HEADERS)
    if expected is not None:
        assert out == expected
    else:
        assert out.splitlines()[0] == "NAMES           SIZE"


def test_render_header_missing_field() -> None:
    class Row:
        ID = "x"
        Extra = "y"
    assert F.render([Row()], "table {{.ID}}\\t{{.Extra}}", "", {"ID": "ID"}) == (
        "ID        <no value>\nx         y\n")


def test_render_header_failure_gives_empty_header() -> None:
    # Docker's header functions accept only strings: `json .` fails on the
    # header and Docker prints an empty header line.
    out = F.render([container(HARDCORE)], "table {{json .State}}", R.PS_TABLE, R.PS_HEADERS)
    assert out == 'STATE\n"exited"\n'


@pytest.mark.parametrize("quiet_field, expected", [
    (None, "de05a0bbf381\nf8f423f02d85\n"),
    ("Names", "fmt3\nfmtcheck\n"),
])
def test_render_quiet(quiet_field: str | None, expected: str) -> None:
    rows = [container(FMT3), container(FMTCHECK)]
    assert F.render(rows, "table {{.Names}}", R.PS_TABLE, R.PS_HEADERS,
                    quiet_field=quiet_field, quiet=True) == expected


@pytest.mark.parametrize("fmt, message", [
    ("{{.Foo}}", 'template parsing error: template: :1:2: executing "" at <.Foo>: '
                 "can't evaluate field Foo in type"),
    ("table {{.ID}}\\t{{.Foo}}", "template parsing error: template: :1:10: "),
    ("{{.ID}", "template parsing error: template: :1: "),
])
def test_render_template_errors(fmt: str, message: str) -> None:
    with pytest.raises(InvalidParameter) as e:
        F.render([container(FMT3)], fmt, R.PS_TABLE, R.PS_HEADERS)
    assert str(e.value).startswith(message)


def test_header_context() -> None:
    h = F.HeaderContext({"ID": "CONTAINER ID"})
    assert h.ID == "CONTAINER ID"
    assert repr(h.Nope) == "<no value>"
    assert h.Label("com.docker.compose.project") == "project"
    assert h.Label("my-label_name") == "my label name"
    with pytest.raises(AttributeError):
        h.__deepcopy__  # noqa: B018


# ---- docker ps rows ----------------------------------------------------------------------

PS_JSON = ('{"Command":"\\"sleep 600\\"","CreatedAt":"2026-11-23 14:07:02 +0000 UTC",'
           '"ID":"f8f423f02d85","Image":"busybox","Labels":"a=1,b=2","LocalVolumes":"1",'
           '"Mounts":"fmtvol,/tmp","Names":"fmtcheck","Networks":"bridge","Platform":null,'
           '"Ports":"7000-7001/tcp, 7005/tcp, 0.0.0.0:9000-9002-\\u003e9000-9002/udp, '
           '[::]:9000-9002-\\u003e9000-9002/udp, 127.0.0.1:5353-\\u003e53/udp, '
           '0.0.0.0:8080-\\u003e80/tcp, [::]:8080-\\u003e80/tcp","RunningFor":"10 seconds ago",'
           '"Size":"0B (virtual 1.98MB)","State":"running","Status":"Up 2 seconds"}')


def test_container_json_matches_docker() -> None:
    row = container(FMTCHECK, now=T0 + 10)
    assert to_json(row.__json__(), escape_html=True) == PS_JSON


def test_render_json_format() -> None:
    row = container(FMTCHECK, now=T0 + 10)
    assert F.render([row], "json", R.PS_TABLE, R.PS_HEADERS) == PS_JSON + "\n"
    assert F.render([row], "{{json .}}", R.PS_TABLE, R.PS_HEADERS) == PS_JSON + "\n"


@pytest.mark.parametrize("field, summary, trunc, expected", [
    ("ID", FMTCHECK, True, "f8f423f02d85"),
    ("ID", FMTCHECK, False, FMTCHECK["Id"]),
    ("Names", {"Names": ["/fmt2/alias", "/fmtcheck"]}, True, "fmtcheck"),
    ("Names", {"Names": ["/fmt2/alias", "/fmtcheck"]}, False, "fmt2/alias,fmtcheck"),
    ("Names", {"Names": ["/web"]}, True, "web"),
    ("Names", {}, True, ""),
    ("Image", FMTCHECK, True, "busybox"),
    ("Image", {}, True, "<no image>"),
    ("Image", {"Image": BUSYBOX_ID, "ImageID": BUSYBOX_ID}, True, "bc38a0ad63c1"),
    ("Image", {"Image": BUSYBOX_ID, "ImageID": BUSYBOX_ID}, False, BUSYBOX_ID),
    ("Image", {"Image": "docker.io/library/busybox:latest", "ImageID": BUSYBOX_ID}, True,
     "busybox:latest"),
    ("Image", {"Image": "busybox:1.36@sha256:" + "a" * 64}, True, "busybox:1.36"),
    ("Image", {"Image": "busybox@sha256:" + "a" * 64}, True, "busybox"),
    ("Image", {"Image": "busybox@sha256:" + "a" * 64}, False, "busybox@sha256:" + "a" * 64),
    ("Image", {"Image": "localhost:5000/App"}, True, "localhost:5000/App"),
    ("Command", FMTCHECK, True, '"sleep 600"'),
    ("Command", {"Command": "sh -c 'echo hello world; sleep 1'"}, True,
     '"sh -c \'echo hello w…"'),
    ("Command", {"Command": "sh -c 'echo hello world; sleep 1'"}, False,
     '"sh -c \'echo hello world; sleep 1\'"'),
    ("Command", {"Command": 'echo "a\tb"'}, True, '"echo \\"a\\tb\\""'),
    ("Command", {}, True, '""'),
    ("CreatedAt", FMTCHECK, True, "2026-11-23 14:07:02 +0000 UTC"),
    ("RunningFor", FMTCHECK, True, "2 seconds ago"),
    ("RunningFor", HARDCORE, True, "22 minutes ago"),
    ("Ports", FMTCHECK, True, FMTCHECK_PORTS),
    ("Ports", {}, True, ""),
    ("State", FMTCHECK, True, "running"),
    ("Status", FMTCHECK, True, "Up 2 seconds"),
    ("Size", FMTCHECK, True, "0B (virtual 1.98MB)"),
    ("Size", {"SizeRw": 12345}, True, "12.3kB"),
    ("Size", {}, True, "0B"),
    ("Labels", FMTCHECK, True, "a=1,b=2"),
    ("Labels", FMT3, True, "u=日本語,z=😀a"),
    ("Labels", {"Labels": None}, True, ""),
    ("Mounts", FMTCHECK, True, "fmtvol,/tmp"),
    ("Mounts", {"Mounts": [{"Name": "a" * 64, "Driver": "local"}]}, True, "a" * 14 + "…"),
    ("Mounts", {"Mounts": [{"Name": "a" * 64, "Driver": "local"}]}, False, "a" * 64),
    ("LocalVolumes", FMTCHECK, True, "1"),
    ("LocalVolumes", {}, True, "0"),
    ("Networks", {"NetworkSettings": {"Networks": {"bridge": {}, "web": {}}}}, True,
     "bridge,web"),
    ("Networks", {"NetworkSettings": None}, True, ""),
])
def test_container_row_fields(field: str, summary: dict, trunc: bool, expected: str) -> None:
    assert getattr(container(summary, trunc=trunc), field) == expected


def test_container_row_label_and_platform() -> None:
    row = container(FMTCHECK)
    assert row.Label("a") == "1"
    assert row.Label("nope") == ""
    assert container({}).Label("a") == ""
    assert row.Platform is None
    p = container({"ImageManifestDescriptor": {"platform": {
        "architecture": "arm64", "os": "linux", "variant": "v8"}}}).Platform
    assert str(p) == "linux/arm64/v8"
    assert p.__json__() == {"architecture": "arm64", "os": "linux", "variant": "v8"}
    assert str(R.Platform({"architecture": "amd64"})) == "unknown"
    assert str(R.Platform({"os": "windows", "os.version": "10.0.17763", "architecture": "amd64"})) \
        == "windows(10.0.17763)/amd64"


def test_container_row_empty_summary_renders() -> None:
    row = container({}, now=0)
    assert row.__json__()["CreatedAt"] == "1970-01-01 00:00:00 +0000 UTC"
    assert row.RunningFor == "Less than a second ago"


# Docker's own DisplayablePorts cases, plus IPv6.
@pytest.mark.parametrize("ports, expected", [
    ([{"PrivatePort": 9988, "Type": "tcp"}], "9988/tcp"),
    ([{"IP": "0.0.0.0", "PrivatePort": 9988, "Type": "tcp"}], "0.0.0.0:0->9988/tcp"),
    ([{"PrivatePort": 9988, "PublicPort": 8899, "Type": "tcp"}], "9988/tcp"),
    ([{"IP": "4.3.2.1", "PrivatePort": 9988, "PublicPort": 8899, "Type": "tcp"}],
     "4.3.2.1:8899->9988/tcp"),
    ([{"IP": "4.3.2.1", "PrivatePort": 9988, "PublicPort": 9988, "Type": "tcp"}],
     "4.3.2.1:9988->9988/tcp"),
    ([{"PrivatePort": 9988, "Type": "udp"}, {"PrivatePort": 9988, "Type": "udp"}],
     "9988/udp, 9988/udp"),
    ([{"IP": "1.2.3.4", "PublicPort": 9998, "PrivatePort": 9998, "Type": "udp"},
      {"IP": "1.2.3.4", "PublicPort": 9999, "PrivatePort": 9999, "Type": "udp"}],
     "1.2.3.4:9998-9999->9998-9999/udp"),
    ([{"IP": "1.2.3.4", "PublicPort": 8887, "PrivatePort": 9998, "Type": "udp"},
      {"IP": "1.2.3.4", "PublicPort": 8888, "PrivatePort": 9999, "Type": "udp"}],
     "1.2.3.4:8887->9998/udp, 1.2.3.4:8888->9999/udp"),
    ([{"PrivatePort": 9998, "Type": "udp"}, {"PrivatePort": 9999, "Type": "udp"}],
     "9998-9999/udp"),
    ([{"IP": "1.2.3.4", "PrivatePort": 6677, "PublicPort": 7766, "Type": "tcp"},
      {"PrivatePort": 9988, "PublicPort": 8899, "Type": "udp"}],
     "9988/udp, 1.2.3.4:7766->6677/tcp"),
    ([{"IP": "1.2.3.4", "PrivatePort": 9988, "PublicPort": 8899, "Type": "udp"},
      {"IP": "1.2.3.4", "PrivatePort": 9988, "PublicPort": 8899, "Type": "tcp"},
      {"IP": "4.3.2.1", "PrivatePort": 2233, "PublicPort": 3322, "Type": "tcp"}],
     "4.3.2.1:3322->2233/tcp, 1.2.3.4:8899->9988/tcp, 1.2.3.4:8899->9988/udp"),
    ([{"PrivatePort": 80, "Type": "tcp"}, {"PrivatePort": 1024, "Type": "tcp"},
      {"PrivatePort": 80, "Type": "udp"}, {"PrivatePort": 1024, "Type": "udp"},
      {"IP": "1.1.1.1", "PublicPort": 80, "PrivatePort": 1024, "Type": "tcp"},
      {"IP": "1.1.1.1", "PublicPort": 80, "PrivatePort": 1024, "Type": "udp"},
      {"IP": "1.1.1.1", "PublicPort": 1024, "PrivatePort": 80, "Type": "tcp"},
      {"IP": "1.1.1.1", "PublicPort": 1024, "PrivatePort": 80, "Type": "udp"},
      {"IP": "2.1.1.1", "PublicPort": 80, "PrivatePort": 1024, "Type": "tcp"},
      {"IP": "2.1.1.1", "PublicPort": 80, "PrivatePort": 1024, "Type": "udp"},
      {"IP": "2.1.1.1", "PublicPort": 1024, "PrivatePort": 80, "Type": "tcp"},
      {"IP": "2.1.1.1", "PublicPort": 1024, "PrivatePort": 80, "Type": "udp"},
      {"PrivatePort": 12345, "Type": "sctp"}],
     "80/tcp, 80/udp, 1024/tcp, 1024/udp, 12345/sctp, 1.1.1.1:1024->80/tcp, "
     "1.1.1.1:1024->80/udp, 2.1.1.1:1024->80/tcp, 2.1.1.1:1024->80/udp, "
     "1.1.1.1:80->1024/tcp, 1.1.1.1:80->1024/udp, 2.1.1.1:80->1024/tcp, "
     "2.1.1.1:80->1024/udp"),
    ([{"PrivatePort": 80, "Type": "tcp"}, {"PrivatePort": 81, "Type": "udp"},
      {"PrivatePort": 443, "Type": "tcp"}],
     "80/tcp, 443/tcp, 81/udp"),
    ([{"IP": "::", "PrivatePort": 80, "PublicPort": 80, "Type": "tcp"},
      {"IP": "::1", "PrivatePort": 53, "PublicPort": 5353, "Type": "udp"}],
     "[::]:80->80/tcp, [::1]:5353->53/udp"),
    ([], ""),
])
def test_displayable_ports(ports: list[dict], expected: str) -> None:
    assert R.displayable_ports(ports) == expected


# ---- docker images ----------------------------------------------------------------------

IMG_FMT = {"Id": "sha256:24b1cf5fa1924c3861f8c3ee6d7b30899459899b4eacd7c70398b812c56a0661",
           "Created": 1795442477, "RepoTags": ["fmtimg:one", "fmtimg:two", "other/fmtimg:latest"],
           "RepoDigests": None, "Size": 1984175, "SharedSize": -1, "Containers": -1}
IMG_MID = {"Id": "sha256:2a4c2298fa7627ab196a70637dc3a989182612e23ed6796dc764c2c64e057e71",
           "Created": 1795442477, "RepoTags": ["<none>:<none>"], "RepoDigests": ["<none>@<none>"],
           "Size": 1984175, "SharedSize": -1, "Containers": -1}
IMG_DANGLING = {"Id": "sha256:18292472b6b9a6b29e776eabb3cdcef276763308c849aaf28d33f56a11d1b266",
                "Created": 1795442477, "RepoTags": None, "RepoDigests": None,
                "Size": 1984179, "SharedSize": -1, "Containers": -1}
IMG_BUSYBOX = {"Id": BUSYBOX_ID, "Created": 1795441435, "RepoTags": ["busybox:latest"],
               "RepoDigests": None, "Size": 1984172, "SharedSize": -1, "Containers": -1}
IMAGES = [IMG_MID, IMG_FMT, IMG_DANGLING, IMG_BUSYBOX]
IMG_NOW = 1795442477.5

IMAGES_GOLDEN = (
    "REPOSITORY     TAG       IMAGE ID       CREATED                  SIZE\n"
    "<none>         <none>    2a4c2298fa76   Less than a second ago   1.98MB\n"
    "fmtimg         one       24b1cf5fa192   Less than a second ago   1.98MB\n"
    "fmtimg         two       24b1cf5fa192   Less than a second ago   1.98MB\n"
    "other/fmtimg   latest    24b1cf5fa192   Less than a second ago   1.98MB\n"
    "<none>         <none>    18292472b6b9   Less than a second ago   1.98MB\n"
    "busybox        latest    bc38a0ad63c1   17 minutes ago           1.98MB\n"
)
IMAGES_DIGESTS_GOLDEN = (
    "REPOSITORY     TAG       DIGEST    IMAGE ID       CREATED                  SIZE\n"
    "fmtimg         one       <none>    24b1cf5fa192   Less than a second ago   1.98MB\n"
    "fmtimg         two       <none>    24b1cf5fa192   Less than a second ago   1.98MB\n"
    "other/fmtimg   latest    <none>    24b1cf5fa192   Less than a second ago   1.98MB\n"
    "<none>         <none>    <none>    18292472b6b9   Less than a second ago   1.98MB\n"
    "busybox        latest    <none>    bc38a0ad63c1   17 minutes ago           1.98MB\n"
)
IMAGES_JSON = ('{"Containers":"N/A","CreatedAt":"2026-11-23 13:43:55 +0000 UTC",'
               '"CreatedSince":"17 minutes ago","Digest":"\\u003cnone\\u003e","ID":"bc38a0ad63c1",'
               '"Repository":"busybox","SharedSize":"N/A","Size":"1.98MB","Tag":"latest",'
               '"UniqueSize":"N/A","VirtualSize":"1.984MB"}')


def images(summaries: list[dict], digests: bool = False, trunc: bool = True,
           fmt: str = "") -> list[R.ImageRow]:
    return R.image_rows(summaries, False, digests, trunc, IMG_NOW, fmt=fmt, utc=True)


def test_images_table_matches_docker() -> None:
    out = F.render(images(IMAGES), "", R.IMAGES_TABLE, R.IMAGES_HEADERS)
    assert out == IMAGES_GOLDEN
    fmt = R.images_format("", False, True)
    out = F.render(images(IMAGES[1:], digests=True, fmt=fmt), fmt, R.IMAGES_TABLE,
                   R.IMAGES_HEADERS)
    assert out == IMAGES_DIGESTS_GOLDEN


def test_images_no_trunc_and_extra_columns() -> None:
    out = F.render(images([IMG_BUSYBOX], trunc=False), "", R.IMAGES_TABLE, R.IMAGES_HEADERS)
    assert out == (
        "REPOSITORY   TAG       IMAGE ID" + " " * 66 + "CREATED          SIZE\n"
        "busybox      latest    " + BUSYBOX_ID + "   17 minutes ago   1.98MB\n")
    fmt = ("table {{.ID}}\\t{{.Containers}}\\t{{.SharedSize}}\\t{{.UniqueSize}}"
           "\\t{{.VirtualSize}}\\t{{.CreatedAt}}\\t{{.Digest}}")
    out = F.render(images([IMG_BUSYBOX], fmt=fmt), fmt, R.IMAGES_TABLE, R.IMAGES_HEADERS)
    assert out == (
        "IMAGE ID       CONTAINERS   SHARED SIZE   UNIQUE SIZE   SIZE      CREATED AT"
        "                      DIGEST\n"
        "bc38a0ad63c1   N/A          N/A           N/A           1.984MB   "
        "2026-11-23 13:43:55 +0000 UTC   <none>\n")


def test_images_quiet_repeats_ids_per_row() -> None:
    out = F.render(images([IMG_FMT]), "", R.IMAGES_TABLE, R.IMAGES_HEADERS, quiet=True)
    assert out == "24b1cf5fa192\n" * 3


def test_image_json_matches_docker() -> None:
    (row,) = images([IMG_BUSYBOX])
    assert to_json(row.__json__(), escape_html=True) == IMAGES_JSON


D1, D2, D3 = ("sha256:" + c * 64 for c in "123")
MULTI = {"Id": "sha256:" + "ab" * 32, "Created": 0, "Size": 10,
         "RepoTags": ["foo:1", "docker.io/library/foo:2", "localhost:5000/bar:x", "<none>:<none>"],
         "RepoDigests": ["foo@" + D1, "foo@" + D2, "baz@" + D3, "bad@@"]}


@pytest.mark.parametrize("summary, digests, fmt, expected", [
    (MULTI, False, "", [("foo", "1", "<none>"), ("foo", "2", "<none>"),
                        ("localhost:5000/bar", "x", "<none>"), ("baz", "<none>", "")]),
    (MULTI, True, "", [("foo", "1", D1), ("foo", "1", D2), ("foo", "2", D1), ("foo", "2", D2),
                       ("localhost:5000/bar", "x", "<none>"), ("baz", "<none>", D3)]),
    # a format that shows {{.Digest}} gets the digests of tagged repositories
    (MULTI, False, "{{.Digest}}", [("foo", "1", D1), ("foo", "1", D2), ("foo", "2", D1),
                                   ("foo", "2", D2), ("localhost:5000/bar", "x", "<none>"),
                                   ("baz", "<none>", "")]),
    (IMG_MID, False, "", [("<none>", "<none>", "<none>")]),
    (IMG_DANGLING, True, "", [("<none>", "<none>", "<none>")]),
    ({"Id": "x", "RepoTags": [], "RepoDigests": ["foo@" + D1]}, False, "",
     [("foo", "<none>", "")]),
    ({"Id": "x", "RepoTags": ["<none>:<none>"], "RepoDigests": ["foo@" + D1]}, True, "",
     [("foo", "<none>", D1)]),
])
def test_image_rows(summary: dict, digests: bool, fmt: str,
                    expected: list[tuple[str, str, str]]) -> None:
    got = [(r.Repository, r.Tag, r.Digest) for r in images([summary], digests, fmt=fmt)]
    assert got == expected


@pytest.mark.parametrize("field, summary, trunc, expected", [
    ("ID", IMG_BUSYBOX, True, "bc38a0ad63c1"),
    ("ID", IMG_BUSYBOX, False, BUSYBOX_ID),
    ("CreatedSince", IMG_BUSYBOX, True, "17 minutes ago"),
    ("CreatedSince", {"Created": 0}, True, "56 years ago"),
    ("CreatedSince", {"Created": -62135596800}, True, ""),
    ("CreatedAt", IMG_BUSYBOX, True, "2026-11-23 13:43:55 +0000 UTC"),
    ("Size", IMG_BUSYBOX, True, "1.98MB"),
    ("Size", {"Size": 6}, True, "6B"),
    ("VirtualSize", IMG_BUSYBOX, True, "1.984MB"),
    ("Containers", IMG_BUSYBOX, True, "N/A"),
    ("Containers", {"Containers": 2}, True, "2"),
    ("SharedSize", IMG_BUSYBOX, True, "N/A"),
    ("SharedSize", {"SharedSize": 1500000}, True, "1.5MB"),
    ("UniqueSize", IMG_BUSYBOX, True, "N/A"),
    ("UniqueSize", {"Size": 2500000, "SharedSize": 1000000}, True, "1.5MB"),
])
def test_image_row_fields(field: str, summary: dict, trunc: bool, expected: str) -> None:
    row = R.ImageRow(summary, "r", "t", "d", trunc=trunc, now=IMG_NOW, utc=True)
    assert getattr(row, field) == expected


def test_images_header_with_if() -> None:
    # the default format's `{{if .CreatedSince}}...{{else}}N/A{{end}}` shows N/A
    out = F.render(images([{"Id": "sha256:" + "c" * 64, "Created": -62135596800,
                            "RepoTags": ["a:b"], "Size": 0}]),
                   "", R.IMAGES_TABLE, R.IMAGES_HEADERS)
    assert out == ("REPOSITORY   TAG       IMAGE ID       CREATED   SIZE\n"
                   "a            b         cccccccccccc   N/A       0B\n")


# ---- docker history ----------------------------------------------------------------------

HISTORY = [
    {"Comment": "", "Created": 1795442477, "CreatedBy": "/bin/sh -c #(nop)  LABEL x=y",
     "Id": "sha256:24b1cf5fa1924c3861f8c3ee6d7b30899459899b4eacd7c70398b812c56a0661",
     "Size": 0, "Tags": ["fmtimg:one"]},
    {"Comment": "", "Created": 1795442477,
     "CreatedBy": '/bin/sh -c echo hi > /a\t&& echo "tab\there"   ;   true',
     "Id": "sha256:2a4c2298fa7627ab196a70637dc3a989182612e23ed6796dc764c2c64e057e71",
     "Size": 3, "Tags": None},
    {"Comment": "Imported from -", "Created": 1795441435, "CreatedBy": "", "Id": BUSYBOX_ID,
     "Size": 1984172, "Tags": ["busybox:latest"]},
]
HISTORY_GOLDEN = (
    "IMAGE          CREATED                  CREATED BY                                      "
    "SIZE      COMMENT\n"
    "24b1cf5fa192   Less than a second ago   /bin/sh -c #(nop)  LABEL x=y                    "
    "0B        \n"
    '2a4c2298fa76   Less than a second ago   /bin/sh -c echo hi > /a && echo "tab here"  …   '
    "3B        \n"
    "bc38a0ad63c1   17 minutes ago                                                           "
    "1.98MB    Imported from -\n"
)
EPOCH_HISTORY = [
    {"Comment": "", "Created": 946684801, "CreatedBy": "y2k+1 " + "z" * 60,
     "Id": "sha256:58e0115a97dc" + "0" * 52, "Size": 0},
    {"Comment": "", "Created": 946684800, "CreatedBy": "y2k", "Id": "<missing>", "Size": 0},
    {"Comment": "c1", "Created": 0, "CreatedBy": "epoch layer\tx", "Id": "<missing>", "Size": 6},
]
EPOCH_GOLDEN = (
    "IMAGE          CREATED        CREATED BY                                      SIZE      COMMENT\n"
    "58e0115a97dc   26 years ago   y2k+1 zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz…   0B        \n"
    "<missing>      N/A            y2k                                             0B        \n"
    "<missing>      N/A            epoch layer x                                   6B        c1\n"
)
EPOCH_NON_HUMAN_GOLDEN = (
    "IMAGE          CREATED AT             CREATED BY                                      "
    "SIZE      COMMENT\n"
    "58e0115a97dc   2000-01-01T00:00:01Z   y2k+1 zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz…   "
    "0         \n"
    "<missing>      2000-01-01T00:00:00Z   y2k                                             "
    "0         \n"
    "<missing>      1970-01-01T00:00:00Z   epoch layer x                                   "
    "6         c1\n"
)


def history(items: list[dict], human: bool = True, trunc: bool = True,
            now: float = IMG_NOW) -> list[R.HistoryRow]:
    return [R.HistoryRow(h, human=human, trunc=trunc, now=now, utc=True) for h in items]


def test_history_tables_match_docker() -> None:
    fmt = R.history_format("", False, True)
    assert F.render(history(HISTORY), fmt, R.HISTORY_TABLE, R.HISTORY_HEADERS) == HISTORY_GOLDEN
    rows = history(EPOCH_HISTORY, now=1795442500)
    assert F.render(rows, fmt, R.HISTORY_TABLE, R.HISTORY_HEADERS) == EPOCH_GOLDEN
    fmt = R.history_format("", False, False)
    rows = history(EPOCH_HISTORY, human=False, now=1795442500)
    assert F.render(rows, fmt, R.HISTORY_TABLE, R.HISTORY_HEADERS) == EPOCH_NON_HUMAN_GOLDEN


def test_history_no_trunc_non_human() -> None:
    rows = history(HISTORY[2:], human=False, trunc=False)
    out = F.render(rows, R.history_format("", False, False), R.HISTORY_TABLE, R.HISTORY_HEADERS)
    assert out == (
        "IMAGE" + " " * 69 + "CREATED AT             CREATED BY   SIZE      COMMENT\n"
        + BUSYBOX_ID + "   2026-11-23T13:43:55Z                1984172   Imported from -\n")


def test_history_json_matches_docker() -> None:
    rows = history(EPOCH_HISTORY, now=1795442500)
    assert [to_json(r.__json__(), escape_html=True) for r in rows[:2]] == [
        '{"Comment":"","CreatedAt":"2000-01-01T00:00:01Z","CreatedBy":"y2k+1 '
        'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz…","CreatedSince":"26 years ago",'
        '"ID":"58e0115a97dc","Size":"0B"}',
        '{"Comment":"","CreatedAt":"2000-01-01T00:00:00Z","CreatedBy":"y2k",'
        '"CreatedSince":"N/A","ID":"\\u003cmissing\\u003e","Size":"0B"}',
    ]


@pytest.mark.parametrize("field, item, human, trunc, expected", [
    ("ID", HISTORY[0], True, True, "24b1cf5fa192"),
    ("ID", HISTORY[0], True, False, HISTORY[0]["Id"]),
    ("ID", EPOCH_HISTORY[1], True, True, "<missing>"),
    ("CreatedSince", HISTORY[2], True, True, "17 minutes ago"),
    ("CreatedSince", HISTORY[2], False, True, "2026-11-23T13:43:55Z"),
    ("CreatedSince", EPOCH_HISTORY[1], True, True, "N/A"),
    ("CreatedAt", HISTORY[2], True, True, "2026-11-23T13:43:55Z"),
    ("CreatedBy", HISTORY[1], True, True, '/bin/sh -c echo hi > /a && echo "tab here"  …'),
    ("CreatedBy", HISTORY[1], True, False, '/bin/sh -c echo hi > /a && echo "tab here"   ;   true'),
    ("Size", HISTORY[2], True, True, "1.98MB"),
    ("Size", HISTORY[2], False, True, "1984172"),
    ("Comment", HISTORY[2], True, True, "Imported from -"),
])
def test_history_row_fields(field: str, item: dict, human: bool, trunc: bool,
                            expected: str) -> None:
    row = R.HistoryRow(item, human=human, trunc=trunc, now=IMG_NOW, utc=True)
    assert getattr(row, field) == expected


# ---- formats per command -------------------------------------------------------------------

@pytest.mark.parametrize("fmt, quiet, size, expected", [
    ("", False, False, R.PS_TABLE),
    ("table", False, True, R.PS_TABLE + "\t{{.Size}}"),
    ("", True, True, "{{.ID}}"),
    ("{{.Names}}", True, False, "{{.ID}}"),
    ("{{.Names}}", False, False, "{{.Names}}"),
    ("raw", True, False, "container_id: {{.ID}}"),
    ("raw", False, True, R.PS_RAW + "size: {{.Size}}\n"),
])
def test_ps_format(fmt: str, quiet: bool, size: bool, expected: str) -> None:
    assert R.ps_format(fmt, quiet, size) == expected


@pytest.mark.parametrize("fmt, quiet, digests, expected", [
    ("", False, False, R.IMAGES_TABLE),
    ("table", False, True, R.IMAGES_TABLE_DIGESTS),
    ("table", True, True, "{{.ID}}"),
    ("{{.Repository}}", True, False, "{{.Repository}}"),  # -q does not override a custom format
    ("raw", True, False, "image_id: {{.ID}}"),
    ("raw", False, True, R.IMAGES_RAW_DIGESTS),
    ("table {{.ID}}", False, True, "table {{.ID}}\t{{.Digest}}"),
    ("table {{.Digest}}", False, True, "table {{.Digest}}"),
])
def test_images_format(fmt: str, quiet: bool, digests: bool, expected: str) -> None:
    assert R.images_format(fmt, quiet, digests) == expected


@pytest.mark.parametrize("fmt, quiet, human, expected", [
    ("", False, True, R.HISTORY_TABLE),
    ("table", False, False, R.HISTORY_TABLE_NON_HUMAN),
    ("table", True, True, "{{.ID}}"),
    ("{{.Size}}", True, True, "{{.Size}}"),
])
def test_history_format(fmt: str, quiet: bool, human: bool, expected: str) -> None:
    assert R.history_format(fmt, quiet, human) == expected


def test_ps_raw_output() -> None:
    out = F.render([container(FMTCHECK)], R.ps_format("raw", False, False), R.PS_TABLE,
                   R.PS_HEADERS)
    assert out == (
        "container_id: f8f423f02d85\nimage: busybox\ncommand: \"sleep 600\"\n"
        "created_at: 2026-11-23 14:07:02 +0000 UTC\nstate: running\nstatus: Up 2 seconds\n"
        f"names: fmtcheck\nlabels: a=1,b=2\nports: {FMTCHECK_PORTS}\n\n")
    out = F.render([container(HARDCORE)], R.ps_format("raw", False, False), R.PS_TABLE,
                   R.PS_HEADERS)
    assert "labels:\nports:\n\n" in out


@pytest.mark.parametrize("fmt, expected", [
    ("{{.Size}}", True),
    ("table {{.Names}}\\t{{.Size}}", True),
    ("{{.Names}}", False),
    ("json", False),  # the literal word, before Docker turns it into {{json .}}
])
def test_ps_needs_size(fmt: str, expected: bool) -> None:
    assert R.ps_needs_size(fmt) is expected


@pytest.mark.parametrize("fmt, message", [
    ("table {{.Names}}\\t{{.Foo}}", 'failed to execute template: template: :1:20: executing "" '
                                    "at <.Foo>: can't evaluate field Foo"),
    ("{{.Foo", "failed to parse template: template: :1: unclosed action"),
])
def test_ps_needs_size_errors(fmt: str, message: str) -> None:
    with pytest.raises(InvalidParameter) as e:
        R.ps_needs_size(fmt)
    assert str(e.value).startswith(message)


@pytest.mark.parametrize("value, expected", [
    ("sha256:" + "a" * 64, "a" * 12), ("abc", "abc"), ("<missing>", "<missing>"), ("", ""),
])
def test_truncate_id(value: str, expected: str) -> None:
    assert R.truncate_id(value) == expected


def test_time_strings() -> None:
    assert R.go_time_string(0, utc=True) == "1970-01-01 00:00:00 +0000 UTC"
    assert R.rfc3339(T0, utc=True) == "2026-11-23T14:07:02Z"
