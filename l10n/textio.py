"""Reading input text strictly, writing output atomically, and locking a catalog against a second run."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from .errors import CatalogLocked, Unreadable

UTF8_BOM = b"\xef\xbb\xbf"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _guess_legacy_encoding(data: bytes) -> str | None:
    """Name the legacy encoding a Chinese text most likely uses, if it decodes cleanly as one."""
    for name in ("gb18030", "big5"):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if any("\u4e00" <= ch <= "\u9fff" for ch in text):
            return "GBK/GB18030" if name == "gb18030" else "Big5"
    return None


def decode_text(data: bytes, path: str, what: str = "text file") -> str:
    """Decode UTF-8 (a BOM is accepted), refusing binary data with a message that says what to do.

    Line ends are normalised to LF so that CRLF files count their lines exactly as LF files.
    """
    if not data.strip():
        raise Unreadable(f"the {what} is empty; put the text in it, or remove it from [tool.l10n]", path)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise Unreadable(
            f"NUL byte at offset {nul}: this is a binary file, not a UTF-8 {what}",
            path,
            _line_of_offset(data, nul),
        )
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = _line_of_offset(data, err.start)
        legacy = _guess_legacy_encoding(data)
        if legacy:
            hint = (
                f"it looks like {legacy}; convert it with "
                f"`iconv -f GB18030 -t UTF-8 {path} > fixed.txt`"
                if legacy.startswith("GBK")
                else f"it looks like {legacy}; convert it with `iconv -f BIG5 -t UTF-8 {path} > fixed.txt`"
            )
        else:
            hint = "this is not UTF-8 text (a binary file?); save it as UTF-8"
        raise Unreadable(f"invalid UTF-8 (byte 0x{data[err.start]:02x}): {hint}", path, line) from None
    control = next((i for i, ch in enumerate(text) if ch < " " and ch not in "\t\n\r\f"), None)
    if control is not None:
        line = text.count("\n", 0, control) + 1
        raise Unreadable(
            f"control character U+{ord(text[control]):04X}: this looks like a binary file, not a {what}",
            path,
            line,
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_bytes(path: Path, display: str, what: str = "file", max_bytes: int | None = None) -> bytes:
    """The bytes of an input file, or one clear error: missing, a dangling link, a directory, a
    FIFO or device (which would block or never end), unreadable, or over `max_bytes`."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise Unreadable(f"broken symbolic link (it points to {os.readlink(path)}, which does not exist)", display) from None
        raise Unreadable(f"no such {what}", display) from None
    except OSError as err:
        raise Unreadable(f"cannot read: {err.strerror}", display) from None
    if stat.S_ISDIR(info.st_mode):
        raise Unreadable(f"a directory, not a {what}", display)
    if not stat.S_ISREG(info.st_mode):
        raise Unreadable(f"not a regular file (a FIFO, socket or device), so not a {what}", display)
    if max_bytes is not None and info.st_size > max_bytes:
        raise Unreadable(
            f"file is {info.st_size / 2**20:.1f} MB, over the {max_bytes // 2**20} MB limit for one {what}; "
            "split it into several documents, or raise max_source_mb in [tool.l10n]",
            display,
        )
    try:
        return path.read_bytes()
    except OSError as err:
        raise Unreadable(f"cannot read: {err.strerror}", display) from None


def read_text(path: Path, display: str, what: str = "text file", max_bytes: int | None = DEFAULT_MAX_BYTES) -> str:
    return decode_text(read_bytes(path, display, what, max_bytes), display, what)


def atomic_write(path: Path, content: str | bytes) -> bool:
    """Write via a temporary file in the same directory, fsync, then rename over the target.

    A crash or a full disk at any point leaves either the old file or the new one, never a torn one.
    Returns False (and writes nothing) when the file already holds exactly this content.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.chmod(tmp, 0o644)
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dirfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)
    return True


@contextlib.contextmanager
def file_lock(lock: Path, display: str):
    """Hold `lock` exclusively (for a catalog: while a run rewrites it).

    flock() is released by the kernel when the holder exits, so a crashed run never blocks the
    next one. The lock file stays (unlinking it would let two runs lock two different inodes);
    it lives in the project's cache folder, out of the translators' sight.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        raise CatalogLocked("locking catalogs needs a POSIX system (Linux, macOS)", display) from None
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise CatalogLocked(
                f"another run (pid {holder}) holds the catalog; wait for it to finish and try again",
                display,
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)
