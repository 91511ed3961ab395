"""Copy the Leaflet plugins the maps inline from their npm packages into ``siting/assets``.

The HTML maps work offline, so every script and style they use is inlined from a file
installed with the tool. Leaflet itself comes from the ``xstatic-leaflet`` wheel and the
heat layer from folium's own templates; the map controls (fullscreen, measure, search,
minimap, PNG export, side-by-side) are published on npm only, so this script fetches each
pinned version with ``npm pack``, checks the tarball against the integrity hash npm
published for it, and copies the listed files, with the package's licence, into
``siting/assets/leaflet-plugins/<package>/``. ``MANIFEST.json`` there records the package,
version, licence, tarball integrity and the SHA-256 of every copied file; a test checks
the files against it.

Run it only to change a plugin's version (then update :data:`PLUGINS`)::

    python scripts/vendor_leaflet_plugins.py

It needs ``npm`` and the npm registry; the tool itself never does.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEST = ROOT / "siting" / "assets" / "leaflet-plugins"

#: package → (version, integrity published by npm, licence, files copied from ``package/``)
PLUGINS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "leaflet.fullscreen": (
        "5.3.3",
        "sha512-ejA/av8y2/pPHl7kPROQziWuoKXoycxyBiBR+vRucnp6CxlTpsSfrXxWuGyYdQICHHJxtMeJlrYp7fwMtNpRhQ==",
        "MIT",
        ("LICENSE.md", "dist/Control.FullScreen.umd.js", "dist/Control.FullScreen.css"),
    ),
    "leaflet-minimap": (
        "3.6.1",
        "sha512-6px8f6cfv1rKB6ACpL6bbUFGxipZOq4KsntJgBj9nOcW1RYa5+xFp8emOZwks9X+VtVVsQEwWwfgT1kTTL/LzA==",
        "BSD-2-Clause",
        (
            "LICENSE.txt",
            "dist/Control.MiniMap.min.js",
            "dist/Control.MiniMap.min.css",
            "dist/images/toggle.png",
            "dist/images/toggle.svg",
        ),
    ),
    "leaflet-measure": (
        "3.1.0",
        "sha512-ln5c9UNaWDEd24tIzDt9hwnpb8OaCPBfSWNBg2H8rb9SA3cbXW9+NqohA6/8TdsNDGJZr36woXMrqRq07Pcl3w==",
        "MIT",
        (
            "LICENSE",
            "dist/leaflet-measure.cn.js",
            "dist/leaflet-measure.en.js",
            "dist/leaflet-measure.css",
            *(
                f"dist/assets/{icon}{size}.png"
                for icon in ("cancel", "check", "focus", "rulers", "start", "trash")
                for size in ("", "_@2X")
            ),
        ),
    ),
    "leaflet-search": (
        "4.0.0",
        "sha512-V+Y7DURVoy6Y9ZGywfyorDRMYDbLwpWPA0yec+g2aW+iNZySdwv936jDZJtRfYxvkPRMEb8jDjH+Zf3nSFTPEw==",
        "MIT",  # stated in the header of the script (the package ships no licence file)
        ("dist/leaflet-search.min.js", "dist/leaflet-search.src.css", "images/search-icon.png"),
    ),
    "leaflet-side-by-side": (
        "2.2.0",
        "sha512-JLN9dUoQgSJcZWowOOG19s4zpHasZfGsBeJ/ceObJ1f7vQ0OGGvx564yH7+JOF/zk1zNDi1RYjeJZUwVCC7YNA==",
        "MIT",
        ("LICENSE", "index.js", "layout.css", "range.css", "range-icon.png"),
    ),
    "leaflet-simple-map-screenshoter": (
        "0.5.0",
        "sha512-yTrPTenq+ua9X0FaZxM0xHeapA4lM641M4d6V7G0WIStUbN1hGF6SVKdJpfa3PqRBM5ZDdFKfZ4W1F8Djsz2cg==",
        "MIT",
        ("LICENSE", "dist/leaflet-simple-map-screenshoter.js"),
    ),
}


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def vendor(dest: Path = DEST) -> dict:
    """Fetch, check and copy every plugin; returns the manifest written."""
    if shutil.which("npm") is None:
        sys.exit("vendor_leaflet_plugins: npm not found (apt-get install npm)")
    manifest: dict[str, dict] = {}
    staging = Path(tempfile.mkdtemp(prefix="siting-vendor-"))
    try:
        for package, (version, integrity, licence, files) in PLUGINS.items():
            out = subprocess.run(
                ["npm", "pack", f"{package}@{version}", "--silent", "--pack-destination", staging],
                check=True,
                capture_output=True,
                text=True,
            )
            tarball = staging / out.stdout.strip().splitlines()[-1]
            got = _integrity(tarball.read_bytes())
            if got != integrity:
                sys.exit(
                    f"{package}@{version}: tarball integrity {got} is not the pinned {integrity}"
                )
            target = staging / "pkg" / package
            with tarfile.open(tarball) as tar:
                tar.extractall(target, filter="data")
            copied = {}
            for name in files:
                src = target / "package" / name
                copied[name] = hashlib.sha256(src.read_bytes()).hexdigest()
            manifest[package] = {
                "version": version,
                "license": licence,
                "integrity": integrity,
                "files": copied,
            }
        if dest.exists():
            shutil.rmtree(dest)
        for package, (_v, _i, _l, files) in PLUGINS.items():
            for name in files:
                (dest / package / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(staging / "pkg" / package / "package" / name, dest / package / name)
        (dest / "MANIFEST.json").write_text(
            json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dest", type=Path, default=DEST, help="where to copy (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    manifest = vendor(args.dest)
    for package, entry in manifest.items():
        print(f"{package}@{entry['version']} ({entry['license']}): {len(entry['files'])} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
