"""`images`: list with Docker's filters."""
from __future__ import annotations

import fnmatch

from barge.daemon.containers.context import Ctx
from barge.daemon.images.views import created_unix, summary
from barge.spec import clock
from barge.errdefs import InvalidParameter
from barge.spec import reference
from barge.store.images import Image

FILTERS = ("dangling", "reference", "label", "before", "since", "until")


def _ref_match(img: Image, pattern: str) -> bool:
    for tag in img.repo_tags:
        repo = tag.rsplit(":", 1)[0] if ":" in tag.rsplit("/", 1)[-1] else tag
        if fnmatch.fnmatchcase(tag, pattern) or fnmatch.fnmatchcase(repo, pattern):
            return True
        try:
            if reference.normalize(pattern) == tag:
                return True
        except InvalidParameter:
            pass
    return False


def _label_match(img: Image, want: str) -> bool:
    labels = (img.config.get("config") or {}).get("Labels") or {}
    k, eq, v = want.partition("=")
    return k in labels and (not eq or labels[k] == v)


def _bool(v: str) -> bool:
    if v.lower() in ("true", "1"):
        return True
    if v.lower() in ("false", "0"):
        return False
    raise InvalidParameter(f"Invalid filter 'dangling={v}'")


def _created(img: Image) -> float:
    return clock.parse_rfc3339(img.config.get("created") or "")


def list_images(ctx: Ctx, all_: bool = False, filters: dict | None = None,
                api: tuple[int, int] = (1, 45)) -> list[dict]:
    filters = dict(filters or {})
    for k in filters:
        if k not in FILTERS:
            raise InvalidParameter(f"invalid filter '{k}'")
    imgs = ctx.store.images.list()
    parents = {i.parent for i in imgs if i.parent}
    if not all_:            # build steps' images stay out of sight, as Docker's intermediate images
        imgs = [i for i in imgs if i.repo_tags or i.id not in parents]
    for key in ("before", "since"):
        if filters.get(key):
            t = _created(ctx.store.images.resolve(filters[key][0]))
            imgs = [i for i in imgs if (_created(i) < t if key == "before" else _created(i) > t)]
    if filters.get("dangling"):
        want = _bool(filters["dangling"][-1])
        imgs = [i for i in imgs if (not i.repo_tags) == want]
    if filters.get("reference"):
        imgs = [i for i in imgs if any(_ref_match(i, p) for p in filters["reference"])]
    if filters.get("label"):
        imgs = [i for i in imgs if all(_label_match(i, l) for l in filters["label"])]
    imgs.sort(key=created_unix, reverse=True)
    return [summary(i, -1, api) for i in imgs]
