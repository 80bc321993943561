"""The image service."""
from __future__ import annotations

from barge.daemon.containers.context import Ctx
from barge.spec import changes as changespec
from barge.daemon.images import importer, load as load_mod, remove as remove_mod, save as save_mod
from barge.daemon.images.listing import list_images
from barge.daemon.images.views import history, inspect


class ImageService:
    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx

    def list(self, all_=False, filters=None, api=(1, 45)) -> list[dict]:
        return list_images(self.ctx, all_, filters, api)

    def inspect(self, ref: str, api=(1, 45)) -> dict:
        return inspect(self.ctx.store, self.ctx.store.images.resolve(ref), api)

    def history(self, ref: str) -> list[dict]:
        return history(self.ctx.store, self.ctx.store.images.resolve(ref))

    def tag(self, ref: str, repo: str, tag: str) -> None:
        img = self.ctx.store.images.resolve(ref)
        name = self.ctx.store.images.tag(img.id, f"{repo}:{tag}" if tag else repo)
        self.ctx.events.publish("image", "tag", img.id, {"name": name})

    async def remove(self, ref: str, force: bool = False) -> list[dict]:
        return await remove_mod.remove(self.ctx, ref, force)

    async def prune(self, filters: dict) -> dict:
        return await remove_mod.prune(self.ctx, filters)

    def check_changes(self, changes: list[str]) -> None:
        changespec.apply({}, changes)

    async def import_image(self, body, repo, tag, changes, message, source="-") -> str:
        return await importer.import_image(self.ctx, body, repo, tag, changes, message, source)

    async def load(self, body) -> list[str]:
        return await load_mod.load(self.ctx, body)

    def pull_plan(self, from_image: str, tag: str | None, platform: str | None):
        from barge.daemon.images import pull as pull_mod
        return pull_mod.plan(from_image, tag, platform)

    def pull(self, plan, registry_auth: str | None):
        from barge.daemon.images import pull as pull_mod
        from barge.distribution.auth import decode_registry_auth
        return pull_mod.pull(self.ctx, plan, decode_registry_auth(registry_auth))

    def push(self, name: str, tag: str | None, registry_auth: str | None):
        from barge.daemon.images import push as push_mod
        from barge.distribution.auth import decode_registry_auth
        ref = push_mod.plan(name, tag)          # a bad name is a 400, before the stream
        return push_mod.push(self.ctx, ref, decode_registry_auth(registry_auth))

    async def login(self, body: dict) -> dict:
        from barge.daemon.images import auth as auth_mod
        return await auth_mod.login(self.ctx, body)

    async def search(self, term: str, limit: int | None, filters: dict, registry_auth: str | None) -> list[dict]:
        from barge.daemon.images import search as search_mod
        from barge.distribution.auth import decode_registry_auth
        return await search_mod.search(self.ctx, term, limit, filters, decode_registry_auth(registry_auth))

    def save(self, names: list[str]):
        plan = save_mod.plan(self.ctx, names)
        for n in names:
            self.ctx.events.publish("image", "save", self.ctx.store.images.resolve(n).id, {"name": n})
        return save_mod.save(self.ctx, plan)
