"""Registry commands: pull, push, login, logout, search (and `image pull/push`),
and the pull `run`/`create` do for a missing image. The daemon talks to the
registry; these send the stored credentials along (X-Registry-Auth) and show
its progress stream as docker 28 does."""
from __future__ import annotations

import sys

from barge.cli.commands._common import F, encode_filters, filter_arg, parse
from barge.cli.context import Context

LOGIN_NOTE = "To login with a different account, run 'docker logout' followed by 'docker login'"
REGISTER_SUGGEST = ("Log in with your Docker ID or email address to push and pull images from Docker Hub. "
                    "If you don't have a Docker ID, head over to https://hub.docker.com/ to create one.")
PAT_SUGGEST = ("You can log in with your password or a Personal Access Token (PAT). Using a limited-scope "
               "PAT grants better security and is required for organizations using SSO. "
               "Learn more at https://docs.docker.com/go/access-tokens/")
SEARCH_TABLE = "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}"
SEARCH_HEADERS = {"Name": "NAME", "Description": "DESCRIPTION", "StarCount": "STARS",
                  "IsOfficial": "OFFICIAL"}


class Failed(Exception):
    """A command error printed as it is (exit 1)."""


# ---- references ----

def _parse_ref(name: str):
    from barge.errdefs import InvalidParameter
    from barge.spec import reference
    try:
        return reference.parse(name)
    except InvalidParameter as e:
        raise Failed(str(e)) from None


def _command_ref(ctx: Context, name: str, all_tags: bool, quiet: bool):
    """pull/push's NAME: no tag with -a; else "latest" when none is given (said unless -q)."""
    ref = _parse_ref(name)
    name_only = not ref.tag and not ref.digest
    if all_tags and not name_only:
        raise Failed("tag can't be used with --all-tags/-a")
    if not all_tags and name_only:
        ref = ref.with_default_tag()
        if not quiet:
            ctx.out(f"Using default tag: {ref.tag}")
    return ref


def _error_text(e: Exception) -> str:
    from barge.client.http import APIError
    from barge.cli.jsonmessage import StreamError
    if isinstance(e, APIError):
        return f"Error response from daemon: {e.message}"
    if isinstance(e, StreamError):
        return e.message
    return str(e)


# ---- pull ----

def pull_image(ctx: Context, ref, out, quiet: bool = False, platform: str = "", all_tags: bool = False) -> None:
    """POST /images/create for `ref` with its registry's credentials, the
    progress shown on `out`. Raises APIError, StreamError or ConnectError."""
    from barge.cli import authconfig, jsonmessage
    params = {"fromImage": ref.full_repository, "tag": None if all_tags else (ref.digest or ref.tag or "latest"),
              "platform": platform or None}
    headers = {"X-Registry-Auth": authconfig.registry_auth(authconfig.key_for_reference(ref))}
    resp = ctx.client.post("/images/create", params, headers=headers)
    try:
        jsonmessage.show(resp, out, quiet)
    finally:
        resp.close()


def pull(ctx: Context, argv: list[str]) -> int:
    flags = [F("all-tags", "a", "bool", False, "Download all tagged images in the repository"),
             F("disable-content-trust", None, "bool", True, "Skip image verification"),
             F("platform", None, "string", "", "Set platform if server is multi-platform capable"),
             F("quiet", "q", "bool", False, "Suppress verbose output")]
    p = parse(ctx, "pull", "docker pull [OPTIONS] NAME[:TAG|@DIGEST]", "Download an image from a registry",
              flags, argv, min_args=1, max_args=1)
    o = p.opts
    try:
        ref = _command_ref(ctx, p.args[0], o["all-tags"], o["quiet"])
        pull_image(ctx, ref, sys.stdout, o["quiet"], o["platform"], o["all-tags"])
    except Exception as e:
        ctx.err(_error_text(e))
        return 1
    ctx.out(ref.full())
    return 0


# ---- push ----

def push(ctx: Context, argv: list[str]) -> int:
    flags = [F("all-tags", "a", "bool", False, "Push all tags of an image to the repository"),
             F("disable-content-trust", None, "bool", True, "Skip image signing"),
             F("platform", None, "string", "",
               "Push a platform-specific manifest as a single-platform image to the registry.\n"
               "Image index won't be pushed, meaning that other manifests, including attestations "
               "won't be preserved.\n'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)"),
             F("quiet", "q", "bool", False, "Suppress verbose output")]
    p = parse(ctx, "push", "docker push [OPTIONS] NAME[:TAG]", "Upload an image to a registry",
              flags, argv, min_args=1, max_args=1)
    o = p.opts
    from barge.cli import authconfig, jsonmessage
    try:
        ref = _command_ref(ctx, p.args[0], o["all-tags"], o["quiet"])
        if ref.digest:
            raise Failed("cannot push a digest reference")
        params = {"tag": None if o["all-tags"] else ref.tag, "platform": o["platform"] or None}
        headers = {"X-Registry-Auth": authconfig.registry_auth(authconfig.key_for_reference(ref))}
        resp = ctx.client.post(f"/images/{ref.full_repository}/push", params, headers=headers)
        try:
            jsonmessage.show(resp, sys.stdout, o["quiet"])
        finally:
            resp.close()
    except Exception as e:
        ctx.err(_error_text(e))
        return 1
    if o["quiet"]:
        ctx.out(ref.full())
    return 0


# ---- login / logout ----

def _note(text: str) -> str:
    """tui's PrintNote on stderr: coloured on a terminal."""
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    if tty:
        return ("\n\x1b[1m\x1b[106m\x1b[30mi\x1b[0m\x1b[0m \x1b[96mInfo \u2192 \x1b[0m\x1b[0m"
                f"\x1b[3m{text}\x1b[0m\n\n\n")
    return f"\n Info -> {text}\n\n\n"


def _stdin_tty() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _read_line(prompt: str, echo: bool = True) -> str:
    sys.stdout.write(prompt)
    sys.stdout.flush()
    if echo:
        return sys.stdin.readline().rstrip("\r\n").strip()
    import termios
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    new = termios.tcgetattr(fd)
    new[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSADRAIN, new)
    try:
        line = sys.stdin.readline()
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)
    sys.stdout.write("\n")
    return line.rstrip("\r\n").strip()


def prompt_credentials(user: str, password: str, default_user: str, server: str) -> dict:
    """command.PromptUserForCredentials."""
    from barge.cli.authconfig import INDEX_SERVER
    if (not user or not password) and not _stdin_tty():
        raise Failed("Error: Cannot perform an interactive login from a non TTY device")
    user = user.strip()
    if not user:
        if server == INDEX_SERVER:
            sys.stdout.write(REGISTER_SUGGEST + "\n" + PAT_SUGGEST + "\n\n")
        default_user = default_user.strip()
        user = _read_line(f"Username ({default_user}): " if default_user else "Username: ") or default_user
        if not user:
            raise Failed("Error: Non-null Username Required")
    password = password.strip()
    if not password:
        password = _read_line("Password: ", echo=False)
        if not password:
            raise Failed("Error: Password Required")
    return {"username": user, "password": password, "serveraddress": server}


def _registry_login(ctx: Context, creds: dict) -> dict:
    body = {k: creds[k] for k in ("username", "password", "email", "serveraddress", "identitytoken")
            if creds.get(k)}
    return ctx.client.post("/auth", json_body=body).json() or {}


def _store(cfg, creds: dict, answer: dict) -> None:
    from barge.cli import authconfig
    if answer.get("IdentityToken"):
        creds = dict(creds, password="", identitytoken=answer["IdentityToken"])
    try:
        if cfg.store(creds):
            sys.stderr.write(authconfig.UNENCRYPTED_WARNING.format(path=cfg.path) + "\n")
    except (authconfig.ConfigError, OSError) as e:
        raise Failed(f"Error saving credentials: {e}") from None


def login(ctx: Context, argv: list[str]) -> int:
    flags = [F("password", "p", "string", "", "Password or Personal Access Token (PAT)"),
             F("password-stdin", None, "bool", False, "Take the Password or Personal Access Token (PAT) from stdin"),
             F("username", "u", "string", "", "Username")]
    p = parse(ctx, "login", "docker login [OPTIONS] [SERVER]",
              "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
              flags, argv, max_args=1)
    o = p.opts
    from barge.cli import authconfig
    from barge.client.http import APIError
    user, password = o["username"], o["password"]
    try:
        if password and o["password-stdin"]:
            raise Failed("conflicting options: cannot specify both --password and --password-stdin")
        if o["password-stdin"] and not user:
            raise Failed("the --password-stdin option requires --username to be set")
        if password:
            ctx.err("WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
        if o["password-stdin"]:
            password = sys.stdin.read().removesuffix("\n").removesuffix("\r")
        server = p.args[0] if p.args and p.args[0] != authconfig.DEFAULT_NAMESPACE else ""
        default = not server or server == authconfig.INDEX_SERVER
        key = authconfig.INDEX_SERVER if default else authconfig.convert_to_hostname(server)
        cfg = authconfig.ConfigFile.load()
        stored = cfg.get(key) if not user and not password else {}
        answer = None
        if stored.get("username") and stored.get("password"):
            ctx.err(f"Authenticating with existing credentials... [Username: {stored['username']}]")
            sys.stderr.write(_note(LOGIN_NOTE))
            creds = dict(stored, serveraddress=key)
            creds.pop("identitytoken", None)
            try:
                answer = _registry_login(ctx, creds)
                _store(cfg, creds, answer)
            except APIError as e:
                ctx.err("Stored credentials invalid or expired" if e.status == 401
                        else f"Login did not succeed, error: {_error_text(e)}")
                answer = None
        if answer is None:
            creds = prompt_credentials(user, password, stored.get("username") or "", key)
            answer = _registry_login(ctx, creds)
            _store(cfg, creds, answer)
    except Exception as e:
        ctx.err(_error_text(e))
        return 1
    if answer.get("Status"):
        ctx.out(answer["Status"])
    return 0


def logout(ctx: Context, argv: list[str]) -> int:
    p = parse(ctx, "logout", "docker logout [SERVER]",
              "Log out from a registry.\nIf no server is specified, the default is defined by the daemon.",
              [], argv, max_args=1)
    from barge.cli import authconfig
    server = p.args[0] if p.args else ""
    if not server:
        host = server = authconfig.INDEX_SERVER
        keys = [server]
    else:
        host = authconfig.convert_to_hostname(server)
        keys = [server, host, "http://" + host, "https://" + host]
    ctx.out(f"Removing login credentials for {host}")
    try:
        cfg = authconfig.ConfigFile.load()
    except authconfig.ConfigError as e:
        ctx.err(str(e))
        return 1
    errors = []
    for key in dict.fromkeys(keys):
        try:
            cfg.erase(key)
        except (authconfig.ConfigError, OSError) as e:
            errors.append((key, e))
    try:
        cfg.save()
    except OSError as e:
        errors.append((host, e))
    if len(errors) >= len(keys):
        ctx.err("WARNING: could not erase credentials:")
        for key, e in errors:
            ctx.out(f"{key}: {e}")
    return 0


# ---- search ----

def search(ctx: Context, argv: list[str]) -> int:
    flags = [F("filter", "f", "list", None, "Filter output based on conditions provided", parser=filter_arg),
             F("format", None, "string", "", "Pretty-print search using a Go template"),
             F("limit", None, "int", 0, "Max number of search results"),
             F("no-trunc", None, "bool", False, "Don't truncate output")]
    p = parse(ctx, "search", "docker search [OPTIONS] TERM", "Search Docker Hub for images",
              flags, argv, min_args=1, max_args=1)
    o = p.opts
    from barge.cli import authconfig
    term = p.args[0]
    filters = [f for f in o["filter"] or [] if f]
    if any(f.partition("=")[0] == "is-automated" for f in filters):
        ctx.err('WARNING: the "is-automated" filter is deprecated, and searching for '
                '"is-automated=true" will not yield any results in future.')
    params = {"term": term, "limit": o["limit"] if o["limit"] > 0 else None, "filters": encode_filters(filters)}
    headers = {"X-Registry-Auth": authconfig.registry_auth(authconfig.key_for_search_term(term))}
    try:
        results = ctx.client.get("/images/search", params, headers=headers).json() or []
    except Exception as e:
        return ctx.daemon_error(e)
    from barge.cli import format as fmt
    from barge.errdefs import InvalidParameter
    rows = [SearchRow(r, not o["no-trunc"]) for r in results]
    try:
        sys.stdout.write(fmt.render(rows, o["format"], SEARCH_TABLE, SEARCH_HEADERS))
    except InvalidParameter as e:
        ctx.err(str(e))
        return 1
    return 0


class SearchRow:
    """One GET /images/search result as docker's searchContext shows it."""

    __slots__ = ("_r", "_trunc")
    __go_type__ = "*registry.searchContext"

    def __init__(self, result: dict, trunc: bool = True) -> None:
        self._r, self._trunc = result, trunc

    @property
    def Name(self) -> str:  # noqa: N802 - Go template field names
        return self._r.get("name") or ""

    @property
    def Description(self) -> str:  # noqa: N802
        desc = (self._r.get("description") or "").replace("\n", " ").replace("\r", " ")
        if self._trunc:
            from barge.cli.format import ellipsis
            desc = ellipsis(desc, 45)
        return desc

    @property
    def StarCount(self) -> str:  # noqa: N802
        return str(self._r.get("star_count") or 0)

    @property
    def IsOfficial(self) -> str:  # noqa: N802
        return "[OK]" if self._r.get("is_official") else ""

    def __json__(self) -> dict:
        return {"Description": self.Description, "IsOfficial": "true" if self._r.get("is_official") else "false",
                "Name": self.Name, "StarCount": self.StarCount}
