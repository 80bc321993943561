"""barge.cli.flags against the docker CLI 28.2.2.

Expected strings and exit codes were recorded from /usr/local/bin/docker
(28.2.2, API 1.50): flag errors exit 125, positional-argument count errors
exit 1, help exits 0 on stdout.
"""
import pytest

from barge.cli.flags import (
    EXIT_ARGS_ERROR, EXIT_FLAG_ERROR, ArgCountError, Command, Flag, FlagError,
    flag_label, format_usage_error, group_help_text, help_text, parse, use_line,
)

FORMAT_HELP = (
    "Format output using a custom template:\n"
    "'table':            Print output in table format with column headers (default)\n"
    "'table TEMPLATE':   Print output in table format using the given Go template\n"
    "'json':             Print in JSON format\n"
    "'TEMPLATE':         Print output using the given Go template.\n"
    "Refer to https://docs.docker.com/go/formatting/ for more information about "
    "formatting output with templates"
)

PS = Command("ps", "[OPTIONS]", "List containers", [
    Flag("all", "a", "bool", help="Show all containers (default shows just running)"),
    Flag("filter", "f", "list", help="Filter output based on conditions provided", type_name="filter"),
    Flag("format", None, "string", help=FORMAT_HELP),
    Flag("last", "n", "int", -1, "Show n last created containers (includes all states)"),
    Flag("latest", "l", "bool", help="Show the latest created container (includes all states)"),
    Flag("no-trunc", None, "bool", help="Don't truncate output"),
    Flag("quiet", "q", "bool", help="Only display container IDs"),
    Flag("size", "s", "bool", help="Display total file sizes"),
], max_args=0, aliases=("container ls", "container list", "container ps", "ps"))

STOP = Command("stop", "[OPTIONS] CONTAINER [CONTAINER...]", "Stop one or more running containers", [
    Flag("signal", "s", "string", help="Signal to send to the container"),
    Flag("timeout", "t", "int", help="Seconds to wait before killing the container"),
    Flag("time", None, "int", help="Seconds to wait before killing the container",
         deprecated="use --timeout instead"),
], min_args=1, aliases=("container stop", "stop"))

LOGS = Command("logs", "[OPTIONS] CONTAINER", "Fetch the logs of a container", [
    Flag("details", None, "bool", help="Show extra details provided to logs"),
    Flag("follow", "f", "bool", help="Follow log output"),
    Flag("since", None, "string", help='Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") '
                                       'or relative (e.g. "42m" for 42 minutes)'),
    Flag("tail", "n", "string", "all", "Number of lines to show from the end of the logs"),
    Flag("timestamps", "t", "bool", help="Show timestamps"),
    Flag("until", None, "string", help='Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") '
                                       'or relative (e.g. "42m" for 42 minutes)'),
], exact_args=1, aliases=("container logs", "logs"))

EXEC = Command("exec", "[OPTIONS] CONTAINER COMMAND [ARG...]", "Execute a command in a running container", [
    Flag("detach", "d", "bool", help="Detached mode: run command in the background"),
    Flag("detach-keys", None, "string", help="Override the key sequence for detaching a container"),
    Flag("env", "e", "list", help="Set environment variables"),
    Flag("env-file", None, "list", help="Read in a file of environment variables"),
    Flag("interactive", "i", "bool", help="Keep STDIN open even if not attached"),
    Flag("privileged", None, "bool", help="Give extended privileges to the command"),
    Flag("tty", "t", "bool", help="Allocate a pseudo-TTY"),
    Flag("user", "u", "string", help='Username or UID (format: "<name|uid>[:<group|gid>]")'),
    Flag("workdir", "w", "string", help="Working directory inside the container"),
], interspersed=False, min_args=2, aliases=("container exec", "exec"))

IMAGES = Command("images", "[OPTIONS] [REPOSITORY[:TAG]]", "List images", [
    Flag("all", "a", "bool", help="Show all images (default hides intermediate images)"),
    Flag("quiet", "q", "bool", help="Only show image IDs"),
], max_args=1)


def _env(value: str) -> str:
    if value.startswith("="):
        raise ValueError(f"invalid environment variable: {value}")
    return value


CGROUPNS_HELP = (
    "Cgroup namespace to use (host|private)\n"
    "'host':    Run the container in the Docker host's cgroup namespace\n"
    "'private': Run the container in its own private cgroup namespace\n"
    "'':        Use the cgroup namespace as configured by the\n"
    "           default-cgroupns-mode option on the daemon (default)"
)

RUN = Command("run", "[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create and run a new container from an image", [
    Flag("blkio-weight", None, "uint16",
         help="Block IO (relative weight), between 10 and 1000, or 0 to disable", default_text="0"),
    Flag("cgroupns", None, "string", help=CGROUPNS_HELP),
    Flag("detach", "d", "bool", help="Run container in background and print container ID"),
    Flag("disable-content-trust", None, "bool", True, "Skip image verification"),
    Flag("env", "e", "list", help="Set environment variables", parser=_env),
    Flag("health-interval", None, "duration", help="Time between running the check (ms|s|m|h)",
         hidden=True),
    Flag("health-start-period", None, "duration",
         help="Start period for the container to initialize before starting "
              "health-retries countdown (ms|s|m|h)", default_text="0s"),
    Flag("help", None, "bool", help="Print usage"),
    Flag("hostname", "h", "string", help="Container host name"),
    Flag("interactive", "i", "bool", help="Keep STDIN open even if not attached"),
    Flag("memory", "m", "bytes", help="Memory limit", hidden=True),
    Flag("memory-swappiness", None, "int64", -1, "Tune container memory swappiness (0 to 100)"),
    Flag("name", None, "string", help="Assign a name to the container", hidden=True),
    Flag("rm", None, "bool", help="Automatically remove the container", hidden=True),
    Flag("sysctl", None, "map", help="Sysctl options", default_text="map[]"),
    Flag("tty", "t", "bool", help="Allocate a pseudo-TTY", hidden=True),
], interspersed=False, min_args=1, aliases=("container run", "run"))


# ---------------------------------------------------------------- grammar

@pytest.mark.parametrize("cmd, argv, opts, args", [
    (PS, [], {"all": False, "last": -1, "filter": [], "format": ""}, []),
    (PS, ["-aq"], {"all": True, "quiet": True}, []),
    (PS, ["-a=false", "-q"], {"all": False, "quiet": True}, []),
    (PS, ["--all=false"], {"all": False}, []),
    (PS, ["--all=0", "--size=T"], {"all": False, "size": True}, []),
    (PS, ["-n", "3"], {"last": 3}, []),
    (PS, ["-n3"], {"last": 3}, []),
    (PS, ["-n=3"], {"last": 3}, []),
    (PS, ["--last", "0x10"], {"last": 16}, []),
    (PS, ["--last=-1_0"], {"last": -10}, []),
    (PS, ["-f", "status=exited", "--filter=name=web"], {"filter": ["status=exited", "name=web"]}, []),
    (PS, ["--format", "{{.ID}}"], {"format": "{{.ID}}"}, []),
    (PS, ["--format", "-a"], {"format": "-a", "all": False}, []),
    (STOP, ["-t", "5", "web"], {"timeout": 5}, ["web"]),
    (STOP, ["web", "-t", "5", "db"], {"timeout": 5}, ["web", "db"]),   # interspersed
    (STOP, ["-s", "KILL", "--", "-web"], {"signal": "KILL"}, ["-web"]),
    (STOP, ["-", "web"], {}, ["-", "web"]),
    (LOGS, ["-fn", "10", "web"], {"follow": True, "tail": "10"}, ["web"]),
    (LOGS, ["web"], {"tail": "all"}, ["web"]),
    (EXEC, ["-it", "web", "ls", "-l"], {"interactive": True, "tty": True}, ["web", "ls", "-l"]),
    (EXEC, ["-eA=1", "-e", "B=2", "-e=C=3", "web", "env", "-e", "X"],
     {"env": ["A=1", "B=2", "C=3"]}, ["web", "env", "-e", "X"]),
    (EXEC, ["--", "web", "--", "x"], {}, ["web", "--", "x"]),
    (RUN, ["--rm", "busybox", "echo", "-a", "--", "x"], {"rm": True}, ["busybox", "echo", "-a", "--", "x"]),
    (RUN, ["-itd", "--name", "web", "busybox"], {"interactive": True, "tty": True, "detach": True,
                                                 "name": "web"}, ["busybox"]),
    (RUN, ["--name=", "busybox"], {"name": ""}, ["busybox"]),
    (RUN, ["-m", "1g", "--health-interval", "1m30s", "x"],
     {"memory": 1024**3, "health-interval": 90.0}, ["x"]),
    (RUN, ["--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.shm=a=b", "--sysctl", "k", "x"],
     {"sysctl": {"net.ipv4.ip_forward": "1", "kernel.shm": "a=b", "k": ""}}, ["x"]),
    (RUN, ["-h", "box", "x"], {"hostname": "box"}, ["x"]),
    (RUN, ["--blkio-weight", "500", "x"], {"blkio-weight": 500}, ["x"]),
])
def test_parse(cmd, argv, opts, args):
    parsed = parse(cmd, argv)
    assert parsed.args == args
    for name, value in opts.items():
        assert parsed.opts[name] == value, name
    assert not parsed.help


def test_set_names_only_given_flags():
    parsed = parse(PS, ["-a", "--last", "-1", "--all=false"])
    assert parsed.set == {"all", "last"}
    assert set(parsed.opts) == {f.name for f in PS.flags}


def test_defaults_are_fresh_copies():
    cmd = Command("x", flags=[Flag("label", "l", "list", ["a"]), Flag("opt", None, "map", {"k": "v"})])
    first = parse(cmd, ["-l", "b", "--opt", "x=1"])
    assert first.opts == {"label": ["b"], "opt": {"x": "1"}}     # given values replace defaults
    second = parse(cmd, [])
    assert second.opts == {"label": ["a"], "opt": {"k": "v"}}
    second.opts["label"].append("z")
    assert parse(cmd, []).opts["label"] == ["a"]


def test_no_opt_value():
    cmd = Command("x", flags=[Flag("progress", None, "string", help="p", no_opt_value="auto")])
    assert parse(cmd, ["--progress", "arg"]).opts["progress"] == "auto"
    assert parse(cmd, ["--progress", "arg"]).args == ["arg"]
    assert parse(cmd, ["--progress=plain"]).opts["progress"] == "plain"


# ---------------------------------------------------------------- help

@pytest.mark.parametrize("argv, warnings", [
    (["--help"], []),
    (["-h"], ["Flag shorthand -h has been deprecated, use --help"]),
    (["-ah"], ["Flag shorthand -h has been deprecated, use --help"]),
    (["extra", "--help"], []),        # no argument-count check when asking for help
])
def test_help_request(argv, warnings):
    parsed = parse(PS, argv)
    assert parsed.help
    assert parsed.warnings == warnings
    assert "help" not in parsed.opts and "help" not in parsed.set


def test_help_false_is_not_a_request():
    assert not parse(PS, ["--help=false"]).help


def test_run_help_is_long_only():
    assert parse(RUN, ["--help"]).help
    with pytest.raises(FlagError, match=r"^flag needs an argument: 'h' in -h$"):
        parse(RUN, ["-h"])


def test_deprecated_flag_warns():
    parsed = parse(STOP, ["--time", "3", "web"])
    assert parsed.opts["time"] == 3
    assert parsed.warnings == ["Flag --time has been deprecated, use --timeout instead"]


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("cmd, argv, message", [
    (RUN, ["--foo"], "unknown flag: --foo"),
    (PS, ["--foo"], "unknown flag: --foo"),
    (PS, ["--help", "--foo"], "unknown flag: --foo"),
    (PS, ["-z"], "unknown shorthand flag: 'z' in -z"),
    (RUN, ["-ze", "x"], "unknown shorthand flag: 'z' in -ze"),
    (RUN, ["-iz", "x"], "unknown shorthand flag: 'z' in -z"),
    (PS, ["-a="], "unknown shorthand flag: '=' in -="),
    (LOGS, ["--tail"], "flag needs an argument: --tail"),
    (RUN, ["--name"], "flag needs an argument: --name"),
    (RUN, ["-e"], "flag needs an argument: 'e' in -e"),
    (PS, ["-f"], "flag needs an argument: 'f' in -f"),
    (PS, ["---x"], "bad flag syntax: ---x"),
    (PS, ["--=x"], "bad flag syntax: --=x"),
    (STOP, ["-t", "abc", "x"],
     'invalid argument "abc" for "-t, --timeout" flag: strconv.ParseInt: parsing "abc": invalid syntax'),
    (STOP, ["-t=abc", "x"],
     'invalid argument "abc" for "-t, --timeout" flag: strconv.ParseInt: parsing "abc": invalid syntax'),
    (STOP, ["--time=abc", "x"],
     'invalid argument "abc" for "--time" flag: strconv.ParseInt: parsing "abc": invalid syntax'),
    (PS, ["--all=maybe"],
     'invalid argument "maybe" for "-a, --all" flag: strconv.ParseBool: parsing "maybe": invalid syntax'),
    (PS, ["--help=maybe"],
     'invalid argument "maybe" for "--help" flag: strconv.ParseBool: parsing "maybe": invalid syntax'),
    (PS, ["-n", "99999999999999999999"],
     'invalid argument "99999999999999999999" for "-n, --last" flag: '
     'strconv.ParseInt: parsing "99999999999999999999": value out of range'),
    (RUN, ["--memory-swappiness", "1.5", "x"],
     'invalid argument "1.5" for "--memory-swappiness" flag: strconv.ParseInt: parsing "1.5": invalid syntax'),
    (RUN, ["-m", "abc", "x"], 'invalid argument "abc" for "-m, --memory" flag: invalid size: \'abc\''),
    (RUN, ["--health-interval", "abc", "x"],
     'invalid argument "abc" for "--health-interval" flag: time: invalid duration "abc"'),
    (RUN, ["-e=", "x"], 'invalid argument "=" for "-e, --env" flag: invalid environment variable: ='),
    (RUN, ["--blkio-weight", "70000", "x"],
     'invalid argument "70000" for "--blkio-weight" flag: strconv.ParseUint: parsing "70000": value out of range'),
    (RUN, ["--blkio-weight", "-1", "x"],
     'invalid argument "-1" for "--blkio-weight" flag: strconv.ParseUint: parsing "-1": invalid syntax'),
    (PS, ["--format=x", "--all=\"\t"],
     'invalid argument "\\"\\t" for "-a, --all" flag: strconv.ParseBool: parsing "\\"\\t": invalid syntax'),
])
def test_flag_errors(cmd, argv, message):
    with pytest.raises(FlagError) as info:
        parse(cmd, argv)
    assert not isinstance(info.value, ArgCountError)
    assert str(info.value) == message
    assert info.value.exit_code == EXIT_FLAG_ERROR == 125


@pytest.mark.parametrize("cmd, argv, text", [
    (RUN, [], "docker: 'docker run' requires at least 1 argument\n\n"
              "Usage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
              "See 'docker run --help' for more information"),
    (STOP, [], "docker: 'docker stop' requires at least 1 argument\n\n"
               "Usage:  docker stop [OPTIONS] CONTAINER [CONTAINER...]\n\n"
               "See 'docker stop --help' for more information"),
    (EXEC, ["web"], "docker: 'docker exec' requires at least 2 arguments\n\n"
                    "Usage:  docker exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\n"
                    "See 'docker exec --help' for more information"),
    (LOGS, [], "docker: 'docker logs' requires 1 argument\n\n"
               "Usage:  docker logs [OPTIONS] CONTAINER\n\n"
               "Run 'docker logs --help' for more information"),
    (LOGS, ["a", "b"], "docker: 'docker logs' requires 1 argument\n\n"
                       "Usage:  docker logs [OPTIONS] CONTAINER\n\n"
                       "Run 'docker logs --help' for more information"),
    (PS, ["extra"], "docker: 'docker ps' accepts no arguments\n\n"
                    "Usage:  docker ps [OPTIONS]\n\n"
                    "Run 'docker ps --help' for more information"),
    (PS, ["-q", "extra", "-a"], "docker: 'docker ps' accepts no arguments\n\n"
                                "Usage:  docker ps [OPTIONS]\n\n"
                                "Run 'docker ps --help' for more information"),
    (PS, ["--", "--foo"], "docker: 'docker ps' accepts no arguments\n\n"
                          "Usage:  docker ps [OPTIONS]\n\n"
                          "Run 'docker ps --help' for more information"),
    # docker 28.2.2 prints "SRun" on the last line here (a typo in its
    # RequiresMaxArgs); barge prints "Run".
    (IMAGES, ["a", "b", "c"], "docker: 'docker images' requires at most 1 argument\n\n"
                              "Usage:  docker images [OPTIONS] [REPOSITORY[:TAG]]\n\n"
                              "Run 'docker images --help' for more information"),
])
def test_arg_count_errors(cmd, argv, text):
    with pytest.raises(ArgCountError) as info:
        parse(cmd, argv)
    assert info.value.exit_code == EXIT_ARGS_ERROR == 1
    assert format_usage_error("docker", cmd, info.value) == text


def test_range_args_wording():
    cmd = Command("port", "CONTAINER [PRIVATE_PORT[/PROTO]]", min_args=1, max_args=2)
    with pytest.raises(ArgCountError) as info:
        parse(cmd, [])
    assert info.value.requirement == "requires at least 1 and at most 2 arguments"
    assert info.value.hint == "Run"


@pytest.mark.parametrize("cmd, argv, text", [
    (RUN, ["--foo"], "unknown flag: --foo\n\n"
                     "Usage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
                     "Run 'docker run --help' for more information"),
    (PS, ["-z"], "unknown shorthand flag: 'z' in -z\n\n"
                 "Usage:  docker ps [OPTIONS]\n\n"
                 "Run 'docker ps --help' for more information"),
    (LOGS, ["--tail"], "flag needs an argument: --tail\n\n"
                       "Usage:  docker logs [OPTIONS] CONTAINER\n\n"
                       "Run 'docker logs --help' for more information"),
])
def test_format_flag_error(cmd, argv, text):
    with pytest.raises(FlagError) as info:
        parse(cmd, argv)
    assert format_usage_error("docker", cmd, info.value) == text


def test_format_uses_program_name():
    with pytest.raises(FlagError) as info:
        parse(RUN, [])
    assert format_usage_error("barge", RUN, info.value) == (
        "barge: 'barge run' requires at least 1 argument\n\n"
        "Usage:  barge run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
        "See 'barge run --help' for more information")
    assert format_usage_error("barge", PS, "unknown flag: --foo").startswith("unknown flag: --foo\n\n")


@pytest.mark.parametrize("usage", [
    "[OPTIONS] NETWORK", "network create [OPTIONS] NETWORK", "docker network create [OPTIONS] NETWORK",
])
def test_use_line_forms(usage):
    cmd = Command("network create", usage)
    assert use_line("barge", cmd) == "barge network create [OPTIONS] NETWORK"


def test_flag_label():
    assert flag_label(Flag("timeout", "t", "int")) == "-t, --timeout"
    assert flag_label(Flag("time", None, "int")) == "--time"


def test_definition_errors():
    with pytest.raises(ValueError):
        Flag("x", "xy")
    with pytest.raises(ValueError):
        Flag("x", None, "complex")
    with pytest.raises(ValueError):
        Command("c", flags=[Flag("a", "a", "bool"), Flag("b", "a", "bool")])


# ---------------------------------------------------------------- help text

PS_HELP = """\
Usage:  docker ps [OPTIONS]

List containers

Aliases:
  docker container ls, docker container list, docker container ps, docker ps

Options:
  -a, --all             Show all containers (default shows just running)
  -f, --filter filter   Filter output based on conditions provided
      --format string   Format output using a custom template:
                        'table':            Print output in table format
                        with column headers (default)
                        'table TEMPLATE':   Print output in table format
                        using the given Go template
                        'json':             Print in JSON format
                        'TEMPLATE':         Print output using the given
                        Go template.
                        Refer to https://docs.docker.com/go/formatting/
                        for more information about formatting output with
                        templates
  -n, --last int        Show n last created containers (includes all
                        states) (default -1)
  -l, --latest          Show the latest created container (includes all
                        states)
      --no-trunc        Don't truncate output
  -q, --quiet           Only display container IDs
  -s, --size            Display total file sizes"""

STOP_HELP = """\
Usage:  docker stop [OPTIONS] CONTAINER [CONTAINER...]

Stop one or more running containers

Aliases:
  docker container stop, docker stop

Options:
  -s, --signal string   Signal to send to the container
  -t, --timeout int     Seconds to wait before killing the container"""

LOGS_HELP = """\
Usage:  docker logs [OPTIONS] CONTAINER

Fetch the logs of a container

Aliases:
  docker container logs, docker logs

Options:
      --details        Show extra details provided to logs
  -f, --follow         Follow log output
      --since string   Show logs since timestamp (e.g.
                       "2013-01-02T13:23:37Z") or relative (e.g. "42m"
                       for 42 minutes)
  -n, --tail string    Number of lines to show from the end of the logs
                       (default "all")
  -t, --timestamps     Show timestamps
      --until string   Show logs before a timestamp (e.g.
                       "2013-01-02T13:23:37Z") or relative (e.g. "42m"
                       for 42 minutes)"""

EXEC_HELP = """\
Usage:  docker exec [OPTIONS] CONTAINER COMMAND [ARG...]

Execute a command in a running container

Aliases:
  docker container exec, docker exec

Options:
  -d, --detach               Detached mode: run command in the background
      --detach-keys string   Override the key sequence for detaching a
                             container
  -e, --env list             Set environment variables
      --env-file list        Read in a file of environment variables
  -i, --interactive          Keep STDIN open even if not attached
      --privileged           Give extended privileges to the command
  -t, --tty                  Allocate a pseudo-TTY
  -u, --user string          Username or UID (format:
                             "<name|uid>[:<group|gid>]")
  -w, --workdir string       Working directory inside the container"""

# These option lines are verbatim from `docker run --help` (the rest of its
# flags are left out, or hidden here, without changing the column).
RUN_OPTIONS = """\
      --blkio-weight uint16            Block IO (relative weight),
                                       between 10 and 1000, or 0 to
                                       disable (default 0)
      --cgroupns string                Cgroup namespace to use
                                       (host|private)
                                       'host':    Run the container in
                                       the Docker host's cgroup namespace
                                       'private': Run the container in
                                       its own private cgroup namespace
                                       '':        Use the cgroup
                                       namespace as configured by the
                                                  default-cgroupns-mode
                                       option on the daemon (default)
  -d, --detach                         Run container in background and
                                       print container ID
      --disable-content-trust          Skip image verification (default true)
  -e, --env list                       Set environment variables
      --health-start-period duration   Start period for the container to
                                       initialize before starting
                                       health-retries countdown
                                       (ms|s|m|h) (default 0s)
      --help                           Print usage
  -h, --hostname string                Container host name
  -i, --interactive                    Keep STDIN open even if not attached
      --memory-swappiness int          Tune container memory swappiness
                                       (0 to 100) (default -1)
      --sysctl map                     Sysctl options (default map[])"""


@pytest.mark.parametrize("cmd, text", [
    (PS, PS_HELP), (STOP, STOP_HELP), (LOGS, LOGS_HELP), (EXEC, EXEC_HELP),
])
def test_help_text_matches_docker(cmd, text):
    assert help_text("docker", cmd) == text


def test_run_options_match_docker():
    text = help_text("docker", RUN)
    assert text.startswith("Usage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
                           "Create and run a new container from an image\n\n"
                           "Aliases:\n  docker container run, docker run\n\nOptions:\n")
    assert text.split("Options:\n", 1)[1] == RUN_OPTIONS


def test_help_without_flags_or_aliases():
    cmd = Command("unpause", "CONTAINER [CONTAINER...]",
                  "Unpause all processes within one or more containers", min_args=1,
                  aliases=("container unpause", "unpause"))
    assert help_text("docker", cmd) == (
        "Usage:  docker unpause CONTAINER [CONTAINER...]\n\n"
        "Unpause all processes within one or more containers\n\n"
        "Aliases:\n  docker container unpause, docker unpause")


def test_help_backquoted_value_name_and_narrow_terminal():
    cmd = Command("x", "", "X", [Flag("out", "o", "string", help="Write to `file` on disk")])
    assert help_text("barge", cmd).endswith("  -o, --out file   Write to file on disk")
    narrow = help_text("barge", cmd, width=30).split("Options:\n")[1]
    assert narrow == "  -o, --out file   Write to file on disk"


def test_group_help_matches_docker():
    leaves = [
        Command("network connect", short_help="Connect a container to a network"),
        Command("network create", short_help="Create a network"),
        Command("network disconnect", short_help="Disconnect a container from a network"),
        Command("network inspect", short_help="Display detailed information on one or more networks"),
        Command("network ls", short_help="List networks"),
        Command("network prune", short_help="Remove all unused networks"),
        Command("network rm", short_help="Remove one or more networks"),
    ]
    assert group_help_text("docker", "network", "Manage networks", leaves) == """\
Usage:  docker network COMMAND

Manage networks

Commands:
  connect     Connect a container to a network
  create      Create a network
  disconnect  Disconnect a container from a network
  inspect     Display detailed information on one or more networks
  ls          List networks
  prune       Remove all unused networks
  rm          Remove one or more networks

Run 'docker network COMMAND --help' for more information on a command."""
