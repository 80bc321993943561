"""barge.builder: the Dockerfile parser, word expansion and typed instructions.

The corpus in `dockerfiles/` pairs each `NAME.Dockerfile` with `NAME.json`,
written from the Dockerfile reference and from what Docker 20.10's classic
builder printed for the same input (`DOCKER_BUILDKIT=0 docker build`):

- "nodes": the parse tree (`parser.parse`), each node compact
  (`json`, `flags`, `heredocs`, `next` only when set);
- "directives", "escape", "warnings": the rest of `parse`'s result;
- "error" (+ "error_line"): what `instructions.parse_dockerfile` raises;
- "stages", "meta_args", "labels": its result, when it succeeds.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from barge.builder import instructions as ins
from barge.builder.parser import DockerfileParseError, Node, parse
from barge.builder.shell_lex import Lexer
from barge.errdefs import InvalidParameter

CORPUS = Path(__file__).parent / "dockerfiles"
CASES = sorted(p.stem for p in CORPUS.glob("*.Dockerfile"))


def _read(name: str) -> tuple[str, dict]:
    text = (CORPUS / f"{name}.Dockerfile").read_bytes().decode("utf-8")
    return text, json.loads((CORPUS / f"{name}.json").read_text())


def _node(node: Node) -> dict:
    out: dict = {"cmd": node.cmd, "args": node.args}
    if node.json_form:
        out["json"] = True
    if node.flags:
        out["flags"] = node.flags
    out["original"] = node.original
    out["line"] = node.line
    if node.heredocs:
        out["heredocs"] = [_heredoc(h) for h in node.heredocs]
    if node.next is not None:
        out["next"] = _node(node.next)
    return out


def _heredoc(doc) -> dict:
    out = {"name": doc.name, "content": doc.content, "expand": doc.expand}
    if doc.chomp:
        out["chomp"] = True
    return out


def _stage(stage: ins.Stage, want: dict) -> dict:
    out = {"name": stage.name, "base": stage.base, "commands": [c.KEYWORD for c in stage.commands]}
    if stage.platform or "platform" in want:
        out["platform"] = stage.platform
    if "onbuild" in want:
        out["onbuild"] = [c.expression for c in stage.commands if isinstance(c, ins.Onbuild)]
    if "healthchecks" in want:
        out["healthchecks"] = [
            {"test": c.test, "interval": c.interval, "timeout": c.timeout,
             "start_period": c.start_period, "start_interval": c.start_interval,
             "retries": c.retries}
            for c in stage.commands if isinstance(c, ins.Healthcheck)]
    return out


def test_corpus_is_paired():
    jsons = sorted(p.stem for p in CORPUS.glob("*.json"))
    assert CASES == jsons
    assert len(CASES) >= 40


@pytest.mark.parametrize("name", CASES)
def test_corpus_parse(name):
    text, want = _read(name)
    if "nodes" not in want:
        if "error" in want:  # the parser itself refuses, or the stages do
            try:
                parse(text)
            except DockerfileParseError as err:
                assert str(err) == want["error"]
                if "error_line" in want:
                    assert err.line == want["error_line"]
        return
    df = parse(text)
    assert [_node(n) for n in df.nodes] == want["nodes"]
    assert df.directives == want.get("directives", {})
    assert df.escape == want.get("escape", "\\")
    assert df.warnings == want.get("warnings", [])


@pytest.mark.parametrize("name", CASES)
def test_corpus_stages(name):
    text, want = _read(name)
    if "error" in want:
        with pytest.raises(InvalidParameter) as info:
            ins.parse_dockerfile(text)
        assert str(info.value) == want["error"]
        if "error_line" in want:
            assert info.value.line == want["error_line"]
        return
    meta, stages, warnings = ins.parse_dockerfile(text)
    assert warnings == want.get("warnings", [])
    if "meta_args" in want:
        assert [[list(p) for p in a.pairs] for a in meta] == want["meta_args"]
    if "stages" in want:
        assert [_stage(s, w) for s, w in zip(stages, want["stages"])] == want["stages"]
        assert len(stages) == len(want["stages"])
        assert [s.index for s in stages] == list(range(len(stages)))
    if "labels" in want:
        labels: dict[str, str] = {}
        for cmd in stages[-1].commands:
            if isinstance(cmd, ins.Label):
                labels.update(cmd.expand(Lexer(), {}).pairs)
        assert labels == want["labels"]


# ------------------------------------------------------------------ parser

def test_crlf_heredoc_and_bom():
    df = parse("\ufeffFROM a\r\nRUN x\r\n")
    assert [n.original for n in df.nodes] == ["FROM a", "RUN x"]


def test_escaped_escape_is_not_a_continuation():
    # Docker 20.10: `RUN echo a \\` ends the instruction; the next line is its own.
    with pytest.raises(InvalidParameter, match=r"^dockerfile parse error line 3: unknown instruction: B$"):
        ins.parse_dockerfile("FROM busybox\nRUN echo a \\\\\n  b\n")


def test_continuation_line_of_only_the_escape():
    df = parse("FROM a\nENV A=1 \\\n\\\n  B=2\n")
    assert df.nodes[1].args == ["A", "1", "B", "2"]
    assert df.warnings == []


def test_backtick_escape_in_words():
    df = parse("# escape=`\nFROM a\nENV P=c:\\dir\\ Q=a`$b\n")
    assert df.nodes[1].args == ["P", "c:\\dir\\", "Q", "a`$b"]


def test_line_too_long():
    with pytest.raises(DockerfileParseError, match="line greater than max allowed size of 65535"):
        parse("FROM a\nRUN " + "x" * 70000 + "\n")
    with pytest.raises(DockerfileParseError, match="file with no instructions"):
        parse("x" * 70000)


def test_heredoc_with_fd_and_quoted_parts():
    df = parse('FROM a\nRUN 3<<E"O"F cat\nx\nEOF\n')
    assert df.nodes[1].heredocs[0].name == "EOF"
    assert df.nodes[1].heredocs[0].expand is False


def test_heredoc_terminator_needs_exact_line():
    df = parse("FROM a\nRUN <<EOF\n EOF\nEOF \nEOF\n")
    assert df.nodes[1].heredocs[0].content == " EOF\nEOF \n"


def test_heredoc_in_onbuild():
    meta, stages, _ = ins.parse_dockerfile("FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\n")
    assert stages[0].commands[0].expression == "RUN <<EOF\necho hi\nEOF"


def test_parse_error_carries_reason():
    with pytest.raises(DockerfileParseError) as info:
        parse("FROM a\nENV x\n", name="Dockerfile.dev")
    assert str(info.value) == "failed to parse Dockerfile.dev: ENV must have two arguments"
    assert info.value.reason == "ENV must have two arguments"
    assert info.value.line == 2
    with pytest.raises(DockerfileParseError, match=r"^the Dockerfile \(x\) cannot be empty$"):
        parse("", name="x")


# ------------------------------------------------------------------ shell_lex

ENV = {"PWD": "/home", "SHELL": "bash", "KOREAN": "한국어", "NULL": "", "S": "x"}


@pytest.mark.parametrize("word, result", [
    ("hello", "hello"),
    ("he'll'o", "hello"),
    ("he\\'llo", "he'llo"),
    ("abc\\tdef", "abctdef"),
    ('"abc\\tdef"', "abc\\tdef"),
    ('"abc\\\\tdef"', "abc\\tdef"),
    ("'abc\\tdef'", "abc\\tdef"),
    ("hello\\", "hello"),
    ("hello\\\\", "hello\\"),
    ('"hel\'lo"', "hel'lo"),
    ("'hello\\'", "hello\\"),
    ('"\'\'"', "''"),
    ("$.", "$."),
    ("$", "$"),
    ("a$", "a$"),
    ("$1", ""),
    ("he$1x", "hex"),
    ("he$.x", "he$.x"),
    ("he$pwd.", "he."),
    ("he$PWD", "he/home"),
    ("he\\$PWD", "he$PWD"),
    ("he\\\\$PWD", "he\\/home"),
    ('"he\\$PWD"', "he$PWD"),
    ('"he\\\\$PWD"', "he\\/home"),
    ("\\${}", "${}"),
    ("he${hi}xx", "hexx"),
    ("he${PWD}", "he/home"),
    ("'he${PWD}'", "he${PWD}"),
    ('"he${PWD}"', "he/home"),
    ('"he\'$PWD\'"', "he'/home'"),
    ("'\\$PWD'", "\\$PWD"),
    ("$$", ""),
    ("$@z", "z"),
    ("${aaa}}", "}"),
    ("${aaa:-bbb {foo}", "bbb {foo"),
    ("안녕$KOREAN", "안녕한국어"),
    # ${var:-word} / ${var-word}
    ("he${XXX:-000}xx", "he000xx"),
    ("he${PWD:-000}xx", "he/homexx"),
    ("he${XXX:-$PWD}xx", "he/homexx"),
    ("he${XXX:-${YYY:-yyy}}xx", "heyyyxx"),
    ("${NULL:-def}", "def"),
    ("${NULL-def}", ""),
    ("${XXX-def}", "def"),
    ("he${XXX:-\\$PWD:}xx", "he$PWD:xx"),
    ("he${XXX:-\\${PWD}z}xx", "he${PWDz}xx"),
    ('${S:-"q"}', "x"),
    ('${XXX:-"q r"}', "q r"),
    # ${var:+word} / ${var+word}
    ("he${XXX:+000}xx", "hexx"),
    ("he${PWD:+000}xx", "he000xx"),
    ("he${PWD:+${SHELL}}xx", "hebashxx"),
    ("${NULL:+alt}", ""),
    ("${NULL+alt}", "alt"),
    ("${XXX+alt}", ""),
    # ${var?err} passes through when set
    ("${S?err}", "x"),
    ("${NULL?err}", ""),
    ("${S:?err}", "x"),
    # pattern forms (newer Dockerfile syntax)
    ("${PWD#/}", "home"),
    ("${PWD%me}", "/ho"),
    ("${PWD/o/0}", "/h0me"),
])
def test_process_word(word, result):
    assert Lexer().process_word(word, ENV) == result


@pytest.mark.parametrize("word, message", [
    ("he'llo", "unexpected end of statement while looking for matching single-quote"),
    ('"hello', "unexpected end of statement while looking for matching double-quote"),
    ('"hello\\"', "unexpected end of statement while looking for matching double-quote"),
    ("${}", "syntax error: bad substitution"),
    ("he${.}", "unsupported modifier (.) in substitution"),
    ("${{aaa}", "syntax error: bad substitution"),
    ("${:-bbb}", "syntax error: bad substitution"),
    ("he${PWD", "syntax error: missing '}'"),
    ("${aaa:-bbb", "syntax error: missing '}'"),
    ("${aaa:-bbb ${foo}", "syntax error: missing '}'"),
    ("he${PWD:=000}xx", "unsupported modifier (:=) in substitution"),
    ("${XXX?}", "XXX: is not allowed to be unset"),
    ("${XXX?oops $S}", "XXX: oops x"),
    ("${NULL:?}", "NULL: is not allowed to be empty"),
    ("${XXX:?must be set}", "XXX: must be set"),
])
def test_process_word_errors(word, message):
    with pytest.raises(InvalidParameter) as info:
        Lexer().process_word(word, ENV)
    assert str(info.value) == f"failed to process {json.dumps(word, ensure_ascii=False)}: {message}"


@pytest.mark.parametrize("word, words", [
    ("hello", ["hello"]),
    ("hello there     ", ["hello", "there"]),
    ("hello${SP}bye", ["helloabc", "defbye"]),
    ('hello"${SP}"bye', ["helloabc  defbye"]),
    ('hello "${SP}"bye', ["hello", "abc  defbye"]),
    ("hello${LEAD}def", ["hello", "ab", "cdef"]),
    ('hello" there  "', ["hello there  "]),
    ("hello\\ there", ["hello there"]),
    ('hello\\" there', ['hello"', "there"]),
    ('a "" b', ["a", "b"]),
    ("$PORTS 22/udp", ["80", "443", "22/udp"]),
])
def test_process_words(word, words):
    env = {"SP": "abc  def", "LEAD": "  ab c", "PORTS": "80 443"}
    assert Lexer().process_words(word, env) == words


@pytest.mark.parametrize("word, result", [
    ("a`$b", "a$b"),
    ("c:\\dir\\", "c:\\dir\\"),
    ('"x`"y"', 'x"y'),
    ('"x\\`y"', "x\\`y"),
    ("a``b", "a`b"),
    ("$S`", "x"),
])
def test_backtick_escape(word, result):
    assert Lexer("`").process_word(word, ENV) == result


def test_process_reports_variables_used():
    got = Lexer().process("${S}-${NOPE:-d}-$NULL", ENV)
    assert got.result == "x-d-"
    assert got.matched == {"S", "NULL"}
    assert got.unmatched == {"NOPE"}


def test_skip_unset_env_and_raw_quotes():
    lex = Lexer(raw_quotes=True, skip_unset_env=True)
    assert lex.process_word("'$X' \"${Y:-z}\" $S", {"S": "s"}) == "'$X' \"${Y:-z}\" s"


# --------------------------------------------------------------- instructions

def _one(text: str) -> ins.Instruction:
    meta, stages, _ = ins.parse_dockerfile("FROM busybox\n" + text)
    return stages[0].commands[0]


def test_instruction_fields():
    run = _one("RUN --mount=type=cache,target=/c --mount=type=tmpfs,target=/t --network=none make")
    assert (run.cmd, run.json_form, run.mounts, run.network) == (
        ["make"], False, ["type=cache,target=/c", "type=tmpfs,target=/t"], "none")
    copy = _one("COPY --from=0 --chown=$U --chmod=644 --link --parents a* <<EOF ${D}/\nhi $U\nEOF\n")
    assert (copy.sources, copy.dest, copy.from_, copy.chown, copy.chmod, copy.link, copy.parents) == (
        ["a*"], "${D}/", "0", "$U", "644", True, True)
    assert [(h.name, h.content) for h in copy.heredocs] == [("EOF", "hi $U\n")]
    add = _one("ADD --checksum=sha256:ab --keep-git-dir --link=false --chown=1 x y")
    assert (add.checksum, add.keep_git_dir, add.link, add.chown, add.sources, add.dest) == (
        "sha256:ab", True, False, "1", ["x"], "y")
    assert _one("ENTRYPOINT []").cmd == []
    assert _one("ENTRYPOINT top -b").cmd == ["top -b"]
    assert _one("EXPOSE 90 8080/udp 80").ports == ["80", "8080/udp", "90"]
    assert _one("VOLUME /a /b").paths == ["/a", "/b"]
    assert _one("SHELL [\"bash\", \"-c\"]").shell == ["bash", "-c"]
    assert _one("STOPSIGNAL SIGKILL").signal == "SIGKILL"
    assert _one("USER 1:1").user == "1:1"
    assert _one("WORKDIR /a b").path == "/a b"
    assert _one("ARG a b=c d=").pairs == [("a", None), ("b", "c"), ("d", "")]
    assert _one("ENV a b c").pairs == [("a", "b c")]
    assert _one("MAINTAINER me").name == "me"
    assert _one("ONBUILD RUN x").expression == "RUN x"
    hc = _one("HEALTHCHECK --interval=1ms CMD true")
    assert (hc.test, hc.interval) == (["CMD-SHELL", "true"], 1_000_000)
    assert _one("HEALTHCHECK --interval=x NONE").test == ["NONE"]


def test_expand():
    lex = Lexer()
    env = {"U": "1:2", "D": "/dst", "P": "80 443", "S": "sv", "X": "busybox"}
    copy = _one("COPY --chown=$U a/$S <<EOF <<'RAW' $D/\nx=$S \"q\" \\$S\nEOF\n$S\nRAW\n").expand(lex, env)
    assert (copy.sources, copy.dest, copy.chown) == (["a/sv"], "/dst/", "1:2")
    assert [h.content for h in copy.heredocs] == ['x=sv "q" $S\n', "$S\n"]
    assert _one("EXPOSE $P 22").expand(lex, env).ports == ["80", "443", "22"]
    assert _one('ENV "k$S"="v $S" w=$U').expand(lex, env).pairs == [("ksv", "v sv"), ("w", "1:2")]
    assert _one("ARG a=$S b").expand(lex, env).pairs == [("a", "sv"), ("b", None)]
    assert _one("LABEL l=${S:+set}").expand(lex, env).pairs == [("l", "set")]
    assert _one("WORKDIR /$S").expand(lex, env).path == "/sv"
    assert _one("USER $S").expand(lex, env).user == "sv"
    assert _one("STOPSIGNAL $S").expand(lex, env).signal == "sv"
    assert _one("VOLUME $S /x").expand(lex, env).paths == ["sv", "/x"]
    run = _one("RUN echo $S")
    assert run.expand(lex, env) is run
    onbuild = _one("ONBUILD RUN echo $S")
    assert onbuild.expand(lex, env).expression == "RUN echo $S"
    frm = ins.parse_dockerfile("ARG X\nFROM --platform=$P ${X}:1 AS b\n")[1][0]
    assert frm.base == "${X}:1"
    src = ins.From(image="${X}:1", platform="$X")
    assert (src.expand(lex, env).image, src.expand(lex, env).platform) == ("busybox:1", "busybox")
    with pytest.raises(InvalidParameter, match=r"^base name \(\$Y\) should not be blank$"):
        ins.From(image="$Y").expand(lex, env)


def test_run_heredoc_scripts():
    run = _one("RUN <<EOF\necho a\necho b\nEOF\n")
    assert run.heredoc_script().content == "echo a\necho b\n"
    assert run.shell_text() == "echo a\necho b\n"
    run = _one("RUN <<-EOF\n\t#!/bin/sh\n\techo a\nEOF\n")
    assert run.heredoc_script().content.startswith("#!/bin/sh\n")
    run = _one("RUN <<A cat > /a && <<B cat > /b\n1\nA\n2\nB\n")
    assert run.heredoc_script() is None
    assert run.shell_text() == "<<A cat > /a && <<B cat > /b\n1\nA\n2\nB"
    assert _one("RUN echo hi").shell_text() == "echo hi"


@pytest.mark.parametrize("line, message", [
    ("ENV", "ENV requires at least one argument"),
    ("ENV =x", "ENV names can not be blank"),
    ("LABEL", "LABEL requires at least one argument"),
    ("LABEL a=b =c", "LABEL names can not be blank"),
    ("ARG", "ARG requires at least one argument"),
    ("ARG =c", "ARG names can not be blank"),
    ("MAINTAINER", "MAINTAINER requires exactly one argument"),
    ("WORKDIR", "WORKDIR requires exactly one argument"),
    ("USER", "USER requires exactly one argument"),
    ("STOPSIGNAL", "STOPSIGNAL requires exactly one argument"),
    ("EXPOSE", "EXPOSE requires at least one argument"),
    ("VOLUME", "VOLUME requires at least one argument"),
    ("VOLUME []", "VOLUME requires at least one argument"),
    ("ONBUILD", "ONBUILD requires at least one argument"),
    ("COPY a", "COPY requires at least two arguments, but only one was provided. "
               "Destination could not be determined"),
    ("ADD", "ADD requires at least two arguments, but only one was provided. "
            "Destination could not be determined"),
    ("ADD a <<EOF\nx\nEOF", "ADD cannot accept a heredoc as a destination"),
    ("SHELL []", "SHELL requires at least one argument"),
    ("SHELL sh -c", "SHELL requires the arguments to be in JSON form"),
    ("HEALTHCHECK", "HEALTHCHECK requires at least one argument"),
    ("HEALTHCHECK NONE x", "HEALTHCHECK NONE takes no arguments"),
    ("HEALTHCHECK FOO x", 'Unknown type "FOO" in HEALTHCHECK (try CMD)'),
    ("HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD"),
    ("HEALTHCHECK CMD []", "Missing command after HEALTHCHECK CMD"),
    ("HEALTHCHECK --foo CMD x", "Unknown flag: foo"),
    ("HEALTHCHECK --interval=1x CMD x", 'time: unknown unit "x" in duration "1x"'),
    ("HEALTHCHECK --timeout=0s CMD x", 'Interval "timeout" cannot be less than 1ms'),
    ("HEALTHCHECK --start-period=-1s CMD x", 'Interval "start-period" cannot be less than 1ms'),
    ("HEALTHCHECK --retries=0 CMD x", "--retries must be at least 1 (not 0)"),
    ("HEALTHCHECK --retries=x CMD x", 'strconv.ParseInt: parsing "x": invalid syntax'),
    ("HEALTHCHECK --retries CMD x", "Missing a value on flag: retries"),
    ("FROM", "FROM requires either one or three arguments"),
    ("FROM a b c", "FROM requires either one or three arguments"),
    ("FROM a AS b$", 'invalid name for build stage: "b$", name can\'t start with a number or contain symbols'),
    ("FROM --plat=x a", "Unknown flag: plat"),
    ("CMD --x=1 a", "Unknown flag: x"),
    ("RUN --network a", "Missing a value on flag: network"),
    ("RUN --security=insecure a", "Unknown flag: security"),
    ("COPY --link=maybe a b", "Expecting boolean value for flag link, not: maybe"),
    ("COPY --link= a b", "Missing a value on flag: link"),
    ("COPY --chmod=1 --chmod=2 a b", "Duplicate flag specified: chmod"),
    ("ADD --from=x a b", "Unknown flag: from"),
    ("ONBUILD ONBUILD RUN x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
    ("ONBUILD FROM x", "FROM isn't allowed as an ONBUILD trigger"),
    ("ONBUILD maintainer x", "MAINTAINER isn't allowed as an ONBUILD trigger"),
    ("FOO bar", "unknown instruction: FOO"),
])
def test_instruction_errors(line, message):
    with pytest.raises(InvalidParameter) as info:
        ins.parse_dockerfile("FROM busybox\n" + line + "\n")
    assert str(info.value) == f"dockerfile parse error line 2: {message}"
    assert info.value.line == 2


def test_parse_flags_stops_at_double_dash():
    assert ins.parse_flags(["--a=1", "--", "--b"], {"a": "string"}) == {"a": "1"}
    with pytest.raises(InvalidParameter, match="^Arg should start with -- : -a$"):
        ins.parse_flags(["-a"], {})


def test_parse_trigger():
    cmd = ins.parse_trigger("RUN echo $HOME")
    assert isinstance(cmd, ins.Run) and cmd.cmd == ["echo $HOME"]
    with pytest.raises(InvalidParameter, match="^unknown instruction: RUNN$"):
        ins.parse_trigger("RUNN x")
    with pytest.raises(InvalidParameter, match="^onbuild trigger should be a single expression$"):
        ins.parse_trigger("RUN a\nRUN b")
