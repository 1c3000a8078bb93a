from tests.media_factory import make_video, tone_burst_track


def test_make_video_with_generated_audio(tmp_path):
    track = tone_burst_track(3.0, [1.0])
    video = make_video(tmp_path / "a b.mp4", 3.0, audio=track)
    assert video.stat().st_size > 1000
    assert abs(track[16000:26000]).max() > 0.3 > abs(track[:8000]).max()


def test_make_video_without_audio(tmp_path):
    assert make_video(tmp_path / "silent.mp4", 1.0, audio=None).exists()
