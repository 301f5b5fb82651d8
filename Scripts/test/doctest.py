#!/usr/bin/env python3
"""Runs every fenced code block of the documentation and checks every relative link.

Documents: README.md and the other top-level *.md (CHANGELOG.md), docs/*.md and the DocC catalog's
articles (Sources/*/*.docc/*.md).

Blocks, by the fence's language:
  swift       compiled against the package and run: each block is the main.swift of its own
              executable target in a scratch package (`--scratch`, default .build-doctest/) that
              depends on this repository by path, built by one `swift build` (debug). A block whose
              first line is `// swift-tools-version...` is a manifest: `swift package dump-package`;
              one that depends on this package by `.package(url: ".../gumbel-softmax", from: V)`
              (the README's) is built for real: V must be this package's version, and the URL is
              replaced by a file:// URL of a scratch git repository holding this working tree as
              one commit tagged V, so SwiftPM resolves it by version as a user's build would (its
              other dependencies resolve as the package's own do); each executable target gets a
              main.swift that samples, and runs (`--scratch`/consumer, debug).
  c           compiled with `cc -std=c11 -Wall -Wextra -Werror -I include`, linked with
              libgumbelsoftmax.so from `--bin-path`, and run.
  python      run with the package importable: GUMBEL_SOFTMAX_LIB and PYTHONPATH=python:python/examples
              (with DOCTEST_PYTHON_INSTALLED=1, only python/examples: the interpreter's installed
              package and its bundled library). A block that imports torch, jax, dask, distributed
              or ray runs with the first interpreter of DOCTEST_PYTHON (or --python; several
              separated by ':') that can import them, and is reported as skipped when none can;
              DOCTEST_REQUIRE_ALL=1 makes a skip a failure.
  sh, bash    `bash -n` (syntax only). With `<!-- doctest: run -->` before the fence (blank lines between
              are allowed) they
              run with `bash -e -o pipefail` in an empty temporary directory, with REPO set to the
              repository, the bin path first on PATH (so `gumbel` is the built tool) and
              GUMBEL_SOFTMAX_LIB set.
  json        parsed.
  text, console, output, plaintext, no language: not code, not run.
Any other language is an error, so no block is silently ignored.

`<!-- doctest: compile-only -->` before a swift, c or python block compiles it without running it.
A block is a complete program (imports, includes, main); it checks its own results (precondition,
assert, exit status) and never relies on printed numbers being compared by a person. Each block
runs in its own process and temporary directory; line numbers in errors are the document's.
docs/SPEC.md must equal ../shared/SPEC.md byte for byte when that file is beside the repository.
Relative links ([text](path) and [text](path#anchor)) must name a file inside the repository and,
for a Markdown file, an existing heading. `--self-test` first checks that the harness fails a
broken block of every kind.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # the package: include/, python/, the Swift dependency
DOCS = REPO  # where the documents are (another folder only for --self-test)
OPTIONAL_MODULES = ("torch", "jax", "jaxlib", "dask", "distributed", "ray")
SKIPPED_LANGUAGES = {"", "text", "console", "output", "plaintext"}
CHECKED_LANGUAGES = {"swift", "c", "python", "sh", "bash", "json"}
DIRECTIVES = {"run", "compile-only"}
TIMEOUT = 600

FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
DIRECTIVE = re.compile(r"^\s*<!--\s*doctest:\s*(?P<word>[\w-]+)\s*-->\s*$")


@dataclasses.dataclass
class Block:
    path: Path  # relative to REPO
    line: int  # 1-based line of the first line of code
    language: str
    code: str
    directive: str | None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def slug(self) -> str:
        name = re.sub(r"[^A-Za-z0-9]", "_", str(self.path))
        return f"{name}_L{self.line}"


@dataclasses.dataclass
class Result:
    block: Block
    status: str  # "ok", "FAIL", "skip"
    seconds: float = 0.0
    detail: str = ""


def documents() -> list[Path]:
    paths = [DOCS / "README.md", *sorted(p for p in DOCS.glob("*.md") if p.name != "README.md")]
    paths += sorted((DOCS / "docs").glob("*.md"))
    paths += sorted(DOCS.glob("Sources/*/*.docc/*.md"))
    return [p.relative_to(DOCS) for p in paths if p.is_file()]


def parse_blocks(path: Path) -> tuple[list[Block], list[str]]:
    """The fenced blocks of one Markdown file, and errors (an unclosed fence, a misplaced directive)."""
    lines = (DOCS / path).read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    errors: list[str] = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            directive = DIRECTIVE.match(lines[i])
            if directive and directive["word"] not in DIRECTIVES:
                errors.append(f"{path}:{i + 1}: unknown doctest directive {directive['word']!r}")
            i += 1
            continue
        indent, fence = len(match["indent"]), match["fence"]
        language = match["info"].strip().split(" ")[0].lower() if match["info"].strip() else ""
        directive = None
        j = i - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        if j >= 0 and (found := DIRECTIVE.match(lines[j])):
            directive = found["word"]
        start = i + 1
        i += 1
        body: list[str] = []
        while i < len(lines):
            stripped = lines[i].strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
                break
            text = lines[i]
            body.append(text[indent:] if text[:indent].strip() == "" else text.lstrip())
            i += 1
        else:
            errors.append(f"{path}:{start}: fence {fence} is never closed")
        blocks.append(Block(path, start + 1, language, "\n".join(body) + "\n", directive))
        i += 1
    return blocks, errors


# --- Links ---------------------------------------------------------------------------------------

INLINE_LINK = re.compile(r"(?<!\!)\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?(?P<target>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(\s*<?(?P<target>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(?P<target>\S+?)>?(?:\s+.*)?$")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def prose_lines(path: Path) -> list[tuple[int, str]]:
    """The lines of a Markdown file outside fenced blocks, with inline code spans blanked."""
    out = []
    fence = None
    for number, line in enumerate((DOCS / path).read_text(encoding="utf-8").splitlines(), 1):
        match = FENCE.match(line)
        if fence is None and match:
            fence = match["fence"]
            continue
        if fence is not None:
            stripped = line.strip()
            if stripped.startswith(fence) and set(stripped) == {fence[0]}:
                fence = None
            continue
        out.append((number, re.sub(r"(`+)(.+?)\1", lambda m: " " * len(m.group(0)), line)))
    return out


def heading_slugs(path: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file (outside code blocks)."""
    slugs: set[str] = set()
    seen: dict[str, int] = {}
    lines = (DOCS / path).read_text(encoding="utf-8").splitlines()
    for number, _ in prose_lines(path):
        match = re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", lines[number - 1])
        if not match:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match[1]).replace("`", "")
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        slugs.add(slug if count == 0 else f"{slug}-{count}")
    return slugs


def check_links(paths: list[Path]) -> tuple[int, list[str]]:
    checked, errors = 0, []
    for path in paths:
        for number, line in prose_lines(path):
            targets = [m["target"] for m in INLINE_LINK.finditer(line)]
            targets += [m["target"] for m in IMAGE_LINK.finditer(line)]
            if match := REFERENCE.match(line):
                targets.append(match["target"])
            for target in targets:
                if SCHEME.match(target) or target.startswith("doc:"):
                    continue
                checked += 1
                file_part, _, anchor = target.partition("#")
                destination = (DOCS / path).parent / file_part if file_part else DOCS / path
                where = f"{path}:{number}: link {target!r}"
                try:
                    destination.resolve().relative_to(DOCS)
                except ValueError:
                    errors.append(f"{where} points outside the repository")
                    continue
                if not destination.exists():
                    errors.append(f"{where} does not resolve ({destination.resolve().relative_to(DOCS)} is missing)")
                elif anchor and destination.suffix == ".md":
                    if anchor.lower() not in heading_slugs(destination.resolve().relative_to(DOCS)):
                        errors.append(f"{where}: no heading with anchor #{anchor}")
    return checked, errors


# --- Runners -------------------------------------------------------------------------------------


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = TIMEOUT):
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        return done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as error:
        return 124, f"timed out after {timeout} s\n{error.stdout or ''}{error.stderr or ''}"
    except OSError as error:
        return 127, f"cannot run {command[0]}: {error}"


class Context:
    def __init__(self, args):
        self.args = args
        self.bin_path = Path(args.bin_path).resolve() if args.bin_path else None
        # One or more interpreters, separated by ':'; one given as a path (.venv/bin/python) is
        # taken from the current directory. A block runs with the first that has its modules.
        self.pythons = [str(Path(p).absolute()) if os.sep in p else p for p in args.python.split(os.pathsep) if p]
        self.installed = os.environ.get("DOCTEST_PYTHON_INSTALLED") == "1"
        self.require_all = os.environ.get("DOCTEST_REQUIRE_ALL") == "1"
        self.work = Path(tempfile.mkdtemp(prefix="doctest-"))
        self._importable: dict[str, bool] = {}

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["REPO"] = str(REPO)
        if self.bin_path:
            env["PATH"] = f"{self.bin_path}{os.pathsep}{env.get('PATH', '')}"
            if not self.installed:
                env["GUMBEL_SOFTMAX_LIB"] = str(self.bin_path / "libgumbelsoftmax.so")
        # The examples' modules (python/examples) are importable either way; the package itself
        # comes from python/ unless DOCTEST_PYTHON_INSTALLED=1 asks for the interpreter's own.
        extra = ([] if self.installed else [str(REPO / "python")]) + [str(REPO / "python" / "examples")]
        env["PYTHONPATH"] = os.pathsep.join(extra + [p for p in [env.get("PYTHONPATH")] if p])
        return env

    def block_dir(self, block: Block) -> Path:
        directory = self.work / block.slug
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def importable(self, python: str, module: str) -> bool:
        key = f"{python}\0{module}"
        if key not in self._importable:
            code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
            status, _ = run([python, "-c", code], cwd=self.work, env=self.env())
            self._importable[key] = status == 0
        return self._importable[key]

    def python_for(self, modules: list[str]) -> str | None:
        """The first interpreter in which every one of `modules` is importable."""
        for python in self.pythons:
            if all(self.importable(python, m) for m in modules):
                return python
        return None


def run_c(context: Context, block: Block) -> Result:
    if context.bin_path is None:
        return Result(block, "FAIL", detail="no --bin-path: cannot link libgumbelsoftmax.so")
    directory = context.block_dir(block)
    source = directory / "snippet.c"
    source.write_text(f'#line {block.line} "{block.path}"\n{block.code}')
    binary = directory / "snippet"
    cc = os.environ.get("CC", "cc")
    command = [cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-I", str(REPO / "include"), str(source),
               "-L", str(context.bin_path), "-lgumbelsoftmax", f"-Wl,-rpath,{context.bin_path}", "-lm",
               "-o", str(binary)]
    status, output = run(command, cwd=directory)
    if status != 0:
        return Result(block, "FAIL", detail="compile: " + " ".join(command) + "\n" + output)
    if block.directive == "compile-only":
        return Result(block, "ok", detail="compiled")
    status, output = run([str(binary)], cwd=directory, env=context.env())
    return Result(block, "ok" if status == 0 else "FAIL", detail=f"exit {status}\n{output}" if status else output)


def python_imports(code: str) -> set[str]:
    names = set()
    for match in re.finditer(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w., ]+))", code, re.M):
        if match[1]:
            names.add(match[1].split(".")[0])
        else:
            for part in match[2].split(","):
                names.add(part.strip().split(" ")[0].split(".")[0])
    return names


def run_python(context: Context, block: Block) -> Result:
    optional = sorted(python_imports(block.code) & set(OPTIONAL_MODULES))
    python = context.python_for(optional)
    if python is None:
        return Result(block, "skip", detail=f"{', '.join(optional)} not importable in {' or '.join(context.pythons)}")
    directory = context.block_dir(block)
    source = directory / f"{block.slug}.py"
    source.write_text("\n" * (block.line - 1) + block.code)  # tracebacks show the document's lines
    if block.directive == "compile-only":
        command = [python, "-m", "py_compile", str(source)]
    else:
        command = [python, str(source)]
    status, output = run(command, cwd=directory, env=context.env())
    return Result(block, "ok" if status == 0 else "FAIL", detail=f"exit {status}\n{output}" if status else output)


def run_shell(context: Context, block: Block) -> Result:
    directory = context.block_dir(block)
    source = context.work / f"{block.slug}.sh"  # outside the directory it runs in, which stays empty
    source.write_text(block.code)
    status, output = run(["bash", "-n", str(source)], cwd=directory)
    if status != 0:
        return Result(block, "FAIL", detail="bash -n:\n" + output)
    if block.directive != "run":
        return Result(block, "ok", detail="syntax")
    status, output = run(["bash", "-e", "-o", "pipefail", str(source)], cwd=directory, env=context.env())
    return Result(block, "ok" if status == 0 else "FAIL", detail=f"exit {status}\n{output}" if status else output)


def run_json(context: Context, block: Block) -> Result:
    try:
        json.loads(block.code)
    except json.JSONDecodeError as error:
        return Result(block, "FAIL", detail=f"line {block.line + error.lineno - 1}: {error.msg}")
    return Result(block, "ok", detail="parsed")


# A manifest's dependency on this package by URL and version: the URL's last component (less .git)
# is the package identity that `.product(..., package: "gumbel-softmax")` names.
PACKAGE_IDENTITY = "gumbel-softmax"
URL_DEPENDENCY = re.compile(r'\.package\(\s*url:\s*"(?P<url>[^"]+)"\s*,\s*from:\s*"(?P<version>[^"]+)"\s*\)')
CONSUMER_MAIN = """import GumbelSoftmax

// Generated by Scripts/test/doctest.py: the consumer of the README's Package.swift samples once.
let y = try GumbelSoftmax.sample(logits: [1.0, 2.0, 3.0], temperature: 0.5, seed: 42)
precondition(y.count == 3 && abs(y.reduce(0, +) - 1) < 1e-5, "not a probability vector: \\(y)")
print("GumbelSoftmax \\(GumbelSoftmax.version) (tier \\(GumbelSoftmax.buildTier.rawValue)) as a dependency: \\(y)")
"""


def package_version() -> str:
    text = (REPO / "include" / "gumbel_softmax.h").read_text(encoding="utf-8")
    return re.search(r'^#define GS_VERSION "([^"]+)"', text, re.MULTILINE)[1]


def this_package_dependency(code: str) -> re.Match | None:
    """The `.package(url:from:)` of a manifest that depends on this package, if it does."""
    for match in URL_DEPENDENCY.finditer(code):
        if match["url"].rstrip("/").removesuffix(".git").rsplit("/", 1)[-1].lower() == PACKAGE_IDENTITY:
            return match
    return None


def tagged_snapshot(scratch: Path, version: str) -> tuple[Path, str]:
    """A git repository holding this repository's working tree (its tracked and untracked files,
    less what .gitignore leaves out) as one commit tagged `version`, as a release clone has it: the
    package a consumer resolves by URL and version, with no tag needed in this repository (a fresh
    CI clone has none). Kept under `scratch/repos/<commit>/gumbel-softmax`, so that an unchanged tree
    is the same URL (SwiftPM keeps what it resolved for a URL, tags included) and a changed one a
    new URL. Returns the repository and the commit."""
    repos = scratch / "repos"
    staging = repos / "staging" / PACKAGE_IDENTITY
    shutil.rmtree(staging.parent, ignore_errors=True)
    staging.mkdir(parents=True)
    git = ["git", "-c", "user.name=doctest", "-c", "user.email=doctest@localhost", "-c", "commit.gpgsign=false",
           "-c", "tag.gpgsign=false", f"--git-dir={staging / '.git'}", f"--work-tree={REPO}"]
    environment = dict(os.environ, GIT_AUTHOR_DATE="2020-01-01T00:00:00Z", GIT_COMMITTER_DATE="2020-01-01T00:00:00Z")
    for command in (["git", "init", "--quiet", str(staging)], git + ["add", "--all"],
                    git + ["commit", "--quiet", "--no-verify", "-m", f"GumbelSoftmax {version} (doctest snapshot)"],
                    git + ["tag", version]):
        done = subprocess.run(command, capture_output=True, text=True, env=environment)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)}: {done.stdout}{done.stderr}")
    commit = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    final = repos / commit[:16] / PACKAGE_IDENTITY
    for stale in repos.iterdir():
        if stale.name not in ("staging", commit[:16]):
            shutil.rmtree(stale, ignore_errors=True)
    if not final.exists():
        final.parent.mkdir(parents=True)
        staging.rename(final)
    shutil.rmtree(staging.parent, ignore_errors=True)
    return final, commit


def run_consumer(context: Context, block: Block, dependency: re.Match) -> Result:
    """A manifest that depends on this package by URL and version (the README's): the version must
    be this package's, and with the URL replaced by a file:// URL of a tagged snapshot of this
    repository, the manifest resolves (by version, as a published release would), builds with a
    generated main.swift for each executable target, and the program runs."""
    version = package_version()
    if dependency["version"] != version:
        return Result(block, "FAIL", detail=f'the manifest depends on from: "{dependency["version"]}", but the '
                                            f"package is version {version} (GS_VERSION, include/gumbel_softmax.h)")
    scratch = Path(context.args.scratch).resolve() / "consumer"
    try:
        repository, commit = tagged_snapshot(scratch, version)
    except (RuntimeError, subprocess.CalledProcessError, OSError) as error:
        return Result(block, "FAIL", detail=f"cannot make the tagged snapshot: {error}")
    package = scratch / "pkg"
    shutil.rmtree(package / "Sources", ignore_errors=True)
    package.mkdir(parents=True, exist_ok=True)
    manifest = block.code.replace(f'"{dependency["url"]}"', f'"file://{repository}"')
    (package / "Package.swift").write_text(manifest)
    (package / "Package.resolved").unlink(missing_ok=True)
    targets = re.findall(r'\.executableTarget\(\s*name:\s*"([^"]+)"', block.code)
    if not targets:
        return Result(block, "FAIL", detail="the manifest has no executable target to build and run")
    for target in targets:
        (package / "Sources" / target).mkdir(parents=True)
        (package / "Sources" / target / "main.swift").write_text(CONSUMER_MAIN)
    build = [context.args.swift, "build", "--package-path", str(package), "--scratch-path", str(scratch / "build")]
    status, output = run(build, cwd=package, timeout=1800)
    if status != 0:
        return Result(block, "FAIL", detail=f"swift build of the consumer (file://{repository} at {version}):\n"
                                            + output[-6000:])
    pins = json.loads((package / "Package.resolved").read_text())["pins"]
    pin = next((p for p in pins if p["identity"] == PACKAGE_IDENTITY), None)
    if pin is None or pin["state"].get("version") != version or pin["state"].get("revision") != commit:
        return Result(block, "FAIL", detail=f"Package.resolved pins {pin}, not {version} at {commit}")
    _, bin_path = run(build + ["--show-bin-path"], cwd=package)
    outputs = []
    for target in targets:
        status, output = run([str(Path(bin_path.strip().splitlines()[-1]) / target)], cwd=package)
        if status != 0:
            return Result(block, "FAIL", detail=f"{target}: exit {status}\n{output}")
        outputs.append(output.strip())
    return Result(block, "ok", detail=f"resolved {PACKAGE_IDENTITY} {version} from a tagged git snapshot, built, "
                                      f"ran: " + "; ".join(outputs))


def run_manifest(context: Context, block: Block) -> Result:
    if dependency := this_package_dependency(block.code):
        return run_consumer(context, block, dependency)
    # A fixed folder per block: SwiftPM keeps a lock file in /tmp named after the package's path.
    directory = Path(context.args.scratch).resolve() / "manifests" / block.slug
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Package.swift").write_text(block.code)
    status, output = run([context.args.swift, "package", "dump-package"], cwd=directory)
    return Result(block, "ok" if status == 0 else "FAIL", detail="dump-package\n" + output if status else "manifest")


def swift_results(context: Context, blocks: list[Block]) -> list[Result]:
    """Builds every Swift block as an executable target of one scratch package, then runs each."""
    if not blocks:
        return []
    scratch = Path(context.args.scratch).resolve()
    package = scratch / "pkg"
    sources = package / "Sources"
    sources.mkdir(parents=True, exist_ok=True)
    # The self-test's targets and the documents' live side by side (the package lists only the
    # current run's), so that neither run throws away the other's build.
    prefix = "selftest_" if DOCS != REPO else "doc_"
    names = [f"{prefix}{b.slug}" for b in blocks]
    for stale in sources.iterdir():
        if stale.name.startswith(prefix) and stale.name not in names:
            shutil.rmtree(stale)
    for name, block in zip(names, blocks):
        (sources / name).mkdir(exist_ok=True)
        text = f'#sourceLocation(file: "{block.path}", line: {block.line})\n{block.code}'
        main = sources / name / "main.swift"
        if not main.exists() or main.read_text() != text:  # unchanged files keep their build
            main.write_text(text)
    identity = REPO.name
    targets = ",\n".join(
        f'        .executableTarget(name: "{name}", dependencies: [.product(name: "GumbelSoftmax", '
        f'package: "{identity}")])'
        for name in names
    )
    manifest = (
        "// swift-tools-version: 6.0\n"
        "// Generated by Scripts/test/doctest.py: one executable target per Swift block of the docs.\n"
        "import PackageDescription\n\n"
        "let package = Package(\n"
        '    name: "DocSnippets",\n'
        f'    dependencies: [.package(path: "{REPO}")],\n'
        f"    targets: [\n{targets}\n    ],\n"
        "    swiftLanguageModes: [.v6]\n"
        ")\n"
    )
    manifest_path = package / "Package.swift"
    if not manifest_path.exists() or manifest_path.read_text() != manifest:
        manifest_path.write_text(manifest)
    configuration = context.args.swift_configuration
    build = [context.args.swift, "build", "-c", configuration, "--package-path", str(package),
             "--scratch-path", str(scratch / "build")]
    started = time.monotonic()
    status, output = run(build, cwd=package, timeout=1800)
    build_seconds = time.monotonic() - started
    print(f"swift: built {len(blocks)} snippet targets in {build_seconds:.1f} s ({configuration})", flush=True)
    failed: dict[str, str] = {}
    if status != 0:
        # SwiftPM stops at the first target that fails: build each one alone to tell them apart. Each
        # gets the diagnostics that point into it (#sourceLocation maps them to the document).
        for name, block in zip(names, blocks):
            status, output = run(build + ["--product", name], cwd=package, timeout=1800)
            if status != 0:
                mine = [line for line in output.splitlines() if _line_in_block(line, block)]
                failed[name] = "\n".join(dict.fromkeys(mine)) or "swift build failed:\n" + output[-6000:]
    status, bin_path = run(build + ["--show-bin-path"], cwd=package)
    bin_dir = Path(bin_path.strip().splitlines()[-1])
    results = []
    for name, block in zip(names, blocks):
        if name in failed:
            results.append(Result(block, "FAIL", detail=failed[name]))
            continue
        if block.directive == "compile-only":
            results.append(Result(block, "ok", detail="compiled"))
            continue
        directory = context.block_dir(block)
        started = time.monotonic()
        status, output = run([str(bin_dir / name)], cwd=directory, env=context.env())
        results.append(Result(block, "ok" if status == 0 else "FAIL", time.monotonic() - started,
                              f"exit {status}\n{output}" if status else output))
    return results


def _line_in_block(line: str, block: Block) -> bool:
    match = re.search(re.escape(str(block.path)) + r":(\d+)", line)
    if not match:
        return False
    number = int(match[1])
    return block.line <= number < block.line + block.code.count("\n")


def check_spec_mirror() -> tuple[str, list[str]]:
    """docs/SPEC.md is the project's contract (../shared/SPEC.md beside the repository, when there),
    byte for byte: a changed contract must be copied, never paraphrased."""
    original = REPO.parent / "shared" / "SPEC.md"
    mirror = REPO / "docs" / "SPEC.md"
    if not original.is_file():
        return "docs/SPEC.md: ../shared/SPEC.md not present, mirror not compared", []
    body = mirror.read_text(encoding="utf-8") if mirror.is_file() else ""
    if body != original.read_text(encoding="utf-8"):
        return "", ["docs/SPEC.md differs from ../shared/SPEC.md: copy the contract again"]
    return "docs/SPEC.md: identical to ../shared/SPEC.md", []


def collect(paths: list[Path]) -> tuple[list[Block], list[str]]:
    """The blocks of the documents, and the errors found without running anything."""
    blocks: list[Block] = []
    errors: list[str] = []
    for path in paths:
        found, problems = parse_blocks(path)
        blocks += found
        errors += problems
    for block in blocks:
        if block.language not in SKIPPED_LANGUAGES | CHECKED_LANGUAGES:
            errors.append(f"{block.where}: unknown fence language {block.language!r} "
                          "(use text or console for anything that is not code)")
        if block.directive == "run" and block.language not in ("sh", "bash"):
            errors.append(f"{block.where}: 'doctest: run' is for sh/bash blocks (others run anyway)")
        if block.directive == "compile-only" and block.language not in ("swift", "c", "python"):
            errors.append(f"{block.where}: 'doctest: compile-only' is for swift, c and python blocks")
    return blocks, errors


def check(context: Context, blocks: list[Block]) -> list[Result]:
    """Runs every code block: the Swift ones in one build, the others two at a time beside it."""
    swift_blocks, other = [], []
    for block in blocks:
        if block.language == "swift" and not block.code.lstrip().startswith("// swift-tools-version"):
            swift_blocks.append(block)
        elif block.language in CHECKED_LANGUAGES:
            other.append(block)

    def dispatch(block: Block) -> Result:
        runner = {"c": run_c, "python": run_python, "sh": run_shell, "bash": run_shell, "json": run_json,
                  "swift": run_manifest}[block.language]
        begun = time.monotonic()
        result = runner(context, block)
        result.seconds = time.monotonic() - begun
        return result

    results: list[Result] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        swift_future = pool.submit(swift_results, context, swift_blocks)
        results += list(pool.map(dispatch, other))
        results += swift_future.result()
    order = {id(b): i for i, b in enumerate(blocks)}
    return sorted(results, key=lambda r: order[id(r.block)])


def report(results: list[Result], verbose: bool) -> None:
    for result in results:
        label = {"ok": "ok  ", "FAIL": "FAIL", "skip": "SKIP"}[result.status]
        kind = result.block.language + (f" ({result.block.directive})" if result.block.directive else "")
        print(f"{label} {result.block.where:<40} {kind:<20} {result.seconds:6.2f} s"
              + (f"  {result.detail}" if result.status == "skip" else ""))
        if result.status == "FAIL" or (verbose and result.status == "ok" and result.detail.strip()):
            print("     | " + "\n     | ".join(result.detail.rstrip().splitlines()))


# --- Self-test: the harness must catch each kind of broken block ----------------------------------

SELF_TEST_CASES = [
    # (expected status, fence language, directive, code)
    ("ok", "swift", None, "import GumbelSoftmax\nlet y = try GumbelSoftmax.sample(logits: [0, 1], temperature: 1, "
                          "seed: 1)\nprecondition(y.count == 2)\n"),
    ("FAIL", "swift", None, 'let x: Int = "not a number"\n'),
    ("FAIL", "swift", None, "import GumbelSoftmax\n_ = try GumbelSoftmax.sample(logits: [.nan], temperature: 1, "
                            "seed: 0)\n"),
    ("ok", "swift", "compile-only", "fatalError(\"compiled, never run\")\n"),
    ("ok", "swift", None, "// swift-tools-version: 6.0\nimport PackageDescription\n\nlet package = Package(\n"
                          '    name: "App",\n'
                          '    dependencies: [.package(url: "https://github.com/example/GumbelSoftmax", from: "0.2.0")],\n'
                          '    targets: [.executableTarget(name: "App", dependencies: ["GumbelSoftmax"])]\n)\n'),
    ("FAIL", "swift", None, '// swift-tools-version: 6.0\nimport PackageDescription\nlet package = Package(nam: "App")\n'),
    # A dependency on this package at a version it is not: refused before anything is built.
    ("FAIL", "swift", None, "// swift-tools-version: 6.0\nimport PackageDescription\n\nlet package = Package(\n"
                            '    name: "App",\n'
                            '    dependencies: [.package(url: "file:///src/gumbel-softmax", from: "9.9.9")],\n'
                            '    targets: [.executableTarget(name: "App", dependencies: [\n'
                            '        .product(name: "GumbelSoftmax", package: "gumbel-softmax")])]\n)\n'),
    ("ok", "c", None, '#include <stdio.h>\n#include "gumbel_softmax.h"\nint main(void) {\n'
                      '    return gs_version()[0] ? 0 : 1;\n}\n'),
    ("FAIL", "c", None, '#include "gumbel_softmax.h"\nfloat y[3];\n'),
    ("FAIL", "c", None, "int main(void) { return 3; }\n"),
    ("ok", "python", None, "import numpy as np\nimport gumbel_softmax as gs\n"
                           "assert gs.sample(np.zeros((1, 3), np.float32), temperature=1, seed=0).shape == (1, 3)\n"),
    ("FAIL", "python", None, "raise SystemExit('a failing example')\n"),
    ("FAIL", "python", "compile-only", "def broken(:\n"),
    ("skip", "python", None, "import doctest_self_test_missing_module\n"),
    ("ok", "sh", None, "exit 1  # syntax only: not run\n"),
    ("FAIL", "sh", None, "if then fi\n"),
    ("ok", "bash", "run", 'test -f "$REPO/include/gumbel_softmax.h"\ntest -z "$(ls -A)"\n'),
    ("FAIL", "sh", "run", "false\necho not reached\n"),
    ("ok", "json", None, '{"a": [1, 2]}\n'),
    ("FAIL", "json", None, "{'a': 1}\n"),
]
SELF_TEST_ERRORS = [
    "unknown fence language 'rust'",
    "link 'missing.md' does not resolve",
    "link 'docs/other.md#no-such-heading': no heading",
    "link '../outside.md' points outside",
    "is never closed",
]


def self_test(args) -> int:
    """Checks that the harness passes good blocks and fails broken ones of every kind."""
    global DOCS, OPTIONAL_MODULES
    root = Path(tempfile.mkdtemp(prefix="doctest-self-"))
    (root / "docs").mkdir()
    (root / "docs" / "other.md").write_text("# Other\n\n## A heading\n")
    parts = ["# Self-test\n", "[fine](docs/other.md#a-heading) [fine](docs/other.md) [web](https://example.org)\n",
             "[broken](missing.md) [anchor](docs/other.md#no-such-heading) [outside](../outside.md)\n"]
    for expected, language, directive, code in SELF_TEST_CASES:
        if directive:
            parts.append(f"<!-- doctest: {directive} -->")
        parts.append(f"```{language}\n{code}```\n")
    parts.append("```text\nnot code: never run\n```\n")
    parts.append("```rust\nfn main() {}\n```\n")
    parts.append("```python\nprint('unclosed')\n")
    (root / "README.md").write_text("\n".join(parts))
    DOCS = root
    saved, OPTIONAL_MODULES = OPTIONAL_MODULES, OPTIONAL_MODULES + ("doctest_self_test_missing_module",)
    context = Context(args)
    try:
        blocks, errors = collect([Path("README.md")])
        _, link_errors = check_links([Path("README.md")])
        errors += link_errors
        results = check(context, [b for b in blocks if b.language in CHECKED_LANGUAGES])
    finally:
        OPTIONAL_MODULES = saved
        DOCS = REPO
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(context.work, ignore_errors=True)
    problems = []
    checked = [r for r in results if r.block.language in CHECKED_LANGUAGES and r.block.code != "print('unclosed')\n"]
    if len(checked) != len(SELF_TEST_CASES):
        problems.append(f"expected {len(SELF_TEST_CASES)} checked blocks, found {len(checked)}")
    for result, (expected, language, directive, code) in zip(checked, SELF_TEST_CASES):
        if result.status != expected:
            problems.append(f"{language} block {code.splitlines()[0]!r}: expected {expected}, got {result.status}: "
                            f"{result.detail.strip()[:300]}")
    for needle in SELF_TEST_ERRORS:
        if not any(needle in error for error in errors):
            problems.append(f"no error containing {needle!r} (errors: {errors})")
    if len(errors) != len(SELF_TEST_ERRORS):
        problems.append(f"expected {len(SELF_TEST_ERRORS)} errors, got {len(errors)}: {errors}")
    for problem in problems:
        print(f"self-test FAIL: {problem}")
    print(f"self-test: {len(SELF_TEST_CASES)} blocks and {len(SELF_TEST_ERRORS)} document errors "
          f"{'caught as expected' if not problems else 'NOT as expected'}")
    return 1 if problems else 0


def default_bin_path() -> str:
    """The bin path of `make build` for this machine's tier, or of a plain `swift build -c release`,
    whichever holds both gumbel and libgumbelsoftmax.so; exits with what to do when neither does."""
    tier = subprocess.run([str(REPO / "Scripts" / "build" / "tier")], capture_output=True, text=True).stdout.strip()
    candidates = [REPO / f".build-release-{tier}" / "release", REPO / ".build" / "release"]
    for candidate in candidates:
        if (candidate / "gumbel").exists() and (candidate / "libgumbelsoftmax.so").exists():
            return str(candidate)
    names = " or ".join(str(c.relative_to(REPO)) for c in candidates)
    sys.exit(f"doctest: no gumbel and libgumbelsoftmax.so in {names}: run `make build` first, "
             "or pass --bin-path DIR")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-path", help="SwiftPM bin path holding libgumbelsoftmax.so and gumbel (default: "
                        "make's build for this machine's tier, .build-release-TIER/release, else .build/release)")
    parser.add_argument("--python", default=os.environ.get("DOCTEST_PYTHON") or os.environ.get("PYTHON") or "python3")
    parser.add_argument("--swift", default=os.environ.get("SWIFT", "swift"))
    parser.add_argument("--swift-configuration", default="debug", choices=["debug", "release"])
    parser.add_argument("--scratch", default=str(REPO / ".build-doctest"),
                        help="persistent build folder of the Swift snippets' package (incremental reruns)")
    parser.add_argument("--list", action="store_true", help="list the blocks and what would be done")
    parser.add_argument("--self-test", action="store_true",
                        help="first check that the harness fails broken blocks of every kind, then run")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every block's output")
    parser.add_argument("files", nargs="*", help="documents to check (default: all)")
    args = parser.parse_args()

    started = time.monotonic()
    if args.bin_path is None and not args.list:
        args.bin_path = default_bin_path()
        print(f"doctest: --bin-path {args.bin_path} (the build of `make build` for this machine)")
    if args.self_test and not args.list and self_test(args) != 0:
        return 1
    for name in args.files:
        if not Path(name).is_file() or not Path(name).resolve().is_relative_to(DOCS):
            parser.error(f"{name}: not a document of this repository")
    paths = [Path(f).resolve().relative_to(DOCS) for f in args.files] if args.files else documents()
    blocks, errors = collect(paths)
    if args.list:
        for block in blocks:
            print(f"{block.where}\t{block.language or '(none)'}\t{block.directive or ''}")
        return 0

    link_count, link_errors = check_links(paths)
    errors += link_errors
    print(f"links: {link_count} relative links checked, {len(link_errors)} broken", flush=True)
    if not args.files:
        note, spec_errors = check_spec_mirror()
        errors += spec_errors
        if note:
            print(note)

    context = Context(args)
    try:
        results = check(context, blocks)
    finally:
        shutil.rmtree(context.work, ignore_errors=True)
    report(results, args.verbose)
    for error in errors:
        print(f"FAIL {error}")

    passed = sum(r.status == "ok" for r in results)
    failed = sum(r.status == "FAIL" for r in results) + len(errors)
    skipped = [r for r in results if r.status == "skip"]
    text_blocks = sum(b.language in SKIPPED_LANGUAGES for b in blocks)
    print(f"doctest: {len(blocks)} blocks in {len(paths)} documents ({text_blocks} text/console not run), "
          f"{time.monotonic() - started:.1f} s")
    if skipped and context.require_all:
        print(f"DOCTEST_REQUIRE_ALL=1: {len(skipped)} skipped block(s) count as failures")
        failed += len(skipped)
    print(f"{passed} passed, {failed} failed, {len(skipped)} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
