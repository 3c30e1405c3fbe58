"""key_terms as the first use of jieba in a process (a suggestion panel opened first)."""

import subprocess
import sys


def test_key_terms_as_the_first_jieba_use_does_not_hang():
    code = (
        "from rapport.knowledge.text import key_terms;"
        "print(key_terms('发动机冷启动异响，检修后仍然异响'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "异响" in result.stdout
