"""Build hook: compile lpdoctor's C fast path (lpdoctor/scan/_combined_fast.c) into the wheel.

Without a C compiler the build still succeeds, with a warning: lpdoctor then reads every log line in Python
(the same results, several times slower; see docs/performance.md). Set ``LPDOCTOR_REQUIRE_FAST=1`` to make a
failed compile fail the build instead (CI does).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MODULE = "lpdoctor.scan._combined_fast"
SOURCE = "lpdoctor/scan/_combined_fast.c"


def _compile(root: Path, out_dir: Path) -> Path:
    """Compile the extension with setuptools' build_ext (the compiler and flags Python was built with)."""
    from setuptools import Distribution, Extension

    dist = Distribution(
        {"name": "lpdoctor", "ext_modules": [Extension(MODULE, [SOURCE], extra_compile_args=["-O2"], libraries=["m"])]}
    )
    dist.script_name = "hatch_build.py"
    dist.src_root = None
    cmd = dist.get_command_obj("build_ext")
    cmd.build_lib = str(out_dir)
    cmd.build_temp = str(out_dir / "tmp")
    cmd.ensure_finalized()
    here = os.getcwd()
    os.chdir(root)
    try:
        cmd.run()
    finally:
        os.chdir(here)
    return out_dir / cmd.get_ext_filename(MODULE)


class FastPathBuildHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        self._tmp = tempfile.TemporaryDirectory(prefix="lpdoctor-build-")
        try:
            built = _compile(root, Path(self._tmp.name))
        except Exception as exc:  # no compiler, no Python headers ...
            if os.environ.get("LPDOCTOR_REQUIRE_FAST", "") not in ("", "0"):
                raise
            print(
                f"lpdoctor: could not compile the C fast path ({exc}); lpdoctor will read logs in pure Python, "
                "with the same results but several times slower",
                file=sys.stderr,
            )
            return
        target = Path(*MODULE.split(".")[:-1]) / built.name
        if version == "editable":
            # An editable install imports lpdoctor from the source tree: the module goes next to its source.
            (root / target).write_bytes(built.read_bytes())
        else:
            build_data["force_include"][str(built)] = str(target)
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            tmp.cleanup()
