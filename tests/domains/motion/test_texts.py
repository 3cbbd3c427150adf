"""Caption, prompt and CMU-index readers on the real files, and every malformed-line error naming file and line."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from seqkit.domains.motion.errors import MotionFormatError
from seqkit.domains.motion.texts import (
    Caption,
    Prompt,
    read_cmu_index,
    read_humanml_texts,
    read_prompts,
    write_humanml_texts,
)

MOTION = Path(os.environ.get("SEQKIT_SHARED_DATA", Path(__file__).parents[4] / "shared" / "data")) / "motion"
PROMPTS = MOTION / "prompts"
needs_data = pytest.mark.skipif(not PROMPTS.exists(), reason=f"motion data not found at {MOTION}")


@needs_data
def test_mld_prompts_lead_with_the_length_in_frames() -> None:
    prompts = read_prompts(PROMPTS / "mld_demo_example.txt")
    assert [p.n_frames for p in prompts] == [50, 100, 100]
    assert prompts[0].text == "a man kicks with something or someone with his left leg."
    assert prompts[2] == Prompt("a person walks backward slowly.", 100) and prompts[2].seconds == 5.0


@needs_data
def test_momask_prompts_end_with_the_length_and_the_last_line_needs_no_newline() -> None:
    prompts = read_prompts(PROMPTS / "momask_text_prompt.txt")
    assert [p.n_frames for p in prompts] == [132, 84, 176, 192, 52, 52, 60, 92, 92, 124, 132, 148]
    assert prompts[0].text.startswith("the person holds his left foot") and "#" not in prompts[0].text
    assert prompts[-1].text == "a person reaching down and picking something up."


@needs_data
def test_mdm_prompts_are_plain_lines_without_a_length() -> None:
    prompts = read_prompts(PROMPTS / "mdm_example_text_prompts.txt")
    assert len(prompts) == 8 and all(p.n_frames is None and p.seconds is None for p in prompts)
    assert prompts[0].text == "person got down and is crawling across the floor."
    assert prompts[-1].text == "person is making attention gesture"


@needs_data
def test_explicit_format_overrides_detection() -> None:
    as_plain = read_prompts(PROMPTS / "mld_demo_example.txt", format="mdm")
    assert as_plain[0] == Prompt("50 a man kicks with something or someone with his left leg.")
    with pytest.raises(MotionFormatError, match=r"prompts.txt: line 1: length 'person' is not a whole"):
        read_prompts(PROMPTS / "mdm_example_text_prompts.txt", format="mld")
    with pytest.raises(MotionFormatError, match=r"line 1: no '#<frames>' at the end"):
        read_prompts(PROMPTS / "mdm_example_text_prompts.txt", format="momask")
    with pytest.raises(ValueError, match="prompt format must be one of mld, momask, mdm"):
        read_prompts(PROMPTS / "mdm_example_text_prompts.txt", format="t2m")


def test_prompt_detection_and_blank_lines(tmp_path: Path) -> None:
    mld = tmp_path / "mld.txt"
    mld.write_text("\n40 a person waves.\n\n  \n60   someone jumps  \n")
    assert read_prompts(mld) == [Prompt("a person waves.", 40), Prompt("someone jumps", 60)]
    momask = tmp_path / "momask.txt"
    momask.write_text("a person waves #1 time.#40\r\nsomeone jumps.# 60 \r\n")  # the last '#' holds the length
    assert read_prompts(momask) == [Prompt("a person waves #1 time.", 40), Prompt("someone jumps.", 60)]


@pytest.mark.parametrize("content, fmt, message", [
    ("40 a person waves.\n\n50.5 someone jumps.\n", None, r"line 3: length '50.5' is not a whole number of frames"),
    ("40 a person waves.\n0 someone jumps.\n", None, r"line 2: length 0 must be a positive number of frames"),
    ("40 a person waves.\n-5 someone jumps.\n", None, r"line 2: length -5 must be a positive number"),
    ("40 a person waves.\n60\n", None, r"line 2: no prompt text after the length"),
    ("40 a person waves.\nsomeone jumps.\n", None, r"line 2: length 'someone' is not a whole number"),
    ("a person waves.#40\nsomeone jumps.\n", None, r"line 2: no '#<frames>' at the end"),
    ("a person waves.#40\nsomeone jumps.#sixty\n", None, r"line 2: length 'sixty' is not a whole number"),
    ("a person waves.#40\n#60\n", None, r"line 2: empty prompt text before '#'"),
    ("a person waves.#40\nsomeone jumps.#-1\n", None, r"line 2: length -1 must be a positive number"),
    ("\n\n", None, r"no prompts \(the file is empty\)"),
    ("a person waves.\n", "mld", r"line 1: length 'a' is not a whole number"),
])
def test_prompt_errors_name_the_file_and_line(tmp_path: Path, content: str, fmt: str | None, message: str) -> None:
    path = tmp_path / "prompts.txt"
    path.write_text(content)
    with pytest.raises(MotionFormatError, match=rf"^{re.escape(str(path))}: {message}"):
        read_prompts(path, format=fmt)


@needs_data
def test_derived_caption_file_reads_as_three_whole_clip_captions() -> None:
    captions = read_humanml_texts(MOTION / "derived" / "cmu_01_01_texts.txt")
    assert len(captions) == 3
    first = captions[0]
    assert first.text == "a person jumps forward several times and then turns around."
    assert first.tokens[:3] == [("a", "DET"), ("person", "NOUN"), ("jump", "VERB")] and len(first.tokens) == 10
    assert all(c.whole_clip and c.frame_span(459) == (0, 459) for c in captions)
    assert ("t", "NOUN") in captions[2].tokens


def test_caption_spans_follow_humanml3d(tmp_path: Path) -> None:
    path = tmp_path / "000001.txt"
    path.write_text("a man walks.#a/DET man/NOUN walk/VERB#1.5#4.0\n\nhe stops.#he/PRON stop/VERB#nan#nan\n"
                    "then sits.##0.0#2.0\n")
    walk, stop, sit = read_humanml_texts(path)
    assert (walk.start, walk.end, walk.whole_clip) == (1.5, 4.0, False)
    assert walk.frame_span() == (30, 80) and walk.frame_span(60) == (30, 60)
    assert stop.whole_clip and stop.frame_span() == (0, None)  # nan#nan: the whole clip, as HumanML3D reads it
    assert sit.tokens == [] and sit.frame_span(100) == (0, 40)
    assert Caption("x", start=1.58, end=2.09).frame_span() == (31, 41)  # truncation, as HumanML3D's int(t * 20)


@pytest.mark.parametrize("line, message", [
    ("a man walks", r"no '#': expected caption#tokens#start#end"),
    ("a man walks#a/DET#0.0", r"3 '#'-separated fields, expected 4"),
    ("a man #1 walks#a/DET#0.0#0.0", r"5 '#'-separated fields, expected 4"),
    ("a man walks#a/DET#zero#0.0", r"start time 'zero' is not a number"),
    ("a man walks#a/DET#0.0#1.0s", r"end time '1.0s' is not a number"),
    ("   #a/DET#0.0#0.0", r"empty caption"),
    ("a man walks#a/DET man#0.0#0.0", r"token 'man' is not word/POS"),
    ("a man walks#a/DET#3.0#1.0", r"end 1.0 s is before start 3.0 s"),
    ("a man walks#a/DET#-1.0#1.0", r"times must be finite and not negative"),
    ("a man walks#a/DET#0.0#inf", r"times must be finite and not negative"),
])
def test_caption_errors_name_the_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "000002.txt"
    path.write_text(f"a person runs.#a/DET person/NOUN run/VERB#0.0#0.0\n\n{line}\n")
    with pytest.raises(MotionFormatError, match=rf"^{re.escape(str(path))}: line 3: {message}"):
        read_humanml_texts(path)


def test_not_utf8_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("caf\u00e9 walk#x/NOUN#0#0\n".encode("latin-1"))
    with pytest.raises(MotionFormatError, match=r"latin1.txt: not UTF-8 text \(byte 3\)"):
        read_humanml_texts(path)


def test_written_captions_read_back_equal(tmp_path: Path) -> None:
    captions = [Caption("a person walks forward.", [("a", "DET"), ("person", "NOUN"), ("walk", "VERB")]),
                Caption("then turns/spins around", [("turn/spin", "VERB")], 0.1 + 0.2, 7.05),
                Caption("no tags here", [], 2.0, 3.0)]
    path = write_humanml_texts(tmp_path / "sub" / "000003.txt", captions)
    assert read_humanml_texts(path) == captions
    assert path.read_text().splitlines()[0] == "a person walks forward.#a/DET person/NOUN walk/VERB#0.0#0.0"
    for bad, message in [(Caption("a # b"), "contains '#'"), (Caption("  "), "empty caption"),
                         (Caption("ok", [("walk", "VE RB")]), "cannot be written"),
                         (Caption("ok", start=2.0, end=1.0), "before start")]:
        with pytest.raises(ValueError, match=message):
            write_humanml_texts(tmp_path / "bad.txt", [bad])
    assert not (tmp_path / "bad.txt").exists()


@needs_data
def test_cmu_index_rows_and_effective_frame_rate() -> None:
    index = read_cmu_index(MOTION / "cmu_daz" / "index.csv")
    assert len(index) == 58
    jump = index["16_01.bvh.gz"]
    assert (jump.name, jump.subject, jump.trial, jump.frames, jump.description) == ("16_01", 16, 1, 322, "jump")
    assert jump.fps == 30.0 and jump.capture_fps == 120.0 and jump.effective_fps == 120.0  # header says 30
    assert index["16_02.bvh.gz"].effective_fps == 120.0
    walk = index["02_01.bvh.gz"]
    assert walk.capture_fps is None and walk.effective_fps == walk.fps == 120.0 and walk.joints == 43
    assert index["13_10.bvh.gz"].description == "jump up to grab, reach for, tiptoe"  # quoted comma survives
    kinds = [t.description for t in index.values()]
    assert sum("walk" in d for d in kinds) == 33 and sum("run" in d for d in kinds) == 12
    assert sum("jump" in d for d in kinds) == 13
    assert all(t.effective_fps == 120.0 for t in index.values())


@pytest.mark.parametrize("rows, message", [
    ("file,subject,trial,frames,description\n", r"line 1: missing column\(s\) fps"),
    ("file,subject,trial,frames,fps,description\na.bvh,1,1,ten,120,walk\n", r"line 2: frames 'ten' is not an integer"),
    ("file,subject,trial,frames,fps,description\na.bvh,1,1,10,0,walk\n", r"line 2: fps '0' must be a positive number"),
    ("file,subject,trial,frames,fps,description\na.bvh,1,1,10,120\n", r"line 2: expected 6 fields"),
    ("file,subject,trial,frames,fps,description\na.bvh,1,1,10,120,walk\na.bvh,1,2,10,120,run\n",
     r"line 3: a.bvh is listed twice"),
    ("", r"empty file, expected a CSV header"),
])
def test_cmu_index_errors_name_the_file_and_line(tmp_path: Path, rows: str, message: str) -> None:
    path = tmp_path / "index.csv"
    path.write_text(rows)
    with pytest.raises(MotionFormatError, match=rf"^{re.escape(str(path))}: {message}"):
        read_cmu_index(path)
