"""The wheel of `make wheel`, installed into a fresh venv with no Swift toolchain on PATH
(`make test-wheel`): every tier inside, the best one this CPU runs loaded, OpenBLAS its own copy,
the Swift runtime static; and the build backend's one-line errors and source distribution."""

import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
from pathlib import Path

import gumbel_softmax as gs

PACKAGE = Path(gs.__file__).resolve().parent
SITE = PACKAGE.parent
BUNDLED_LIBRARIES = SITE / "gumbel_softmax.libs"  # where auditwheel repair puts OpenBLAS
REPOSITORY = Path(__file__).resolve().parent.parent.parent
TIERS = ("baseline", "avx2", "avx512")


def run_python(script: str, **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", script], env=dict(os.environ, **environment), capture_output=True, text=True
    )


def test_the_package_is_a_repaired_manylinux_wheel_with_every_tier():
    assert PACKAGE != REPOSITORY / "python" / "gumbel_softmax", "testing the checkout, not the wheel"
    (wheel_file,) = SITE.glob("gumbel_softmax-*.dist-info/WHEEL")
    tags = [line.split(": ")[1] for line in wheel_file.read_text().splitlines() if line.startswith("Tag: ")]
    assert len(tags) == 1 and tags[0].startswith("py3-none-manylinux_") and tags[0].endswith("_x86_64"), tags
    for tier in TIERS:
        assert (PACKAGE / "_tiers" / tier / "libgumbelsoftmax.so").is_file(), tier
        assert (PACKAGE / "_tiers" / tier / "libgumbelsoftmax_jax.so").is_file(), tier
    header = PACKAGE / "include" / "gumbel_softmax.h"
    assert header.read_text() == (REPOSITORY / "include" / "gumbel_softmax.h").read_text(), "the prototypes' source"
    # The source that `python -m gumbel_softmax.torch build-native` compiles on the user's machine.
    native = PACKAGE / "ffi" / "torch_native.cpp"
    assert native.read_bytes() == (REPOSITORY / "python" / "gumbel_softmax" / "ffi" / "torch_native.cpp").read_bytes()


def test_no_swift_toolchain_is_on_path_or_needed():
    assert shutil.which("swift") is None, "make test-wheel runs with PATH stripped of Swift"
    for library in sorted(PACKAGE.glob("_tiers/*/*.so")):
        dependencies = subprocess.run(["ldd", str(library)], capture_output=True, text=True, check=True).stdout
        assert "libswift" not in dependencies and "not found" not in dependencies, f"{library}:\n{dependencies}"


def test_the_loaded_library_maps_the_bundled_openblas_and_no_other():
    gs.sample([2.0, 1.0, 0.5], temperature=0.5, seed=7)  # OpenBLAS is in use
    mapped = {line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines() if "/" in line}
    # numpy's wheel brings its own, differently named OpenBLAS (libscipy_openblas64_): not ours.
    openblas = {path for path in mapped if "openblas" in Path(path).name and "scipy_openblas" not in path}
    assert openblas, sorted(mapped)
    assert all(Path(path).parent == BUNDLED_LIBRARIES for path in openblas), sorted(openblas)
    dependencies = subprocess.run(["ldd", gs.version_info().library], capture_output=True, text=True).stdout
    (line,) = [line for line in dependencies.splitlines() if "openblas" in line]
    assert Path(line.split("=> ")[1].split(" (")[0]).resolve().parent == BUNDLED_LIBRARIES, line


def test_the_best_tier_this_cpu_runs_is_loaded():
    host = subprocess.run(["sh", str(REPOSITORY / "Scripts" / "build" / "tier")], capture_output=True, text=True).stdout.strip()
    # The features to hide (the test hook of Sources/CGumbelSoftmaxCPU) so that the CPU looks like
    # one of each tier up to this one's: the package must then load that tier, never a higher one.
    hidden = {"avx512": "", "avx2": "avx512vl", "baseline": "movbe"}
    expected = TIERS[: TIERS.index(host) + 1]
    script = "import gumbel_softmax as gs; i = gs.version_info(); print(i.tier, i.cpu_supported, i.library); " \
        "print(gs.sample([2.0, 1.0], temperature=1.0, seed=3).sum())"
    for tier in expected:
        result = run_python(script, GUMBEL_SOFTMAX_HIDE_CPU_FEATURES=hidden[tier])
        assert result.returncode == 0, f"hiding {hidden[tier]!r}: exit {result.returncode}: {result.stderr}"
        loaded, total = result.stdout.splitlines()
        assert loaded.split() == [tier, "True", str(PACKAGE / "_tiers" / tier / "libgumbelsoftmax.so")], loaded
        assert abs(float(total) - 1) < 1e-6
    assert gs.version_info().tier == host


def read(data: bytes, offset: int, kind: str) -> int:
    return struct.unpack_from(f"<{kind}", data, offset)[0]


def constructors(library: Path) -> set[str]:
    """The names of the functions loading the library runs (its .init_array)."""
    data = library.read_bytes()
    section_offset, (entry_size, count, names_index) = read(data, 0x28, "Q"), struct.unpack_from("<3H", data, 0x3A)
    sections = [section_offset + i * entry_size for i in range(count)]
    names_offset = read(data, sections[names_index] + 0x18, "Q")
    (init_array,) = [h for h in sections if data[names_offset + read(data, h, "I") :].startswith(b".init_array\0")]
    offset, size = read(data, init_array + 0x18, "Q"), read(data, init_array + 0x20, "Q")
    addresses = set(struct.unpack_from(f"<{size // 8}Q", data, offset))
    symbols = subprocess.run(["nm", "--defined-only", str(library)], capture_output=True, text=True).stdout
    names = {int(fields[0], 16): fields[2] for fields in map(str.split, symbols.splitlines()) if len(fields) == 3}
    assert addresses and addresses <= names.keys(), f"{library}: unnamed constructors"
    return {names[address] for address in addresses}


def instructions(library: Path, function: str) -> list[str]:
    """The mnemonics of a function of the library (objdump's disassembly)."""
    command = ["objdump", "-d", "--no-show-raw-insn", f"--disassemble={function}", str(library)]
    disassembly = subprocess.run(command, capture_output=True, text=True).stdout
    found = [line.split("\t")[1].split()[0] for line in disassembly.splitlines() if "\t" in line]
    assert found, f"no function {function} in {library}"
    return found


def test_choosing_a_tier_runs_only_baseline_code():
    # The package loads each tier's library and asks its gs_cpu_supported before it runs any of
    # it: what runs until then must be baseline code in every tier. Loading runs the constructors,
    # the same as the baseline library's (the static Swift runtime's, prebuilt); the check is C
    # (Sources/CGumbelSoftmaxABI, CGumbelSoftmaxCPU) and asks Swift only for a constant, the tier.
    # No instruction a baseline x86-64 lacks (the list of Scripts/test/test-tier-check).
    baseline = constructors(PACKAGE / "_tiers" / "baseline" / "libgumbelsoftmax.so")
    assert "_ZL23swift_image_constructorv" in baseline, sorted(baseline)
    lacking = re.compile(r"^(v|k[a-z]|shlx|shrx|sarx|andn|bzhi|pdep|pext|rorx|lzcnt|movbe|popcnt|bls)")
    checks = ["gs_cpu_supported", "gs_check_cpu", "gumbel_softmax_cpu_features", "gumbel_softmax_cpu_refusal"]
    for tier in TIERS:
        library = PACKAGE / "_tiers" / tier / "libgumbelsoftmax.so"
        functions = constructors(library)
        assert functions == baseline, (tier, sorted(functions))
        for function in sorted(functions) + checks:
            used = instructions(library, function)
            assert not [i for i in used if lacking.match(i)], (tier, function, used)
        constant = set(instructions(library, "gumbel_softmax_build_tier"))
        assert constant <= {"endbr64", "push", "mov", "xor", "pop", "ret"}, (tier, constant)  # xor: 0


def backend_hook(hook: str, directory: Path, cwd: Path, **environment: str) -> subprocess.CompletedProcess:
    script = f"import gumbel_softmax_build as backend; print(backend.{hook}({str(directory)!r}))"
    environment = dict(os.environ, PYTHONPATH=str(cwd / "build_backend"), **environment)
    return subprocess.run([sys.executable, "-c", script], cwd=cwd, env=environment, capture_output=True, text=True)


def test_the_sdist_holds_the_swift_package_and_says_in_one_line_what_to_install(tmp_path):
    result = backend_hook("build_sdist", tmp_path, REPOSITORY / "python")
    assert result.returncode == 0, result.stderr
    sdist = tmp_path / result.stdout.strip()
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        archive.extractall(tmp_path / "unpacked")
    base = sdist.name.removesuffix(".tar.gz")
    for name in ("PKG-INFO", "pyproject.toml", "build_backend/gumbel_softmax_build.py", "gumbel_softmax/__init__.py",
                 "gumbel_softmax/ffi/jax_ffi.cc", "gumbel_softmax/ffi/torch_native.cpp",
                 "swift/Package.swift", "swift/include/gumbel_softmax.h",
                 "swift/Sources/CGumbelSoftmaxABI/guards.c", "swift/Scripts/build/tier-flags"):
        assert f"{base}/{name}" in names, name
    assert not [name for name in names if "/.build" in name or "__pycache__" in name]
    # Built from the sdist on a machine without Swift: one line naming what to install and SWIFT.
    result = backend_hook("build_wheel", tmp_path, tmp_path / "unpacked" / base)
    assert result.returncode == 1 and result.stdout == "", result
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("gumbel_softmax_build: error: no Swift toolchain ('swift' not found): ")
    assert "https://www.swift.org/install/linux/" in result.stderr and "libopenblas-dev" in result.stderr
    assert "set SWIFT=" in result.stderr


def test_a_bad_tier_gives_the_tier_script_s_one_line_message(tmp_path):
    for variable in ("TIER", "TIERS"):
        result = backend_hook("build_wheel", tmp_path, REPOSITORY / "python", **{variable: "avx3"})
        assert result.returncode == 1 and result.stdout == "", result
        assert result.stderr == (
            "gumbel_softmax_build: error: TIER: tier-flags: unknown tier 'avx3' (baseline, avx2 or avx512)\n"
        )


def test_missing_openblas_development_files_are_named_in_one_line(tmp_path):
    # A swift that exists (true), and a pkg-config that finds no openblas.pc.
    result = backend_hook(
        "build_wheel", tmp_path, REPOSITORY / "python", SWIFT="true", PKG_CONFIG_LIBDIR=str(tmp_path), TIER="baseline"
    )
    assert shutil.which("pkg-config"), "the check needs pkg-config"
    assert result.returncode == 1 and result.stderr == (
        "gumbel_softmax_build: error: OpenBLAS's development files are missing (pkg-config openblas): "
        "apt-get install libopenblas-dev liblapacke-dev\n"
    ), result


def test_an_editable_install_from_the_sdist_is_refused_in_one_line(tmp_path):
    result = backend_hook("build_sdist", tmp_path, REPOSITORY / "python")
    with tarfile.open(tmp_path / result.stdout.strip()) as archive:
        archive.extractall(tmp_path / "unpacked")
    (unpacked,) = (tmp_path / "unpacked").iterdir()
    result = backend_hook("build_editable", tmp_path, unpacked)
    assert result.returncode == 1 and result.stderr == (
        "gumbel_softmax_build: error: an editable install needs a checkout of the repository, not the sdist\n"
    )
    assert not list(tmp_path.glob("*.whl"))
