"""The public entry points: available() lists without I/O, locate() searches path > $NETAD_DATA >
~/.netad/data and explains a miss, summary() reports every dataset without raising."""

from __future__ import annotations

import shutil

import pytest

from netad.datasets import available, load, locate, summary
from netad.errors import NetadInputError

pytestmark = pytest.mark.needs_data(
    "cicids2017", "iot23", "kddcup99", "kddcup99-dagmm", "nsl-kdd", "nsl-kdd-21", "unsw-nb15"
)

NAMES = {
    "kddcup99", "kddcup99-dagmm", "nsl-kdd", "nsl-kdd-21", "nsl-kdd-sample", "unsw-nb15", "cicids2017",
    "cicids2017-improved", "iot23", "iot23-candc", "iot23-ddos", "iot23-portscan", "csv:PATH",
}  # fmt: skip


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No $NETAD_DATA and an empty home: only explicit paths and the embedded sample can be found."""
    monkeypatch.delenv("NETAD_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_available_lists_every_dataset_without_touching_files(nowhere):
    listed = available()
    assert set(listed) == NAMES
    assert all(isinstance(d, str) and d and "\n" not in d for d in listed.values())


def test_a_miss_says_where_it_looked_and_where_to_download(nowhere, tmp_path, monkeypatch):
    with pytest.raises(NetadInputError) as error:
        locate("cicids2017")
    message = str(error.value)
    assert "$NETAD_DATA (not set)" in message
    assert str(nowhere / ".netad" / "data" / "cicids2017") in message
    assert "https://www.unb.ca/cic/datasets/ids-2017.html" in message
    assert "export NETAD_DATA=DIR" in message and "--data-path" in message  # how to point netad at data first
    monkeypatch.setenv("NETAD_DATA", str(tmp_path / "data"))
    with pytest.raises(NetadInputError, match=f"{tmp_path / 'data' / 'cicids2017'} \\(missing\\)"):
        locate("cicids2017")


def test_search_order_is_path_then_netad_data_then_home(nowhere, tmp_path, shared_data, monkeypatch):
    source = shared_data / "nsl-kdd" / "KDDTest-21.txt.xz"
    home = nowhere / ".netad" / "data" / "nsl-kdd"
    env = tmp_path / "data" / "nsl-kdd"
    explicit = tmp_path / "mine"
    for folder in (home, env, explicit):
        folder.mkdir(parents=True)
        shutil.copy(source, folder)
    assert locate("nsl-kdd-21")[0].parent == home
    monkeypatch.setenv("NETAD_DATA", str(tmp_path / "data"))
    assert locate("nsl-kdd-21")[0].parent == env
    assert locate("nsl-kdd-21", explicit)[0].parent == explicit
    assert locate("nsl-kdd-21", explicit / "KDDTest-21.txt.xz") == [explicit / "KDDTest-21.txt.xz"]


def test_locate_returns_only_the_files_that_would_be_read(shared_data):
    assert [p.name for p in locate("nsl-kdd")] == ["KDDTrain+.txt.xz", "KDDTest+.txt.xz"]
    assert [p.name for p in locate("nsl-kdd", test_set="KDDTest-21")] == ["KDDTrain+.txt.xz", "KDDTest-21.txt.xz"]
    assert [p.name for p in locate("kddcup99")] == ["kddcup.data_10_percent.xz"]
    assert [p.name for p in locate("kddcup99-dagmm")] == ["kdd_cup.npz"]


def test_sample_takes_no_path(tmp_path):
    with pytest.raises(NetadInputError, match="shipped inside netad"):
        load("nsl-kdd-sample", tmp_path)


def test_csv_name_carries_its_path(tmp_path):
    path = tmp_path / "flows.csv"
    path.write_text("a,y\n1,n\n2,a\n")
    assert load(f"csv:{path}", label_column="y", normal_label="n").name == f"csv:{path}"
    with pytest.raises(NetadInputError, match="already names its file"):
        load(f"csv:{path}", path, label_column="y", normal_label="n")
    with pytest.raises(NetadInputError, match="needs a file"):
        load("csv")


def test_summary_reports_found_and_missing_datasets(nowhere, tmp_path, shared_data, monkeypatch):
    monkeypatch.setenv("NETAD_DATA", str(shared_data))
    found = {row["name"]: row for row in summary(["nsl-kdd-sample", "iot23"])}
    iot = found["iot23"]
    assert iot["found"] and iot["rows"] == 23_145 and iot["attacks"] == 23_145 - 1_923
    assert list(iot["class_balance"])[0] == "DDoS" and iot["paths"][0].endswith(".xz")
    assert found["nsl-kdd-sample"]["official_split"] == {"test": 22_544, "train": 25_192}
    monkeypatch.setenv("NETAD_DATA", str(tmp_path / "empty"))
    (missing,) = summary(["unsw-nb15"])
    assert missing["found"] is False and "research.unsw.edu.au" in missing["hint"]


def test_summary_of_everything_lists_every_registered_dataset(nowhere):
    rows = summary()
    assert {r["name"] for r in rows} == NAMES - {"csv:PATH"}
    assert [r["name"] for r in rows if r["found"]] == ["nsl-kdd-sample"]
