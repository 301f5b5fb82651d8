"""docs/embedding.md against include/gumbel_softmax.h: the page's C section names every function
the header declares and every value of its enums, so that a function or status added to the
header cannot be left undocumented."""

import re

from conftest import REPOSITORY

HEADER = REPOSITORY / "include" / "gumbel_softmax.h"
PAGE = REPOSITORY / "docs" / "embedding.md"


def _header_code() -> str:
    return re.sub(r"/\*.*?\*/", "", HEADER.read_text(), flags=re.S)


def _header_functions() -> set[str]:
    return set(re.findall(r"\b(gs_[a-z0-9_]+)\s*\(", _header_code()))


def _header_constants() -> set[str]:
    return set(re.findall(r"\b(GS_[A-Z0-9_]+)\s*=", _header_code()))


def _documented_names() -> set[str]:
    return set(re.findall(r"`([gG][sS]_[A-Za-z0-9_]+)", PAGE.read_text()))


def test_header_is_parsed():
    functions, constants = _header_functions(), _header_constants()
    assert {"gs_sample", "gs_sample_f64", "gs_check_cpu", "gs_last_error_message"} <= functions
    assert {"GS_OK", "GS_INVALID_POINT", "GS_OUT_OF_MEMORY", "GS_OUTPUT_HARD"} <= constants
    assert len(functions) >= 36 and len(constants) >= 19


def test_every_function_is_documented():
    missing = sorted(_header_functions() - _documented_names())
    assert not missing, f"docs/embedding.md does not name these functions of the header: {missing}"


def test_every_status_and_output_is_documented():
    missing = sorted(_header_constants() - _documented_names())
    assert not missing, f"docs/embedding.md does not name these constants of the header: {missing}"


def test_no_documented_name_is_unknown():
    header = set(re.findall(r"\b([gG][sS]_[A-Za-z0-9_]+)", _header_code()))
    unknown = sorted(_documented_names() - header)
    assert not unknown, f"docs/embedding.md names functions or constants the header lacks: {unknown}"
