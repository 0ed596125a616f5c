"""Check the pinned CDN files of ``strikedb map --cdn`` against the npm registry (by hand).

Downloads each pinned npm package with ``npm pack`` (jsDelivr's ``/npm/`` URLs serve the files of
those packages unchanged), computes the SHA-384 Subresource Integrity value of each pinned file and
compares it with ``maps.cdn.PINNED``. Exit status 1 when a hash differs (then update PINNED).

    python scripts/cdn_hashes.py
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from maps.cdn import PINNED, sri

NPM_URL = re.compile(r"^https://cdn\.jsdelivr\.net/npm/(?P<package>(@[^/]+/)?[^@/]+)@(?P<version>[^/]+)/(?P<path>.+)$")


def main() -> int:
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for url, integrity in PINNED.values():
            match = NPM_URL.match(url)
            if not match:
                print(f"skip (not an npm URL): {url}")
                continue
            spec = f"{match['package']}@{match['version']}"
            out = (
                subprocess.run(
                    ["npm", "pack", spec, "--pack-destination", tmp, "--silent"],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            with tarfile.open(Path(tmp) / out) as archive:
                data = archive.extractfile(f"package/{match['path']}").read()
            actual = sri(data)
            status = "ok" if actual == integrity else f"DIFFERS: registry has {actual}"
            failures += actual != integrity
            print(f"{status:8} {url}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
