"""Human real-vs-fake study: bootstrap CIs, ordering, resume, images, HTTP API and the CLI."""

import http.client
import io
import json
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest
from PIL import Image
from scipy import stats

from keras_gen.evaluation import human_study
from keras_gen.evaluation.human_study import HumanStudy
from keras_gen.evaluation.human_study import bootstrap_rate_ci
from keras_gen.evaluation.human_study import hype_report
from keras_gen.evaluation.human_study import read_judgments
from keras_gen.evaluation.human_study import serve_study

# NumPy, tf.data or the standard library only: one backend checks it (tests/conftest.py).
pytestmark = pytest.mark.backend_independent

MODULE_FILE = human_study.__file__


def write_pngs(folder, count, seed, size=(8, 8)):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        pixels = rng.integers(0, 256, size, dtype=np.uint8)
        (folder / f"image_{i:03d}.png").write_bytes(human_study.encode_png(pixels))
    return folder


@pytest.fixture
def folders(tmp_path):
    return write_pngs(tmp_path / "samples", 12, seed=1), write_pngs(tmp_path / "real", 10, seed=2)


def judge(study, answers):
    """Judges the next len(answers) trials; returns the saved records."""
    records = []
    for answer in answers:
        trial = study.next_trial()
        assert not trial["done"]
        records.append(study.record(trial["token"], answer, response_ms=100))
    return records


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_ci_two_outcomes_by_hand():
    # One error in two: resampled rates 0, 1/2, 1 with probabilities 1/4, 1/2, 1/4.
    # The 2.5% and 97.5% quantiles are therefore 0 and 1; the 30% and 70% ones 1/2.
    assert bootstrap_rate_ci(1, 2, num_samples=20000, seed=0) == [0.0, 1.0]
    assert bootstrap_rate_ci(1, 2, confidence=0.4, num_samples=20000, seed=0) == [0.5, 0.5]


def test_bootstrap_ci_degenerate_cases():
    assert bootstrap_rate_ci(0, 30) == [0.0, 0.0]
    assert bootstrap_rate_ci(30, 30) == [1.0, 1.0]
    assert bootstrap_rate_ci(0, 0) is None
    with pytest.raises(ValueError, match="errors <= total"):
        bootstrap_rate_ci(3, 2)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_rate_ci(1, 2, confidence=1.0)


def test_bootstrap_ci_is_the_binomial_quantile_interval():
    # Resampling n outcomes with k errors gives Binomial(n, k/n) errors, so with
    # many resamples the percentile interval is the binomial quantile interval.
    n, k = 50, 15
    low, high = bootstrap_rate_ci(k, n, num_samples=40000, seed=3)
    assert low == pytest.approx(stats.binom.ppf(0.025, n, k / n) / n, abs=1 / n + 1e-9)
    assert high == pytest.approx(stats.binom.ppf(0.975, n, k / n) / n, abs=1 / n + 1e-9)

    # ... and the same as resampling the outcomes themselves.
    outcomes = np.array([1] * k + [0] * (n - k))
    rng = np.random.default_rng(0)
    rates = outcomes[rng.integers(0, n, size=(40000, n))].mean(axis=1)
    brute = np.quantile(rates, [0.025, 0.975])
    assert low == pytest.approx(brute[0], abs=1 / n + 1e-9)
    assert high == pytest.approx(brute[1], abs=1 / n + 1e-9)


def test_bootstrap_ci_is_deterministic_with_a_seed():
    assert bootstrap_rate_ci(37, 120, seed=7) == bootstrap_rate_ci(37, 120, seed=7)
    judgments = [{"label": "fake", "judgment": "real"}] * 9 + [{"label": "fake", "judgment": "fake"}] * 11
    judgments += [{"label": "real", "judgment": "fake"}] * 3 + [{"label": "real", "judgment": "real"}] * 17
    assert hype_report(judgments, seed=5) == hype_report(judgments, seed=5)


def test_hype_report_by_hand():
    judgments = ([{"label": "fake", "judgment": "real"}] * 9 + [{"label": "fake", "judgment": "fake"}] * 11
                 + [{"label": "real", "judgment": "fake"}] * 3 + [{"label": "real", "judgment": "real"}] * 17)
    report = hype_report(judgments, num_samples=20000, seed=0)
    assert report["num_judgments"] == 40
    assert report["fake_judged_real"] | {"ci": None} == {"rate": 9 / 20, "ci": None, "errors": 9, "total": 20}
    assert report["real_judged_fake"] | {"ci": None} == {"rate": 3 / 20, "ci": None, "errors": 3, "total": 20}
    assert report["hype_infinity"] | {"ci": None} == {"rate": 12 / 40, "ci": None, "errors": 12, "total": 40}
    for key in ("fake_judged_real", "real_judged_fake", "hype_infinity"):
        low, high = report[key]["ci"]
        assert low <= report[key]["rate"] <= high

    # The HYPE∞ interval resamples fakes and reals separately (their numbers are fixed).
    rng = np.random.default_rng(1)
    fakes = np.array([1] * 9 + [0] * 11)
    reals = np.array([1] * 3 + [0] * 17)
    overall = (fakes[rng.integers(0, 20, (20000, 20))].sum(1)
               + reals[rng.integers(0, 20, (20000, 20))].sum(1)) / 40
    expected = np.quantile(overall, [0.025, 0.975])
    assert report["hype_infinity"]["ci"] == pytest.approx(expected, abs=1 / 40 + 1e-9)

    # Only one kind judged so far: the other is empty, HYPE∞ covers what there is.
    partial = hype_report(judgments[:9])
    assert partial["real_judged_fake"] == {"rate": None, "ci": None, "errors": 0, "total": 0}
    assert partial["hype_infinity"]["rate"] == 1.0
    with pytest.raises(ValueError, match="real"):
        hype_report([{"label": "fake", "judgment": "maybe"}])


def test_format_report_names_every_rate():
    text = human_study.format_report(hype_report([{"label": "fake", "judgment": "real"}]))
    assert "fool rate" in text and "100.0%" in text and "(no judgments)" in text and "HYPE∞" in text


# --------------------------------------------------------------------------- order, subset, resume


def test_order_is_seeded_mixed_and_complete(folders, tmp_path):
    generated, real = folders
    keys = lambda study: [im.key for im in study.images]  # noqa: E731
    a = HumanStudy(generated, real, output=str(tmp_path / "a.jsonl"), seed=0)
    b = HumanStudy(generated, real, output=str(tmp_path / "b.jsonl"), seed=0)
    c = HumanStudy(generated, real, output=str(tmp_path / "c.jsonl"), seed=1)
    d = HumanStudy(generated, real, output=str(tmp_path / "d.jsonl"))
    assert keys(a) == keys(b)
    assert keys(a) != keys(c) and keys(a) != keys(d)
    assert sorted(keys(a)) == sorted(keys(c)) == sorted(
        [f"fake/image_{i:03d}.png" for i in range(12)] + [f"real/image_{i:03d}.png" for i in range(10)])
    # Real and fake are interleaved, not shown side by side.
    labels = [im.label for im in a.images]
    assert labels != sorted(labels) and labels != sorted(labels, reverse=True)
    # The trials follow the order; tokens do not reveal the file or the side.
    first = a.next_trial()
    assert first == {"done": False, "token": first["token"], "position": 1, "total": 22}
    assert a.next_trial()["token"] == first["token"]
    assert "fake" not in first["token"] and "real" not in first["token"] and "image" not in first["token"]
    assert [r["image"] for r in judge(a, ["real"] * 3)] == keys(a)[:3]


def test_max_images_keeps_a_seeded_subset_of_each_side(folders, tmp_path):
    generated, real = folders
    study = HumanStudy(generated, real, output=str(tmp_path / "j.jsonl"), seed=0, max_images=4)
    assert sorted(im.label for im in study.images) == ["fake"] * 4 + ["real"] * 4
    again = HumanStudy(generated, real, output=str(tmp_path / "k.jsonl"), seed=0, max_images=4)
    assert [im.key for im in again.images] == [im.key for im in study.images]
    with pytest.raises(ValueError, match="max_images"):
        HumanStudy(generated, real, output=str(tmp_path / "j.jsonl"), max_images=0)


@pytest.mark.parametrize("max_images", [None, 5])
def test_resume_skips_judged_images_and_reports_every_saved_judgment(folders, tmp_path, max_images):
    generated, real = folders
    output = str(tmp_path / "judgments.jsonl")
    first = HumanStudy(generated, real, output=output, seed=3, max_images=max_images)
    order = [im.key for im in first.images]
    saved = judge(first, ["real", "fake", "real", "real"])
    assert read_judgments(output) == saved

    # Stopped and started again with the same seed: the same images, the judged
    # ones not shown again, the rest in the same order.
    second = HumanStudy(generated, real, output=output, seed=3, max_images=max_images)
    assert [im.key for im in second.images] == order
    assert second.num_remaining == len(order) - 4
    assert second.next_trial()["position"] == 5
    rest = judge(second, ["fake"] * second.num_remaining)
    assert [r["image"] for r in saved + rest] == order
    assert second.next_trial() == {"done": True, "token": None, "position": len(order),
                                   "total": len(order)}
    report = second.report()
    assert report["num_judgments"] == len(order)
    assert report == hype_report(read_judgments(output))
    assert {r["session"] for r in saved} != {r["session"] for r in rest}

    # Without the seed: a new order, still no image twice.
    third = HumanStudy(generated, real, output=output, max_images=max_images)
    assert third.num_remaining == 0 and third.next_trial()["done"]


def test_resume_after_a_line_cut_short(folders, tmp_path, capsys):
    generated, real = folders
    output = tmp_path / "judgments.jsonl"
    study = HumanStudy(generated, real, output=str(output), seed=0)
    judge(study, ["real", "fake"])
    with open(output, "a") as f:
        f.write('{"image": "fake/image_0')  # a crash mid-write
    resumed = HumanStudy(generated, real, output=str(output), seed=0)
    assert "skipping line 3" in capsys.readouterr().err
    assert resumed.num_remaining == 20
    judge(resumed, ["real"])
    lines = output.read_text().splitlines()
    assert len(lines) == 4 and json.loads(lines[3])["judgment"] == "real"
    assert len(read_judgments(str(output))) == 3


def test_judgments_are_checked(folders, tmp_path):
    study = HumanStudy(*folders, output=str(tmp_path / "j.jsonl"), seed=0)
    token = study.next_trial()["token"]
    with pytest.raises(ValueError, match="real"):
        study.record(token, "not sure")
    with pytest.raises(ValueError, match="response_ms"):
        study.record(token, "real", response_ms=-1)
    with pytest.raises(KeyError):
        study.record("no-such-token", "real")
    record = study.record(token, "fake", response_ms=812.4)
    assert record["response_ms"] == 812 and record["correct"] == (record["label"] == "fake")
    with pytest.raises(KeyError):
        study.record(token, "fake")  # judged already
    assert len(read_judgments(str(tmp_path / "j.jsonl"))) == 1


# --------------------------------------------------------------------------- images


def decode(data):
    return np.asarray(Image.open(io.BytesIO(data)))


def test_png_encoder_round_trips_through_pillow():
    rng = np.random.default_rng(0)
    for shape in [(5, 7), (5, 7, 1), (5, 7, 3), (5, 7, 4)]:
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        decoded = decode(human_study.encode_png(pixels))
        np.testing.assert_array_equal(decoded, pixels[..., 0] if shape[-1:] == (1,) else pixels)
        assert human_study._image_size(human_study.encode_png(pixels)) == (7, 5)


def test_image_files_and_arrays_in_both_ranges(tmp_path):
    rng = np.random.default_rng(0)
    tanh_images = rng.uniform(-1, 1, (3, 6, 5, 1)).astype("float32")
    np.save(tmp_path / "tanh.npy", tanh_images)
    uint8_images = rng.integers(0, 256, (2, 6, 5, 3), dtype=np.uint8)
    np.savez(tmp_path / "uint8.npz", images=uint8_images, labels=np.arange(2))
    Image.fromarray(uint8_images[0]).save(tmp_path / "photo.jpg")
    (tmp_path / ".hidden.png").write_bytes(b"not an image")

    images = human_study.load_images(str(tmp_path), "fake")
    assert [im.key for im in images] == ["fake/photo.jpg", "fake/tanh.npy[0]", "fake/tanh.npy[1]",
                                         "fake/tanh.npy[2]", "fake/uint8.npz[0]", "fake/uint8.npz[1]"]
    data, content_type = images[0].read()
    assert content_type == "image/jpeg" and human_study._image_size(data) == (5, 6)
    data, content_type = images[2].read()
    assert content_type == "image/png"
    expected = np.rint((tanh_images[1, :, :, 0] + 1) * 127.5).astype(np.uint8)
    np.testing.assert_array_equal(decode(data), expected)
    np.testing.assert_array_equal(decode(images[5].read()[0]), uint8_images[1])

    # A single array file works as a side; [0, 1] floats must be named.
    assert len(human_study.load_images(str(tmp_path / "tanh.npy"), "real")) == 3
    np.save(tmp_path / "unit.npy", rng.uniform(0, 1, (2, 4, 4)))
    with pytest.raises(ValueError, match="value_range"):
        human_study.load_images(str(tmp_path / "unit.npy"), "fake")
    unit = human_study.load_images(str(tmp_path / "unit.npy"), "fake", value_range="0to1")
    assert decode(unit[0].read()[0]).shape == (4, 4)
    np.save(tmp_path / "chw.npy", np.zeros((2, 3, 8, 8)))
    with pytest.raises(ValueError, match="channels last"):
        human_study.load_images(str(tmp_path / "chw.npy"), "fake")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no PNG/JPEG"):
        human_study.load_images(str(tmp_path / "empty"), "fake")


def test_a_format_or_size_giveaway_is_warned_about(tmp_path):
    generated = write_pngs(tmp_path / "samples", 3, seed=0, size=(8, 8))
    real = write_pngs(tmp_path / "real", 3, seed=1, size=(16, 16))
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(real / "photo.jpg")
    warnings = HumanStudy(generated, real, output=str(tmp_path / "j.jsonl")).warnings
    assert any("JPEG" in w for w in warnings) and any("8x8" in w and "16x16" in w for w in warnings)
    same = HumanStudy(generated, generated, output=str(tmp_path / "k.jsonl")).warnings
    assert same == []


# --------------------------------------------------------------------------- HTTP


def request(url, path, method="GET", body=None, headers=None):
    connection = http.client.HTTPConnection(url.split("/")[2], timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


def post_judgment(url, payload, content_type="application/json"):
    status, _, body = request(url, "/api/judgment", "POST", json.dumps(payload).encode(),
                              {"Content-Type": content_type})
    return status, json.loads(body)


@pytest.fixture
def served(folders, tmp_path):
    study = HumanStudy(*folders, output=str(tmp_path / "judgments.jsonl"), seed=0)
    server, url = serve_study(study)
    yield study, server, url
    server.shutdown()
    server.server_close()


def test_server_binds_only_the_loopback_address(served):
    study, server, url = served
    assert server.server_address[0] == "127.0.0.1" and server.server_address[1] > 0
    assert url == f"http://127.0.0.1:{server.server_address[1]}/"
    status, content_type, page = request(url, "/")
    assert status == 200 and content_type.startswith("text/html")
    assert b'id="judge-real"' in page and b"http" not in page.split(b"<script>")[1]  # no external assets
    # DNS rebinding: a request that names another host is refused.
    status, _, _ = request(url, "/report", headers={"Host": "attacker.example"})
    assert status == 403


def test_http_judgment_round_trip(served):
    study, _, url = served
    trial = json.loads(request(url, "/api/next")[2])
    status, content_type, data = request(url, "/image/" + trial["token"])
    assert status == 200 and content_type == "image/png" and decode(data).shape == (8, 8)
    assert request(url, "/image/unknown")[0] == 404

    assert post_judgment(url, {"token": trial["token"], "judgment": "real"}, "text/plain")[0] == 415
    assert post_judgment(url, {"token": trial["token"], "judgment": "perhaps"})[0] == 400
    status, answer = post_judgment(url, {"token": trial["token"], "judgment": "real",
                                         "response_ms": 950})
    assert status == 200 and answer["next"]["position"] == 2
    status, answer = post_judgment(url, {"token": trial["token"], "judgment": "real"})
    assert status == 409 and answer["next"]["position"] == 2

    (record,) = read_judgments(study.output)
    assert record["image"] == study.images[0].key and record["judgment"] == "real"
    assert record["response_ms"] == 950
    report = json.loads(request(url, "/report")[2])
    assert report == study.report() == hype_report([record])


# --------------------------------------------------------------------------- command line

NO_KERAS = """
import sys
import keras_gen_cli
try:
    keras_gen_cli.judge(["--help"])
except SystemExit:
    pass
heavy = sorted(name for name in ("keras", "keras_gen", "tensorflow", "jax", "torch", "numpy")
               if name in sys.modules)
print("HEAVY", heavy)
"""


def test_cli_help_imports_neither_keras_nor_numpy():
    # The `keras-gen-judge` entry point: no framework (nor the keras_gen package) is imported.
    result = subprocess.run([sys.executable, "-c", NO_KERAS], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "usage: keras-gen-judge" in result.stdout and "--max-images" in result.stdout
    assert "HEAVY []" in result.stdout


def test_cli_runs_a_study_and_reports_on_ctrl_c(folders, tmp_path):
    generated, real = folders
    output = tmp_path / "judgments.jsonl"
    # The CLI starts with SIGINT ignored, as a shell starts background jobs: Ctrl+C must still
    # stop it. (Set in the child itself: a `preexec_fn` would fork a multithreaded test process.)
    argv = [MODULE_FILE, str(generated), str(real), "--output", str(output),
            "--seed", "0", "--max-images", "2"]
    launcher = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                f"sys.argv = {argv!r}; runpy.run_path(sys.argv[0], run_name='__main__')")
    process = subprocess.Popen([sys.executable, "-c", launcher],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(60, process.kill)  # bounds the blocking reads below
    watchdog.start()
    try:
        lines = [process.stdout.readline(), process.stdout.readline()]
        assert "studying 4, 0 already judged" in lines[0], lines
        url = lines[1].split()[1]
        assert url.startswith("http://127.0.0.1:")
        trial = json.loads(request(url, "/api/next")[2])
        assert post_judgment(url, {"token": trial["token"], "judgment": "fake"})[0] == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "HYPE∞ (overall error rate)" in out and "1 judgments" in out
    assert len(read_judgments(str(output))) == 1

    # --report prints the saved judgments' report without serving.
    result = subprocess.run([sys.executable, MODULE_FILE, str(generated), str(real), "--output",
                             str(output), "--report"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "1 judgments" in result.stdout
    # A bad folder is a clear error, not a traceback.
    result = subprocess.run([sys.executable, MODULE_FILE, str(tmp_path / "missing"), str(real)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "no such file or folder" in result.stderr


def test_console_script_is_registered():
    from importlib import metadata

    import keras_gen_cli

    scripts = {entry.name: entry for entry in metadata.entry_points(group="console_scripts")}
    if "keras-gen-judge" not in scripts:
        pytest.skip("keras-gen is not installed (pip install .): no console scripts to check")
    assert scripts["keras-gen-judge"].load() is keras_gen_cli.judge
