"""`network create|ls|inspect|rm|prune|connect|disconnect`."""
from __future__ import annotations

from barge.cli.commands._common import F, filter_arg, label_arg, list_and_render, parse, post_and_print, run_prune
from barge.cli.context import Context
from barge.cli.flags import Flag

PRUNE_WARNING = "WARNING! This will remove all custom networks not used by at least one container."
INGRESS_WARNING = ("WARNING! Before removing the routing-mesh network, make sure all the nodes in your swarm "
                   "run the same docker engine version. Otherwise, removal may not be effective and "
                   "functionality of newly create ingress networks will be impaired.\n"
                   "Are you sure you want to continue?")


def _strings(name: str, help: str) -> Flag:
    """A pflag "strings" flag: each value comma-separated (netopt.flatten joins them)."""
    from barge.cli.netopt import csv_values
    return Flag(name, kind="list", help=help, type_name="strings", parser=csv_values)


def _map(name: str, short: str | None, help: str) -> Flag:
    return Flag(name, short, "map", help=help, default_text="map[]")


def create_body(opts: dict, given: frozenset, name: str, check_duplicate: bool) -> dict:
    """POST /networks/create's body as the docker CLI 28 sends it; raises
    InvalidParameter with its words for a bad --subnet/--ip-range/--gateway/--aux-address."""
    from barge.cli.netopt import flatten, ipam_config
    config = ipam_config(flatten(opts["subnet"]), flatten(opts["ip-range"]), flatten(opts["gateway"]),
                         opts["aux-address"])
    body: dict = {"Driver": opts["driver"], "Scope": opts["scope"]}
    for flag, key in (("ipv4", "EnableIPv4"), ("ipv6", "EnableIPv6")):
        if flag in given:
            body[key] = opts[flag]
    body.update({
        "IPAM": {"Driver": opts["ipam-driver"], "Options": opts["ipam-opt"], "Config": config},
        "Internal": opts["internal"], "Attachable": opts["attachable"], "Ingress": opts["ingress"],
        "ConfigOnly": opts["config-only"],
        "ConfigFrom": {"Network": opts["config-from"]} if opts["config-from"] else None,
        "Options": opts["opt"], "Labels": dict(label.partition("=")[::2] for label in opts["label"]),
        "Name": name})
    if check_duplicate:
        body["CheckDuplicate"] = True
    return body


def _api_below(ctx: Context, version: str) -> bool:
    """Whether the daemon speaks an API older than `version` (a ping settles the version)."""
    try:
        ctx.client.get("/_ping").close()
    except Exception:
        pass                      # the real request reports the failure
    return tuple(map(int, ctx.client.version.split("."))) < tuple(map(int, version.split(".")))


def create(ctx: Context, argv: list[str]) -> int:
    flags = [F("attachable", None, "bool", False, "Enable manual container attachment"),
             _map("aux-address", None, "Auxiliary IPv4 or IPv6 addresses used by Network driver"),
             F("config-from", None, "string", "", "The network from which to copy the configuration"),
             F("config-only", None, "bool", False, "Create a configuration only network"),
             F("driver", "d", "string", "bridge", "Driver to manage the Network"),
             _strings("gateway", "IPv4 or IPv6 Gateway for the master subnet"),
             F("ingress", None, "bool", False, "Create swarm routing-mesh network"),
             F("internal", None, "bool", False, "Restrict external access to the network"),
             _strings("ip-range", "Allocate container ip from a sub-range"),
             F("ipam-driver", None, "string", "default", "IP Address Management Driver"),
             _map("ipam-opt", None, "Set IPAM driver specific options"),
             F("ipv4", None, "bool", True, "Enable or disable IPv4 address assignment"),
             F("ipv6", None, "bool", False, "Enable or disable IPv6 address assignment"),
             F("label", None, "list", None, "Set metadata on a network", parser=label_arg),
             _map("opt", "o", "Set driver specific options"),
             F("scope", None, "string", "", "Control the network's scope"),
             _strings("subnet", "Subnet in CIDR format that represents a network segment")]
    p = parse(ctx, "network create", "docker network create [OPTIONS] NETWORK", "Create a network", flags, argv,
              min_args=1, max_args=1)
    from barge.errdefs import InvalidParameter
    try:
        body = create_body(p.opts, p.set, p.args[0], False)
    except InvalidParameter as e:
        ctx.err(str(e))
        return 1
    if _api_below(ctx, "1.44"):
        body["CheckDuplicate"] = True     # older daemons only refuse a taken name when asked
    return post_and_print(ctx, "/networks/create", body, "Id")


def ls(ctx: Context, argv: list[str]) -> int:
    flags = [F("filter", "f", "list", None, 'Provide filter values (e.g. "driver=bridge")', parser=filter_arg),
             F("format", None, "string", "", "Format output using a custom template"),
             F("no-trunc", None, "bool", False, "Do not truncate the output"),
             F("quiet", "q", "bool", False, "Only display network IDs")]
    p = parse(ctx, "network ls", "docker network ls [OPTIONS]", "List networks", flags, argv, max_args=0)
    return list_and_render(ctx, "/networks", p.opts["filter"], lambda res: render_networks(
        res or [], p.opts["format"], p.opts["quiet"], not p.opts["no-trunc"]))


def render_networks(networks: list[dict], fmt: str, quiet: bool, trunc: bool = True) -> str:
    """`network ls` output, sorted by name as docker sorts (naturally)."""
    from barge.cli import format as fmtmod
    from barge.cli import networkrows as nr
    from barge.cli.volumerows import natural_key
    rows = [nr.NetworkRow(n, trunc) for n in sorted(networks, key=lambda n: natural_key(n.get("Name") or ""))]
    return fmtmod.render(rows, nr.network_format(fmt, quiet), "", nr.NETWORK_HEADERS)


def inspect(ctx: Context, argv: list[str]) -> int:
    from barge.cli.commands._common import FORMAT_HELP
    help_ = "\n".join(line for line in FORMAT_HELP.split("\n") if not line.startswith("'table"))
    flags = [Flag("format", "f", "string", "", help_),
             F("verbose", "v", "bool", False, "Verbose output for diagnostics")]
    p = parse(ctx, "network inspect", "docker network inspect [OPTIONS] NETWORK [NETWORK...]",
              "Display detailed information on one or more networks", flags, argv, min_args=1)
    from barge.cli.commands.inspect import print_inspect
    from barge.cli.networkrows import go_network
    from barge.client.http import APIError
    params = {"verbose": "true" if p.opts["verbose"] else None}
    items: list = []
    for name in p.args:
        try:
            items.append(ctx.client.get_json(f"/networks/{name}", params))
        except APIError as e:
            items.append(f"Error response from daemon: {e.message}")
        except Exception as e:
            return ctx.daemon_error(e)
    return print_inspect(ctx, items, p.opts["format"], wrap=go_network, raw_fallback=True)


def rm(ctx: Context, argv: list[str]) -> int:
    flags = [F("force", "f", "bool", False, "Do not error if the network does not exist")]
    p = parse(ctx, "network rm", "docker network rm NETWORK [NETWORK...]", "Remove one or more networks", flags,
              argv, min_args=1)
    from barge.cli.commands._common import confirm
    from barge.client.http import APIError
    failed = False
    for name in p.args:
        try:
            ingress = ctx.client.get_json(f"/networks/{name}").get("Ingress")
        except Exception:
            ingress = False           # the removal reports it
        if ingress and not confirm(ctx, INGRESS_WARNING):
            continue
        try:
            ctx.client.delete(f"/networks/{name}").close()
        except Exception as e:
            if not (p.opts["force"] and isinstance(e, APIError) and e.status == 404):
                failed = True
                ctx.daemon_error(e)
            continue
        ctx.out(name)
    if failed:
        ctx.err("exit status 1")
    return int(failed)


def prune(ctx: Context, argv: list[str]) -> int:
    flags = [F("filter", None, "list", None, 'Provide filter values (e.g. "until=<timestamp>")', parser=filter_arg),
             F("force", "f", "bool", False, "Do not prompt for confirmation")]
    p = parse(ctx, "network prune", "docker network prune [OPTIONS]", "Remove all unused networks", flags, argv,
              max_args=0)
    return run_prune(ctx, p.opts["force"], PRUNE_WARNING, "/networks/prune", p.opts["filter"],
                     lambda res: ("Networks", res.get("NetworksDeleted") or []), space=False)


def connect_body(opts: dict, container: str) -> dict:
    """POST /networks/{id}/connect's body as the docker CLI 28 sends it."""
    from barge.cli.netopt import driver_opts, endpoint_ipam, endpoint_settings, flatten
    ipam = endpoint_ipam(opts["ip"], opts["ip6"], flatten(opts["link-local-ip"]))
    endpoint = endpoint_settings(ipam, opts["link"] or None, flatten(opts["alias"]), "",
                                 driver_opts(flatten(opts["driver-opt"])), opts["gw-priority"])
    return {"Container": container, "EndpointConfig": endpoint}


def connect(ctx: Context, argv: list[str]) -> int:
    from barge.cli.netopt import validate_link
    flags = [_strings("alias", "Add network-scoped alias for the container"),
             _strings("driver-opt", "driver options for the network"),
             F("gw-priority", None, "int", 0,
               "Highest gw-priority provides the default gateway. Accepts positive and negative values."),
             F("ip", None, "string", "", 'IPv4 address (e.g., "172.30.100.104")'),
             F("ip6", None, "string", "", 'IPv6 address (e.g., "2001:db8::33")'),
             F("link", None, "list", None, "Add link to another container", parser=validate_link),
             _strings("link-local-ip", "Add a link-local address for the container")]
    p = parse(ctx, "network connect", "docker network connect [OPTIONS] NETWORK CONTAINER",
              "Connect a container to a network", flags, argv, min_args=2, max_args=2)
    from barge.errdefs import InvalidParameter
    try:
        body = connect_body(p.opts, p.args[1])
    except InvalidParameter as e:
        ctx.err(str(e))
        return 1
    return _post(ctx, f"/networks/{p.args[0]}/connect", body)


def disconnect(ctx: Context, argv: list[str]) -> int:
    flags = [F("force", "f", "bool", False, "Force the container to disconnect from a network")]
    p = parse(ctx, "network disconnect", "docker network disconnect [OPTIONS] NETWORK CONTAINER",
              "Disconnect a container from a network", flags, argv, min_args=2, max_args=2)
    return _post(ctx, f"/networks/{p.args[0]}/disconnect", {"Container": p.args[1], "Force": p.opts["force"]})


def _post(ctx: Context, path: str, body: dict) -> int:
    try:
        ctx.client.post(path, json_body=body).close()
    except Exception as e:
        return ctx.daemon_error(e)
    return 0
