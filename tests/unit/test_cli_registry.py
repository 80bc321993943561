"""pull, push, login, logout, search and run's pull of a missing image, with a
fake daemon client: expected output as the docker 28 CLI printed it against a
fake daemon answering the same canned messages."""
from __future__ import annotations

import base64
import json
import os
import stat

import pytest

from barge.cli import authconfig, jsonmessage
from barge.cli.commands import registry, run as runcmd
from barge.client.http import APIError
import barge_clifake
from barge_clifake import FakeClient, _Resp, run

PULL_STREAM = [
    {"status": "Pulling from library/busybox", "id": "latest"},
    {"status": "Already exists", "progressDetail": {}, "id": "c1"},
    {"status": "Pulling fs layer", "progressDetail": {}, "id": "a1"},
    {"status": "Pulling fs layer", "progressDetail": {}, "id": "b1"},
    {"status": "Downloading", "progressDetail": {"current": 1000, "total": 2000000}, "progress": "x", "id": "a1"},
    {"status": "Download complete", "progressDetail": {}, "id": "b1"},
    {"status": "Pull complete", "progressDetail": {}, "id": "a1"},
    {"status": "Digest: sha256:abc"},
    {"status": "Status: Downloaded newer image for busybox:latest"},
]
PULL_PLAIN = ("latest: Pulling from library/busybox\n"
              "c1: Already exists\n"
              "a1: Pulling fs layer\n"
              "b1: Pulling fs layer\n"
              "b1: Download complete\n"
              "a1: Pull complete\n"
              "Digest: sha256:abc\n"
              "Status: Downloaded newer image for busybox:latest\n")
# docker 28 on a 120-column terminal (bytes as written, before the tty's \n -> \r\n)
PULL_TTY_120 = ('latest: Pulling from library/busybox\n\n\x1b[1A\x1b[2K\rc1: Already exists \r\x1b[1B\n'
                '\x1b[1A\x1b[2K\ra1: Pulling fs layer \r\x1b[1B\n\x1b[1A\x1b[2K\rb1: Pulling fs layer \r\x1b[1B'
                '\x1b[2A\x1b[2K\ra1: Downloading [>                                                  ]      1kB/2MB'
                '\r\x1b[2B\x1b[1A\x1b[2K\rb1: Download complete \r\x1b[1B\x1b[2A\x1b[2K\ra1: Pull complete \r'
                '\x1b[2BDigest: sha256:abc\nStatus: Downloaded newer image for busybox:latest\n')
PUSH_STREAM = [
    {"status": "The push refers to repository [localhost:5000/x]"},
    {"status": "Preparing", "progressDetail": {}, "id": "aaaaaaaaaaaa"},
    {"status": "Preparing", "progressDetail": {}, "id": "bbbbbbbbbbbb"},
    {"status": "Preparing", "progressDetail": {}, "id": "cccccccccccc"},
    {"status": "Waiting", "progressDetail": {}, "id": "cccccccccccc"},
    {"status": "Pushing", "progressDetail": {"current": 512, "total": 2048}, "progress": "x", "id": "aaaaaaaaaaaa"},
    {"status": "Pushed", "progressDetail": {}, "id": "aaaaaaaaaaaa"},
    {"status": "Mounted from library/busybox", "progressDetail": {}, "id": "bbbbbbbbbbbb"},
    {"status": "Layer already exists", "progressDetail": {}, "id": "cccccccccccc"},
    {"status": "latest: digest: sha256:37f7 size: 527"},
    {"progressDetail": {}, "aux": {"Tag": "latest", "Digest": "sha256:37f7", "Size": 527}},
]
PUSH_PLAIN = ("The push refers to repository [localhost:5000/x]\n"
              "aaaaaaaaaaaa: Preparing\nbbbbbbbbbbbb: Preparing\ncccccccccccc: Preparing\n"
              "cccccccccccc: Waiting\naaaaaaaaaaaa: Pushed\nbbbbbbbbbbbb: Mounted from library/busybox\n"
              "cccccccccccc: Layer already exists\nlatest: digest: sha256:37f7 size: 527\n")
ERROR_MSG = {"errorDetail": {"message": "connection refused"}, "error": "connection refused"}


class Seq(list):
    """Answers for successive calls of one route."""


class _Stream(_Resp):
    def iter_json(self):
        yield from self.body


class RegistryClient(FakeClient):
    """FakeClient plus headers, and JSON streams for the progress answers;
    a list of answers is used one per call."""

    def __init__(self, routes, streams=None):
        super().__init__(routes)
        self.streams = streams or {}
        self.headers = []

    def _answer(self, method, path, params=None, json_body=None):
        answer = self.routes.get(f"{method} {path}")
        if isinstance(answer, Seq):
            key, rest = f"{method} {path}", answer[1:]
            self.routes[key] = answer[0]
            try:
                return super()._answer(method, path, params, json_body)
            finally:
                self.routes[key] = (Seq(rest) if len(rest) > 1 else rest[0]) if rest else answer[0]
        return super()._answer(method, path, params, json_body)

    def post(self, path, params=None, json_body=None, headers=None, **_kw):
        self.headers.append(headers or {})
        body = self._answer("POST", path, params, json_body)
        return _Stream(self.streams[path]) if path in self.streams else _Resp(body)

    def get(self, path, params=None, headers=None, **_kw):
        self.headers.append(headers or {})
        return _Resp(self._answer("GET", path, params))


def run_with(func, argv, routes=None, streams=None, stdin=""):
    client = RegistryClient(routes or {}, streams)
    saved = barge_clifake.FakeClient
    barge_clifake.FakeClient = lambda routes, version: client
    try:
        return run(func, argv, routes, stdin=stdin)
    finally:
        barge_clifake.FakeClient = saved


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    return tmp_path


def _auth_header(client) -> dict:
    value = client.headers[-1]["X-Registry-Auth"]
    return json.loads(base64.urlsafe_b64decode(value))


# ---- rendering ----

def test_pull_stream_plain():
    out = []
    jsonmessage.display(PULL_STREAM, out.append)
    assert "".join(out) == PULL_PLAIN


def test_pull_stream_terminal_redraws_lines_in_place():
    out = []
    jsonmessage.display(PULL_STREAM, out.append, terminal=True, width=120)
    assert "".join(out) == PULL_TTY_120


def test_narrow_terminal_has_no_bar():
    out = []
    jsonmessage.display(PULL_STREAM, out.append, terminal=True, width=100)
    assert "a1: Downloading      1kB/2MB\r" in "".join(out)


def test_push_stream_plain_and_aux():
    out, aux = [], []
    jsonmessage.display(PUSH_STREAM, out.append, aux=aux.append)
    assert "".join(out) == PUSH_PLAIN
    assert aux == [{"Tag": "latest", "Digest": "sha256:37f7", "Size": 527}]


def test_stream_error_stops_display():
    out = []
    with pytest.raises(jsonmessage.StreamError) as e:
        jsonmessage.display(PUSH_STREAM[:2] + [ERROR_MSG] + PUSH_STREAM[2:], out.append)
    assert e.value.message == "connection refused"
    assert "".join(out) == "The push refers to repository [localhost:5000/x]\naaaaaaaaaaaa: Preparing\n"


@pytest.mark.parametrize("detail,width,text", [
    ({"current": 12345}, 200, " 12.35kB"),
    ({"current": 5, "total": 10, "units": "items"}, 80, "5/10 items"),
    ({"current": 15, "total": 10, "units": "items"}, 80, "15 items"),
    ({"current": 15, "total": 10}, 80, "     15B"),
    ({"current": 32768, "total": 2000000}, 120, "[>" + " " * 50 + "]  32.77kB/2MB"),
    ({"current": 500, "total": 1000, "start": 100}, 80, "    500B/1kB 10s"),
    ({}, 200, ""),
])
def test_progress_string(detail, width, text):
    assert jsonmessage.progress_string(detail, width, now=110) == text


# ---- pull ----

def test_pull_defaults_tag_and_prints_reference(config):
    code, out, err, c = run_with(registry.pull, ["busybox"], streams={"/images/create": PULL_STREAM})
    assert (code, err) == (0, "")
    assert out == "Using default tag: latest\n" + PULL_PLAIN + "docker.io/library/busybox:latest\n"
    assert c.calls[0][2] == {"fromImage": "docker.io/library/busybox", "tag": "latest"}
    assert c.headers[0]["X-Registry-Auth"] == "e30="


def test_pull_quiet_digest_and_all_tags(config):
    digest = "sha256:" + "a" * 64
    code, out, _, c = run_with(registry.pull, ["-q", f"localhost:5000/x@{digest}"],
                               streams={"/images/create": PULL_STREAM})
    assert (code, out) == (0, f"localhost:5000/x@{digest}\n")
    assert c.calls[0][2] == {"fromImage": "localhost:5000/x", "tag": digest}
    code, out, _, c = run_with(registry.pull, ["-a", "--platform", "linux/arm64", "localhost:5000/x"],
                               streams={"/images/create": []})
    assert (code, out) == (0, "localhost:5000/x\n")
    assert c.calls[0][2] == {"fromImage": "localhost:5000/x", "platform": "linux/arm64"}
    code, _, err, _ = run_with(registry.pull, ["-a", "x:1"])
    assert (code, err) == (1, "tag can't be used with --all-tags/-a\n")


def test_pull_errors(config):
    code, out, err, _ = run_with(registry.pull, ["localhost:5000/nope"],
                                 {"POST /images/create": APIError(404, "manifest unknown")})
    assert (code, err) == (1, "Error response from daemon: manifest unknown\n")
    code, out, err, _ = run_with(registry.pull, ["-q", "x"], streams={"/images/create": [ERROR_MSG]})
    assert (code, out, err) == (1, "", "connection refused\n")


def test_pull_sends_stored_credentials(config):
    (config / "config.json").write_text(json.dumps({"auths": {"localhost:5000": {"auth": "bWU6c2VjcmV0"}}}))
    _, _, _, c = run_with(registry.pull, ["localhost:5000/x"], streams={"/images/create": []})
    assert c.headers[0]["X-Registry-Auth"] == (
        "eyJ1c2VybmFtZSI6Im1lIiwicGFzc3dvcmQiOiJzZWNyZXQiLCJzZXJ2ZXJhZGRyZXNzIjoibG9jYWxob3N0OjUwMDAifQ==")


def test_auth_keys():
    from barge.spec import reference
    assert authconfig.key_for_reference(reference.parse("busybox")) == authconfig.INDEX_SERVER
    assert authconfig.key_for_reference(reference.parse("host:5000/ns/r@sha256:" + "0" * 64)) == "host:5000"
    assert authconfig.key_for_search_term("localhost:5000/x") == "localhost:5000"
    assert authconfig.key_for_search_term("me/x") == authconfig.INDEX_SERVER
    assert authconfig.convert_to_hostname("https://reg.example:5000/v2/") == "reg.example:5000"
    assert authconfig.encode({}) == "e30="
    assert base64.urlsafe_b64decode(authconfig.encode({"password": "a<b", "username": "u"})) == \
        b'{"username":"u","password":"a\\u003cb"}'


# ---- push ----

def test_push(config):
    path = "/images/localhost:5000/x/push"
    code, out, err, c = run_with(registry.push, ["localhost:5000/x"], streams={path: PUSH_STREAM})
    assert (code, err) == (0, "")
    assert out == "Using default tag: latest\n" + PUSH_PLAIN
    assert c.calls[0][1:3] == (path, {"tag": "latest"})
    code, out, _, _ = run_with(registry.push, ["-q", "localhost:5000/x:latest"], streams={path: PUSH_STREAM})
    assert (code, out) == (0, "localhost:5000/x:latest\n")
    code, out, _, c = run_with(registry.push, ["-a", "localhost:5000/x"], streams={path: PUSH_STREAM})
    assert (code, out, c.calls[0][2]) == (0, PUSH_PLAIN, {})


def test_push_errors(config):
    code, _, err, c = run_with(registry.push, ["x"], {"POST /images/docker.io/library/x/push": APIError(
        404, "An image does not exist locally with the tag: x")})
    assert (code, err) == (1, "Error response from daemon: An image does not exist locally with the tag: x\n")
    code, out, err, _ = run_with(registry.push, ["localhost:5000/y:1"],
                                 streams={"/images/localhost:5000/y/push": PUSH_STREAM[:1] + [ERROR_MSG]})
    assert (code, out, err) == (1, "The push refers to repository [localhost:5000/x]\n", "connection refused\n")
    code, _, err, _ = run_with(registry.push, ["x@sha256:" + "a" * 64])
    assert (code, err) == (1, "cannot push a digest reference\n")


# ---- login / logout ----

OK = {"Status": "Login Succeeded", "IdentityToken": ""}


def test_login_stores_credentials(config):
    (config / "config.json").write_text('{"psFormat": "x", "auths": {"other:1": {"auth": "YTpi"}}}')
    os.chmod(config / "config.json", 0o644)
    code, out, err, c = run_with(registry.login, ["-u", "me", "-p", "secret", "localhost:5000"], {"POST /auth": OK})
    assert (code, out) == (0, "Login Succeeded\n")
    assert err == ("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n"
                   f"\nWARNING! Your credentials are stored unencrypted in '{config}/config.json'.\n"
                   "Configure a credential helper to remove this warning. See\n"
                   "https://docs.docker.com/go/credential-store/\n\n")
    assert c.calls[0][3] == {"username": "me", "password": "secret", "serveraddress": "localhost:5000"}
    assert (config / "config.json").read_text() == (
        '{\n\t"auths": {\n\t\t"localhost:5000": {\n\t\t\t"auth": "bWU6c2VjcmV0"\n\t\t},\n'
        '\t\t"other:1": {\n\t\t\t"auth": "YTpi"\n\t\t}\n\t},\n\t"psFormat": "x"\n}')
    assert stat.S_IMODE(os.stat(config / "config.json").st_mode) == 0o644
    # the same credentials again: nothing written, no warning
    code, out, err, _ = run_with(registry.login, ["-u", "me", "-p", "secret", "localhost:5000"], {"POST /auth": OK})
    assert err == "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n"


def test_login_new_file_is_private_and_hub_key(config):
    code, out, _, c = run_with(registry.login, ["-u", "you", "--password-stdin"], {"POST /auth": OK},
                               stdin="pw\n")
    assert code == 0
    assert c.calls[0][3]["serveraddress"] == authconfig.INDEX_SERVER
    assert stat.S_IMODE(os.stat(config / "config.json").st_mode) == 0o600
    assert json.loads((config / "config.json").read_text()) == {
        "auths": {authconfig.INDEX_SERVER: {"auth": base64.b64encode(b"you:pw").decode()}}}


def test_login_wrong_credentials(config):
    code, out, err, _ = run_with(registry.login, ["-u", "me", "--password-stdin", "localhost:5000"],
                                 {"POST /auth": APIError(401, "login attempt failed with status: 401 Unauthorized")},
                                 stdin="bad")
    assert (code, out) == (1, "")
    assert err == "Error response from daemon: login attempt failed with status: 401 Unauthorized\n"
    assert not (config / "config.json").exists()


def test_login_with_stored_credentials(config):
    (config / "config.json").write_text('{"auths": {"localhost:5000": {"auth": "bWU6c2VjcmV0"}}}')
    code, out, err, c = run_with(registry.login, ["localhost:5000"], {"POST /auth": OK})
    assert (code, out) == (0, "Login Succeeded\n")
    assert err == ("Authenticating with existing credentials... [Username: me]\n\n Info -> To login with a "
                   "different account, run 'docker logout' followed by 'docker login'\n\n\n")
    assert c.calls[0][3] == {"username": "me", "password": "secret", "serveraddress": "localhost:5000"}


@pytest.mark.parametrize("argv,stdin,msg", [
    (["localhost:5000"], "", "Error: Cannot perform an interactive login from a non TTY device"),
    (["-u", "me", "localhost:5000"], "", "Error: Cannot perform an interactive login from a non TTY device"),
    (["--password-stdin", "x"], "pw", "the --password-stdin option requires --username to be set"),
    (["-p", "a", "--password-stdin", "x"], "pw",
     "conflicting options: cannot specify both --password and --password-stdin"),
])
def test_login_option_errors(config, argv, stdin, msg):
    code, out, err, c = run_with(registry.login, argv, stdin=stdin)
    assert (code, out, err.splitlines()[-1]) == (1, "", msg)
    assert c.calls == []


def test_logout(config):
    (config / "config.json").write_text(json.dumps({"auths": {
        "localhost:5000": {"auth": "YTpi"}, "http://localhost:5000": {"auth": "YTpi"},
        authconfig.INDEX_SERVER: {"auth": "YTpi"}}, "psFormat": "x"}))
    code, out, _, _ = run_with(registry.logout, ["https://localhost:5000/v2/"])
    assert (code, out) == (0, "Removing login credentials for localhost:5000\n")
    data = json.loads((config / "config.json").read_text())
    assert data == {"auths": {authconfig.INDEX_SERVER: {"auth": "YTpi"}}, "psFormat": "x"}
    code, out, _, _ = run_with(registry.logout, [])
    assert out == f"Removing login credentials for {authconfig.INDEX_SERVER}\n"
    code, out, _, _ = run_with(registry.logout, ["localhost:5000"])     # absent: same words
    assert (code, out) == (0, "Removing login credentials for localhost:5000\n")
    assert json.loads((config / "config.json").read_text())["auths"] == {}


# ---- search ----

RESULTS = [
    {"star_count": 17000, "is_official": True, "name": "busybox", "description": "Busybox base image."},
    {"star_count": 3, "is_official": False, "name": "me/very-long-thing",
     "description": "A description that is definitely longer than forty-five characters\nwith newline"},
    {"star_count": 0, "is_official": False, "name": "localhost:5000/x", "description": ""},
]


def test_search_table(config):
    code, out, _, c = run_with(registry.search, ["busybox"], {"GET /images/search": RESULTS})
    assert code == 0
    assert out == (
        "NAME                 DESCRIPTION                                     STARS     OFFICIAL\n"
        "busybox              Busybox base image.                             17000     [OK]\n"
        "me/very-long-thing   A description that is definitely longer than…   3         \n"
        "localhost:5000/x                                                     0         \n")
    assert c.calls[0][2] == {"term": "busybox"}
    assert c.headers[0]["X-Registry-Auth"] == "e30="


def test_search_options(config):
    code, out, err, c = run_with(registry.search, ["--limit", "5", "-f", "is-official=true", "-f", "is-automated=true",
                                                   "--format", "json", "localhost:5000/b"],
                                 {"GET /images/search": RESULTS[:1]})
    assert out == '{"Description":"Busybox base image.","IsOfficial":"true","Name":"busybox","StarCount":"17000"}\n'
    assert err.startswith('WARNING: the "is-automated" filter is deprecated')
    assert c.calls[0][2]["limit"] == 5
    assert json.loads(c.calls[0][2]["filters"]) == {"is-official": {"true": True}, "is-automated": {"true": True}}
    _, out, _, _ = run_with(registry.search, ["--no-trunc", "--format", "{{.Description}}", "x"],
                            {"GET /images/search": RESULTS[1:2]})
    assert out == "A description that is definitely longer than forty-five characters with newline\n"


# ---- run / create pulling a missing image ----

NO_IMAGE = APIError(404, "No such image: busybox:latest")
SHORT_PULL = [{"status": "Pulling from library/busybox", "id": "latest"},
              {"status": "Status: Downloaded newer image for busybox:latest"}]


def test_create_pulls_missing_image(config):
    code, out, err, c = run_with(runcmd.create, ["busybox"],
                                 {"POST /containers/create": Seq([NO_IMAGE, {"Id": "abc123"}])},
                                 streams={"/images/create": SHORT_PULL})
    assert (code, out) == (0, "abc123\n")
    assert err == ("Unable to find image 'busybox:latest' locally\nlatest: Pulling from library/busybox\n"
                   "Status: Downloaded newer image for busybox:latest\n")
    assert [call[1] for call in c.calls] == ["/containers/create", "/images/create", "/containers/create"]
    assert c.calls[1][2] == {"fromImage": "docker.io/library/busybox", "tag": "latest"}


def test_create_quiet_pull_and_failed_retry(config):
    code, out, err, _ = run_with(runcmd.create, ["-q", "busybox"],
                                 {"POST /containers/create": Seq([NO_IMAGE, APIError(404, "network foo not found")])},
                                 streams={"/images/create": SHORT_PULL})
    assert (code, out, err) == (1, "", "Error response from daemon: network foo not found\n")


def test_run_pull_failure_and_never(config):
    code, _, err, _ = run_with(runcmd.run, ["busybox"], {"POST /containers/create": NO_IMAGE},
                               streams={"/images/create": [ERROR_MSG]})
    assert code == 125
    assert err == ("Unable to find image 'busybox:latest' locally\n"
                   "docker: connection refused\n\nRun 'docker  --help' for more information\n")
    code, _, err, c = run_with(runcmd.create, ["--pull", "never", "busybox"], {"POST /containers/create": NO_IMAGE})
    assert (code, err) == (1, "Error response from daemon: No such image: busybox:latest\n")
    assert [call[1] for call in c.calls] == ["/containers/create"]
    code, _, err, c = run_with(runcmd.run, ["--pull", "bogus", "busybox"])
    assert code == 125 and "invalid pull option: 'bogus'" in err and c.calls == []


def test_create_pull_always(config):
    code, out, err, c = run_with(runcmd.create, ["--pull", "always", "-q", "busybox"],
                                 {"POST /containers/create": {"Id": "abc"}}, streams={"/images/create": SHORT_PULL})
    assert (code, out, err) == (0, "abc\n", "")
    assert [call[1] for call in c.calls] == ["/images/create", "/containers/create"]
