"""The server-side data folder: big files that live on the machine (or cluster) are read from here directly,
without the browser upload (Streamlit holds an upload in memory, twice).

Declared once: ``SCGRN_DATA_DIR``, else ``data_dir = "/path"`` in ``$SCGRN_HOME/config.toml``; unset = no
folder. The app only reads it (never writes, moves or deletes there). Every path a user picks is a path
relative to the folder and must stay inside it: absolute paths, ``..`` parts and symlinks that resolve
outside are refused (:func:`resolve_in_folder`).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import InputError
from ..jobs.workspace import home

ENV_VAR = "SCGRN_DATA_DIR"
CONFIG_FILE = "config.toml"
CONFIG_KEY = "data_dir"
#: what the readers accept (core.io.expression.detect_format); a folder holding matrix.mtx(.gz) is a 10x folder
EXPRESSION_SUFFIXES = (".h5ad", ".h5", ".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz", ".mtx", ".mtx.gz")
TENX_MATRICES = ("matrix.mtx", "matrix.mtx.gz")
MAX_LISTED = 2000  # entries listed at most (a folder with more is cut, and says so)
MAX_DEPTH = 4


def data_folder() -> Path | None:
    """The configured folder (resolved), or None when none is configured. An InputError when it is
    configured but missing or not a folder."""
    raw = os.environ.get(ENV_VAR, "").strip()
    origin = ENV_VAR
    if not raw:
        cfg = home() / CONFIG_FILE
        if cfg.is_file():
            try:
                raw = str(tomllib.loads(cfg.read_text()).get(CONFIG_KEY, "")).strip()
            except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
                raise InputError(f"{cfg} is not valid TOML ({exc}); fix or remove it.") from exc
            origin = f"{CONFIG_KEY} in {cfg}"
    if not raw:
        return None
    root = Path(raw).expanduser()
    if not root.is_dir():
        raise InputError(f"The data folder {root} ({origin}) does not exist or is not a folder.")
    return root.resolve()


def how_to_configure() -> str:
    return (f"No server data folder is configured. Set {ENV_VAR}=/path/to/folder before starting the app, or put "
            f'{CONFIG_KEY} = "/path/to/folder" in {home() / CONFIG_FILE}.')


@dataclass(frozen=True)
class DataFile:
    rel: str  # path relative to the folder (POSIX), what the user picks
    size: int  # bytes (a 10x folder: its files together)
    kind: str  # "file" or "10x folder"


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a symlink loop
        return False


def _dir_size(d: Path, root: Path) -> int:
    total = 0
    for f in d.iterdir():
        if f.is_file() and _inside(f, root):
            total += f.stat().st_size
    return total


def list_data_files(root: Path | None = None) -> tuple[list[DataFile], bool]:
    """Expression files and 10x folders under the folder (sorted by path), and whether the list was cut at
    :data:`MAX_LISTED`. Entries whose real path leaves the folder (symlinks) are not listed."""
    root = root if root is not None else data_folder()
    if root is None:
        return [], False
    root = root.resolve()
    out: list[DataFile] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        d = Path(dirpath)
        depth = len(d.relative_to(root).parts)
        dirnames[:] = sorted(n for n in dirnames if not n.startswith(".") and depth < MAX_DEPTH)
        if any(n in filenames for n in TENX_MATRICES) and d != root:
            out.append(DataFile(d.relative_to(root).as_posix(), _dir_size(d, root), "10x folder"))
            dirnames[:] = []
            continue
        for n in sorted(filenames):
            p = d / n
            if n.startswith(".") or not n.lower().endswith(EXPRESSION_SUFFIXES) or not _inside(p, root):
                continue
            try:
                out.append(DataFile(p.relative_to(root).as_posix(), p.stat().st_size, "file"))
            except OSError:
                continue
            if len(out) >= MAX_LISTED:
                return out, True
    return sorted(out, key=lambda f: f.rel), False


def resolve_in_folder(rel: str, root: Path | None = None) -> Path:
    """The real path of ``rel`` (relative to the data folder); an InputError for anything that could leave
    it: an absolute path, a ``..`` part, a symlink resolving outside, or a path that does not exist."""
    root = root if root is not None else data_folder()
    if root is None:
        raise InputError(how_to_configure())
    root = root.resolve()
    text = str(rel).strip().replace("\\", "/")
    parts = PurePosixPath(text).parts
    if not text or text.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
        raise InputError(f"{rel!r} is not a path inside the data folder: give it relative to {root}, without '..'.")
    path = root.joinpath(*parts)
    if not _inside(path, root):
        raise InputError(f"{rel!r} leads outside the data folder {root} (a link to elsewhere); it is not read.")
    if not path.exists():
        raise InputError(f"{rel!r} is not in the data folder {root}.")
    return path.resolve()
