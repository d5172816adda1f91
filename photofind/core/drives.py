"""What kind of drive a folder is on, and how many folders this process watches: what the
watcher needs to choose between the system's change notifications and polling.

Change notifications (inotify on Linux) report only what the machine itself does. On a
network drive another computer's changes go unseen, so such folders are polled. Removable
drives are polled too: they are unplugged and plugged in again, and written on other
machines in between, and a poll compares what is there with what was there.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from photofind.core.pacing import foreground

MOUNTINFO = "/proc/self/mountinfo"
FDINFO = "/proc/self/fdinfo"

NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs", "lustre",
        "davfs", "fuse.sshfs", "fuse.rclone", "fuse.s3fs", "fuse.gcsfuse", "fuse.davfs2",
        "fuse.gvfsd-fuse", "fuse.smbnetfs", "fuse.glusterfs",
    }
)  # fmt: skip
# The file systems of memory cards, USB sticks and external disks shared with Windows and
# macOS; a Linux file system on an external disk is recognised by where it is mounted.
REMOVABLE_FILESYSTEMS = frozenset(
    {"vfat", "msdos", "exfat", "ntfs", "ntfs3", "fuseblk", "hfs", "hfsplus", "udf", "iso9660"}
)
REMOVABLE_MOUNT_PARENTS = ("/media/", "/run/media/")  # where desktops mount plugged-in drives


def _unescape(field: str) -> str:
    # mountinfo writes space, tab, newline and backslash in paths as octal escapes.
    for code in ("\\040", "\\011", "\\012", "\\134"):
        field = field.replace(code, chr(int(code[1:], 8)))
    return field


def parse_mountinfo(text: str) -> list[tuple[str, str]]:
    """(mount point, file system type) of each line of a ``/proc/PID/mountinfo`` text."""
    mounts = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        fields = left.split()
        if not sep or len(fields) < 5 or not right:
            continue
        mounts.append((_unescape(fields[4]), right.split()[0]))
    return mounts


def mount_of(folder: Path, mountinfo: str = MOUNTINFO) -> tuple[str, str] | None:
    """(mount point, file system type) of the mount holding ``folder``; None where the
    system does not say (not Linux)."""
    try:
        with open(mountinfo, encoding="utf-8", errors="surrogateescape") as f:
            mounts = parse_mountinfo(f.read())
    except OSError:
        return None
    real = os.path.realpath(folder)
    best = None
    for point, fstype in mounts:  # the last of equal mount points is the one on top
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best[0])):
            best = (point, fstype)
    return best


def polling_reason(folder: Path, mountinfo: str = MOUNTINFO) -> str | None:
    """Why ``folder`` is polled rather than watched ("a network drive (nfs4)"), or None."""
    mount = mount_of(folder, mountinfo)
    if mount is None:
        return None
    point, fstype = mount
    if fstype in NETWORK_FILESYSTEMS:
        return f"a network drive ({fstype})"
    if fstype in REMOVABLE_FILESYSTEMS or point.startswith(REMOVABLE_MOUNT_PARENTS):
        return f"a removable drive ({fstype})"
    return None


def inotify_watches(fdinfo: str = FDINFO) -> int | None:
    """How many inotify watches this process holds (Linux), None where it cannot be told."""
    try:
        fds = os.listdir(fdinfo)
    except OSError:
        return None
    total = 0
    for fd in fds:
        try:
            with open(os.path.join(fdinfo, fd), encoding="ascii", errors="replace") as f:
                total += sum(1 for line in f if line.startswith("inotify wd:"))
        except OSError:
            continue  # closed meanwhile
    return total


def count_folders(root: Path) -> int:
    """``root`` and every folder below it that can be listed, links not followed: what a
    recursive watch needs (the folders os.walk would visit).

    A folder with a link count of 2 has no subfolder (its "." and its name above) on the
    file systems that count them (ext4, xfs, tmpfs), so the photos in it are never listed:
    at 100k photos in leaf folders this is a few hundred stat calls instead of a walk over
    every file. Elsewhere (btrfs: always 1) every folder is listed."""
    count, stack = 0, [os.fspath(root)]
    while stack:
        folder = stack.pop()
        foreground.give_way()  # a walk of a large library, while the window is in use
        try:
            st = os.stat(folder, follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode) and st.st_nlink == 2:
                count += os.access(folder, os.R_OK | os.X_OK)
                continue
            with os.scandir(folder) as entries:
                stack.extend(e.path for e in entries if e.is_dir(follow_symlinks=False))
        except OSError:
            continue  # gone or unreadable meanwhile: not watched either
        count += 1
    return count
