"""Registry credentials as the docker CLI keeps them: `auths` in
`$DOCKER_CONFIG/config.json` (or `~/.docker/config.json`), credential helpers
(`credsStore`, `credHelpers`: `docker-credential-<name>` programs), and the
`X-Registry-Auth` header built from them. docker and barge share the file."""
from __future__ import annotations

import base64
import json
import os

INDEX_SERVER = "https://index.docker.io/v1/"   # docker.io's key in `auths`
DEFAULT_NAMESPACE = "docker.io"
UNENCRYPTED_WARNING = (
    "\nWARNING! Your credentials are stored unencrypted in '{path}'.\n"
    "Configure a credential helper to remove this warning. See\n"
    "https://docs.docker.com/go/credential-store/\n")
# ConfigFile's fields in docker's struct order (keys docker doesn't know follow, sorted)
_FIELDS = ("auths", "HttpHeaders", "psFormat", "imagesFormat", "networksFormat", "pluginsFormat",
           "volumesFormat", "statsFormat", "detachKeys", "credsStore", "credHelpers",
           "serviceInspectFormat", "servicesFormat", "tasksFormat", "secretFormat", "configFormat",
           "nodesFormat", "pruneFilters", "proxies", "experimental", "currentContext",
           "cliPluginsExtraDirs", "plugins", "aliases", "features")
_ENTRY_FIELDS = ("auth", "email", "identitytoken", "registrytoken")


class ConfigError(Exception):
    pass


def config_dir(env=None) -> str:
    env = os.environ if env is None else env
    return env.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")


def convert_to_hostname(address: str) -> str:
    """credentials.ConvertToHostname: "https://host:5000/v2/" -> "host:5000"."""
    if "://" in address:
        from urllib.parse import urlsplit
        try:
            u = urlsplit(address)
            if u.hostname:
                return u.hostname + (f":{u.port}" if u.port else "")
        except ValueError:
            pass
    return address.split("/", 1)[0]


def key_for_reference(ref) -> str:
    """The `auths` key for an image reference's registry."""
    return INDEX_SERVER if ref.domain == DEFAULT_NAMESPACE else ref.domain


def key_for_search_term(term: str) -> str:
    """registry.ParseSearchIndexInfo: a term's registry, docker.io unless its first part is a host."""
    first, sep, _rest = term.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return INDEX_SERVER if first in ("docker.io", "index.docker.io") else first
    return INDEX_SERVER


def _go_json(value, indent: str | None = None) -> str:
    """encoding/json's output: UTF-8 kept, <, >, & and U+2028/9 escaped."""
    text = json.dumps(value, ensure_ascii=False, indent=indent,
                      separators=(",", ":") if indent is None else None)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def _decode_auth(auth: str) -> tuple[str, str]:
    try:
        raw = base64.b64decode(auth, validate=False).decode("utf-8", "replace")
    except ValueError:
        raise ConfigError("invalid auth configuration file") from None
    user, sep, password = raw.partition(":")
    if not sep:
        raise ConfigError("invalid auth configuration file")
    return user, password.strip("\x00")


class ConfigFile:
    """The docker CLI's config.json: read, changed, written back atomically
    (mode kept, 0600 when new), docker's key order and tab indent."""

    def __init__(self, path: str, data: dict | None = None) -> None:
        self.path = path
        self.data = data if data is not None else {}
        self.data.setdefault("auths", {})

    @classmethod
    def load(cls, directory: str | None = None) -> "ConfigFile":
        path = os.path.join(directory or config_dir(), "config.json")
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            return cls(path)
        except OSError as e:
            raise ConfigError(f"open {path}: {(e.strerror or str(e)).lower()}") from None
        if not text.strip():
            return cls(path)
        try:
            data = json.loads(text)
        except ValueError as e:
            raise ConfigError(f"parsing config file ({path}): {e}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"parsing config file ({path}): not an object")
        if not isinstance(data.get("auths"), dict):
            data["auths"] = {}
        return cls(path, data)

    # ---- the file store ----

    def file_get(self, key: str) -> dict:
        """An entry as docker's fileStore.Get gives it: {} when absent (a
        legacy key such as "http://host/v1/" matches its hostname)."""
        auths = self.data["auths"]
        entry = auths.get(key)
        if entry is None:
            for k, v in auths.items():
                if key == convert_to_hostname(k):
                    entry = v
                    break
        if not isinstance(entry, dict):
            return {}
        out = {}
        if entry.get("auth"):
            out["username"], out["password"] = _decode_auth(entry["auth"])
        for k in ("username", "password", "email", "identitytoken", "registrytoken"):
            if entry.get(k) and not out.get(k):
                out[k] = entry[k]
        if out:
            out["serveraddress"] = key
        return out

    def file_store(self, creds: dict) -> bool:
        """Keep `creds` under their serveraddress; False if nothing changed."""
        key = creds["serveraddress"]
        user, password = creds.get("username") or "", creds.get("password") or ""
        entry = {}
        if user or password:
            entry["auth"] = base64.b64encode(f"{user}:{password}".encode()).decode()
        for k in ("email", "identitytoken", "registrytoken"):
            if creds.get(k):
                entry[k] = creds[k]
        if self.data["auths"].get(key) == entry:
            return False
        self.data["auths"][key] = entry
        self.save()
        return True

    def file_erase(self, key: str) -> None:
        self.data["auths"].pop(key, None)

    def helper_for(self, key: str) -> str:
        helpers = self.data.get("credHelpers") or {}
        return helpers.get(convert_to_hostname(key)) or helpers.get(key) or self.data.get("credsStore") or ""

    # ---- credentials, wherever they are kept ----

    def get(self, key: str) -> dict:
        helper = self.helper_for(key)
        if helper:
            return helper_get(helper, key)
        return self.file_get(key)

    def store(self, creds: dict) -> bool:
        """Store `creds`; True if they went into the file in the clear (warn)."""
        helper = self.helper_for(creds["serveraddress"])
        if helper:
            helper_store(helper, creds)
            if creds.get("email"):       # the file keeps what the helper doesn't
                self.file_store({"serveraddress": creds["serveraddress"], "email": creds["email"]})
            return False
        return self.file_store(creds) and bool(creds.get("password"))

    def erase(self, key: str) -> None:
        helper = self.helper_for(key)
        if helper:
            helper_erase(helper, key)
        self.file_erase(key)

    # ---- the file ----

    def dumps(self) -> str:
        data = dict(self.data)
        ordered = {}
        for k in list(_FIELDS) + sorted(k for k in data if k not in _FIELDS):
            if k not in data:
                continue
            v = data[k]
            if k == "auths":
                v = {host: {f: e[f] for f in _ENTRY_FIELDS if isinstance(e, dict) and e.get(f)}
                     for host, e in sorted(v.items())}
            elif v in ("", None, [], {}):      # omitempty
                continue
            elif isinstance(v, dict):
                v = dict(sorted(v.items()))
            ordered[k] = v
        return _go_json(ordered, indent="\t")

    def save(self) -> None:
        directory = os.path.dirname(self.path)
        os.makedirs(directory, mode=0o700, exist_ok=True)
        import tempfile
        fd, tmp = tempfile.mkstemp(dir=directory, prefix="config.json")   # 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(self.dumps())
            try:
                os.chmod(tmp, os.stat(self.path).st_mode & 0o7777)
            except FileNotFoundError:
                pass
            target = os.path.realpath(self.path)
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


# ---- credential helpers: docker-credential-<name> get|store|erase ----

def _helper(name: str, action: str, payload: str) -> str:
    import subprocess
    prog = f"docker-credential-{name}"
    try:
        res = subprocess.run([prog, action], input=payload.encode(), capture_output=True, timeout=60)
    except FileNotFoundError:
        raise ConfigError(f"error getting credentials - err: exec: \"{prog}\": executable file not found "
                          f"in $PATH, out: ``") from None
    out = res.stdout.decode("utf-8", "replace").strip()
    if res.returncode != 0:
        raise ConfigError(out or res.stderr.decode("utf-8", "replace").strip() or f"{prog} {action} failed")
    return out


def helper_get(name: str, key: str) -> dict:
    try:
        out = _helper(name, "get", key)
    except ConfigError as e:
        if "credentials not found" in str(e):
            return {}
        raise
    try:
        res = json.loads(out)
    except ValueError:
        return {}
    user, secret = res.get("Username") or "", res.get("Secret") or ""
    if user == "<token>":
        return {"identitytoken": secret, "serveraddress": key}
    return {"username": user, "password": secret, "serveraddress": key}


def helper_store(name: str, creds: dict) -> None:
    user, secret = creds.get("username") or "", creds.get("password") or ""
    if creds.get("identitytoken"):
        user, secret = "<token>", creds["identitytoken"]
    _helper(name, "store", json.dumps({"ServerURL": creds["serveraddress"], "Username": user, "Secret": secret}))


def helper_erase(name: str, key: str) -> None:
    _helper(name, "erase", key)


# ---- X-Registry-Auth ----

def encode(creds: dict) -> str:
    """registry.EncodeAuthConfig: the AuthConfig's JSON (docker's field
    order, empty fields left out), base64url with padding; "e30=" for none."""
    order = ("username", "password", "auth", "email", "serveraddress", "identitytoken", "registrytoken")
    body = {k: creds[k] for k in order if creds.get(k)}
    return base64.urlsafe_b64encode(_go_json(body).encode()).decode()


def registry_auth(key: str, directory: str | None = None) -> str:
    """The X-Registry-Auth header for the registry stored under `key`."""
    try:
        return encode(ConfigFile.load(directory).get(key))
    except (ConfigError, OSError):
        return encode({})
