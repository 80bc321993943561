"""Table tests for barge.util.gotemplate, the Go text/template engine behind
--format. Expected outputs are what Go's text/template (with Docker's extra
functions) prints for the same template and data."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from barge.errdefs import InvalidParameter
from barge.util.gotemplate import parse, render, split_table

CONTAINER = {
    "ID": "0123456789ab",
    "Name": "/web",
    "Names": ["web", "frontend"],
    "State": {"Running": True, "ExitCode": 0, "Health": None, "Pid": 4242},
    "Labels": {"com.example": "yes", "a": "1", "z": "26"},
    "Mounts": [{"Source": "/data", "Destination": "/var/data"},
               {"Source": "/logs", "Destination": "/var/log"}],
    "Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]},
    "Size": 1.5,
    "Empty": [],
    "Count": 3,
}


class Obj:
    """An arbitrary object: fields are attributes, methods are called."""

    def __init__(self) -> None:
        self.Name = "obj"
        self.Inner = {"Key": "v"}
        self.Fn = lambda: "from-attr"

    @property
    def Upper(self) -> str:
        return self.Name.upper()

    def Greet(self, who: str = "world") -> str:
        return f"hello {who}"

    def Fail(self) -> str:
        raise RuntimeError("boom")

    def __str__(self) -> str:
        return "Obj!"


@dataclass
class Point:
    X: int
    Y: float


# (template, data, expected)
CASES = [
    # text and fields
    ("plain text", None, "plain text"),
    ("", None, ""),
    ("{{.ID}}", CONTAINER, "0123456789ab"),
    ("{{.State.Running}}", CONTAINER, "true"),
    ("{{.State.ExitCode}}", CONTAINER, "0"),
    ("{{.State.Health}}", CONTAINER, "<nil>"),
    ("{{.Missing}}", CONTAINER, "<no value>"),
    ("{{.Missing.Deeper}}", CONTAINER, "<no value>"),
    ("{{.}}", None, "<no value>"),
    ("{{.}}", "str", "str"),
    ("{{.Names}}", CONTAINER, "[web frontend]"),
    ("{{.Labels}}", CONTAINER, "map[a:1 com.example:yes z:26]"),
    ("{{.Mounts}}", CONTAINER, "[map[Destination:/var/data Source:/data] "
                               "map[Destination:/var/log Source:/logs]]"),
    ("{{.Ports}}", CONTAINER, "map[80/tcp:[map[HostIp:0.0.0.0 HostPort:8080]]]"),
    ("{{.Empty}}", CONTAINER, "[]"),
    ("{{.}}", {}, "map[]"),
    ("{{$}}", 7, "7"),
    ("{{$.Name}}", CONTAINER, "/web"),
    ("{{(index .Mounts 1).Source}}", CONTAINER, "/logs"),
    ("{{.x}}", {"x": "lower-case key"}, "lower-case key"),
    # numbers print like Go's %v
    ("{{.}}", 1.0, "1"),
    ("{{.}}", 1.5, "1.5"),
    ("{{.}}", -0.25, "-0.25"),
    ("{{.}}", 100000.0, "100000"),
    ("{{.}}", 1e6, "1e+06"),
    ("{{.}}", 1234567.0, "1.234567e+06"),
    ("{{.}}", 0.0001, "0.0001"),
    ("{{.}}", 0.00001, "1e-05"),
    ("{{.}}", 1e21, "1e+21"),
    ("{{.}}", float("inf"), "+Inf"),
    ("{{.}}", float("nan"), "NaN"),
    ("{{.}}", [1, 2.5, True, None, "s"], "[1 2.5 true <nil> s]"),
    ("{{.}}", {2: "b", 1: "a"}, "map[1:a 2:b]"),
    ("{{.}}", Point(1, 2.0), "{1 2}"),
    # literals
    ("{{1}} {{-1}} {{1.5}} {{1e3}} {{0x1F}} {{017}} {{1_000}} {{'a'}}", None,
     "1 -1 1.5 1000 31 15 1000 97"),
    ('{{"a\\tb\\n\\u00e9\\x41\\101\\\\\\""}}', None, 'a\tb\né' + 'AA\\"'),
    ("{{`raw \\n {{ }}`}}", None, "raw \\n {{ }}"),
    ("{{true}} {{false}}", None, "true false"),
    ("{{print nil}}", None, "<nil>"),
    # objects
    ("{{.Name}} {{.Upper}} {{.Greet}} {{.Greet \"you\"}} {{.Fn}}", Obj(),
     "obj OBJ hello world hello you from-attr"),
    ("{{.Inner.Key}}", Obj(), "v"),
    ("{{\"piped\" | .Greet}}", Obj(), "hello piped"),
    ("{{.}}", Obj(), "Obj!"),
    ("{{.O.Name}}", {"O": Obj()}, "obj"),
    ("{{.X}},{{.Y}}", Point(3, 0.5), "3,0.5"),
    # range
    ("{{range .Mounts}}{{.Source}}{{end}}", CONTAINER, "/data/logs"),
    ("{{range .Names}}[{{.}}]{{end}}", CONTAINER, "[web][frontend]"),
    ("{{range $i, $v := .Names}}{{$i}}={{$v}} {{end}}", CONTAINER, "0=web 1=frontend "),
    ("{{range $v := .Names}}{{$v}};{{end}}", CONTAINER, "web;frontend;"),
    ("{{range $k, $v := .Labels}}{{$k}}={{$v}},{{end}}", CONTAINER, "a=1,com.example=yes,z=26,"),
    ("{{range .Labels}}{{.}} {{end}}", CONTAINER, "1 yes 26 "),
    ("{{range .Empty}}x{{else}}empty{{end}}", CONTAINER, "empty"),
    ("{{range .Missing}}x{{else}}none{{end}}", CONTAINER, "none"),
    ("{{range .State.Health}}x{{else}}nil{{end}}", CONTAINER, "nil"),
    ("{{range 3}}{{.}}{{end}}", None, "012"),
    ("{{range .}}{{if eq . 3}}{{break}}{{end}}{{.}}{{end}}", [1, 2, 3, 4], "12"),
    ("{{range .}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}", [1, 2, 3], "13"),
    ("{{range $p, $conf := .Ports}}{{$p}} -> {{(index $conf 0).HostPort}}{{end}}", CONTAINER,
     "80/tcp -> 8080"),
    ("{{range .Mounts}}{{$.Name}}:{{.Destination}} {{end}}", CONTAINER,
     "/web:/var/data /web:/var/log "),
    # if / else if / else / with
    ("{{if .State.Running}}up{{else}}down{{end}}", CONTAINER, "up"),
    ("{{if .Empty}}a{{else if .Count}}b{{else}}c{{end}}", CONTAINER, "b"),
    ("{{if .Empty}}a{{else if .Missing}}b{{else}}c{{end}}", CONTAINER, "c"),
    ("{{if 0}}a{{else}}b{{end}}{{if 0.0}}a{{else}}b{{end}}{{if \"\"}}a{{else}}b{{end}}", None,
     "bbb"),
    ("{{if .}}yes{{end}}", Obj(), "yes"),
    ("{{with .State}}{{.Pid}}{{end}}", CONTAINER, "4242"),
    ("{{with .Missing}}x{{else}}no{{end}}", CONTAINER, "no"),
    ("{{with .Missing}}x{{else with .Count}}{{.}}{{end}}", CONTAINER, "3"),
    ("{{with $x := .Count}}{{$x}}{{end}}", CONTAINER, "3"),
    # variables
    ("{{$x := 1}}{{$x}}{{$x = 2}}{{$x}}", None, "12"),
    ("{{$n := .Name}}{{range .Names}}{{$n}}{{end}}", CONTAINER, "/web/web"),
    ("{{$x := 0}}{{range .}}{{$x = .}}{{end}}{{$x}}", [1, 2, 3], "3"),
    ("{{if true}}{{$x := 1}}{{$x}}{{end}}", None, "1"),
    # comments and trim markers
    ("a{{/* a comment */}}b", None, "ab"),
    ("a {{- /* c */ -}} b", None, "ab"),
    ("a  \n {{- .}} \n b", "X", "aX \n b"),
    ("a {{.}} \n\t {{- .}}", "X", "a XX"),
    ("{{.}} \n  {{- .}}", "X", "XX"),
    ("{{- . -}}  \n  z", "X", "Xz"),
    ("{{range .Names -}}\n  {{.}}\n{{- end}}", CONTAINER, "webfrontend"),
    ("{{-3}}", None, "-3"),
    # pipelines and parentheses
    ("{{.Name | printf \"%s!\"}}", CONTAINER, "/web!"),
    ("{{\"a\" | printf \"%s-%s\" \"b\"}}", None, "b-a"),
    ("{{join .Names \", \" | upper}}", CONTAINER, "WEB, FRONTEND"),
    ("{{printf \"%d\" (len .Names)}}", CONTAINER, "2"),
    ("{{(.State).Pid}}", CONTAINER, "4242"),
    # comparison and logic
    ("{{eq .Count 3}} {{eq .Count 1 2 3}} {{ne .Count 3}} {{eq .Name \"/web\"}}", CONTAINER,
     "true true false true"),
    ("{{eq .State.Health nil}} {{eq .Count nil}}", CONTAINER, "true false"),
    ("{{eq 1 1.0}} {{lt 1 2}} {{le 2 2}} {{gt 3 2}} {{ge 1 2}} {{lt \"a\" \"b\"}}", None,
     "true true true true false true"),
    ("{{and 1 0}} {{and 1 2}} {{or 0 \"\"}} {{or 0 \"x\"}} {{not 0}} {{not .}}", [1],
     "0 2  x true false"),
    ("{{and .Missing .Missing.Boom}}", {}, "<no value>"),
    ("{{or .Name .Missing.Deep}}", CONTAINER, "/web"),
    ("{{if and .State.Running (eq .State.ExitCode 0)}}ok{{end}}", CONTAINER, "ok"),
    # index, len, slice
    ('{{index .Labels "com.example"}}', CONTAINER, "yes"),
    ('{{index .Labels "nope"}}', CONTAINER, "<no value>"),
    ("{{index .Names 1}}", CONTAINER, "frontend"),
    ('{{index .Ports "80/tcp" 0 "HostPort"}}', CONTAINER, "8080"),
    ('{{index . 1 0}}', [[1, 2], [3, 4]], "3"),
    ('{{index "abc" 1}}', None, "98"),
    ("{{len .Names}} {{len .Labels}} {{len .Name}} {{len \"héllo\"}}", CONTAINER, "2 3 4 5"),
    ("{{slice .Names 1}} {{slice .Name 1 3}} {{slice .Names 0 1}}", CONTAINER,
     "[frontend] we [web]"),
    # print family
    ("{{print \"a\" \"b\" 1 2 \"c\" 3}}", None, "ab1 2c3"),
    ("{{println \"a\" 1}}", None, "a 1\n"),
    ("{{printf \"%-8s|%8s|\" \"ab\" \"cd\"}}", None, "ab      |      cd|"),
    ("{{printf \"%5d|%-5d|%05d|%+d\" 42 42 42 42}}", None, "   42|42   |00042|+42"),
    ("{{printf \"%.2f %8.3f %-8.1f| %e %g\" 3.14159 2.0 1.25 1234.5678 0.5}}", None,
     "3.14    2.000 1.2     | 1.234568e+03 0.5"),
    ("{{printf \"%x %X %#x %o %b %c %U\" 255 255 255 8 5 65 65}}", None,
     "ff FF 0xff 10 101 A U+0041"),
    ("{{printf \"%q %v %t %s\" \"hi\\n\" .Names true .Names}}", CONTAINER,
     '"hi\\n" [web frontend] true [web frontend]'),
    ("{{printf \"%v %v %v\" .Labels .State.Health .Size}}", CONTAINER,
     "map[a:1 com.example:yes z:26] <nil> 1.5"),
    ("{{printf \"%x\" \"hi\"}} {{printf \"%.3s\" \"abcdef\"}} {{printf \"%6.2f%%\" 12.345}}",
     None, "6869 abc  12.35%"),
    ("{{printf \"%d %s\" \"str\" 5}}", None, "%!d(string=str) %!s(int=5)"),
    ("{{printf \"%d\"}} {{printf \"%d\" 1 2}}", None, "%!d(MISSING) 1%!(EXTRA int=2)"),
    ("{{printf \"%T %T %T\" 1 \"s\" .}}", {}, "int string map[string]interface {}"),
    ("{{printf \"%s\" .Missing}}", {}, "%!s(<nil>)"),
    # html, js, urlquery, call
    ("{{html \"<a href='x'>&\\\"</a>\"}}", None, "&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;"),
    ("{{js \"it's <b>=\\\"\\n\"}}", None, "it\\'s \\u003Cb\\u003E\\u003D\\\"\\u000A"),
    ("{{urlquery \"a b&c=d/é~\"}}", None, "a+b%26c%3Dd%2F%C3%A9~"),
    ("{{call .F 2 3}}", {"F": lambda a, b: a * b}, "6"),
    # Docker's functions
    ("{{json .}}", {"b": 1, "a": [1, 2.5, None, True], "c": {"d": "x"}},
     '{"b":1,"a":[1,2.5,null,true],"c":{"d":"x"}}'),
    ("{{json .State}}", CONTAINER, '{"Running":true,"ExitCode":0,"Health":null,"Pid":4242}'),
    ("{{json .Missing}}", {}, "null"),
    ("{{json .}}", "<b>&é\u2028\x01\"\\\n", '"<b>&é\\u2028\\u0001\\"\\\\\\n"'),
    ("{{json .}}", [1.0, 1e21, 1e-7, 0.1, -0.0], "[1,1e+21,1e-7,0.1,-0]"),
    ("{{json .}}", float("nan"), ""),
    ("{{json .}}", Point(1, 2.5), '{"X":1,"Y":2.5}'),
    ("{{json .Names}}", CONTAINER, '["web","frontend"]'),
    ("{{join .Names \",\"}}", CONTAINER, "web,frontend"),
    ("{{join .Missing \",\"}}", {}, ""),
    ("{{join . \"-\"}}", [1, "a", 2.5], "1-a-2.5"),
    ("{{split \"a:b:c\" \":\"}} {{len (split .Name \"\")}}", CONTAINER, "[a b c] 4"),
    ("{{lower \"ABC\"}} {{upper .Name}} {{title \"hello big-world foo_bar\"}}", CONTAINER,
     "abc /WEB Hello Big-World Foo_bar"),
    ("[{{pad .Name 2 3}}][{{pad \"\" 2 3}}]", CONTAINER, "[  /web   ][]"),
    ("{{truncate .ID 5}} {{truncate \"abc\" 10}} {{truncate \"abc\" 3}}", CONTAINER,
     "01234 abc abc"),
    ("{{truncate .ID 4 | upper}}", CONTAINER, "0123"),
]


@pytest.mark.parametrize("template,data,expected", CASES)
def test_render(template: str, data: object, expected: str) -> None:
    assert render(template, data) == expected


# (template, data, expected message or its start)
ERRORS = [
    ("{{foo}}", None, 'template: :1: function "foo" not defined'),
    ("{{.X", None, "template: :1: unclosed action"),
    ("a\n{{.X", None, "template: :2: unclosed action"),
    ("{{end}}", None, "template: :1: unexpected {{end}}"),
    ("{{else}}", None, "template: :1: unexpected {{else}}"),
    ("{{if .X}}a", None, "template: :1: unexpected EOF"),
    ("{{range .X}}a{{else}}b", None, "template: :1: unexpected EOF"),
    ("{{/* no end", None, "template: :1: unclosed comment"),
    ("{{/* c */ .X}}", None, "template: :1: comment ends before closing delimiter"),
    ('{{"abc}}', None, "template: :1: unterminated quoted string"),
    ("{{`abc}}", None, "template: :1: unterminated raw quoted string"),
    ("{{}}", None, "template: :1: missing value for command"),
    ("{{if}}{{end}}", None, "template: :1: missing value for if"),
    ("{{$x}}", None, 'template: :1: undefined variable "$x"'),
    ("{{$x = 1}}", None, 'template: :1: undefined variable "$x"'),
    ("{{if true}}{{$x := 1}}{{end}}{{$x}}", None, 'template: :1: undefined variable "$x"'),
    ("{{break}}", None, "template: :1: {{break}} outside {{range}}"),
    ("{{range .}}{{else}}{{continue}}{{end}}", None,
     "template: :1: {{continue}} outside {{range}}"),
    ("{{1x}}", None, 'template: :1: bad number syntax: "1x"'),
    ("{{.X | 1}}", None, "template: :1: non executable command in pipeline stage 2"),
    ("{{.X}", None, "template: :1: bad character U+007D '}'"),
    ("{{.X @}}", None, 'template: :1: unexpected "@" in operand'),
    ("{{.X |}}", None, "template: :1: missing command after |"),
    ("{{.X | | .Y}}", None, 'template: :1: unexpected "|" in command'),
    ('{{"a".X}}', None, 'template: :1: unexpected . after term "\\"a\\""'),
    ("{{if 1}}{{else}}{{else}}{{end}}", None, "template: :1: expected end; found {{else}}"),
    ("{{range $i, $v, $w := .}}{{end}}", None, "template: :1: too many declarations in range"),
    ("{{(.X}}", None, "template: :1: unclosed left paren"),
    ("{{.X)}}", None, "template: :1: unexpected right paren"),
    ("{{.X\"a\"}}", None, "template: :1: bad character U+0022"),
    ('{{"\\q"}}', None, "template: :1: invalid syntax"),
    ("{{define \"x\"}}{{end}}", None, "template: :1: {{define}} is not supported"),
    ("{{with .A}}{{else if .B}}{{end}}", None, "template: :1: unexpected <if>"),
    # a chain of fields sits where its second field starts, as in Go (seen in docker inspect)
    ("{{.Foo.Bar}}", {"Foo": "str"},
     'template: :1:6: executing "" at <.Foo.Bar>: can\'t evaluate field Bar in type string'),
    ("x\n  {{.A.B}}", {"A": None},
     'template: :2:6: executing "" at <.A.B>: nil pointer evaluating interface {}.B'),
    ("{{.State.Health.Status}}", CONTAINER,
     "template: :1:8: executing \"\" at <.State.Health.Status>: nil pointer evaluating "
     "interface {}.Status"),
    ("{{.Nope}}", Obj(), "template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in "
                         "type Obj"),
    ("{{.Fail}}", Obj(), 'template: :1:2: executing "" at <.Fail>: error calling Fail: boom'),
    ("{{.Name 1}}", Obj(), "template: :1:2: executing \"\" at <.Name>: Name has arguments but "
                           "cannot be invoked as function"),
    ("{{.A 1}}", {"A": 1}, "template: :1:2: executing \"\" at <.A>: A is not a method but has "
                           "arguments"),
    ("{{index .L 5}}", {"L": [1]},
     'template: :1:2: executing "" at <index .L 5>: error calling index: index out of range: 5'),
    ("{{index .L \"a\"}}", {"L": [1]}, "error calling index: cannot index slice/array with "
                                       "type string"),
    ("{{index 5 1}}", None, "error calling index: can't index item of type int"),
    ("{{len 3}}", None, "error calling len: len of type int"),
    ("{{slice .L 2 1}}", {"L": [1, 2]}, "error calling slice: invalid slice index: 2 > 1"),
    ("{{lt true false}}", None, "error calling lt: invalid type for comparison"),
    ("{{eq 1 \"1\"}}", None, "error calling eq: incompatible types for comparison"),
    ("{{eq 1}}", None, "error calling eq: missing argument for comparison"),
    ("{{not}}", None, "wrong number of args for not: want 1 got 0"),
    ("{{ne 1 2 3}}", None, "wrong number of args for ne: want 2 got 3"),
    ("{{and}}", None, "wrong number of args for and: want at least 1 got 0"),
    ("{{upper .N}}", {"N": 5}, "wrong type for value; expected string; got int"),
    ("{{upper .Missing}}", {}, "invalid value; expected string"),
    ("{{truncate .S 1.5}}", {"S": "abc"}, "expected integer; found 1.5"),
    ("{{join .S \",\"}}", {"S": "abc"}, "wrong type for value; expected []string; got string"),
    ("{{1 2}}", None, "can't give argument to non-function 1"),
    ("{{nil}}", None, "nil is not a command"),
    ("{{range .}}{{end}}", True, "range can't iterate over true"),
    ("{{range $i, $v := 3}}{{end}}", None, "can't use 3 to iterate over more than one variable"),
    ("{{call .F}}", {"F": 1}, "error calling call: non-function of type int"),
    ("{{call .F}}", {"F": None}, "error calling call: call of nil"),
]


@pytest.mark.parametrize("template,data,message", ERRORS)
def test_errors(template: str, data: object, message: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        render(template, data)
    text = str(info.value)
    assert text.startswith("template: :")
    assert text.startswith(message) if message.startswith("template:") else message in text


def test_parse_once_execute_many() -> None:
    tmpl = parse("{{.ID}}\t{{join .Names \",\"}}")
    rows = [{"ID": "a", "Names": ["x"]}, {"ID": "b", "Names": ["y", "z"]}]
    assert [tmpl.execute(r) for r in rows] == ["a\tx", "b\ty,z"]


def test_execution_does_not_leak_variables_between_rows() -> None:
    tmpl = parse("{{$x := .}}{{$x}}")
    assert tmpl.execute(1) == "1"
    assert tmpl.execute(2) == "2"


def test_parse_errors_raise_at_parse_time() -> None:
    with pytest.raises(InvalidParameter, match="unclosed action"):
        parse("{{.ID")


def test_custom_functions_override_builtins() -> None:
    header = {"json": lambda v: v, "upper": lambda v: v}
    assert render("{{upper .Name}}|{{json .Names}}", {"Name": "NAME", "Names": "NAMES"},
                  funcs=header) == "NAME|NAMES"
    assert render('{{shout "hi" 2}}', None, funcs={"shout": lambda s, n: s.upper() * n}) == "HIHI"


@pytest.mark.parametrize("fmt,expected", [
    ("table {{.ID}}\\t{{.Name}}", (True, "{{.ID}}\t{{.Name}}")),
    ("table\t{{.ID}}", (True, "{{.ID}}")),
    ("table", (True, "")),
    ("{{.ID}}\\t{{.Name}}\\n", (False, "{{.ID}}\t{{.Name}}\n")),
    ("{{json .}}", (False, "{{json .}}")),
    ("{{.Table}}", (False, "{{.Table}}")),
])
def test_split_table(fmt: str, expected: tuple[bool, str]) -> None:
    assert split_table(fmt) == expected


def test_import_is_light() -> None:
    import subprocess
    import sys
    code = ("import sys; import barge.util.gotemplate; "
            "print(sorted(m for m in ('json', 'dataclasses', 'inspect', 'urllib.parse', 'base64')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_key_error_option_for_inspect():
    from barge.util.gotemplate import parse
    t = parse("{{.State.Foo}}", missing_key_error=True)
    with pytest.raises(InvalidParameter, match='map has no entry for key "Foo"'):
        t.execute({"State": {"Running": True}})
    assert parse("{{.State.Running}}", missing_key_error=True).execute({"State": {"Running": True}}) == "true"
    assert parse("{{.State.Foo}}").execute({"State": {}}) == "<no value>"
