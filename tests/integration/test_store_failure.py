"""A store that cannot commit (here: the disk is full for the server) stops the server rather than
letting it run on with state it could not make durable; every submission acknowledged before that
is still there after a restart."""

import resource
import signal
import time

from conftest import ApiError, Server

LIMIT = 3 * 1024 * 1024  # bytes any one file of the server may reach


def limit_file_size():
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))
    # A write past the limit then fails with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def test_commit_failure_stops_the_server_and_loses_nothing_acknowledged(tmp_path):
    s = Server(tmp_path / "data", preexec=limit_file_size).start()
    admin = s.client()
    acknowledged = []
    refused = 0
    padding = "x" * 3000  # grows the database quickly
    deadline = time.time() + 120
    try:
        while s.proc.poll() is None:
            assert time.time() < deadline, "the store never filled up"
            try:
                job = admin.submit(command=["true"], env={"PAD": padding}, priority="normal")
                acknowledged.append(job["id"])
            except ApiError as e:
                # The batch that could not commit is refused, not acknowledged.
                assert e.status >= 500, e
                refused += 1
            except OSError:
                pass  # the server went away mid-request
        assert s.proc.wait(timeout=10) == 75
        log = s.log_path.read_text()
        assert "the store could not commit" in log
        assert len(acknowledged) > 10

        s.preexec = None
        s.start()
        admin = s.client()
        for job_id in acknowledged:
            job = admin.job(job_id)
            assert job["spec"]["env"]["PAD"] == padding
        # The server works normally again once the disk has room.
        ok = admin.wait(admin.submit(command=["true"])["id"])
        assert ok["state"] == "succeeded"
    finally:
        s.stop()
