"""Workbooks whose bytes depend only on their content.

An xlsx is a zip: every entry carries a timestamp and attributes that would otherwise come
from the clock and the machine. Both the generator's workbooks and the publication's
spreadsheet write through this one class.
"""

from __future__ import annotations

import os
import shutil
import zipfile


class ReproducibleZipFile(zipfile.ZipFile):
    """A ZipFile whose entries all carry one timestamp and fixed attributes."""

    def __init__(self, *args, date_time=(2000, 1, 1, 0, 0, 0), **kwargs):
        self._fixed = date_time
        super().__init__(*args, **kwargs)

    def _info(self, name: str, size: int = 0) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._fixed)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        info.create_system = 3
        info.file_size = size
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        name = zinfo_or_arcname.filename if isinstance(zinfo_or_arcname, zipfile.ZipInfo) else zinfo_or_arcname
        if isinstance(data, str):
            data = data.encode("utf-8")
        super().writestr(self._info(name, len(data)), data)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        arcname = arcname or os.path.basename(filename)
        info = self._info(arcname, os.path.getsize(filename))
        with open(filename, "rb") as src, self.open(info, "w") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
