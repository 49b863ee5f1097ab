"""Files of one component read out of a trained model's archive."""

from __future__ import annotations

import tarfile
from pathlib import Path


def extract_component_files(archive: Path, file_prefix: str, scratch: Path) -> Path:
    """Extracts a component's files named `<file_prefix>…` from the model archive; returns their folder."""
    with tarfile.open(archive) as model:
        model.extractall(scratch, members=[member for member in model.getmembers() if f"/{file_prefix}" in member.name])
    (folder,) = {path.parent for path in scratch.glob(f"**/{file_prefix}*")}
    return folder
