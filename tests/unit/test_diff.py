"""Pure parts of diff, archive and commit: the changes walk, the path-stat
header, Docker's path rules, the commit config merge, cp's copy rules."""
from __future__ import annotations

import base64
import json
import os
import stat

import pytest

from barge.cli.commands import files as cpcli
from barge.daemon.containers import archive, commit, diff


def _tree(root, spec):
    for path, content in spec.items():
        full = os.path.join(root, path)
        if path.endswith("/"):
            os.makedirs(full, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(content)


def test_changes_added_modified_and_parents(tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    _tree(lower, {"bin/ls": "x", "etc/passwd": "root", "tmp/": ""})
    _tree(upper, {"etc/passwd": "root\nnew", "tmp/x": "1", "d/sub/b": "2",
                  "etc/hosts": "", "etc/hostname": "", "proc/": "", "dev/": ""})
    got = [(c["Kind"], c["Path"]) for c in diff.changes(str(upper), [str(lower)])]
    assert got == [(1, "/d"), (1, "/d/sub"), (1, "/d/sub/b"), (0, "/etc"), (0, "/etc/passwd"),
                   (0, "/tmp"), (1, "/tmp/x")]


def test_init_files_alone_are_no_change(tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    _tree(lower, {"etc/group": ""})
    _tree(upper, {"etc/hosts": "", "etc/resolv.conf": "", "sys/": ""})
    os.chmod(upper / "etc", os.stat(lower / "etc").st_mode)
    assert diff.changes(str(upper), [str(lower)]) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="whiteouts need mknod")
def test_whiteout_is_deleted(tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    _tree(lower, {"bin/ls": "x", "bin/sh": "y"})
    os.makedirs(upper / "bin")
    os.mknod(upper / "bin" / "ls", stat.S_IFCHR, 0)
    got = [(c["Kind"], c["Path"]) for c in diff.changes(str(upper), [str(lower)])]
    assert got == [(0, "/bin"), (2, "/bin/ls")]
    assert diff.format_changes(diff.changes(str(upper), [str(lower)])) == "C /bin\nD /bin/ls\n"


def test_go_file_mode_and_stat_header(tmp_path):
    assert archive.go_file_mode(stat.S_IFDIR | 0o755) == 2147484141
    assert archive.go_file_mode(stat.S_IFLNK | 0o777) == 134218239
    assert archive.go_file_mode(stat.S_IFREG | 0o644) == 420
    assert archive.go_file_mode(stat.S_IFREG | 0o4755) == (1 << 23) | 0o755
    f = tmp_path / "a"
    f.write_text("hi\n")
    os.utime(f, ns=(0, 1_500_000_000_000_000_000))
    ps = archive.path_stat("a", os.lstat(f))
    assert ps == {"name": "a", "size": 3, "mode": 420, "mtime": "2017-07-14T02:40:00Z", "linkTarget": ""}
    decoded = json.loads(base64.b64decode(archive.encode_stat(ps)))
    assert decoded == ps
    assert archive.encode_stat(ps) == base64.b64encode(json.dumps(ps, separators=(",", ":")).encode()).decode()


@pytest.mark.parametrize("path,abs_,split", [
    ("d", "/d", ("/", "d")), ("/d/", "/d/", ("/", "d")), ("/d/.", "/d/.", ("/d", ".")),
    ("/", "/", ("/", "/")), ("../../etc", "/etc", ("/", "etc")), ("/a/../b/", "/b/", ("/", "b")),
])
def test_container_path_rules(path, abs_, split):
    assert archive.abs_path(path) == abs_
    assert archive.split_dir_entry(abs_) == split


def test_scoped_symlinks_stay_inside(tmp_path):
    (tmp_path / "etc").mkdir()
    os.symlink("/", tmp_path / "escape")
    os.symlink("../../..", tmp_path / "up")
    os.symlink("busybox", tmp_path / "sh")
    assert archive.scoped_path(str(tmp_path), "/escape") == "/"
    assert archive.scoped_path(str(tmp_path), "/up/etc") == "/etc"
    assert archive.scoped_path(str(tmp_path), "/sh") == "/busybox"


def test_resolve_never_leaves_the_root(tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "marker").write_text("inside")
    os.symlink("/", root / "escape")
    os.symlink("../../..", root / "up")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for p in ("/escape/etc/marker", "/up/etc/marker", "/up/../../etc/marker"):
            found = archive._resolve(fd, p, "c")
            try:
                assert os.read(os.open("marker", os.O_RDONLY, dir_fd=found.parent_fd), 20) == b"inside"
            finally:
                found.close()
        with pytest.raises(archive.NotFound, match="Could not find the file /escape/nope in container c"):
            archive._resolve(fd, "/escape/nope", "c")
    finally:
        os.close(fd)


def test_commit_merge_like_docker():
    ctr = {"Env": ["FOO=1", "PATH=/bin"], "Cmd": ["sh", "-c", "x"], "WorkingDir": "/tmp",
           "Entrypoint": None, "Labels": {"a": "1"}, "Image": "busybox"}
    o = commit.CommitOptions(changes=['CMD ["echo","yo"]', "ENV BAR=2"])
    cfg = commit.new_config(ctr, o)
    assert cfg["Cmd"] == ["echo", "yo"] and cfg["Env"] == ["FOO=1", "PATH=/bin", "BAR=2"]
    assert cfg["WorkingDir"] == "/tmp" and cfg["Labels"] == {"a": "1"}
    # a body config is the base; the container fills the gaps
    o = commit.CommitOptions(config={"Env": ["X=1", "FOO=9"]})
    cfg = commit.new_config(ctr, o)
    assert cfg["Env"] == ["X=1", "FOO=9", "PATH=/bin"] and cfg["Cmd"] == ["sh", "-c", "x"]
    assert commit.body_config(b"") is None and commit.body_config(b"{}") is None
    assert commit.body_config(b"null") is None
    assert commit.body_config(b'{"Cmd":["a"]}') == {"Cmd": ["a"]}
    with pytest.raises(commit.InvalidParameter):
        commit.body_config(b"{nope")


def test_commit_image_config_and_history():
    parent = {"architecture": "amd64", "os": "linux", "history": [{"created": "t0"}],
              "rootfs": {"type": "layers", "diff_ids": ["sha256:aa"]}}
    ctr = {"Cmd": ["sh", "-c", "echo hi > /x"], "Env": ["A=1"]}
    o = commit.CommitOptions(comment="msg", author="Me")
    raw = commit.image_config(parent, "cid", ctr, o, "sha256:bb", "t1")
    cfg = json.loads(raw)
    assert list(cfg) == sorted(cfg)
    assert cfg["history"][-1] == {"created": "t1", "author": "Me", "created_by": "sh -c echo hi > /x",
                                  "comment": "msg"}
    assert cfg["rootfs"]["diff_ids"] == ["sha256:aa", "sha256:bb"]
    assert cfg["container"] == "cid" and cfg["container_config"] == ctr and cfg["comment"] == "msg"
    empty = json.loads(commit.image_config(parent, "cid", ctr, commit.CommitOptions(), None, "t1"))
    assert empty["history"][-1]["empty_layer"] is True and empty["rootfs"]["diff_ids"] == ["sha256:aa"]


def test_cp_argument_and_copy_rules():
    assert cpcli.split_cp_arg("c:/x") == ("c", "/x")
    assert cpcli.split_cp_arg("/abs:x") == ("", "/abs:x")
    assert cpcli.split_cp_arg("./c:x") == ("", "./c:x")
    assert cpcli.split_cp_arg("file") == ("", "file")
    # into an existing dir: unchanged; to a new name: renamed
    assert cpcli.prepare_copy(True, "d", "/t/x", True, True) == ("/t/x", None)
    assert cpcli.prepare_copy(True, "d", "/t/new", False, False) == ("/t", ("d", "new"))
    assert cpcli.prepare_copy(True, ".", "/t/y", False, False) == ("/t", (".", "y"))
    assert cpcli.prepare_copy(False, "a", "/t/f", True, False) == ("/t", ("a", "f"))
    with pytest.raises(cpcli.CopyError, match="cannot copy directory"):
        cpcli.prepare_copy(True, "d", "/t/f", True, False)
    with pytest.raises(cpcli.CopyError, match="no such directory"):
        cpcli.prepare_copy(False, "a", "/t/nodir/", False, False)
    assert cpcli.rebase("./a", ".", "y") == "y/a"
    assert cpcli.rebase("d", "d", "x") == "x"
    assert cpcli.rebase("dd/a", "d", "x") == "dd/a"
    assert cpcli.split_repo_tag("localhost:5000/a/b:t") == ("localhost:5000/a/b", "t")
    assert cpcli.split_repo_tag("localhost:5000/a") == ("localhost:5000/a", "")
