"""Smoke test: the real sounddevice output plays a song through an ALSA null device.

PortAudio reads the ALSA configuration when sounddevice is imported, so the
test runs in a fresh interpreter with ``ALSA_CONFIG_PATH`` pointing at a
configuration whose default PCM discards everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ASOUND_NULL = "pcm.!default {\n    type null\n}\n"
SCRIPT = textwrap.dedent("""
    import json, sys, threading
    from desktop.player import Player, list_output_devices, open_default_output
    from tests.audio_fixtures import write_song

    path = write_song(sys.argv[1], seconds=1.0)
    output, reason = open_default_output()
    if output is None:
        print(json.dumps({"reason": reason}))
        sys.exit(3)
    player = Player(output)
    ended = threading.Event()
    player.add_listener(lambda event: event == "ended" and ended.set())
    player.load_file(str(path), native_rate=44100).join(30)
    player.set_beats([0.0, 0.5], [True, False])
    player.set_metronome(True)
    started = player.play()
    finished = ended.wait(20)
    print(json.dumps({"devices": [str(d) for d in list_output_devices()], "started": started,
                      "finished": finished, "state": player.state, "position": player.position(),
                      "duration": player.duration, "error": player.error}))
    player.close()
""")


def test_plays_through_an_alsa_null_device(tmp_path):
    pytest.importorskip("sounddevice")
    conf = tmp_path / "asound.conf"
    conf.write_text(ASOUND_NULL)
    env = dict(os.environ, ALSA_CONFIG_PATH=str(conf), PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "song.wav")], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["devices"], "the null PCM is listed as an output device"
    assert report["started"] and report["finished"], report
    assert report["state"] == "stopped" and not report["error"]
    assert report["position"] == pytest.approx(report["duration"], abs=0.01)
