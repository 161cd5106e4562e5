"""Ordinary mistakes: one ``error:`` line on stderr naming the file or value and what to
do, exit status 2, no traceback."""

from __future__ import annotations

import socket
from pathlib import Path

from .conftest import assert_one_line_error, free_port, stepfn


def test_missing_definition_file(tmp_path: Path) -> None:
    done = stepfn("validate", "nope.json", cwd=tmp_path)
    assert_one_line_error(done, "definition file not found: nope.json")
    done = stepfn("run", "nope.json", cwd=tmp_path)
    assert_one_line_error(done, "definition file not found: nope.json")


def test_missing_input_file(definition: Path) -> None:
    done = stepfn("run", str(definition), "--input", "@missing-input.json")
    assert_one_line_error(done, "input file not found: missing-input.json")


def test_invalid_json_input(definition: Path, tmp_path: Path) -> None:
    done = stepfn("run", str(definition), "--input", "{not json")
    assert_one_line_error(done, "--input is not valid JSON")
    bad = tmp_path / "bad.json"
    bad.write_text("[1,")
    done = stepfn("run", str(definition), "--input", f"@{bad}")
    assert_one_line_error(done, f"input file {bad} is not valid JSON")


def test_missing_functions_file(definition: Path) -> None:
    done = stepfn("run", str(definition), "--functions", "nowhere/fns.py")
    assert_one_line_error(done, "--functions nowhere/fns.py", "no such file")


def test_broken_functions_file_for_run_and_serve(definition: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("def f(:\n    pass\n")
    done = stepfn("run", str(definition), "--functions", str(broken))
    assert_one_line_error(done, f"--functions {broken}", "syntax error", "line 1")
    done = stepfn("serve", "--port", str(free_port()), "--db", str(tmp_path / "s.db"),
                  "--functions", str(broken))
    assert_one_line_error(done, f"--functions {broken}", "syntax error")
    assert not (tmp_path / "s.db").exists()  # nothing was started
    done = stepfn("worker", "--db", str(tmp_path / "w.db"), "--functions", str(broken))
    assert_one_line_error(done, f"--functions {broken}", "syntax error")
    done = stepfn("worker", "--db", str(tmp_path / "missing-dir" / "w.db"))
    assert_one_line_error(done, "missing-dir", "does not exist")


def test_functions_file_that_raises_on_import(definition: Path, tmp_path: Path) -> None:
    raising = tmp_path / "raising.py"
    raising.write_text("import os\nraise RuntimeError('needs CONFIG')\n")
    done = stepfn("run", str(definition), "--functions", str(raising))
    assert_one_line_error(done, "RuntimeError: needs CONFIG")


def test_unknown_functions_module(definition: Path) -> None:
    done = stepfn("run", str(definition), "--functions", "no_such_module_xyz")
    assert_one_line_error(done, "cannot import module 'no_such_module_xyz'")


def test_bad_db_path_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "missing-dir" / "stepfn.db"
    done = stepfn("serve", "--port", str(free_port()), "--db", str(path))
    assert_one_line_error(done, f"--db {path}", "does not exist")
    done = stepfn("serve", "--port", str(free_port()), "--db", str(tmp_path))
    assert_one_line_error(done, f"--db {tmp_path} is a directory")


def test_busy_port_is_found_before_the_database_is_opened(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = stepfn("serve", "--port", str(port), "--db", str(tmp_path / "x.db"))
    assert_one_line_error(done, f"127.0.0.1:{port}", "another --port")
    assert not (tmp_path / "x.db").exists()


def test_invalid_definition_diagnostics_go_to_stderr(tmp_path: Path) -> None:
    bad = tmp_path / "bad.asl.json"
    bad.write_text('{"StartAt": "Nowhere", "States": {"A": {"Type": "Pass", "End": true}}}')
    done = stepfn("validate", str(bad))
    assert done.returncode == 1
    assert done.stdout == ""
    assert "ERROR" in done.stderr and "Traceback" not in done.stderr
    done = stepfn("run", str(bad))
    assert done.returncode == 2
    assert done.stdout == "" and "ERROR" in done.stderr


def test_version() -> None:
    from stepfn import __version__

    done = stepfn("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"stepfn {__version__}"


def test_unknown_function_lists_the_local_ones(tmp_path: Path) -> None:
    functions = tmp_path / "fns.py"
    functions.write_text("def resize(event):\n    return event\n")
    machine = tmp_path / "m.asl.json"
    machine.write_text('{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": '
                       '"arn:aws:lambda:us-east-1:123456789012:function:resise", '
                       '"End": true}}}')
    done = stepfn("run", str(machine), "--functions", str(functions))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "Lambda.ResourceNotFoundException" in done.stderr
    assert "Local functions: resize." in done.stderr
    assert "--lambda-forward" in done.stderr


def test_bad_values_are_one_error_line_and_nothing_starts(tmp_path: Path) -> None:
    """Each of these used to give a traceback, several log lines, or (--port 99999) a
    server listening elsewhere. (Every value's check: tests/test_settings.py.)"""
    import os
    import subprocess
    import sys

    db = tmp_path / "never.db"
    cases = [
        (("serve", "--db", str(db)), {"STEPFN_LOG_LEVEL": "verbose"},
         "STEPFN_LOG_LEVEL=verbose: expected one of debug, info"),
        (("serve", "--db", str(db), "--log-level", "loud"), {}, "--log-level loud"),
        (("serve", "--db", str(db)), {"STEPFN_PORT": "abc"}, "STEPFN_PORT=abc: not a port"),
        (("serve", "--db", str(db), "--port", "99999"), {}, "--port 99999: not a port"),
        (("serve", "--port", str(free_port()), "--db", "mysql://u@127.0.0.1/app"), {},
         "mysql:// databases are not supported"),
        (("serve", "--port", str(free_port()), "--db",
          "postgresql://nobody:secret@127.0.0.1:1/none"), {},
         "cannot connect to PostgreSQL at postgresql://nobody:***@127.0.0.1:1/none"),
        (("worker", "--db", "mysql://u@h/app"), {}, "mysql://"),
    ]
    running = [(subprocess.Popen([sys.executable, "-m", "stepfn.cli", *args], text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 env={**os.environ, **env}), fragment)
               for args, env, fragment in cases]  # at once: each start imports stepfn
    for process, fragment in running:
        out, err = process.communicate(timeout=60)
        done = subprocess.CompletedProcess(process.args, process.returncode, out, err)
        assert "secret" not in assert_one_line_error(done, fragment)
    assert not db.exists()


def test_argument_mistakes_are_one_error_line() -> None:
    assert_one_line_error(stepfn("serve", "--no-such-flag"), "unrecognized arguments")
    assert_one_line_error(stepfn(), "the following arguments are required")
