"""The route table: every route module's routes, on one router."""
from __future__ import annotations

from barge.api.router import Router
from barge.api.routes import containers, images, system
from barge.api.routes import files
from barge.api.routes import registry as registry_routes
from barge.api.routes import exec as exec_routes
from barge.api.routes import lifecycle
from barge.api.routes import stats as stats_routes
from barge.api.routes import build as build_routes
from barge.api.routes import networks as network_routes
from barge.api.routes import volumes as volume_routes
from barge.daemon.app import Daemon


def build_router(d: Daemon) -> Router:
    r = Router()
    for module in (system, containers, images, exec_routes, lifecycle, files, stats_routes, volume_routes, network_routes, build_routes, registry_routes):
        for method, path, handler in module.routes(d):
            r.add(method, path, handler)
    return r
