"""A printable sign for the people in view: that a camera reads the emotions on their faces, what is kept,
for how long, and whom to ask. In the EU, deployers of emotion recognition must inform the people exposed
to it (AI Act, Article 50(3); docs/privacy.md). ``emotion-monitor notice`` writes it as PDF and PNG (A4).
"""

from __future__ import annotations

from pathlib import Path

from .privacy import DEFAULT, MIN_GROUP

KEPT = {  # what a recording keeps at each privacy level (privacy.py), in a customer's words
    "full": "the mood of the queue and, for each person, a number that changes every visit, where the face was "
            "in the picture, the emotion read and the time",
    "people": "the mood of the queue and, for each person, a number that changes every visit, the emotion read "
              "and the time",
    "aggregate": "only the mood of the queue (when at least {min_group} faces are read), how many people were in "
                 "it and any alert, once a second; nothing about any one person",
}


def retention_sentence(keep_days: float) -> str:
    """What ``--keep-days`` does (retention.py), as the sign says it: every file the monitor writes goes
    ``keep_days`` after it was last written (a day's recording: after its day), checked every hour."""
    from .retention import EVERY

    every = "hour" if EVERY == 3600 else f"{EVERY / 60:g} minutes"
    return (f"Recordings (a new file each day) and the other files the monitor writes are deleted {keep_days:g} "
            f"day{'' if keep_days == 1 else 's'} after they were last written, checked every {every}.")


def notice_lines(contact: str, keep_days: float = 0, recording: bool = True, place: str = "this area",
                 sends_alerts: bool = False, privacy: str = DEFAULT, min_group: int = MIN_GROUP) -> list[str]:
    """The sign's text, one paragraph a line (the first is the heading); ``min_group``: the monitor's
    ``--min-group`` (at "aggregate", no mood of fewer faces)."""
    kept = (f"Kept: {KEPT[privacy].format(min_group=min_group)}; no picture of any face is stored." if recording
            else "Nothing is recorded: the readings are shown live and then discarded.")
    days = (retention_sentence(keep_days) if recording and keep_days
            else "Recordings are kept until the operator deletes them." if recording else "")
    return [
        "Emotion monitoring in operation",
        f"A camera over {place} estimates the emotions shown on faces (happy, neutral, sad, angry...) to warn staff "
        "when waiting customers become unhappy.",
        "It does not identify you: no name, no face database, nothing is compared with other visits.",
        kept,
        days,
        (f"Alerts (the queue's mood{'' if privacy == 'aggregate' else ' and a person’s number'}, never a picture) "
         "are sent to staff; nothing else leaves this site." if sends_alerts else "Nothing is sent outside this site."),
        f"Questions, or to object: {contact}",
    ]


def write_notice(out: str | Path, contact: str, keep_days: float = 0, recording: bool = True,
                 place: str = "this area", sends_alerts: bool = False, privacy: str = DEFAULT,
                 min_group: int = MIN_GROUP) -> list[Path]:
    """Write the sign as ``out`` with the suffixes .pdf and .png (A4, portrait); returns both paths."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = [line for line in notice_lines(contact, keep_days, recording, place, sends_alerts, privacy, min_group) if line]
    fig = plt.figure(figsize=(8.27, 11.69))  # A4
    fig.text(0.5, 0.9, lines[0], ha="center", va="top", fontsize=26, fontweight="bold", wrap=True)
    fig.text(0.5, 0.83, "\u25c9  camera", ha="center", va="top", fontsize=22, color="#c62828")
    y = 0.74
    for para in lines[1:]:
        text = "\n".join(textwrap.wrap(para, 46))
        fig.text(0.1, y, text, ha="left", va="top", fontsize=17, linespacing=1.4)
        y -= 0.035 * (text.count("\n") + 1) + 0.035
    paths = [Path(out).with_suffix(".pdf"), Path(out).with_suffix(".png")]
    for path in paths:
        fig.savefig(path, dpi=150 if path.suffix == ".png" else None)
    plt.close(fig)
    return paths
