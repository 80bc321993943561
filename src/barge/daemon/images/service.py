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

    def save(self, names: list[str]):
        plan = save_mod.plan(self.ctx, names)
        for n in names:
            self.ctx.events.publish("image", "save", self.ctx.store.images.resolve(n).id, {"name": n})
        return save_mod.save(self.ctx, plan)
