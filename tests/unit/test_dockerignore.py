""".dockerignore rules. The tables are moby/patternmatcher's own tests
(patternmatcher_test.go, ignorefile_test.go: TestMatches, TestMatch,
TestCompile, TestReadAll); the walk cases were checked against the tar the
docker 28 CLI sends."""
from __future__ import annotations

import os

import pytest

from barge.errdefs import InvalidParameter
from barge.util import dockerignore
from barge.util.dockerignore import Patterns, parse, read_lines, walk_context

EXACT, INEXACT, FAIL = "exact", "inexact", "fail"

# patternmatcher_test.go TestMatches: (pattern, text, result)
MATCHES = [
    ("**", "file", EXACT), ("**", "file/", EXACT), ("**/", "file", EXACT), ("**/", "file/", EXACT),
    ("**", "/", EXACT), ("**/", "/", EXACT), ("**", "dir/file", EXACT), ("**/", "dir/file", EXACT),
    ("**", "dir/file/", EXACT), ("**/", "dir/file/", EXACT), ("**/**", "dir/file", EXACT),
    ("**/**", "dir/file/", EXACT), ("dir/**", "dir/file", EXACT), ("dir/**", "dir/file/", EXACT),
    ("dir/**", "dir/dir2/file", EXACT), ("dir/**", "dir/dir2/file/", EXACT), ("**/dir", "dir", EXACT),
    ("**/dir", "dir/file", INEXACT), ("**/dir2/*", "dir/dir2/file", EXACT),
    ("**/dir2/*", "dir/dir2/file/", INEXACT), ("**/dir2/**", "dir/dir2/dir3/file", EXACT),
    ("**/dir2/**", "dir/dir2/dir3/file/", EXACT), ("**file", "file", EXACT), ("**file", "dir/file", EXACT),
    ("**/file", "dir/file", EXACT), ("**file", "dir/dir/file", EXACT), ("**/file", "dir/dir/file", EXACT),
    ("**/file*", "dir/dir/file", EXACT), ("**/file*", "dir/dir/file.txt", EXACT),
    ("**/file*txt", "dir/dir/file.txt", EXACT), ("**/file*.txt", "dir/dir/file.txt", EXACT),
    ("**/file*.txt*", "dir/dir/file.txt", EXACT), ("**/**/*.txt", "dir/dir/file.txt", EXACT),
    ("**/**/*.txt2", "dir/dir/file.txt", FAIL), ("**/*.txt", "file.txt", EXACT),
    ("**/**/*.txt", "file.txt", EXACT), ("a**/*.txt", "a/file.txt", EXACT),
    ("a**/*.txt", "a/dir/file.txt", EXACT), ("a**/*.txt", "a/dir/dir/file.txt", EXACT),
    ("a/*.txt", "a/dir/file.txt", FAIL), ("a/*.txt", "a/file.txt", EXACT), ("a/*.txt**", "a/file.txt", EXACT),
    ("a[b-d]e", "ae", FAIL), ("a[b-d]e", "ace", EXACT), ("a[b-d]e", "aae", FAIL), ("a[^b-d]e", "aze", EXACT),
    (".*", ".foo", EXACT), (".*", "foo", FAIL), ("abc.def", "abcdef", FAIL), ("abc.def", "abc.def", EXACT),
    ("abc.def", "abcZdef", FAIL), ("abc?def", "abcZdef", EXACT), ("abc?def", "abcdef", FAIL),
    ("**/foo/bar", "foo/bar", EXACT), ("**/foo/bar", "dir/foo/bar", EXACT),
    ("**/foo/bar", "dir/dir2/foo/bar", EXACT), ("abc/**", "abc", FAIL), ("abc/**", "abc/def", EXACT),
    ("abc/**", "abc/def/ghi", EXACT), ("**/.foo", ".foo", EXACT), ("**/.foo", "bar.foo", FAIL),
    ("a(b)c/def", "a(b)c/def", EXACT), ("a(b)c/def", "a(b)c/xyz", FAIL),
    ("a.|)$(}+{bc", "a.|)$(}+{bc", EXACT),
    ("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", EXACT),
    ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", EXACT),
    ("a\\\\", "a\\", EXACT), ("a\\*b", "a*b", EXACT),
]

MULTI = [
    (["**", "!util/docker/web"], "util/docker/web/foo", FAIL),
    (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", EXACT),
    (["**", "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"],
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", FAIL),
    (["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", FAIL),
]


@pytest.mark.parametrize("pattern, text, result", MATCHES)
def test_matches_or_parent_matches(pattern, text, result):
    assert Patterns([pattern]).matches_or_parent_matches(text) == (result != FAIL)


@pytest.mark.parametrize("patterns, text, result", MULTI + [([p], t, r) for p, t, r in MATCHES])
def test_matches_using_parent_results(patterns, text, result):
    """The walk's way: each parent directory's answer handed to its child."""
    pm = Patterns(patterns)
    parent = os.path.dirname(text)
    info = None
    if parent:
        dirs = parent.split("/")
        for i in range(len(dirs)):
            _, info = pm.match_with_parents("/".join(dirs[:i + 1]), info)
    assert pm.match_with_parents(text, info)[0] == (result != FAIL)


@pytest.mark.parametrize("patterns, text, result", MULTI)
def test_multi_patterns(patterns, text, result):
    assert Patterns(patterns).matches_or_parent_matches(text) == (result != FAIL)


# Go's filepath.Match tests, as patternmatcher's TestMatch runs them (Matches)
MATCH = [
    ("abc", "abc", True), ("*", "abc", True), ("*c", "abc", True), ("a*", "a", True), ("a*", "abc", True),
    ("a*", "ab/c", True), ("a*/b", "abc/b", True), ("a*/b", "a/c/b", False),
    ("a*b*c*d*e*/f", "axbxcxdxe/f", True), ("a*b*c*d*e*/f", "axbxcxdxexxx/f", True),
    ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False), ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", False),
    ("a*b?c*x", "abxbbxdbxebxczzx", True), ("a*b?c*x", "abxbbxdbxebxczzy", False),
    ("ab[c]", "abc", True), ("ab[b-d]", "abc", True), ("ab[e-g]", "abc", False), ("ab[^c]", "abc", False),
    ("ab[^b-d]", "abc", False), ("ab[^e-g]", "abc", True), ("a\\*b", "a*b", True), ("a\\*b", "ab", False),
    ("a?b", "a☺b", True), ("a[^a]b", "a☺b", True), ("a???b", "a☺b", False),
    ("a[^a][^a][^a]b", "a☺b", False), ("[a-ζ]*", "α", True), ("*[a-ζ]", "A", False),
    ("a?b", "a/b", False), ("a*b", "a/b", False), ("[\\]a]", "]", True), ("[\\-]", "-", True),
    ("[x\\-]", "x", True), ("[x\\-]", "-", True), ("[x\\-]", "z", False), ("[\\-x]", "x", True),
    ("[\\-x]", "-", True), ("[\\-x]", "a", False), ("*x", "xxx", True),
]
BAD = ["[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a["]


@pytest.mark.parametrize("pattern, text, result", MATCH)
def test_go_match_table(pattern, text, result):
    assert Patterns([pattern]).legacy_matches(text) is result
    if "/" not in text:                                  # else Matches also tried the parent
        assert dockerignore.go_match(pattern, text) is result


@pytest.mark.parametrize("pattern", BAD)
def test_bad_patterns(pattern):
    with pytest.raises(InvalidParameter, match="^syntax error in pattern$"):
        Patterns([pattern])


def test_single_exclamation_is_an_error():
    with pytest.raises(InvalidParameter, match='^illegal exclusion pattern: "!"$'):
        parse("!\n")


def test_bad_regexp_fails_on_first_use_only():
    """Like moby (issue 52203): "[Local-Only]" passes Go's syntax check but
    its range is reversed; an exception that is never tried never fails."""
    pm = Patterns(["[Local-Only]/"])
    with pytest.raises(InvalidParameter, match="syntax error in pattern"):
        pm.matches_or_parent_matches("x")
    with pytest.raises(InvalidParameter):
        pm.matches_or_parent_matches("x")
    assert Patterns(["![b-a]"]).excluded("anything") is False


@pytest.mark.parametrize("pattern, kind", [
    ("*", "regexp"), ("file*", "regexp"), ("*file", "regexp"), ("a*/b", "regexp"), ("**", "suffix"),
    ("**/**", "regexp"), ("dir/**", "prefix"), ("**/dir", "suffix"), ("**/dir2/*", "regexp"),
    ("**/dir2/**", "regexp"), ("**file", "suffix"), ("**/file*txt", "regexp"), ("**/**/*.txt", "regexp"),
    ("a[b-d]e", "regexp"), (".*", "regexp"), ("abc.def", "exact"), ("abc?def", "regexp"),
    ("**/foo/bar", "suffix"), ("a(b)c/def", "exact"), ("a.|)$(}+{bc", "exact"),
])
def test_compile_kinds(pattern, kind):
    assert dockerignore._compile(pattern)[0] == kind


def test_read_lines_as_ignorefile_reads_them():
    content = "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! "
    assert read_lines(content) == ["test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path", "!", "!"]


@pytest.mark.parametrize("text, lines", [
    ("\ufeffa\r\nb/\r\n", ["a", "b"]),                  # BOM, CRLF, trailing slash
    ("./x\n  y  \n", ["x", "y"]),                         # "./" and blanks trimmed
    ("  # not a comment\n#c\n", ["# not a comment"]),     # only a leading "#" comments
    ("a/../b\n/\n//c\n", ["b", "/", "c"]),               # cleaned; "/" alone stays
    ("!./x/\n", ["!x"]),
])
def test_read_lines_cleaning(text, lines):
    assert read_lines(text) == lines


@pytest.mark.parametrize("text, path, excluded", [
    ("docs\n", "docs", True),
    ("docs\n", "docs/a/b.md", True),                      # a directory excludes its contents
    ("docs\n!docs/README.md\n", "docs/README.md", False),
    ("docs\n!docs/README.md\n", "docs/other.md", True),
    ("!docs/README.md\ndocs\n", "docs/README.md", True),  # the later line wins
    ("/docs\n", "docs/x", True),
    ("./docs/\n", "./docs//x", True),                   # the path is cleaned too
    ("*.md\n", "a/b.md", False),                          # * stays in one component
    ("**/*.md\n", "a/b.md", True),
    ("*/b.md\n", "a/b.md", True),
    ("*\n", ".", False),                                  # the root never
    ("*\n!Dockerfile\n", "Dockerfile", False),
    ("[a-c]?.txt\n", "bx.txt", True),
    ("[!a].txt\n", "!.txt", True),                        # "!" in a class is a plain character
    ("[^a].txt\n", "b.txt", True),
])
def test_excluded(text, path, excluded):
    assert parse(text).excluded(path) is excluded


def test_legacy_matches_only_tries_the_parent_as_deep_as_the_pattern():
    pm = Patterns(["a/b"])
    assert pm.legacy_matches("a/b/c/d") is True
    assert Patterns(["b"]).legacy_matches("a/b/c") is False
    assert Patterns(["b"]).excluded("a/b/c") is False
    assert Patterns(["*"]).legacy_matches("sub/Dockerfile") is True


def _tree(root, files):
    for rel in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir() if rel.endswith("/") else path.write_text(rel)


def _walk(root, text):
    return [rel for rel, _, _ in walk_context(str(root), parse(text))]


def test_walk_order_and_exclusions(tmp_path):
    _tree(tmp_path, ["b", "a/z", "a/c/d", "B", "a.tmp", "x/y/skip.tmp", "empty/"])
    os.symlink("b", tmp_path / "link")
    assert _walk(tmp_path, "*.tmp\n**/skip.tmp\n") == [
        "B", "a", "a/c", "a/c/d", "a/z", "b", "empty", "link", "x", "x/y"]


def test_walk_reenters_an_excluded_directory_for_an_exception(tmp_path):
    _tree(tmp_path, ["sub/deep/f", "sub/deep/g", "sub/h", "other/keep"])
    # sub and sub/deep themselves are not sent, only the kept file
    assert _walk(tmp_path, "sub\n!sub/deep/f\n") == ["other", "other/keep", "sub/deep/f"]
    # Docker's re-entry test is a text prefix: a wildcard exception does not reopen "sub"
    assert _walk(tmp_path, "sub\n!*/deep/f\n") == ["other", "other/keep"]
    # without exceptions an excluded directory is never entered
    assert _walk(tmp_path, "sub\nother/keep\n") == ["other"]


def test_walk_reports_unreadable_entries(tmp_path):
    _tree(tmp_path, ["d/f"])
    seen = []
    real_listdir = os.listdir

    def listdir(path):
        if str(path).endswith("/d"):
            raise PermissionError(13, "Permission denied")
        return real_listdir(path)

    orig, os.listdir = os.listdir, listdir
    try:
        got = [rel for rel, _, _ in walk_context(str(tmp_path), Patterns([]),
                                                 lambda rel, path, e: seen.append((rel, type(e))))]
    finally:
        os.listdir = orig
    assert got == ["d"]
    assert seen == [("d", PermissionError)]
