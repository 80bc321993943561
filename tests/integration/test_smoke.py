"""The first things a new user types."""


def test_run_echo(daemon):
    r = daemon.cli("run", "--rm", "busybox", "echo", "hello")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hello\n"
