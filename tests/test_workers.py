"""Worker processes leave Ctrl-C to the main process (which stops them): no traceback per worker."""

from __future__ import annotations

import multiprocessing
import signal

import pytest

from threadsmith.workers import quiet_worker
from threadsmith.workspace import auditing

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")


def _sigint_is_ignored() -> bool:
    return signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def _audit_worker_ignores_sigint() -> bool:
    auditing._init(((), (), {}, None))
    return _sigint_is_ignored()


def test_a_quiet_worker_ignores_ctrl_c_and_the_main_process_does_not() -> None:
    context = multiprocessing.get_context("fork")
    with context.Pool(1, initializer=quiet_worker) as pool:
        assert pool.apply(_sigint_is_ignored)
    with context.Pool(1) as pool:
        assert pool.apply(_audit_worker_ignores_sigint)
    assert not _sigint_is_ignored()
