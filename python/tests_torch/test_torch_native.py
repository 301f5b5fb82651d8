"""The torch adapter's compiled common-case node (gumbel_softmax/ffi/torch_native.cpp, issue 26):
built here (or by `make test-torch`, which passes its cache in GUMBEL_SOFTMAX_TEST_NATIVE_CACHE),
it gives the Python node's values, gradients, refusals and draws bit for bit; a disabled, foreign
or corrupted cache entry leaves the Python node in use, and a build without a compiler or headers
says what is missing."""

import json
import os
import shutil
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import gumbel_softmax as gs
import gumbel_softmax._torch_native as native_build
import gumbel_softmax.torch as gst
import outcomes
from gumbel_softmax.torch import gumbel_softmax
from outcomes import outcome

LOGITS = torch.from_numpy(np.random.default_rng(8).standard_normal((32, 10)).astype(np.float32))
SHAPES = [(1, 10), (32, 10), (256, 10), (10,), (3, 4, 5), (7, 1)]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A cache (an XDG_CACHE_HOME) holding the built node: `make test-torch`'s, else built here."""
    given = os.environ.get("GUMBEL_SOFTMAX_TEST_NATIVE_CACHE")
    with pytest.MonkeyPatch.context() as patch:
        if given:
            patch.setenv("XDG_CACHE_HOME", given)
        else:
            patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg")))
        if not native_build.entry_directory().exists():
            native_build.build()
        yield Path(os.environ["XDG_CACHE_HOME"])


@pytest.fixture(scope="module")
def module(cache):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(cache))
        patch.setenv(native_build.ENVIRONMENT_VARIABLE, "1")
        loaded = native_build.load()
    assert loaded is not None and loaded.ABI == native_build.ABI
    return loaded


@pytest.fixture
def nodes(module, monkeypatch):
    """``nodes(name, call)``: ``call()`` with the compiled node ("native") or the Python node ("python")."""

    def run(name, call):
        with monkeypatch.context() as patch:
            patch.setattr(gst, "_native", module if name == "native" else None)
            return call()

    return run


def same(a, b):
    return outcomes.same(a, b, torch.equal)


def test_the_compiled_node_is_used_for_the_common_case(nodes):
    leaf = LOGITS.clone().requires_grad_()
    assert type(nodes("native", lambda: gumbel_softmax(leaf, 0.5)).grad_fn).__name__ == "CppFunction"
    assert "_LibrarySoftSample" in type(nodes("python", lambda: gumbel_softmax(leaf, 0.5)).grad_fn).__name__


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("temperature", [0.3, 0.5, 1.0, 2.7])
@pytest.mark.parametrize("hard", [False, True])
def test_values_gradients_and_draws_are_the_python_nodes(nodes, dtype, shape, temperature, hard):
    """The same sample, the same first-order gradient (both the library's VJP) and the same draws
    from torch's default generator and a given one, with autograd on, off and in inference mode."""
    logits = torch.from_numpy(np.random.default_rng(sum(shape)).standard_normal(shape)).to(dtype)
    upstream = torch.randn(shape, dtype=dtype)
    results = {}
    for name in ("native", "python"):
        torch.manual_seed(11)
        leaf = logits.clone().requires_grad_()
        y = nodes(name, lambda: gumbel_softmax(leaf, temperature, hard))
        y.backward(upstream)
        plain = nodes(name, lambda: gumbel_softmax(logits, temperature, hard, seed=2**64 - 1, stream=5,
                                                   position=2**63))
        generator = torch.Generator().manual_seed(5)
        drawn = nodes(name, lambda: gumbel_softmax(logits, temperature, hard, generator=generator))
        with torch.inference_mode():
            inferred = nodes(name, lambda: gumbel_softmax(leaf, temperature, hard))
        results[name] = (y.detach(), leaf.grad, plain, drawn, inferred, torch.randint(0, 2**62, ()),
                         torch.randint(0, 2**62, (), generator=generator))
    for native, python in zip(results["native"], results["python"]):
        assert native.dtype == python.dtype and torch.equal(native, python)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_create_graph_backward_is_the_python_nodes_formula(nodes, dtype):
    logits = LOGITS.to(dtype)
    weights = torch.randn(32, 10, dtype=dtype)
    results = {}
    for name in ("native", "python"):
        leaf = logits.clone().requires_grad_()
        y = nodes(name, lambda: gumbel_softmax(leaf, 0.7, seed=3))
        (first,) = torch.autograd.grad((y**2 * weights).sum(), leaf, create_graph=True)
        (second,) = torch.autograd.grad((first * weights).sum(), leaf)
        results[name] = (first.detach(), second)
    assert all(torch.equal(a, b) for a, b in zip(results["native"], results["python"]))


def test_gradcheck_and_gradgradcheck_in_float64(nodes):
    logits = LOGITS[:4, :6].double().requires_grad_()

    def function(x):
        return gumbel_softmax(x, 0.8, seed=5, stream=1)

    assert nodes("native", lambda: torch.autograd.gradcheck(function, (logits,)))
    assert nodes("native", lambda: torch.autograd.gradgradcheck(function, (logits,)))


def test_an_in_place_change_of_the_sample_is_detected(nodes):
    leaf = LOGITS.clone().requires_grad_()
    y = nodes("native", lambda: gumbel_softmax(leaf, 0.5, seed=1))
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_parameters_and_inference_mode(nodes, monkeypatch):
    monkeypatch.setattr(gst, "_seed_buffers", threading.local())
    results = {}
    for name in ("native", "python"):
        with torch.inference_mode():
            torch.manual_seed(1)
            inferred = nodes(name, lambda: gumbel_softmax(LOGITS, 0.5))
        parameter = torch.nn.Parameter(LOGITS.clone())
        torch.manual_seed(1)
        y = nodes(name, lambda: gumbel_softmax(parameter, 0.5, True))
        y.backward(LOGITS)
        results[name] = (inferred, y.detach(), parameter.grad)
    assert all(torch.equal(a, b) for a, b in zip(results["native"], results["python"]))


def test_batched_negative_and_rearranged_upstreams_take_the_python_nodes_paths(nodes):
    """A vmapped backward (is_grads_batched=True), a negative view as the upstream gradient and a
    sample unpacked in another layout by saved_tensors_hooks: the same gradients as the Python node."""
    logits = LOGITS[:3, :4].double()
    upstream = torch.randn(5, 3, 4, dtype=torch.float64)
    results = {}
    for name in ("native", "python"):
        leaf = logits.clone().requires_grad_()
        y = nodes(name, lambda: gumbel_softmax(leaf, 0.7, seed=4))
        (batched,) = torch.autograd.grad(y, leaf, upstream, is_grads_batched=True, retain_graph=True)
        (negative,) = torch.autograd.grad(y, leaf, torch._neg_view(-upstream[0]))
        with torch.autograd.graph.saved_tensors_hooks(lambda t: t.t().contiguous(), lambda t: t.t()):
            hooked = nodes(name, lambda: gumbel_softmax(leaf, 0.7, seed=4))
        (rearranged,) = torch.autograd.grad(hooked, leaf, upstream[1])
        results[name] = (batched, negative, rearranged)
    assert all(torch.equal(a, b) for a, b in zip(results["native"], results["python"]))


@pytest.mark.parametrize(
    "arguments",
    [dict(tau=0.0), dict(tau=float("nan")), dict(tau=1e-46), dict(tau=10**400), dict(seed=-1), dict(seed=2**64),
     dict(position=-1)],
)
def test_refused_words_are_the_python_nodes(nodes, arguments):
    leaf = LOGITS.clone().requires_grad_()
    call = dict(tau=0.5, seed=1) | arguments
    native = outcome(lambda: nodes("native", lambda: gumbel_softmax(leaf, **call)))
    assert native[0] == "error" and same(native, outcome(lambda: nodes("python", lambda: gumbel_softmax(leaf, **call))))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("row, column, value", [(3, 4, float("nan")), (0, 9, float("inf"))])
def test_library_refusals_are_the_python_nodes(nodes, dtype, requires_grad, row, column, value):
    """The library's status and message, as the GumbelSoftmaxError the Python node raises."""
    logits = LOGITS.to(dtype, copy=True)
    logits[row, column] = value
    logits.requires_grad_(requires_grad)
    native = outcome(lambda: nodes("native", lambda: gumbel_softmax(logits, 0.5, seed=1)))
    python = outcome(lambda: nodes("python", lambda: gumbel_softmax(logits, 0.5, seed=1)))
    assert native[1] is gs.GumbelSoftmaxError and native[3] is not None and native == python, native


def test_the_environment_variable_turns_it_off(cache, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv(native_build.ENVIRONMENT_VARIABLE, "0")
    assert native_build.load() is None
    monkeypatch.setattr(gst, "_native", gst._UNRESOLVED)
    leaf = LOGITS.clone().requires_grad_()
    assert "_LibrarySoftSample" in type(gumbel_softmax(leaf, 0.5).grad_fn).__name__


def _entry_copy(cache: Path, target: Path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    source = native_build.entry_directory()
    monkeypatch.setenv("XDG_CACHE_HOME", str(target))
    monkeypatch.setenv(native_build.ENVIRONMENT_VARIABLE, "1")
    copy = native_build.entry_directory()
    shutil.copytree(source, copy)
    return copy


def test_a_corrupted_module_is_not_loaded(cache, tmp_path, monkeypatch):
    entry = _entry_copy(cache, tmp_path, monkeypatch)
    module = entry / native_build.MODULE_FILE
    module.write_bytes(module.read_bytes()[:4096])
    with pytest.warns(RuntimeWarning, match="SHA-256"):
        assert native_build.load() is None


def test_a_foreign_manifest_is_not_loaded(cache, tmp_path, monkeypatch):
    entry = _entry_copy(cache, tmp_path, monkeypatch)
    manifest = json.loads((entry / native_build.MANIFEST).read_text())
    (entry / native_build.MANIFEST).write_text(json.dumps(manifest | {"torch": "0.0"}))
    with pytest.warns(RuntimeWarning, match="another source"):
        assert native_build.load() is None
    (entry / native_build.MANIFEST).unlink()
    with pytest.warns(RuntimeWarning, match="manifest.json"):
        assert native_build.load() is None


def test_no_entry_is_silently_the_python_node(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv(native_build.ENVIRONMENT_VARIABLE, "1")
    assert native_build.load() is None


def test_a_missing_compiler_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("CXX", str(tmp_path / "no-such-compiler"))
    with pytest.raises(native_build.NativeBuildError, match="no-such-compiler.* is not an executable"):
        gst.build_native()
    monkeypatch.delenv("CXX")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(native_build.NativeBuildError, match="no C\\+\\+ compiler"):
        gst.build_native()
    assert not native_build.entry_directory().exists() or not any(native_build.entry_directory().iterdir())


def test_missing_python_headers_and_a_failed_compile_are_named(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("CXX", shutil.which("false"))
    with pytest.raises(native_build.NativeBuildError, match="exited with status 1"):
        gst.build_native()
    monkeypatch.setattr(native_build.sysconfig, "get_paths", lambda: {"include": str(tmp_path)})
    with pytest.raises(native_build.NativeBuildError, match="python3-dev"):
        gst.build_native()
    assert not any(native_build.entry_directory().iterdir())  # nothing written
    assert [path.name for path in native_build.cache_root().iterdir()] == [native_build.entry_directory().name]


def test_the_command_line_reports_the_entry(cache, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv(native_build.ENVIRONMENT_VARIABLE, "1")
    monkeypatch.setattr(gst, "_native", gst._UNRESOLVED)
    assert gst._main(["native-status"]) == 0
    assert capsys.readouterr().out.strip() == f"{native_build.entry_directory()}: used"


def test_the_seed_draw_works_in_a_new_thread_in_and_out_of_inference_mode(nodes):
    """The compiled node's reused seed tensor is per thread and made outside inference mode: a
    thread whose first draw is in inference mode draws the Python node's seeds in and out of it."""
    leaf = LOGITS.clone().requires_grad_()

    def draws(name):
        found = []

        def run():
            with torch.inference_mode():
                torch.manual_seed(4)
                found.append(nodes(name, lambda: gumbel_softmax(LOGITS, 0.5)))
            found.append(nodes(name, lambda: gumbel_softmax(leaf, 0.5)).detach())
            found.append(nodes(name, lambda: gumbel_softmax(LOGITS, 0.5, True)))

        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
        return found

    native, python = draws("native"), draws("python")
    assert len(native) == 3 and all(torch.equal(a, b) for a, b in zip(native, python))


@pytest.mark.parametrize(
    "make",
    [
        lambda: LOGITS.t(),  # not C-contiguous
        lambda: LOGITS.half(),
        lambda: LOGITS.bfloat16(),
        lambda: LOGITS[0, 0],  # 0-d
        lambda: LOGITS[:0],  # no rows
        lambda: torch._neg_view(-LOGITS),
        lambda: LOGITS.to_sparse(),
        lambda: LOGITS.to_sparse_csr(),  # is_contiguous raises, before the Python node draws
        lambda: torch.nested.nested_tensor([LOGITS[:2], LOGITS[2:5]]),  # strided, C-contiguous, no sizes
        lambda: LOGITS.to(torch.complex64),
        lambda: torch._efficientzerotensor(4, 5),  # no memory: the library refuses its NULL pointer
    ],
)
@pytest.mark.parametrize("dim", [-1, 0, 1, -2])
@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta", "ignore:The PyTorch API of nested tensors")
def test_other_tensors_take_the_python_nodes_path(nodes, make, dim, requires_grad):
    """The compiled node's tensor checks decline what the Python node's do, before anything is
    drawn: the same outcome (value or refusal) and the same generator state afterwards."""
    results = {}
    for name in ("native", "python"):
        logits = make().detach()
        if requires_grad and logits.is_floating_point():
            logits.requires_grad_()
        torch.manual_seed(6)
        value = outcome(lambda: nodes(name, lambda: gumbel_softmax(logits, 0.5, dim=dim)))
        if value[0] == "value":
            value = ("value", value[1].detach().to_dense() if value[1].is_sparse else value[1].detach())
        results[name] = (value, torch.randint(0, 2**62, ()))
    native, python = results["native"], results["python"]
    assert same(native[0], python[0]) and torch.equal(native[1], python[1]), (native, python)


def test_the_seed_draw_is_the_python_nodes(module):
    for generator in (None, torch.Generator().manual_seed(9)):
        torch.manual_seed(2)
        state = None if generator is None else generator.get_state()
        first = module.draw_seed(generator)
        torch.manual_seed(2)
        if generator is not None:
            generator.set_state(state)
        assert first == gst._draw_seed(generator)


@pytest.fixture
def substituted(module):
    """``substituted(sample=..., gradient=...)``: hands the module other function addresses (both
    dtypes) until the test ends, then the library's again."""
    addresses = native_build._addresses()

    def substitute(sample=None, gradient=None):
        module.set_functions(sample or addresses[0], sample or addresses[1], gradient or addresses[2],
                             gradient or addresses[3], addresses[4])

    yield substitute
    module.set_functions(*addresses)


def test_the_library_calls_run_without_the_gil(module, substituted):
    """As the Python node's ctypes calls, the library's sample and VJP run with the GIL released, so
    that other Python threads run meanwhile. The sample function here is CPython's
    PyGILState_Check (1 when the calling thread holds the GIL; the extra arguments are ignored by
    the C calling convention), whose 1 the node reports as a status-1 refusal."""
    import ctypes

    held = ctypes.cast(ctypes.pythonapi.PyGILState_Check, ctypes.c_void_p).value
    substituted(sample=held, gradient=held)
    for logits in (LOGITS, LOGITS.double().requires_grad_()):
        for hard in (False, True):
            assert module.common(logits, 0.5, -1, hard, 1, 0, 0, None).shape == logits.shape
    y = module.common(LOGITS.clone().requires_grad_(), 0.5, -1, False, 1, 0, 0, None)
    y.backward(LOGITS)


def test_a_cache_that_cannot_be_written_is_named(tmp_path, monkeypatch, capsys):
    """A cache directory that cannot be made (here under a file) is the build's error, not a traceback:
    build-native prints it and exits with status 1, and nothing is compiled."""
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    monkeypatch.setenv("CXX", shutil.which("false"))
    with pytest.raises(native_build.NativeBuildError, match=r"cannot write the cache entry .*file/gumbel_softmax"):
        gst.build_native()
    assert gst._main(["build-native"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: cannot build gumbel_softmax's compiled torch node: cannot write")
    assert "Not a directory" in error


def test_a_library_not_found_yet_leaves_the_node_to_a_later_call(cache, module, monkeypatch):
    """Without the library (not found yet: a Dask worker may get it later), the call is the Python
    node's (which raises the library's error), with no warning to rebuild the node, and the node is
    looked for again at the next call."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv(native_build.ENVIRONMENT_VARIABLE, "1")
    monkeypatch.setattr(gst, "_native", gst._UNRESOLVED)
    absent = OSError("cannot load libgumbelsoftmax.so")
    library_load = gs._library.load

    def missing():
        raise absent

    monkeypatch.setattr(gs._library, "load", missing)
    monkeypatch.setattr(gst, "_library_functions", {})
    leaf = LOGITS.clone().requires_grad_()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(OSError) as raised:
            gumbel_softmax(leaf, 0.5)
    assert raised.value is absent and gst._native is gst._UNRESOLVED
    monkeypatch.setattr(gs._library, "load", library_load)
    assert type(gumbel_softmax(leaf, 0.5).grad_fn).__name__ == "CppFunction"


@pytest.mark.parametrize("make", [lambda: torch.randn(5, 1).t(), lambda: torch.randn(3, 1, 4).transpose(0, 1)])
@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_the_sample_and_gradient_keep_the_python_nodes_strides(nodes, make, hard, requires_grad):
    """A C-contiguous tensor whose size-1 dimensions have other strides than a new tensor's: the
    sample and the gradient have the strides the Python node's empty_like gives them."""
    base = make()
    assert base.is_contiguous()
    results = {}
    for name in ("native", "python"):
        logits = base.detach().requires_grad_(requires_grad)
        y = nodes(name, lambda: gumbel_softmax(logits, 0.5, hard, seed=1))
        if requires_grad:
            y.backward(torch.ones_like(y))
        results[name] = (y.detach(), logits.grad)
    for native, python in zip(results["native"], results["python"]):
        assert (native is None) == (python is None)
        if native is not None:
            assert torch.equal(native, python) and native.stride() == python.stride()


@pytest.mark.parametrize("unpack", [lambda t: t.repeat(1000, 1), lambda t: t[:, :2].contiguous()])
def test_a_saved_sample_of_another_size_never_reaches_the_library(nodes, unpack):
    """A saved_tensors_hooks unpack that returns another number of elements than the upstream
    gradient's: the library's VJP would read past the upstream gradient (its count was the
    sample's), so both nodes take the torch-op formula, whose shapes do not broadcast."""
    results = {}
    for name in ("native", "python"):
        leaf = LOGITS.clone().requires_grad_()
        with torch.autograd.graph.saved_tensors_hooks(lambda t: t, unpack):
            y = nodes(name, lambda: gumbel_softmax(leaf, 0.5, seed=1))
        results[name] = outcome(lambda: y.backward(LOGITS))
    assert results["native"][:2] == results["python"][:2] == ("error", RuntimeError)
    assert "must match the size of tensor" in results["native"][2] and results["native"] == results["python"]


def test_a_failed_rebuild_keeps_the_entry(cache, tmp_path, monkeypatch):
    """A rebuild whose compile fails leaves the entry's module and manifest as they were (and
    usable), and no scratch directory behind."""
    entry = _entry_copy(cache, tmp_path, monkeypatch)
    before = {path.name: path.read_bytes() for path in entry.iterdir()}
    monkeypatch.setenv("CXX", shutil.which("false"))
    with pytest.raises(native_build.NativeBuildError, match="exited with status 1"):
        gst.build_native()
    assert {path.name: path.read_bytes() for path in entry.iterdir()} == before
    assert [path.name for path in native_build.cache_root().iterdir()] == [entry.name]
    assert native_build.load() is not None


def test_a_seed_draw_waiting_for_the_generator_lets_other_threads_run(module):
    """While another thread holds the generator (a long randperm from it, which releases the GIL),
    a call that draws its seed from it waits for it without the GIL, as the Python node's
    ``random_`` does: the main thread runs in the meantime."""
    generator = torch.Generator().manual_seed(1)
    events = []
    started = threading.Event()

    def hold():
        started.set()
        torch.randperm(8_000_000, generator=generator)
        events.append("randperm")

    def draw():
        module.common(LOGITS, 0.5, -1, False, None, 0, 0, generator)
        events.append("sample")

    holder = threading.Thread(target=hold)
    holder.start()
    started.wait()
    time.sleep(0.02)
    drawer = threading.Thread(target=draw)
    drawer.start()
    time.sleep(0.02)
    events.append("main")
    holder.join()
    drawer.join()
    assert events[0] == "main" and sorted(events[1:]) == ["randperm", "sample"], events


@pytest.mark.parametrize("hard", [False, True])
def test_a_zero_tensor_upstream_gradient_is_a_zero_gradient(nodes, hard):
    """``sgn``'s backward hands its input a zero tensor (no memory) as the gradient: both nodes give
    the torch-op formula's zeros, as the general path does, where the library refused its NULL."""
    results = {}
    for name in ("native", "python"):
        leaf = LOGITS.clone().requires_grad_()
        y = nodes(name, lambda: gumbel_softmax(leaf, 0.5, hard, seed=1))
        results[name] = outcome(lambda: y.sgn().sum().backward())
        assert results[name] == ("value", None) and torch.equal(leaf.grad, torch.zeros_like(LOGITS)), results[name]
        y = nodes(name, lambda: gumbel_softmax(leaf, 0.5, hard, seed=1))
        (gradient,) = torch.autograd.grad(y, leaf, torch._efficientzerotensor(LOGITS.shape))
        assert torch.equal(gradient, torch.zeros_like(LOGITS))
