import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run(*args) -> list[dict]:
    out = StringIO()
    call_command("assist", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_coach_reads_and_writes_one_object_per_line(tmp_path):
    path = tmp_path / "replies.jsonl"
    path.write_text(
        '{"id": 1, "text": "我们尽可能帮你查一下，你必须先提供订单号"}\n'
        '{"id": "b", "text": "我会马上处理。"}\n'
        "\n"
        "not json\n"
        '{"id": 3}\n'
        "[1, 2]\n",
        encoding="utf-8",
    )
    lines = run("coach", str(path))
    assert lines[0]["id"] == 1 and lines[0]["rules"] == ["try_best", "must"]
    assert lines[1] == {"id": "b", "rules": [], "flags": []}
    assert lines[2]["line"] == 4 and lines[2]["error"].startswith("not JSON")
    assert lines[3] == {"line": 5, "id": 3, "error": "text: a string is required"}
    assert lines[4]["error"] == "text: a string is required"


def test_upset_reads_and_writes_one_object_per_line(tmp_path):
    path = tmp_path / "messages.jsonl"
    path.write_text(
        '{"id": 7, "text": "我要投诉！态度太差了！"}\n{"id": 8, "text": "谢谢，车修得很好。"}\n',
        encoding="utf-8",
    )
    first, second = run("upset", str(path))
    assert first["id"] == 7 and first["upset"] is True and first["intensity"] == 2
    assert first["reasons"]
    assert second == {"id": 8, "upset": False, "intensity": 0, "reasons": [], "risk": False}


def test_a_missing_file_is_an_error_naming_the_file(tmp_path):
    with pytest.raises(CommandError, match="file: cannot read"):
        run("coach", str(tmp_path / "nope.jsonl"))


def test_evaluate_meets_the_goals_on_the_held_out_examples(tmp_path):
    out = StringIO()
    call_command("assist", "evaluate", "--no-write", stdout=out)
    text = out.getvalue()
    assert "heldout" in text
    from rapport.assist.evaluate import evaluate_coach, evaluate_upset

    coach, upset = evaluate_coach("heldout"), evaluate_upset("heldout")
    assert coach.overall.recall >= 0.95
    assert 1 - coach.overall.precision <= 0.05
    assert upset.score.f1 >= 0.85


def test_evaluate_writes_the_report(tmp_path, settings):
    settings.PROJECT_DIR = tmp_path
    (tmp_path / "docs").mkdir()
    call_command("assist", "evaluate", stdout=StringIO())
    report = (tmp_path / "docs" / "assistance.md").read_text(encoding="utf-8")
    assert "| **overall** |" in report and "F1" in report
