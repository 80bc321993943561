"""barge.spec.units: go-units, Go strconv/time and Docker's timestamp rules.

Error texts marked "docker 28.2.2" were recorded from the real CLI
(`docker create -m VALUE`, `docker events --since VALUE`).
"""
import pytest

from barge.errdefs import InvalidParameter
from barge.spec import gostrconv as g
from barge.spec import units as u

MIN, HOUR, DAY = 60, 3600, 86400


@pytest.mark.parametrize("size, precision, text", [
    (0, 3, "0B"),
    (999, 3, "999B"),
    (1000, 3, "1kB"),
    (1024, 3, "1.02kB"),
    (1984172, 3, "1.98MB"),      # busybox in `docker images` (docker 28.2.2)
    (1984172, 4, "1.984MB"),     # the same image in `docker system df`
    (4266000, 3, "4.27MB"),
    (999500, 3, "1e+03kB"),      # Go's %.3g rounds up into an exponent, as docker prints
    (20 * 1000**3, 3, "20GB"),
    (1000**8, 3, "1YB"),
    (1000**9, 3, "1e+03YB"),
    (123456789, 4, "123.5MB"),
])
def test_human_size(size, precision, text):
    assert u.human_size(size, precision) == text


def test_human_size_defaults_to_docker_table_precision():
    assert u.human_size(1984172) == "1.98MB"


@pytest.mark.parametrize("size, text", [
    (0, "0B"), (1023, "1023B"), (1024, "1KiB"), (1536 * 1024, "1.5MiB"),
    (20 * 1024**3, "20GiB"), (1024**4 * 5.5, "5.5TiB"), (123456789, "117.7MiB"),
])
def test_bytes_size(size, text):
    assert u.bytes_size(size) == text


@pytest.mark.parametrize("text, decimal, binary", [
    ("32", 32, 32),
    ("32b", 32, 32),
    ("32B", 32, 32),
    ("32k", 32_000, 32 * 1024),
    ("32K", 32_000, 32 * 1024),
    ("32kb", 32_000, 32 * 1024),
    ("32Kib", 32_000, 32 * 1024),
    ("32KIB", 32_000, 32 * 1024),
    ("20m", 20_000_000, 20 * 1024**2),
    ("1g", 1_000_000_000, 1024**3),
    ("1.5g", 1_500_000_000, 1024**3 * 3 // 2),
    ("3t", 3 * 1000**4, 3 * 1024**4),
    ("2p", 2 * 1000**5, 2 * 1024**5),
    ("10 m", 10_000_000, 10 * 1024**2),   # one space before the unit is allowed
    ("10 ", 10, 10),
    ("1e3", 1000, 1000),
    (".5m", 500_000, 512 * 1024),
    ("1.5", 1, 1),                          # truncated, as int64(float) in Go
    ("1_000k", 1_000_000, 1000 * 1024),
    ("0", 0, 0),
])
def test_parse_size_and_ram_in_bytes(text, decimal, binary):
    assert u.parse_size(text) == decimal
    assert u.ram_in_bytes(text) == binary


@pytest.mark.parametrize("text, message", [
    ("abc", "invalid size: 'abc'"),                                         # docker 28.2.2
    ("", "invalid size: ''"),
    ("-1", "invalid size: '-1'"),                                           # docker 28.2.2
    ("1.2.3m", 'strconv.ParseFloat: parsing "1.2.3": invalid syntax'),      # docker 28.2.2
    (" 10", 'strconv.ParseFloat: parsing " 10": invalid syntax'),           # docker 28.2.2
    ("10x", "invalid suffix: 'x'"),                                         # docker 28.2.2
    ("10mbb", "invalid suffix: 'mbb'"),                                     # docker 28.2.2
    ("10kbx", "invalid suffix: 'kbx'"),                                     # docker 28.2.2
    ("10MBB", "invalid suffix: 'mbb'"),
    ("10KBXX", "invalid suffix: 'KBXX'"),
    ("10e", "invalid suffix: 'e'"),
    ("10mi", "invalid suffix: 'mi'"),
    ("10  m", 'strconv.ParseFloat: parsing "10 ": invalid syntax'),
])
def test_parse_size_errors(text, message):
    for func in (u.parse_size, u.ram_in_bytes):
        with pytest.raises(InvalidParameter) as info:
            func(text)
        assert str(info.value) == message


@pytest.mark.parametrize("seconds, text", [
    (0, "Less than a second"),
    (0.999, "Less than a second"),
    (-5, "Less than a second"),
    (1, "1 second"),
    (1.9, "1 second"),
    (2, "2 seconds"),
    (59.9, "59 seconds"),
    (60, "About a minute"),
    (119, "About a minute"),
    (120, "2 minutes"),
    (59 * MIN + 59, "59 minutes"),
    (60 * MIN, "About an hour"),
    (HOUR + 29 * MIN, "About an hour"),
    (HOUR + 30 * MIN, "2 hours"),            # hours are rounded
    (47 * HOUR + 29 * MIN, "47 hours"),
    (47 * HOUR + 30 * MIN, "2 days"),
    (13 * DAY + 23 * HOUR, "13 days"),
    (14 * DAY, "2 weeks"),
    (59 * DAY, "8 weeks"),
    (60 * DAY, "2 months"),
    (4 * 30 * DAY, "4 months"),
    (729 * DAY, "24 months"),
    (730 * DAY, "2 years"),
    (3 * 365 * DAY + 100 * DAY, "3 years"),
])
def test_human_duration(seconds, text):
    assert u.human_duration(seconds) == text


@pytest.mark.parametrize("text, ns", [
    ("0", 0), ("+0", 0), ("-0", 0), ("0s", 0),
    ("10s", 10 * 10**9),
    ("1m30s", 90 * 10**9),
    ("1.5h", 5400 * 10**9),
    ("-300ms", -300 * 10**6),
    ("+5m", 300 * 10**9),
    ("1h2m3.5s", (3723 * 10**9) + 5 * 10**8),
    ("1us", 1000), ("1\u00b5s", 1000), ("1\u03bcs", 1000), ("7ns", 7),
    ("1.s", 10**9), (".5s", 5 * 10**8),
    ("1.0000000001s", 10**9),                 # below a nanosecond is dropped
    ("2562047h47m16.854775807s", 2**63 - 1),  # the largest Go duration
    ("-2562047h47m16.854775808s", -(2**63)),
])
def test_parse_duration(text, ns):
    assert u.parse_duration_ns(text) == ns
    assert u.parse_duration(text) == ns / 1e9


@pytest.mark.parametrize("text, message", [
    ("", 'time: invalid duration ""'),
    ("abc", 'time: invalid duration "abc"'),   # docker 28.2.2 (--health-interval abc)
    ("-", 'time: invalid duration "-"'),
    (".s", 'time: invalid duration ".s"'),
    ("1", 'time: missing unit in duration "1"'),
    ("1s2", 'time: missing unit in duration "1s2"'),
    ("1x", 'time: unknown unit "x" in duration "1x"'),
    ("1d", 'time: unknown unit "d" in duration "1d"'),
    ("1 s", 'time: unknown unit " s" in duration "1 s"'),
    ("1é", 'time: unknown unit "\\xc3\\xa9" in duration "1\\xc3\\xa9"'),
    ("2562047h47m16.854775808s", 'time: invalid duration "2562047h47m16.854775808s"'),
    ("9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'),
])
def test_parse_duration_errors(text, message):
    with pytest.raises(InvalidParameter) as info:
        u.parse_duration(text)
    assert str(info.value) == message


@pytest.mark.parametrize("ns, text", [
    (0, "0s"), (1, "1ns"), (1500, "1.5\u00b5s"), (1_500_000, "1.5ms"), (10**9, "1s"),
    (1_500_000_000, "1.5s"), (90 * 10**9, "1m30s"), (3600 * 10**9, "1h0m0s"),
    (-90 * 10**9, "-1m30s"), (2 * 3600 * 10**9 + 5, "2h0m0.000000005s"),
    (2**63 - 1, "2562047h47m16.854775807s"),
])
def test_format_duration(ns, text):
    assert u.format_duration(ns) == text


@pytest.mark.parametrize("ts, text", [
    (0, "1970-01-01T00:00:00Z"),
    ((1704164645, 123456789), "2024-01-02T03:04:05.123456789Z"),
    ((1704164645, 120000000), "2024-01-02T03:04:05.12Z"),
    ((1704164645, 0), "2024-01-02T03:04:05Z"),
    ((1704164645, 1), "2024-01-02T03:04:05.000000001Z"),
    (1704164645.5, "2024-01-02T03:04:05.5Z"),
    (1704164645.1, "2024-01-02T03:04:05.1Z"),
    (-1.5, "1969-12-31T23:59:58.5Z"),
    ((951782400, 0), "2000-02-29T00:00:00Z"),
    ((253402300799, 999999999), "9999-12-31T23:59:59.999999999Z"),
    ((-62135596800, 0), "0001-01-01T00:00:00Z"),   # Go's zero time
])
def test_format_rfc3339nano(ts, text):
    assert u.format_rfc3339nano(ts) == text


NOW = 1_700_000_000.75   # 2023-11-14T22:13:20.75Z


@pytest.mark.parametrize("value, offset, param", [
    ("10m", 0, "1699999400"),                      # durations count back from now, whole seconds
    ("1.5h", 0, "1699994600"),
    ("-10s", 0, "1700000010"),
    ("0", 0, "0"),                                 # "0" is a timestamp, not a duration
    ("1700000000", 0, "1700000000"),
    ("1700000000.123", 0, "1700000000.123"),       # unix timestamps pass through unchanged
    ("2024-01-02", 0, "1704153600.000000000"),
    ("2024-01-02", 3600, "1704150000.000000000"),  # zoneless: read at the local offset
    ("2024-01-02T03", 0, "1704164400.000000000"),
    ("2024-01-02T03:04", 0, "1704164640.000000000"),
    ("2024-01-02T03:04:05", 0, "1704164645.000000000"),
    ("2024-01-02T03:04:05.5", -7200, "1704171845.500000000"),
    ("2024-01-02T03:04:05Z", 3600, "1704164645.000000000"),
    ("2024-01-02T03:04:05.123456789Z", 0, "1704164645.123456789"),
    ("2024-01-02T03:04:05.1234567891Z", 0, "1704164645.123456789"),
    ("2024-01-02T03:04:05,25Z", 0, "1704164645.250000000"),
    ("2024-01-02T03:04:05+01:00", 0, "1704161045.000000000"),
    ("2024-01-02T03:04:05.123-05:30", 0, "1704184445.123000000"),
    ("2024-01-02T03+01:00", 0, "1704160800.000000000"),
    ("2024-01-02T03:04Z", 0, "1704164640.000000000"),
    ("2024-01-02Z", 0, "1704153600.000000000"),
    ("2024-01-02-02:00", 0, "1704160800.000000000"),
    ("2024-02-29", 0, "1709164800.000000000"),
])
def test_timestamp_param(value, offset, param):
    assert u.timestamp_param(value, NOW, offset) == param


# The `since=` query docker 28.2.2 sent for `docker events --since VALUE`,
# run with TZ=Etc/GMT+2 (UTC-2) at unix time 1795442897.
DOCKER_SINCE = [
    ("2024-01-02", "1704160800.000000000"),
    ("2024-01-02T03", "1704171600.000000000"),
    ("2024-01-02T03:04", "1704171840.000000000"),
    ("2024-01-02T03:04:05", "1704171845.000000000"),
    ("2024-01-02T03:04:05.5", "1704171845.500000000"),
    ("2024-01-02T03:04:05,25Z", "1704164645.250000000"),
    ("2024-01-02T03+01:00", "1704160800.000000000"),
    ("2024-01-02T03:04Z", "1704164640.000000000"),
    ("2024-01-02Z", "1704153600.000000000"),
    ("2024-01-02-02:00", "1704160800.000000000"),
    ("2024-01-02T03:04:05.123-05:30", "1704184445.123000000"),
    ("2024-01-02T03:04:05.1234567891Z", "1704164645.123456789"),
    ("2024-02-29", "1709172000.000000000"),
    ("1700000000.123", "1700000000.123"),
    ("0", "0"),
    ("10m", "1795442297"),
]


@pytest.mark.parametrize("value, param", DOCKER_SINCE)
def test_timestamp_param_matches_docker_cli(value, param):
    assert u.timestamp_param(value, 1795442897.4, -7200) == param


def test_parse_timestamp_is_float_seconds():
    assert u.parse_timestamp("10m", NOW) == 1699999400.0
    assert u.parse_timestamp("1700000000.123", NOW) == pytest.approx(1700000000.123)
    assert u.parse_timestamp("2024-01-02T03:04:05.5Z", NOW) == 1704164645.5


@pytest.mark.parametrize("value, message", [
    # all recorded from docker 28.2.2 `docker events --since VALUE`
    ("abc", 'failed to parse value as time or duration: "abc"'),
    ("10x", 'failed to parse value as time or duration: "10x"'),
    ("1700000000.abc", 'failed to parse value as time or duration: "1700000000.abc"'),
    ("2006-13-01", 'parsing time "2006-13-01": month out of range'),
    ("2024-01-02T25:00:00", 'parsing time "2024-01-02T25:00:00": hour out of range'),
    ("2024-01-02Tx", 'parsing time "2024-01-02Tx" as "2006-01-02T15": cannot parse "x" as "15"'),
    ("2024-01-02x", 'parsing time "2024-01-02x": extra text: "x"'),
    ("2024-1-2", 'parsing time "2024-1-2" as "2006-01-02": cannot parse "1-2" as "01"'),
    ("2024-01-02T03:04:05Z07", 'parsing time "2024-01-02T03:04:05Z07": extra text: "07"'),
    ("2024-01-02 03:04", 'parsing time "2024-01-02 03:04": extra text: " 03:04"'),
    ("-1.5", 'parsing time "-1.5" as "2006-01-02T15:04:05.999999999": cannot parse "-1.5" as "2006"'),
    # Go's time.Parse wording
    ("2023-02-29", 'parsing time "2023-02-29": day out of range'),
    ("2024-00-10", 'parsing time "2024-00-10": month out of range'),
    ("2024-01-02T03:60", 'parsing time "2024-01-02T03:60": minute out of range'),
    ("2024-01-02T03:04:60", 'parsing time "2024-01-02T03:04:60": second out of range'),
    ("24-01-02", 'parsing time "24-01-02" as "2006-01-02": cannot parse "24-01-02" as "2006"'),
    ("2024/01/02", 'failed to parse value as time or duration: "2024/01/02"'),
    ("2024-01/02", 'parsing time "2024-01/02" as "2006-01-02": cannot parse "/02" as "-"'),
    ("2024-01-02T03:04:05z", 'parsing time "2024-01-02T03:04:05z" as "2006-01-02T15:04:05Z07:00": '
                             'cannot parse "z" as "Z07:00"'),
    ("2024-01-02T03:04:05+25:00", 'parsing time "2024-01-02T03:04:05+25:00": '
                                  'time zone offset hour out of range'),
])
def test_timestamp_errors(value, message):
    with pytest.raises(InvalidParameter) as info:
        u.timestamp_param(value, NOW)
    assert str(info.value) == message


@pytest.mark.parametrize("value, parts", [
    ("1700000000", (1700000000, 0)),
    ("1700000000.5", (1700000000, 500000000)),
    ("1700000000.000000001", (1700000000, 1)),
    ("-1.5", (-1, 500000000)),
    ("+7", (7, 0)),
])
def test_parse_unix_timestamp(value, parts):
    assert u.parse_unix_timestamp(value) == parts


@pytest.mark.parametrize("value", ["", "abc", "1.", "1_0", "1.x", " 1"])
def test_parse_unix_timestamp_errors(value):
    with pytest.raises(InvalidParameter):
        u.parse_unix_timestamp(value)


# ---------------------------------------------------------------- Go strconv

@pytest.mark.parametrize("text, quoted", [
    ("abc", '"abc"'), ("", '""'), ('a"b', '"a\\"b"'), ("a\\b", '"a\\\\b"'),
    ("\t\n", '"\\t\\n"'), ("\x00\x7f", '"\\x00\\x7f"'), ("é", '"é"'),
    ("\u200b", '"\\u200b"'), ("\U000e0001", '"\\U000e0001"'),
    ("\udcff", '"\\xff"'),   # an undecodable argv byte
])
def test_go_quote(text, quoted):
    assert g.go_quote(text) == quoted


@pytest.mark.parametrize("text, value", [
    ("0", 0), ("42", 42), ("-42", -42), ("+42", 42), ("0x1F", 31), ("0X1f", 31),
    ("0b101", 5), ("0o17", 15), ("017", 15), ("0_17", 15), ("1_000", 1000), ("0x_ff", 255),
    ("9223372036854775807", 2**63 - 1), ("-9223372036854775808", -(2**63)),
])
def test_parse_go_int(text, value):
    assert g.parse_go_int(text) == value


@pytest.mark.parametrize("text, reason", [
    ("", "invalid syntax"), ("abc", "invalid syntax"), ("1.5", "invalid syntax"),
    (" 1", "invalid syntax"), ("08", "invalid syntax"), ("0x", "invalid syntax"),
    ("1__0", "invalid syntax"), ("_1", "invalid syntax"), ("1_", "invalid syntax"),
    ("0x-1", "invalid syntax"), ("--1", "invalid syntax"), ("١", "invalid syntax"),
    ("9223372036854775808", "value out of range"),
])
def test_parse_go_int_errors(text, reason):
    with pytest.raises(InvalidParameter) as info:
        g.parse_go_int(text)
    assert str(info.value) == f"strconv.ParseInt: parsing {g.go_quote(text)}: {reason}"


def test_parse_go_int_base_10_and_bits():
    assert g.parse_go_int("010", 10) == 10
    with pytest.raises(InvalidParameter):
        g.parse_go_int("1_0", 10)
    with pytest.raises(InvalidParameter, match="value out of range"):
        g.parse_go_int("128", 0, 8)


@pytest.mark.parametrize("text, bits, value, error", [
    ("65535", 16, 65535, None),
    ("65536", 16, None, 'strconv.ParseUint: parsing "65536": value out of range'),
    ("-1", 64, None, 'strconv.ParseUint: parsing "-1": invalid syntax'),
    ("+1", 64, None, 'strconv.ParseUint: parsing "+1": invalid syntax'),
    ("0x10", 64, 16, None),
])
def test_parse_go_uint(text, bits, value, error):
    if error is None:
        assert g.parse_go_uint(text, 0, bits) == value
    else:
        with pytest.raises(InvalidParameter) as info:
            g.parse_go_uint(text, 0, bits)
        assert str(info.value) == error


@pytest.mark.parametrize("text, value", [
    ("1", True), ("t", True), ("T", True), ("TRUE", True), ("true", True), ("True", True),
    ("0", False), ("f", False), ("F", False), ("FALSE", False), ("false", False), ("False", False),
])
def test_parse_go_bool(text, value):
    assert g.parse_go_bool(text) is value


@pytest.mark.parametrize("text", ["", "yes", "tRUE", "on", " true"])
def test_parse_go_bool_errors(text):
    with pytest.raises(InvalidParameter, match="^strconv.ParseBool: parsing .*: invalid syntax$"):
        g.parse_go_bool(text)


@pytest.mark.parametrize("text, value", [
    ("1", 1.0), ("-1.5", -1.5), (".5", 0.5), ("5.", 5.0), ("1e3", 1000.0), ("1E-2", 0.01),
    ("1_000.5", 1000.5), ("+2", 2.0), ("Inf", float("inf")), ("-infinity", float("-inf")),
])
def test_parse_go_float(text, value):
    assert g.parse_go_float(text) == value


@pytest.mark.parametrize("text, reason", [
    ("", "invalid syntax"), (".", "invalid syntax"), ("1.2.3", "invalid syntax"),
    ("1e", "invalid syntax"), (" 1", "invalid syntax"), ("1_", "invalid syntax"),
    ("+nan", "invalid syntax"), ("1e400", "value out of range"),
])
def test_parse_go_float_errors(text, reason):
    with pytest.raises(InvalidParameter) as info:
        g.parse_go_float(text)
    assert str(info.value) == f"strconv.ParseFloat: parsing {g.go_quote(text)}: {reason}"
