#!/usr/bin/env python3
"""Checks that every workspace crate takes its lints from [workspace.lints].

A crate either says `[lints] workspace = true`, or (a crate with FFI, which cannot lower the
workspace's `unsafe_code = "forbid"`) carries a copy of [workspace.lints] that differs only in
`unsafe_code = "deny"`. Prints each crate that does neither and exits 1.
"""
import glob
import sys
import tomllib

with open("Cargo.toml", "rb") as f:
    root = tomllib.load(f)
workspace_lints = root["workspace"]["lints"]
ffi_lints = {table: dict(lints) for table, lints in workspace_lints.items()}
ffi_lints["rust"]["unsafe_code"] = "deny"

manifests = ["Cargo.toml"]
for member in root["workspace"]["members"]:
    if member != ".":
        manifests += sorted(glob.glob(f"{member}/Cargo.toml"))

problems = []
for manifest in manifests:
    with open(manifest, "rb") as f:
        lints = tomllib.load(f).get("lints")
    if lints == {"workspace": True} or lints == ffi_lints:
        continue
    problems.append(
        f"{manifest}: [lints] must be `workspace = true`, or for a crate with FFI a copy of "
        f'[workspace.lints] with unsafe_code = "deny"; found {lints!r}'
    )
for problem in problems:
    print(problem, file=sys.stderr)
sys.exit(1 if problems else 0)
