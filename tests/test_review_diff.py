"""Korean diffs: a changed particle shows as one character, a rewrite as whole phrases."""

from __future__ import annotations

from pipeline.review.diff import diff_text


def ops(old: str, new: str) -> list[tuple[str, str]]:
    return [(s.op, s.text) for s in diff_text(old, new)]


def test_a_changed_particle_is_a_one_character_change() -> None:
    assert ops("제안 방법을 적용합니다.", "제안 방법은 적용합니다.") == [
        ("equal", "제안 방법"),
        ("delete", "을"),
        ("insert", "은"),
        ("equal", " 적용합니다."),
    ]


def test_a_rewritten_sentence_is_one_deletion_and_one_insertion() -> None:
    old = "모델은 입력을 32개의 토큰으로 압축한 뒤 디코더가 복원합니다."
    new = "검색 헤드는 긴 문맥에서 정보를 찾아오며 메모리를 40% 줄입니다."
    assert ops(old, new) == [("delete", old), ("insert", new)]


def test_segments_rebuild_both_texts() -> None:
    old = "성능은 7개 데이터셋에서 가장 좋습니다. ablation 실험도 포함합니다."
    new = "성능은 8개 데이터셋 모두에서 가장 좋습니다. 추가 ablation 실험도 포함합니다!"
    segments = diff_text(old, new)
    assert "".join(s.text for s in segments if s.op != "insert") == old
    assert "".join(s.text for s in segments if s.op != "delete") == new
    assert diff_text(old, old) == [segments[0].model_copy(update={"text": old})]
