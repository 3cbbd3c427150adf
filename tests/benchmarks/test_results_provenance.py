"""Results are traceable: every report (and section) names the commit its figures were measured at and the paths
it measures, and none of those paths changed after that commit; benchmarks/provenance.py writes and reads that."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "benchmarks" / "results"
# benchmarks/provenance.py, loaded by path: benchmarks/ is a folder of scripts, not a package on sys.path
_spec = importlib.util.spec_from_file_location("benchmark_provenance", REPO / "benchmarks" / "provenance.py")
provenance = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(provenance)

SCRIPTS = ["mixers", "kernels_gpu", "kernels_static", "synthetic_tasks", "forecast", "forecast_ett", "protein", "dna",
           "dna_promoter_sweep", "motion", "video", "textimage", "protein_cross_family", "peers"]
REPORTS = [(md, name, text) for md in sorted(RESULTS.glob("*.md"))
           for name, text in provenance.sections(md.read_text()).items()]
RUN_RECORDS = sorted(p for p in RESULTS.glob("*/*.json"))


def _where(path: Path, section: str = "") -> str:
    return str(path.relative_to(REPO)) + (f", section {section}" if section else "")


def _history_missing(repo: Path) -> str | None:
    if shutil.which("git") is None:
        return "git is not installed, so the commits the results name cannot be dated"
    if provenance.git("rev-parse", "--git-dir", repo=repo) is None:
        return "not a git checkout (no .git), so the commits the results name cannot be dated"
    return None


def check_current(where: str, commit: str, measures: list[str], repo: Path = REPO) -> None:
    """Fail when a path ``where`` measures changed in a commit after ``commit``; skip when the history is not here."""
    reason = _history_missing(repo)
    if reason:
        pytest.skip(reason)
    if provenance.git("cat-file", "-e", f"{commit}^{{commit}}", repo=repo) is None:
        shallow = (provenance.git("rev-parse", "--is-shallow-repository", repo=repo) or "").strip() == "true"
        pytest.skip(f"{where}: commit {commit[:12]} is not in this clone's history "
                    + ("(a shallow clone)" if shallow else "(made on a branch that was rewritten or not merged)"))
    newer = provenance.newer_commits(commit, measures, repo=repo)
    assert not newer, (f"{where} was measured at {commit[:12]}, but code it measures changed after it, in:\n  "
                       + "\n  ".join(newer) + "\nRerun the command in its provenance block and commit the new figures.")


@pytest.mark.parametrize(("report", "section", "text"), REPORTS, ids=[_where(p, s) for p, s, _ in REPORTS])
def test_report_names_a_commit_no_older_than_the_code_it_measures(report: Path, section: str, text: str) -> None:
    found = provenance.parse(text)
    assert found is not None, f"{_where(report, section)} names no commit: its figures cannot be traced to code"
    assert found["measures"], f"{_where(report, section)} does not say which code it measures (a '- Measures:' line)"
    check_current(_where(report, section), found["commit"], found["measures"])


@pytest.mark.parametrize("record", RUN_RECORDS, ids=[_where(p) for p in RUN_RECORDS])
def test_run_record_names_a_commit_no_older_than_the_code_it_measures(record: Path) -> None:
    prov = json.loads(record.read_text()).get("provenance") or {}
    assert prov.get("commit"), f"{_where(record)} names no commit: its figures cannot be traced to code"
    assert prov.get("measures"), f"{_where(record)} does not say which code it measures"
    check_current(_where(record), prov["commit"], prov["measures"])


def test_every_report_has_a_json_sidecar_with_the_same_commits() -> None:
    for md in sorted(RESULTS.glob("*.md")):
        sidecar = md.with_suffix(".json")
        assert sidecar.exists(), f"{_where(md)} has no JSON sidecar {sidecar.name}"
        data = json.loads(sidecar.read_text())
        entries = data["sections"] if "sections" in data else {"": data}
        for name, text in provenance.sections(md.read_text()).items():
            assert name in entries, f"{_where(sidecar)} has no entry for section {name!r}"
            assert entries[name]["provenance"]["commit"] == provenance.parse(text)["commit"], _where(md, name)
            assert entries[name]["figures"], f"{_where(sidecar)}: section {name!r} holds no figures"


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_benchmark_declares_existing_measured_paths_including_itself(script: str) -> None:
    path = REPO / "benchmarks" / f"{script}.py"
    tree = ast.parse(path.read_text())
    assigned = [node.value for node in tree.body if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "MEASURES" for t in node.targets)]
    assert assigned, f"benchmarks/{script}.py declares no module-level MEASURES"
    # MEASURES is literal (or built from other module-level literal tuples): run only the module's plain
    # assignments, without its imports; those that need an import fail and are not needed here
    module: dict = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            try:
                exec(compile(ast.Module([node], []), str(path), "exec"), module)
            except Exception:
                continue
    measures = module["MEASURES"]
    groups = measures.values() if isinstance(measures, dict) else [measures]
    for group in groups:
        assert f"benchmarks/{script}.py" in group
        missing = [p for p in group if not (REPO / p).exists()]
        assert not missing, f"benchmarks/{script}.py measures paths that do not exist: {missing}"


# ------------------------------------------------------------------ the machinery, on a throw-away repository
def _repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    _git(repo, "init", "-q")
    return repo


def _git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout


def _commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        (repo / name).write_text(text)
    _git(repo, "add", *files)
    _git(repo, "commit", "-q", "-m", message)
    return _git(repo, "rev-parse", "HEAD").strip()


def test_collect_names_head_and_the_tracked_files_changed_since(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    head = _commit(repo, {"pkg/code.py": "a = 1\n", "bench.py": ""}, "code")
    prov = provenance.collect(["pkg", "bench.py"], argv=["bench.py", "--n", "a b"], repo=repo)
    assert prov["commit"] == head and prov["dirty"] is False and prov["dirty_paths"] == []
    assert prov["command"] == "python bench.py --n 'a b'"
    (repo / "notes.txt").write_text("untracked: not part of the measured code\n")
    assert provenance.collect(["pkg"], repo=repo)["dirty"] is False
    (repo / "pkg" / "code.py").write_text("a = 2\n")
    prov = provenance.collect(["pkg"], repo=repo)
    assert prov["dirty"] is True and prov["dirty_paths"] == ["pkg/code.py"]
    with pytest.raises(FileNotFoundError, match="pkg/typo.py"):
        provenance.collect(["pkg/typo.py"], repo=repo)


def test_markdown_block_reads_back_and_json_sidecar_keeps_other_sections(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _commit(repo, {"pkg/code.py": "", "bench.py": ""}, "code")
    prov = provenance.collect(["pkg", "bench.py"], argv=["bench.py"], repo=repo)
    assert provenance.parse("# Title\n\n| a |\n|---|\n| 1 |\n\n" + provenance.markdown(prov)) == {
        "commit": prov["commit"], "measures": ["pkg", "bench.py"]}
    assert provenance.parse("| a |\n|---|\n| 1 |\n") is None
    report = tmp_path / "r.md"
    provenance.write_json(report, prov, [{"x": 1}], section="one")
    provenance.write_json(report, prov, [{"x": 2}], section="two")
    data = json.loads(report.with_suffix(".json").read_text())
    assert data["sections"]["one"]["figures"] == [{"x": 1}] and data["sections"]["two"]["figures"] == [{"x": 2}]


def test_sections_split_both_marker_styles_and_tables_read_as_rows() -> None:
    text = ("# R\n<!-- a -->\nA\n<!-- /a -->\n<!-- b:start -->\n| k | v |\n|---|---|\n| x | 1 |\n| y | 2 |\n"
            "<!-- b:end -->\n")
    parts = provenance.sections(text)
    assert set(parts) == {"a", "b"} and parts["a"].strip() == "A"
    assert provenance.markdown_tables(parts["b"]) == [[{"k": "x", "v": "1"}, {"k": "y", "v": "2"}]]
    assert provenance.sections("no markers") == {"": "no markers"}


def test_a_change_to_measured_code_after_the_commit_makes_the_figure_stale(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    measured = _commit(repo, {"pkg/code.py": "a = 1\n", "other.py": ""}, "measured here")
    _commit(repo, {"other.py": "b = 1\n"}, "unmeasured file")
    _commit(repo, {"pkg/code.py": '"""What a is."""\n\na = 1  # one\n'}, "docstring and comment only")
    assert provenance.newer_commits(measured, ["pkg"], repo=repo) == []
    _commit(repo, {"pkg/code.py": "a = 2\n"}, "report only\n\nFigures-unchanged: pkg/code.py")
    assert provenance.newer_commits(measured, ["pkg"], repo=repo) == []  # declared, for this path
    _commit(repo, {"pkg/code.py": "a = 3\n", "pkg/more.py": ""}, "faster\n\nFigures-unchanged: pkg/more.py")
    stale = provenance.newer_commits(measured, ["pkg"], repo=repo)
    assert len(stale) == 1 and stale[0].endswith("faster")
    with pytest.raises(AssertionError, match="faster"):
        check_current("r.md", measured, ["pkg"], repo=repo)


def test_a_commit_missing_from_the_history_skips_with_a_reason(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _commit(repo, {"pkg/code.py": ""}, "code")
    with pytest.raises(pytest.skip.Exception, match="not in this clone's history"):
        check_current("r.md", "0123456789abcdef0123456789abcdef01234567", ["pkg"], repo=repo)
