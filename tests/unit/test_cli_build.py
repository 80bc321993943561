"""`build`: flags -> the /build query, the context tar, and the output.
Expected queries, tar bytes and texts were captured from the docker 28.2.2
CLI with DOCKER_BUILDKIT=0 (a fake daemon on a unix socket recorded what it
sent and answered canned JSON messages)."""
from __future__ import annotations

import hashlib
import io
import os
import sys
import tarfile

import pytest

from barge.cli import buildcontext
from barge.cli.commands import build as buildcmd
from barge.cli.context import Context, Exit
from barge.client.http import APIError, Client
from barge.errdefs import InvalidParameter

DISABLED = buildcmd.BUILDKIT_DISABLED_WARNING + "\n\n"
IMAGE_ID = "sha256:" + "ab" * 32


class _Resp:
    def __init__(self, messages=(), headers=None):
        self.messages, self.headers = list(messages), headers or {}

    def iter_json(self):
        yield from self.messages

    def close(self):
        pass


class BuildClient:
    """A daemon for `build`: records the query, headers and body it gets."""

    def __init__(self, messages=(), error=None, experimental=False):
        self.messages, self.error, self.experimental = messages, error, experimental
        self.params = self.headers = self.body = None
        self.pings = 0

    def get(self, path, params=None):
        assert path == "/_ping"
        self.pings += 1
        return _Resp(headers={"docker-experimental": "true"} if self.experimental else {})

    def post(self, path, params=None, body=None, headers=None, json_body=None):
        assert path == "/build"
        self.params, self.headers = params, headers
        self.body = b"".join(body)
        if self.error is not None:
            raise self.error
        return _Resp(self.messages)


def run(argv, client=None, stdin=b""):
    """`docker build ARGV` with DOCKER_BUILDKIT=0: (exit code, stdout, stderr, client)."""
    client = client or BuildClient([{"stream": "Step 1/1 : FROM busybox\n"}, {"aux": {"ID": IMAGE_ID}}])
    ctx = Context("docker", "build", None)
    ctx._client = client
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr, sys.stdin = out, err, io.TextIOWrapper(io.BytesIO(stdin))
    try:
        code = buildcmd.build(ctx, argv)
    except Exit as e:
        code = e.code
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved
    return code, out.getvalue(), err.getvalue(), client


@pytest.fixture
def ctxdir(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_BUILDKIT", "0")
    monkeypatch.delenv("DOCKER_DEFAULT_PLATFORM", raising=False)
    monkeypatch.chdir(tmp_path)
    d = tmp_path / "ctx"
    d.mkdir()
    (d / "Dockerfile").write_text("FROM busybox\n")
    return d


def _query(params) -> str:
    return Client("unix:///nonexistent")._url("/build", params).split("?", 1)[1]


# ---- flags -> query ---------------------------------------------------------

@pytest.mark.parametrize("args, query", [
    ([], "dockerfile=Dockerfile&version=1"),
    (["-t", "a:1", "-t", "b", "--build-arg", "X=1", "--build-arg", "FOO", "--build-arg", "NOPE",
      "--label", "l=1", "--label", "m", "--target", "t", "--no-cache", "--force-rm", "--network", "host",
      "--add-host", "h:1.2.3.4", "--cache-from", "c1", "--cache-from", "c2,c3", "--shm-size", "64m",
      "-m", "100m", "-c", "5", "--cgroup-parent", "cg", "--ulimit", "nofile=10:20", "--ulimit", "nproc=5",
      "--security-opt", "seccomp=unconfined", "--cpu-period", "100", "--cpuset-cpus", "0"],
     "buildargs=%7B%22FOO%22%3A%22fooval%22%2C%22NOPE%22%3Anull%2C%22X%22%3A%221%22%7D"
     "&cachefrom=%5B%22c1%22%2C%22c2%22%2C%22c3%22%5D&cgroupparent=cg&cpuperiod=100&cpusetcpus=0"
     "&cpushares=5&dockerfile=Dockerfile&extrahosts=h%3A1.2.3.4&forcerm=1"
     "&labels=%7B%22l%22%3A%221%22%2C%22m%22%3A%22%22%7D&memory=104857600&networkmode=host&nocache=1"
     "&securityopt=seccomp%3Dunconfined&shmsize=67108864&t=a%3A1&t=b&target=t"
     "&ulimits=%5B%7B%22Name%22%3A%22nofile%22%2C%22Hard%22%3A20%2C%22Soft%22%3A10%7D%2C"
     "%7B%22Name%22%3A%22nproc%22%2C%22Hard%22%3A5%2C%22Soft%22%3A5%7D%5D&version=1"),
    (["--rm=false", "-q", "--pull", "--platform", "Linux/AMD64", "--memory-swap", "200m", "--isolation", "default",
      "--network", "default", "--label", "a=b"],
     "dockerfile=Dockerfile&labels=%7B%22a%22%3A%22b%22%7D&memswap=209715200&platform=linux%2Famd64"
     "&pull=1&q=1&rm=0&version=1"),
    (["--isolation", "process", "--memory-swap", "-1", "--security-opt", "a", "--cpu-quota", "5",
      "--cpuset-mems", "1", "--label", "x=<&>"],
     "cpuquota=5&cpusetmems=1&dockerfile=Dockerfile&isolation=process"
     "&labels=%7B%22x%22%3A%22%5Cu003c%5Cu0026%5Cu003e%22%7D&memswap=-1&securityopt=a&version=1"),
    (["--force-rm=false", "--no-cache=false", "--cpu-shares", "0", "--shm-size", "0", "--build-arg", "A=",
      "--cache-from", ""],
     "buildargs=%7B%22A%22%3A%22%22%7D&dockerfile=Dockerfile&version=1"),
])
def test_query(ctxdir, monkeypatch, args, query):
    monkeypatch.setenv("FOO", "fooval")
    monkeypatch.delenv("NOPE", raising=False)
    code, _, err, client = run(args + ["ctx"])
    assert code == 0, err
    assert _query(client.params) == query
    assert client.headers == {"Content-Type": "application/x-tar", "X-Registry-Config": "e30="}
    assert client.pings == 1                 # the API version is settled before the body streams


def test_platform_default_from_environment(ctxdir, monkeypatch):
    monkeypatch.setenv("DOCKER_DEFAULT_PLATFORM", "linux/arm64")
    assert run(["ctx"])[3].params["platform"] == "linux/arm64"


def test_compress_sends_gzip(ctxdir):
    client = run(["--compress", "ctx"])[3]
    import gzip
    names = tarfile.open(fileobj=io.BytesIO(gzip.decompress(client.body))).getnames()
    assert names == ["Dockerfile"]


@pytest.mark.parametrize("args, code, message", [
    (["-t", "BAD", "ctx"], 125, 'invalid argument "BAD" for "-t, --tag" flag: invalid reference format: '
                                "repository name (library/BAD) must be lowercase"),
    (["-t", "a:b:c", "ctx"], 125, 'invalid argument "a:b:c" for "-t, --tag" flag: invalid reference format'),
    (["--build-arg", "=x", "ctx"], 125, 'invalid argument "=x" for "--build-arg" flag: '
                                         "invalid environment variable: =x"),
    (["--label", "=x", "ctx"], 125, "invalid argument \"=x\" for \"--label\" flag: invalid label '=x': empty name"),
    (["--add-host", "bad", "ctx"], 125, 'invalid argument "bad" for "--add-host" flag: '
                                        'bad format for add-host: "bad"'),
    (["--ulimit", "bad", "ctx"], 125, 'invalid argument "bad" for "--ulimit" flag: invalid ulimit argument: bad'),
    (["-m", "foo", "ctx"], 125, "invalid argument \"foo\" for \"-m, --memory\" flag: invalid size: 'foo'"),
    (["--progress", "plain", "ctx"], 125, "unknown flag: --progress"),
    ([], 1, "docker: 'docker build' requires 1 argument"),
    (["a", "b"], 1, "docker: 'docker build' requires 1 argument"),
])
def test_flag_errors(ctxdir, args, code, message):
    got, out, err, _ = run(args)
    assert got == code
    assert err.startswith(DISABLED + message + "\n")


@pytest.mark.parametrize("value, code, stderr", [
    (None, 0, buildcmd.BUILDX_MISSING_WARNING + "\n\n"),
    ("false", 0, DISABLED),
    ("1", 1, buildcmd.BUILDX_MISSING_ERROR + "\n"),
    ("foo", 1, 'DOCKER_BUILDKIT environment variable expects boolean value: '
               'strconv.ParseBool: parsing "foo": invalid syntax\n'),
])
def test_buildkit_environment(ctxdir, monkeypatch, value, code, stderr):
    if value is None:
        monkeypatch.delenv("DOCKER_BUILDKIT")
    else:
        monkeypatch.setenv("DOCKER_BUILDKIT", value)
    got, _, err, _ = run(["ctx"])
    assert (got, err) == (code, stderr)


def test_squash_needs_an_experimental_daemon(ctxdir):
    got, _, err, _ = run(["--squash", "ctx"])
    assert got == 1
    assert err == DISABLED + '"--squash" is only supported on a Docker daemon with experimental features enabled\n'
    client = BuildClient([], experimental=True)
    assert run(["--squash", "ctx"], client)[0] == 0
    assert client.params["squash"] == "1" and client.pings == 1


# ---- context errors ---------------------------------------------------------

def test_context_errors(ctxdir, tmp_path):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "empty").mkdir()
    cases = [
        (["nope"], 'unable to prepare context: path "nope" not found'),
        (["afile"], f"unable to prepare context: context must be a directory: {tmp_path}/afile"),
        (["empty"], "unable to prepare context: unable to evaluate symlinks in Dockerfile path: "
                    f"lstat {tmp_path}/empty/Dockerfile: no such file or directory"),
        (["-f", "nope", "ctx"], "unable to prepare context: unable to evaluate symlinks in Dockerfile path: "
                                f"lstat {tmp_path}/nope: no such file or directory"),
        (["-f", "afile/x", "ctx"], "unable to prepare context: unable to evaluate symlinks in Dockerfile "
                                   "path: not a directory"),
        (["-f", "-", "-"], "invalid argument: can't use stdin for both build context and dockerfile"),
    ]
    for args, message in cases:
        got, out, err, client = run(args)
        assert (got, out, err) == (1, "", DISABLED + message + "\n"), args
        assert client.body is None


def test_bad_dockerignore(ctxdir):
    (ctxdir / ".dockerignore").write_text("[\n")
    assert run(["ctx"])[2] == DISABLED + "error checking context: syntax error in pattern\n"
    (ctxdir / ".dockerignore").write_text("!\n")
    assert run(["ctx"])[2] == DISABLED + 'error checking context: illegal exclusion pattern: "!"\n'


def test_lowercase_dockerfile_is_found(ctxdir):
    os.rename(ctxdir / "Dockerfile", ctxdir / "dockerfile")
    assert run(["ctx"])[3].params["dockerfile"] == "dockerfile"


# ---- the context tar --------------------------------------------------------

def _entries(body: bytes) -> dict[str, tarfile.TarInfo]:
    tar = tarfile.open(fileobj=io.BytesIO(body))
    return {m.name: (m, tar.extractfile(m).read() if m.isfile() else b"") for m in tar}


def _context(path, dockerfile="", stdin=b""):
    built = buildcontext.prepare(str(path), dockerfile, io.BytesIO(stdin))
    return built.dockerfile, b"".join(built.chunks)


def test_directory_tar(ctxdir):
    (ctxdir / "a.txt").write_text("hi\n")
    os.chmod(ctxdir / "a.txt", 0o751)
    (ctxdir / "sub" / "deep").mkdir(parents=True)
    (ctxdir / "sub" / "deep" / "f").write_text("x\n")
    (ctxdir / "sub" / "g").write_text("g\n")
    (ctxdir / "logs").mkdir()
    (ctxdir / "logs" / "a.log").write_text("")
    os.symlink("a.txt", ctxdir / "link")
    os.link(ctxdir / "a.txt", ctxdir / "hard")
    (ctxdir / ".dockerignore").write_text("sub\n!sub/deep/f\nDockerfile\n.dockerignore\nlogs\n")
    dockerfile, body = _context(ctxdir)
    assert dockerfile == "Dockerfile"
    entries = _entries(body)
    # the Dockerfile and .dockerignore go although listed; sub/ and sub/deep/ are not sent
    assert list(entries) == [".dockerignore", "Dockerfile", "a.txt", "hard", "link", "sub/deep/f"]
    a, data = entries["a.txt"]
    assert (a.mode, a.uid, a.gid, a.uname, a.gname, data) == (0o751, 0, 0, "", "", b"hi\n")
    assert entries["hard"][0].islnk() and entries["hard"][0].linkname == "a.txt"
    assert entries["link"][0].issym() and entries["link"][0].linkname == "a.txt"
    assert len(body) % 512 == 0 and body.endswith(bytes(1024))
    assert body[257:265] == b"ustar\x0000"


def test_directories_are_sent_with_a_slash(ctxdir):
    (ctxdir / "d").mkdir()
    os.chmod(ctxdir / "d", 0o1777)
    _, body = _context(ctxdir)
    entries = _entries(body)
    assert list(entries) == ["Dockerfile", "d"]
    assert entries["d"][0].isdir() and entries["d"][0].mode == 0o1777
    assert b"d/\0" in body


def test_header_bytes_match_go():
    """Headers as docker's CLI wrote them (Go's archive/tar): a USTAR one,
    and a symlink whose target needs a PAX record."""
    head = buildcontext.tar_header(b".dockerignore", b"0", 0o644, size=41, mtime=1795452677)
    assert head[:13] == b".dockerignore"
    assert head[100:157] == b"0000644\x000000000\x000000000\x0000000000051\x0015301067405\x00011715\x00 0"
    assert head[257:345] == b"ustar\x0000" + bytes(64) + b"0000000\x000000000\x00"
    pax = buildcontext.tar_header(b"d1/longlink", b"2", 0o777, mtime=1795453144, linkname=b"l" * 150)
    assert hashlib.sha256(pax).hexdigest() == "5948b4aed22d422620c693a5cd3aa18e22d400d290ff08ee2890c7d2e5dc3963"


def test_long_names(tmp_path):
    long_dir = "a" * 120
    (tmp_path / long_dir).mkdir()
    (tmp_path / long_dir / ("b" * 90)).write_text("z")
    (tmp_path / ("c" * 130)).write_text("q")
    (tmp_path / "ünï").write_text("u")
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    names = list(_entries(_context(tmp_path)[1]))
    assert names == ["Dockerfile", long_dir, f"{long_dir}/{'b' * 90}", "c" * 130, "ünï"]


def test_dockerfile_outside_the_context(ctxdir, tmp_path):
    (tmp_path / "Other").write_text("FROM busybox\nRUN true\n")
    (ctxdir / ".dockerignore").write_text("*.tmp\n")
    dockerfile, body = _context(ctxdir, "Other")
    assert dockerfile.startswith(".dockerfile.") and len(dockerfile) == 32
    entries = _entries(body)
    assert list(entries) == [".dockerignore", "Dockerfile", dockerfile]
    assert entries[".dockerignore"][1] == f"*.tmp\n\n{dockerfile}\n".encode()
    added, data = entries[dockerfile]
    assert (data, added.mode, added.uid) == (b"FROM busybox\nRUN true\n", 0o600, 0)


def test_dockerfile_from_stdin_with_a_directory(ctxdir):
    dockerfile, body = _context(ctxdir, "-", b"FROM busybox\n")
    entries = _entries(body)
    # no .dockerignore in the context: one is made to leave the Dockerfile out
    assert list(entries) == ["Dockerfile", dockerfile, ".dockerignore"]
    assert entries[".dockerignore"][1] == f".dockerignore\n{dockerfile}\n".encode()
    assert entries[dockerfile][1] == b"FROM busybox\n"


def test_dockerfile_in_a_subdirectory_is_kept(ctxdir):
    (ctxdir / "sub").mkdir()
    (ctxdir / "sub" / "Dockerfile.dev").write_text("FROM busybox\n")
    (ctxdir / "sub" / "junk").write_text("")
    (ctxdir / ".dockerignore").write_text("sub\n")
    dockerfile, body = _context(ctxdir, str(ctxdir / "sub" / "Dockerfile.dev"))
    assert dockerfile == "sub/Dockerfile.dev"
    assert list(_entries(body)) == [".dockerignore", "Dockerfile", "sub/Dockerfile.dev"]


def test_stdin_tar_is_sent_as_it_is(tmp_path):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as t:
        info = tarfile.TarInfo("Dockerfile")
        info.size = 13
        t.addfile(info, io.BytesIO(b"FROM busybox\n"))
    data = raw.getvalue()
    assert buildcontext.is_archive(data[:1024])
    dockerfile, body = _context("-", "", data)
    assert (dockerfile, body) == ("", data)
    assert _context("-", "sub/x", data) == ("sub/x", data)


def test_stdin_dockerfile(monkeypatch):
    monkeypatch.setattr(os, "getuid", lambda: 1000)
    dockerfile, body = _context("-", "", b"FROM busybox\n")
    entries = _entries(body)
    assert dockerfile == "Dockerfile" and list(entries) == ["Dockerfile"]
    assert entries["Dockerfile"][1] == b"FROM busybox\n" and entries["Dockerfile"][0].uid == 1000
    assert len(body) == 2048
    with pytest.raises(InvalidParameter, match="^unable to prepare context: ambiguous Dockerfile source: "
                                               "both stdin and flag correspond to Dockerfiles$"):
        _context("-", "Dockerfile", b"FROM busybox\n")


@pytest.mark.parametrize("head, archive", [
    (b"\x1f\x8b\x08\x00rest", True), (b"BZh91AY", True), (b"\xfd7zXZ\x00", True), (b"\x28\xb5\x2f\xfdx", True),
    (b"FROM busybox\n", False), (b"", False), (bytes(1024), False),
    (buildcontext.tar_header(b"x", b"0", 0o644) + bytes(512), True),
    (b"FROM busybox\n".ljust(512, b"\0") + bytes(512), False),      # checksum wrong
])
def test_is_archive(head, archive):
    assert buildcontext.is_archive(head) is archive


def test_stream_is_chunked_not_whole(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    (tmp_path / "big").write_bytes(os.urandom(3 * buildcontext.CHUNK + 5))
    chunks = list(buildcontext.prepare(str(tmp_path), "", io.BytesIO()).chunks)
    assert max(len(c) for c in chunks) <= buildcontext.CHUNK
    assert _entries(b"".join(chunks))["big"][0].size == 3 * buildcontext.CHUNK + 5


# ---- output -----------------------------------------------------------------

STEPS = [
    {"stream": "Step 1/2 : FROM busybox\n"}, {"stream": " ---> bc38a0ad63c1\n"},
    {"status": "Pulling fs layer", "progressDetail": {}, "id": "abc"},
    {"status": "Downloading", "progressDetail": {"current": 50, "total": 100}, "progress": "[==>  ]", "id": "abc"},
    {"status": "Download complete", "id": "abc"}, {"status": "Digest: sha256:xx"},
    {"status": "Extracting", "progress": "[=>]", "id": "l2"},
    {"aux": {"ID": IMAGE_ID}}, {"stream": "Successfully built abcdef\n"},
]
SHOWN = ("Step 1/2 : FROM busybox\n ---> bc38a0ad63c1\nabc: Pulling fs layer\nabc: Download complete\n"
         "Digest: sha256:xx\nl2: Extracting [=>]Successfully built abcdef\n")
SENT = "Sending build context to Docker daemon  2.048kB\r\r\n"


def test_output(ctxdir, tmp_path):
    code, out, err, _ = run(["--iidfile", "iid", "ctx"], BuildClient(STEPS))
    assert (code, out, err) == (0, SENT + SHOWN, DISABLED)
    assert (tmp_path / "iid").read_text() == IMAGE_ID


def test_quiet_prints_what_the_daemon_streamed(ctxdir, tmp_path):
    client = BuildClient([{"stream": IMAGE_ID + "\n"}, {"aux": {"ID": IMAGE_ID}}])
    code, out, err, _ = run(["-q", "--iidfile", "iid", "ctx"], client)
    assert (code, out, err) == (0, IMAGE_ID + "\n", DISABLED)
    assert (tmp_path / "iid").read_text() == IMAGE_ID + "\n"


ERROR = {"errorDetail": {"code": 2, "message": "The command '/bin/sh -c false' returned a non-zero code: 2"},
         "error": "The command '/bin/sh -c false' returned a non-zero code: 2"}


def test_error_exits_with_its_code(ctxdir, tmp_path):
    (tmp_path / "iid").write_text("stale")
    code, out, err, _ = run(["--iidfile", "iid", "ctx"], BuildClient(STEPS[:2] + [ERROR]))
    assert code == 2
    assert out == SENT + "Step 1/2 : FROM busybox\n ---> bc38a0ad63c1\n"
    assert err == DISABLED + "The command '/bin/sh -c false' returned a non-zero code: 2\n"
    assert not (tmp_path / "iid").exists()


def test_quiet_error_shows_the_hidden_output(ctxdir):
    code, out, err, _ = run(["-q", "ctx"], BuildClient([{"stream": "x\n"}, {"errorDetail": {"message": "boom"}}]))
    assert (code, out) == (1, "")
    assert err == DISABLED + SENT + "x\nboom\n"


def test_daemon_error(ctxdir):
    client = BuildClient(error=APIError(400, "dockerfile parse error line 2: unknown instruction: BOGUS"))
    code, out, err, _ = run(["ctx"], client)
    assert (code, out) == (1, SENT)
    assert err == DISABLED + "Error response from daemon: dockerfile parse error line 2: unknown instruction: BOGUS\n"
    code, out, err, _ = run(["-q", "ctx"], client)
    assert (code, out) == (1, "")
    assert err == DISABLED + SENT + "Error response from daemon: dockerfile parse error line 2: unknown instruction: BOGUS\n"


def test_no_image_id_for_iidfile(ctxdir):
    client = BuildClient([{"stream": "done\n"}, {"aux": {"ID": IMAGE_ID}}, {"aux": {"Other": 1}}])
    code, _, err, _ = run(["--iidfile", "iid", "ctx"], client)
    assert (code, err) == (1, DISABLED + "Server did not provide an image ID. Cannot write iid\n")


def test_message_forms(monkeypatch):
    import time
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    got = []
    image_id, failure = buildcmd.display([
        {"status": "s", "time": 1700000000, "from": "img", "id": "x"},
        {"status": "t", "timeNano": 1700000000123456789},
        {"error": "an error without errorDetail is shown as an empty status"},
        {"errorDetail": {"code": 401, "message": "unauthorized"}},
        {"stream": "never shown\n"},
    ], got.append)
    monkeypatch.delenv("TZ")
    time.tzset()
    assert got == ["2023-11-14T22:13:20.000000000Z x: (from img) s\n", "2023-11-14T22:13:20.123456789Z t\n", "\n"]
    assert (image_id, failure) == ("", (401, "unauthorized"))     # docker exits 401 (145)


def test_sending_refreshes_on_a_terminal():
    lines = []

    class Out:
        write = staticmethod(lines.append)

    times = iter([0.0, 0.05, 0.2, 0.35])
    chunks = [bytes(600 * 1024)] * 4
    sent = b"".join(buildcmd._sending(iter(chunks), Out(), True, clock=lambda: next(times)))
    assert len(sent) == 4 * 600 * 1024
    assert lines == [
        "Sending build context to Docker daemon  557.1kB\r",    # the first 32 KiB read past 512 KiB
        "Sending build context to Docker daemon  1.655MB\r",    # (the one at 0.05 s is skipped: < 100 ms)
        "Sending build context to Docker daemon  2.204MB\r",
        "Sending build context to Docker daemon  2.458MB\r\r\n",
    ]


def test_local_context_only_for_a_directory_over_a_unix_socket(tmp_path, monkeypatch):
    from types import SimpleNamespace
    from barge.cli.commands.build import _local_context
    (tmp_path / "sub").mkdir()
    unix = SimpleNamespace(client=SimpleNamespace(host="unix:///run/barge/barge.sock"))
    tcp = SimpleNamespace(client=SimpleNamespace(host="tcp://127.0.0.1:2375"))
    root = os.path.realpath(tmp_path)
    assert _local_context(unix, str(tmp_path), "") == (root, "Dockerfile")
    assert _local_context(unix, str(tmp_path), str(tmp_path / "sub" / "Df")) == (root, "sub/Df")
    assert _local_context(unix, str(tmp_path / "sub"), str(tmp_path / "Df")) == (root + "/sub", root + "/Df")
    assert _local_context(tcp, str(tmp_path), "") is None
    assert _local_context(unix, "-", "") is None and _local_context(unix, str(tmp_path), "-") is None
    monkeypatch.setenv("BARGE_BUILD_UPLOAD", "1")
    assert _local_context(unix, str(tmp_path), "") is None
