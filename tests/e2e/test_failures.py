"""Every failure explains itself: each way a run can fail, as a user meets it from the command line, names
its cause and its fix, exits with its documented code, and the next run recovers by itself."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from finsync.errors import SyncError
from finsync.warehouse.runner import SOURCES, Warehouse, make_pipeline, sync
from finsync_sandbox import SandboxConfig, SandboxServer

from .conftest import DSN_VARIABLE, FINSYNC, finsync_env, query, run_finsync, ym_settings
from .expect import assert_ym_matches_sandbox, assert_younium_matches_sandbox

pytestmark = pytest.mark.slow


def env_for(server: SandboxServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    return finsync_env(tmp_path, {**server.settings, "SOURCES__YM__EXPORT_POLL_INTERVAL": "0.05", **extra})


# -- the warehouse as given ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("missing/dir/w.duckdb", "does not exist; create it"),
        ("a-directory", "is a directory"),
        ("not-duckdb.duckdb", "is not a DuckDB database file"),
        ("ym.duckdb", "`ym` is also the name of a schema"),
        ("analytics.duckdb", "`analytics` is also the name of a schema"),
    ],
)
def test_a_duckdb_path_that_cannot_work_exits_2_naming_the_flag_before_reading_anything(
    sandbox: SandboxServer, tmp_path: Path, path: str, problem: str
) -> None:
    (tmp_path / "a-directory").mkdir()
    (tmp_path / "not-duckdb.duckdb").write_text("a spreadsheet, perhaps\n")

    result = run_finsync(["run", "--source", "ym", "--duckdb-path", path], env_for(sandbox, tmp_path), tmp_path)

    assert result.returncode == 2, result.stderr
    assert f"--duckdb-path {path}" in result.stderr and problem in result.stderr
    assert "Traceback" not in result.stderr and "PipelineStepFailed" not in result.stderr
    assert sandbox.sandbox.requests["ym.authenticate"] == 0, "nothing was read from YM"


def test_an_unwritable_directory_is_named(sandbox: SandboxServer, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = run_finsync(["run", "--duckdb-path", "locked/w.duckdb"], env_for(sandbox, tmp_path), tmp_path)
    assert result.returncode == 2 and "not writable" in result.stderr


def test_a_duckdb_file_held_open_by_another_program_names_the_process_and_exits_75(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    env = env_for(sandbox, tmp_path)
    assert run_finsync(["run", "--source", "ym"], env, tmp_path).returncode == 0
    holder = subprocess.Popen(
        [FINSYNC[0], "-c", "import duckdb, time; c = duckdb.connect('finsync.duckdb'); print('open', flush=True); "
         "time.sleep(60)"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout and holder.stdout.readline().strip() == "open"
        for command in (["run", "--source", "ym"], ["status"], ["check"]):
            result = run_finsync(command, env, tmp_path)
            assert result.returncode == 75, (command, result.stderr)
            assert f"process {holder.pid}" in result.stderr and "Close that program" in result.stderr
            assert "Traceback" not in result.stderr
    finally:
        holder.kill()
        holder.wait()
    assert run_finsync(["run", "--source", "ym"], env, tmp_path).returncode == 0, "it runs once the file is free"


@pytest.mark.parametrize(
    ("dsn", "problem"),
    [
        ("postgresql://postgres:secret-pw@127.0.0.1:1/test", "cannot be reached"),
        ("postgresql://postgres:secret-pw@no-such-host.invalid:5432/test", "cannot be reached"),
        ("postgresql://no_such_user:secret-pw@127.0.0.1:5432/test", "refused the login"),
        ("postgresql://postgres:secret-pw@127.0.0.1:5432/no_such_database", "that database does not exist"),
    ],
    ids=["port", "host", "user", "database"],
)
def test_a_postgresql_that_cannot_be_used_exits_2_naming_the_setting_with_the_password_masked(
    sandbox: SandboxServer, tmp_path: Path, dsn: str, problem: str
) -> None:
    if not os.environ.get(DSN_VARIABLE) and "no-such-host" not in dsn and ":1/" not in dsn:
        pytest.skip(f"needs the PostgreSQL server of {DSN_VARIABLE}")
    env = env_for(sandbox, tmp_path, DESTINATION__POSTGRES__CREDENTIALS=dsn)

    result = run_finsync(["run", "--source", "ym", "--destination", "postgres"], env, tmp_path)

    assert result.returncode == 2, result.stderr
    assert problem in result.stderr and "DESTINATION__POSTGRES__CREDENTIALS" in result.stderr
    assert "secret-pw" not in result.stderr and ":***@" in result.stderr
    assert "rerun" not in result.stderr.lower(), "a rerun cannot fix a wrong setting"


def test_finsync_debug_prints_the_whole_chain_behind_a_translated_error(sandbox: SandboxServer, tmp_path: Path) -> None:
    env = env_for(sandbox, tmp_path, DESTINATION__POSTGRES__CREDENTIALS="postgresql://u:pw@127.0.0.1:1/db")
    plain = run_finsync(["run", "--source", "ym", "--destination", "postgres"], env, tmp_path)
    debug = run_finsync(["run", "--source", "ym", "--destination", "postgres"], {**env, "FINSYNC_DEBUG": "1"}, tmp_path)
    assert "Traceback" not in plain.stderr
    assert "Traceback" in debug.stderr and "OperationalError" in debug.stderr and debug.returncode == 2


def test_a_run_refused_by_the_upstream_creates_no_warehouse_file(sandbox: SandboxServer, tmp_path: Path) -> None:
    env = env_for(sandbox, tmp_path, SOURCES__YM__API_PASSWORD="not-the-password")
    result = run_finsync(["run", "--source", "ym"], env, tmp_path)
    assert result.returncode == 2
    assert not (tmp_path / "finsync.duckdb").exists()


# -- PostgreSQL credentials as users give them ---------------------------------------------------------------


def test_postgresql_credentials_without_a_password_and_in_dlts_split_form_both_work(
    sandbox: SandboxServer, postgres: Warehouse, tmp_path: Path
) -> None:
    login = postgres.postgres_login()
    if login.password:
        pytest.skip("the test server needs a password")
    passwordless = f"postgresql://{login.username}@{login.host}:{login.port}/{login.database}"
    env = env_for(sandbox, tmp_path, DESTINATION__POSTGRES__CREDENTIALS=passwordless)
    assert run_finsync(["run", "--source", "ym", "--destination", "postgres"], env, tmp_path).returncode == 0
    split = {
        k: v for k, v in env.items() if k != "DESTINATION__POSTGRES__CREDENTIALS"
    } | {
        "DESTINATION__POSTGRES__CREDENTIALS__HOST": login.host,
        "DESTINATION__POSTGRES__CREDENTIALS__PORT": str(login.port),
        "DESTINATION__POSTGRES__CREDENTIALS__DATABASE": login.database,
        "DESTINATION__POSTGRES__CREDENTIALS__USERNAME": login.username,
    }  # fmt: skip
    result = run_finsync(["run", "--source", "younium", "--destination", "postgres"], split, tmp_path)
    assert result.returncode == 0, result.stderr
    assert_ym_matches_sandbox(postgres, sandbox)
    assert_younium_matches_sandbox(postgres, sandbox)


# -- full refresh, pending loads that cannot load --------------------------------------------------------------


def test_a_full_refresh_twice_on_postgresql_exits_0_and_leaves_exactly_the_sandbox_data(
    sandbox: SandboxServer, postgres: Warehouse, tmp_path: Path
) -> None:
    env = env_for(sandbox, tmp_path, DESTINATION__POSTGRES__CREDENTIALS=postgres.postgres_dsn())
    args = ["run", "--destination", "postgres", "--source", "all", "--full-refresh"]
    assert run_finsync(args[:5], env, tmp_path).returncode == 0  # the views now depend on every table

    for _ in range(2):
        result = run_finsync(args, env, tmp_path)
        assert result.returncode == 0, result.stderr

    assert_ym_matches_sandbox(postgres, sandbox)
    assert_younium_matches_sandbox(postgres, sandbox)
    check = run_finsync(["check", "--destination", "postgres"], env, tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_pending_load_that_fails_twice_the_same_way_is_set_aside_and_its_data_read_again(
    sandbox: SandboxServer, warehouse: Warehouse
) -> None:
    settings = ym_settings(sandbox)
    sync("ym", warehouse, settings=settings)
    sandbox.sandbox.dataset.advance(400)
    # A run that extracted and normalized its data, then died; one of its files is damaged on disk.
    pipeline = make_pipeline(SOURCES["ym"], warehouse)
    pipeline.extract(SOURCES["ym"].factory(**settings))
    pipeline.normalize()
    damaged = next(Path(pipeline.working_dir, "load", "normalized").rglob("invoice_items.*.parquet"))
    damaged.write_bytes(damaged.read_bytes()[:100])

    with pytest.raises(SyncError, match="tries once more") as first:
        sync("ym", warehouse, settings=settings)
    assert first.value.exit_code == 1
    report = sync("ym", warehouse, settings=settings)

    assert any("set aside" in note for note in report.notes)
    assert_ym_matches_sandbox(warehouse, sandbox)


# -- interrupts -----------------------------------------------------------------------------------------------


def wait_for(condition: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the run never got there"
        time.sleep(0.005)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("during", ["extract", "load"])
def test_a_signal_stops_the_whole_run_at_once_and_the_rerun_is_exact(tmp_path: Path, signum: int, during: str) -> None:
    # Enough items for their load to take a moment (the signal must land inside it).
    config = SandboxConfig(ym_items=60_000, batch_size=6000, export_latency_seconds=0.05, younium_invoices=200)
    with SandboxServer(config=config) as server:
        env = env_for(server, tmp_path, SOURCES__YM__INVOICE_ITEMS_PAGE_SIZE="2000")
        if during == "extract":
            server.sandbox.faults.add(kind="slow", route="ym.invoice_items", delay=0.3, times=1000, after=4)
        process = subprocess.Popen(
            [*FINSYNC, "run"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        jobs = Path(env["DLT_DATA_DIR"]).glob
        if during == "extract":
            wait_for(lambda: server.sandbox.requests["ym.invoice_items"] >= 6)
        else:
            wait_for(lambda: any(jobs("finsync/*/finsync_ym/load/normalized/*/started_jobs/invoice_items.*")))
        signalled = time.monotonic()
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=30)
        assert time.monotonic() - signalled < 5, "it stops within seconds of the signal"
        assert process.returncode == 128 + signum, stderr
        assert "stopped by" in stderr and "Rerun to resume" in stderr and "Traceback" not in stderr
        warehouse = Warehouse("duckdb", tmp_path / "finsync.duckdb")
        if warehouse.exists():
            schemas = {row[0] for row in query(warehouse, "SELECT schema_name FROM information_schema.schemata")}
            assert "younium" not in schemas, "the signal stops the whole run: younium never started"
        server.sandbox.faults.clear()

        rerun = run_finsync(["run"], env, tmp_path)

        assert rerun.returncode == 0, rerun.stderr
        assert_ym_matches_sandbox(warehouse, server)
        assert_younium_matches_sandbox(warehouse, server)


# -- the demo's warehouse and real ones -------------------------------------------------------------------------


def test_the_demo_and_real_runs_never_share_a_warehouse(sandbox: SandboxServer, tmp_path: Path) -> None:
    env = env_for(sandbox, tmp_path)
    demo = run_finsync(["demo"], env, tmp_path, timeout=300)
    assert demo.returncode == 0, demo.stderr
    assert (tmp_path / "finsync-demo.duckdb").exists() and not (tmp_path / "finsync.duckdb").exists()

    # Said once for the whole run, not once per tenant.
    into_demo = run_finsync(["run", "--duckdb-path", "finsync-demo.duckdb"], env, tmp_path)
    assert into_demo.returncode == 2
    assert [line for line in into_demo.stderr.splitlines() if line.startswith("error")] == [
        "error: Flag `--duckdb-path` names finsync-demo.duckdb, which holds the sandbox's demo data (written "
        "by `finsync demo`). Real tenants' data must not be mixed into it: give `finsync run` another warehouse "
        "(its default is finsync.duckdb), or delete this one."
    ]

    # Data from the sandbox through `finsync run` is still no demo's: the refusal says where it came from, and
    # the demo does not claim to have finished.
    assert run_finsync(["run", "--source", "ym"], env, tmp_path).returncode == 0
    over_real = run_finsync(["demo", "--duckdb-path", "finsync.duckdb"], env, tmp_path, timeout=300)
    assert over_real.returncode == 2
    assert [line for line in over_real.stderr.splitlines() if line.startswith("error")] == [
        "error: Flag `--duckdb-path` names finsync.duckdb, which holds data `finsync run` wrote (from the tenants "
        "its settings named, the sandbox's too when run pointed at `finsync sandbox serve`), not `finsync demo`. "
        "`finsync demo` writes only into a warehouse of its own: give it another --duckdb-path, or move that file "
        "away."
    ]
    assert "demo finished" not in over_real.stderr


# -- settings a whole run shares: said once, exit 2, naming the setting and the fix ------------------------------


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error")]


def test_an_unknown_tenant_is_named_once_with_the_tenants_configured_and_the_toml_table(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    unknown = run_finsync(["run", "--tenant", "nosuch"], env_for(sandbox, tmp_path), tmp_path)
    assert unknown.returncode == 2
    assert error_lines(unknown) == [
        "error: Flag `--tenant` names nosuch, which no selected system has a tenant called (tenants configured: "
        "ym: default; younium: default). Name tenants under [sources.<system>.tenants.<name>] (or "
        "SOURCES__<SYSTEM>__TENANTS__<NAME>__...)."
    ]
    # A named tenant missing its own identity: the table it would inherit from is named, not blanked.
    env = env_for(sandbox, tmp_path, SOURCES__YM__TENANTS__NORTH__API_KEY="k")
    inherited = run_finsync(["run", "--source", "ym", "--tenant", "north"], env, tmp_path)
    assert inherited.returncode == 2
    assert error_lines(inherited) == [
        "error (ym:north): Setting `sources.ym.tenants.north.client_id` (env SOURCES__YM__TENANTS__NORTH__CLIENT_ID) "
        "is not set. A tenant sets client_id in its own section: inherited from [sources.ym], it would load "
        "another tenant's data under this one's name."
    ]


def test_an_unwritable_dlt_data_dir_exits_2_once_naming_the_setting(sandbox: SandboxServer, tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    env = env_for(sandbox, tmp_path, DLT_DATA_DIR=str(blocked / "dlt"))
    result = run_finsync(["run"], env, tmp_path)
    assert result.returncode == 2
    assert error_lines(result) == [
        f"error: Setting `DLT_DATA_DIR` (env DLT_DATA_DIR) is {blocked / 'dlt'}, where finsync cannot write its "
        "working data (Not a directory). Point it at a directory this user can write (export "
        "DLT_DATA_DIR=$HOME/.dlt), or unset it for ~/.dlt."
    ]
    assert not (tmp_path / "finsync.duckdb").exists()


def test_a_memory_limit_duckdb_does_not_take_exits_2_naming_the_setting(sandbox: SandboxServer, tmp_path: Path) -> None:
    env = env_for(sandbox, tmp_path, WAREHOUSE__DUCKDB_MEMORY_LIMIT="lots")
    result = run_finsync(["run"], env, tmp_path)
    assert result.returncode == 2
    assert error_lines(result) == [
        "error: Setting `warehouse.duckdb_memory_limit` (env WAREHOUSE__DUCKDB_MEMORY_LIMIT) is 'lots', which is "
        "no memory size DuckDB takes. Give a number and a unit, e.g. 192MB or 1GB."
    ]


def test_without_a_terminal_the_summary_prints_whole_values(sandbox: SandboxServer, tmp_path: Path) -> None:
    env = {k: v for k, v in env_for(sandbox, tmp_path).items() if k != "COLUMNS"}
    result = run_finsync(["run", "--source", "ym"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "│ ym     │ finance_batch_items__versions │" in result.stdout
    assert "…" not in result.stdout


# -- check as a gate ----------------------------------------------------------------------------------------------


def test_check_fails_a_warehouse_where_a_source_never_loaded(sandbox: SandboxServer, tmp_path: Path) -> None:
    env = env_for(sandbox, tmp_path)
    empty = run_finsync(["check"], env, tmp_path)
    assert empty.returncode == 1 and "never loaded" in empty.stdout
    assert run_finsync(["run", "--source", "ym"], env, tmp_path).returncode == 0
    assert run_finsync(["check", "--source", "ym"], env, tmp_path).returncode == 0
    both = run_finsync(["check", "--json"], env, tmp_path)
    assert both.returncode == 1
    result = json.loads(both.stdout)
    assert not result["ok"]
    assert {(f["source"], f["kind"]) for f in result["findings"]} == {("younium", "never loaded")}
    assert set(result["findings"][0]) == {"kind", "source", "batch_id", "expected", "actual", "detail"}


def test_check_max_age_fails_when_the_last_load_is_older(sandbox: SandboxServer, tmp_path: Path) -> None:
    env = env_for(sandbox, tmp_path)
    assert run_finsync(["run", "--source", "ym"], env, tmp_path).returncode == 0
    assert run_finsync(["check", "--source", "ym", "--max-age", "1h"], env, tmp_path).returncode == 0
    time.sleep(1.5)
    stale = run_finsync(["check", "--source", "ym", "--max-age", "1s", "--json"], env, tmp_path)
    assert stale.returncode == 1 and json.loads(stale.stdout)["findings"][0]["kind"] == "stale"
    detail = json.loads(stale.stdout)["findings"][0]["detail"]
    # To the second, however long a loaded machine took between the load and the check.
    assert re.fullmatch(r"the last successful load of ym is 0:0\d:\d\d old \(at most 0:00:01 allowed\)", detail), detail
    bad = run_finsync(["check", "--max-age", "soon"], env, tmp_path)
    assert bad.returncode == 2 and "26h" in bad.stderr


# -- personal data, locks, status, partial summaries --------------------------------------------------------------


def test_switching_pii_to_drop_refuses_until_a_full_refresh_removes_the_personal_columns(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    env = env_for(sandbox, tmp_path)
    assert run_finsync(["run", "--source", "ym"], env, tmp_path).returncode == 0
    dropping = {**env, "SOURCES__YM__PII": "drop"}

    refused = run_finsync(["run", "--source", "ym"], dropping, tmp_path)
    assert refused.returncode == 2
    assert "SOURCES__YM__PII" in refused.stderr and "--full-refresh" in refused.stderr
    assert "ym.invoice_items" in refused.stderr and "ym.finance_batch_items" in refused.stderr

    assert run_finsync(["run", "--source", "ym", "--full-refresh"], dropping, tmp_path).returncode == 0
    warehouse = Warehouse("duckdb", tmp_path / "finsync.duckdb")
    columns = {
        r[0] for r in query(warehouse, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'ym'")
    }
    assert not columns & {"email_address", "invoice_name_last", "payment_card_number", "address1"}
    assert_ym_matches_sandbox(warehouse, sandbox, pii="drop")
    assert run_finsync(["run", "--source", "ym"], dropping, tmp_path).returncode == 0


def test_a_second_run_of_a_source_into_one_postgresql_is_refused_with_exit_75_even_from_another_host(
    sandbox: SandboxServer, postgres: Warehouse, tmp_path: Path
) -> None:
    env = env_for(sandbox, tmp_path, DESTINATION__POSTGRES__CREDENTIALS=postgres.postgres_dsn())
    # The lock lives in the warehouse: a run elsewhere holds it (a working directory of its own).
    with postgres.exclusive("ym"):
        result = run_finsync(["run", "--source", "ym", "--destination", "postgres"], env, tmp_path)
        other = run_finsync(["run", "--source", "younium", "--destination", "postgres"], env, tmp_path)
    assert result.returncode == 75 and "in progress" in result.stderr
    assert other.returncode == 0, "another source is not held up"
    assert run_finsync(["run", "--source", "ym", "--destination", "postgres"], env, tmp_path).returncode == 0


def test_a_second_run_into_one_duckdb_file_is_refused_with_exit_75(sandbox: SandboxServer, tmp_path: Path) -> None:
    env = env_for(sandbox, tmp_path)
    with Warehouse("duckdb", tmp_path / "finsync.duckdb").exclusive("ym"):
        result = run_finsync(["run", "--source", "ym"], env, tmp_path)
    assert result.returncode == 75 and "in progress" in result.stderr


def test_status_only_reads_and_works_beside_other_readers(sandbox: SandboxServer, tmp_path: Path) -> None:
    env = env_for(sandbox, tmp_path)
    assert run_finsync(["run", "--source", "ym"], env, tmp_path).returncode == 0
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with duckdb.connect(str(tmp_path / "finsync.duckdb"), read_only=True):
        result = run_finsync(["status"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "invoice_items" in result.stdout and "finance_batches (StartBatchID)" in result.stdout
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before, "status wrote nothing"

    typo = run_finsync(["status", "--duckdb-path", "finsnyc.duckdb"], env, tmp_path)
    assert typo.returncode == 2 and not (tmp_path / "finsnyc.duckdb").exists()
    assert typo.stderr.strip().splitlines()[-1] == (
        "error: Flag `--duckdb-path` names finsnyc.duckdb, which does not exist. Give the file `finsync run` writes "
        "(by default finsync.duckdb, in the directory it runs in)."
    )


def test_a_run_where_one_export_failed_still_lists_the_source_in_the_summary(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.sandbox.faults.add(kind="export_failure", batch_id=sandbox.sandbox.dataset.batches()[1].batch_id)
    result = run_finsync(["run", "--source", "ym"], env_for(sandbox, tmp_path), tmp_path)
    assert result.returncode == 1
    assert "finance_batch_items" in result.stdout and "invoice_items" in result.stdout
