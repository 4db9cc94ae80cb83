"""The worker's writable scratch folder is emptied between exercises (see :func:`wipe`)."""

from __future__ import annotations

import os


def wipe(folder: str) -> int:
    """Delete everything the last child left in the writable scratch ``folder`` (``/tmp`` under
    bubblewrap), so that nothing an exercise's child saw (its prerequisites' reference code,
    spliced into its memory) can reach a later exercise's child. Never leaves the folder's file
    system: mounted folders below it (Python, the job, a test's ``tmp_path``) are skipped."""
    removed = 0
    try:
        dev = os.lstat(folder).st_dev
    except OSError:
        return removed
    todo, emptied = [folder], []
    while todo:
        current = todo.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
                if info.st_dev != dev:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    todo.append(entry.path)
                    emptied.append(entry.path)
                else:
                    os.unlink(entry.path)
                    removed += 1
            except OSError:
                pass
    for path in reversed(emptied):
        try:
            os.rmdir(path)
            removed += 1
        except OSError:
            pass
    return removed
