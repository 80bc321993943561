"""The image store: content blobs, layers, images and tags."""
from __future__ import annotations

import os
from dataclasses import dataclass

from barge.store.content import ContentStore
from barge.store.images import ImageStore
from barge.store.layers import LayerStore
from barge.store.metadata import Metadata


@dataclass
class Store:
    content: ContentStore
    layers: LayerStore
    images: ImageStore
    meta: Metadata


def open_store(data_root: str) -> Store:
    os.makedirs(data_root, exist_ok=True)
    meta = Metadata(os.path.join(data_root, "metadata.db"))
    content = ContentStore(os.path.join(data_root, "content"))
    layers = LayerStore(os.path.join(data_root, "layers"), content, meta)
    images = ImageStore(content, layers, meta)
    return Store(content, layers, images, meta)
