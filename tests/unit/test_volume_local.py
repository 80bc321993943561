"""The local volume driver and copy-up, on a temporary directory."""
import os
import stat

import pytest

from barge.errdefs import InvalidParameter, NotFound, NotImplementedErr
from barge.sys.mount import parse_options
from barge.util.copytree import copy_tree
from barge.volume import copyup
from barge.volume.local import LocalDriver, validate_opts


@pytest.fixture
def driver(tmp_path):
    return LocalDriver(str(tmp_path / "volumes"))


def test_create_get_list_remove(driver):
    v = driver.create("db", {}, {"a": "b"})
    assert os.path.isdir(v.mountpoint)
    api = driver.get("db").to_api()
    assert api["Name"] == "db" and api["Labels"] == {"a": "b"} and api["Options"] is None
    assert api["Driver"] == "local" and api["Scope"] == "local" and api["CreatedAt"].endswith("Z")
    assert driver.create("db", {"type": "tmpfs", "device": "tmpfs"}, {}).options == {}   # existing wins
    assert [x.name for x in driver.list()] == ["db"]
    driver.remove(v)
    assert driver.list() == [] and not os.path.exists(v.path)
    with pytest.raises(NotFound, match="^get db: no such volume$"):
        driver.get("db")


def test_bad_names_never_touch_the_tree(driver):
    for name in ("..", "x/y", "../../etc"):
        with pytest.raises(InvalidParameter):
            driver.create(name, {}, {})
    with pytest.raises(NotFound):
        driver.get("../volumes")
    assert os.listdir(driver.root) == []


@pytest.mark.parametrize("opts, err", [
    ({"foo": "bar"}, 'create v: invalid option: "foo"'),
    ({"type": "tmpfs"}, 'create v: missing required option: "device"'),
    ({"device": "/tmp"}, 'create v: missing required option: "type"'),
    ({"o": "bind"}, 'create v: missing required option: "device"'),
])
def test_option_errors(opts, err):
    with pytest.raises(InvalidParameter) as e:
        validate_opts("v", opts)
    assert str(e.value) == err


def test_size_option_is_not_implemented():
    with pytest.raises(NotImplementedErr, match="no quota support"):
        validate_opts("v", {"size": "10m"})


def test_recover_drops_half_made(driver):
    os.makedirs(os.path.join(driver.root, ".tmp-abc", "_data"))
    driver.recover()
    assert os.listdir(driver.root) == []


def test_mount_options_parse():
    assert parse_options("bind,ro") == (4096 | 1, "")
    assert parse_options("size=10m,uid=1000") == (0, "size=10m,uid=1000")
    assert parse_options("nosuid,noexec,mode=1777") == (2 | 8, "mode=1777")


def _image_dir(tmp_path):
    src = tmp_path / "img" / "etc"
    (src / "sub").mkdir(parents=True)
    (src / "f").write_text("data")
    os.chown(src / "f", 1000, 1001)
    os.chmod(src / "f", 0o640)
    os.link(src / "f", src / "hard")
    os.symlink("f", src / "link")
    os.mkfifo(src / "fifo")
    os.chmod(src, 0o750)
    os.chown(src, 42, 43)
    return src


def test_copy_up_keeps_owners_modes_links(driver, tmp_path):
    src = _image_dir(tmp_path)
    v = driver.create("cu", {}, {})
    assert copyup.copy_up(v, str(src))
    d = v.mountpoint
    st = os.stat(os.path.join(d, "f"))
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1000, 1001, 0o640)
    assert os.stat(os.path.join(d, "hard")).st_ino == st.st_ino
    assert os.readlink(os.path.join(d, "link")) == "f"
    assert stat.S_ISFIFO(os.lstat(os.path.join(d, "fifo")).st_mode)
    root = os.stat(d)
    assert (root.st_uid, root.st_gid, stat.S_IMODE(root.st_mode)) == (42, 43, 0o750)
    assert not os.path.exists(os.path.join(d, copyup.STAGING))
    assert not os.path.exists(os.path.join(v.path, copyup.MARKER))
    # not empty any more: a second copy-up does nothing
    (src / "new").write_text("x")
    assert not copyup.copy_up(v, str(src))
    assert not os.path.exists(os.path.join(d, "new"))


def test_copy_up_skips_missing_or_file_source(driver, tmp_path):
    v = driver.create("cu", {}, {})
    assert not copyup.copy_up(v, str(tmp_path / "missing"))
    (tmp_path / "file").write_text("x")
    assert not copyup.copy_up(v, str(tmp_path / "file"))
    assert os.listdir(v.mountpoint) == []


def test_crash_before_marker_is_retried(driver, tmp_path):
    """A copy cut short before the marker: the staging is dropped, the copy redone."""
    src = _image_dir(tmp_path)
    v = driver.create("cu", {}, {})
    staging = os.path.join(v.mountpoint, copyup.STAGING)
    os.mkdir(staging)
    (tmp_path / "partial").write_text("x")
    os.rename(tmp_path / "partial", os.path.join(staging, "partial"))
    copyup.resume(v)
    assert os.listdir(v.mountpoint) == []
    assert copyup.copy_up(v, str(src))
    assert sorted(os.listdir(v.mountpoint)) == ["f", "fifo", "hard", "link", "sub"]


def test_crash_after_marker_is_finished(driver, tmp_path):
    """Cut short while moving entries in: resume moves the rest."""
    src = _image_dir(tmp_path)
    v = driver.create("cu", {}, {})
    staging = os.path.join(v.mountpoint, copyup.STAGING)
    os.mkdir(staging)
    copy_tree(str(src), staging)
    open(os.path.join(v.path, copyup.MARKER), "w").close()
    os.rename(os.path.join(staging, "f"), os.path.join(v.mountpoint, "f"))   # one moved before the crash
    copyup.resume(v)
    assert sorted(os.listdir(v.mountpoint)) == ["f", "fifo", "hard", "link", "sub"]
    assert not os.path.exists(os.path.join(v.path, copyup.MARKER))
