"""`docker save` / `docker load` archives: the public face of
archive_read (extract and parse) and archive_write (stream out)."""
from barge.distribution.archive_read import (
    ArchiveImage,
    ArchiveLayer,
    extract_archive,
    read_archive,
)
from barge.distribution.archive_write import SaveImage, SaveLayer, write_archive

__all__ = [
    "ArchiveImage",
    "ArchiveLayer",
    "SaveImage",
    "SaveLayer",
    "extract_archive",
    "read_archive",
    "write_archive",
]
