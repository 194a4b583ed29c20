"""Bad input gets a NetadInputError that names the file, column or value and what to do, never a
traceback from deep inside pyarrow and never a silent drop."""

from __future__ import annotations

import lzma
import zipfile

import pytest

from netad.datasets import load, locate
from netad.errors import NetadInputError

pytestmark = pytest.mark.needs_data("cicids2017", "iot23", "kddcup99", "nsl-kdd", "nsl-kdd-21", "unsw-nb15")


def test_unknown_dataset_name_suggests_the_closest():
    with pytest.raises(NetadInputError, match=r"unknown dataset 'nsl_kdd' \(did you mean 'nsl-kdd'\?\).*csv:PATH"):
        load("nsl_kdd")


def test_unknown_option_lists_the_accepted_ones():
    with pytest.raises(NetadInputError, match="does not take option.*test_sett.*accepted: test_set, train_set"):
        load("nsl-kdd", test_sett="KDDTest-21")


def test_bad_option_value_lists_the_choices():
    with pytest.raises(NetadInputError, match="test_set='KDDTest' is not one of 'KDDTest\\+', 'KDDTest-21'"):
        load("nsl-kdd", test_set="KDDTest")


def test_missing_file(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(NetadInputError, match=f"{missing}.*does not exist"):
        load(f"csv:{missing}", label_column="y", normal_label="n")
    with pytest.raises(NetadInputError, match="does not exist.*https://www.unb.ca/cic/datasets/nsl.html"):
        load("nsl-kdd", missing)


def test_folder_without_the_dataset_files_says_what_it_expected(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(NetadInputError, match="no UNSW_NB15_training-set.csv.*research.unsw.edu.au"):
        locate("unsw-nb15", tmp_path)


@pytest.mark.parametrize("dataset", ["nsl-kdd", "kddcup99", "unsw-nb15", "cicids2017", "iot23"])
def test_empty_file(tmp_path, dataset):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(NetadInputError, match="empty"):
        load(dataset, path, cache=False)


def test_header_only_csv_has_no_rows(tmp_path):
    path = tmp_path / "flows.csv"
    path.write_text("a,b,y\n")
    with pytest.raises(NetadInputError, match="no data rows"):
        load(f"csv:{path}", label_column="y", normal_label="n")


def test_missing_label_column_names_it_and_lists_columns(tmp_path):
    path = tmp_path / "flows.csv"
    path.write_text("a,b,c\n1,2,x\n")
    with pytest.raises(NetadInputError, match=r"label_column 'verdict' not in the file; columns: a, b, c"):
        load(f"csv:{path}", label_column="verdict", normal_label="ok")


def test_required_csv_options(tmp_path):
    path = tmp_path / "flows.csv"
    path.write_text("a,y\n1,n\n")
    with pytest.raises(NetadInputError, match="needs option.*normal_label"):
        load(f"csv:{path}", label_column="y")


def test_normal_label_not_in_column_lists_the_values_found(tmp_path):
    path = tmp_path / "flows.csv"
    path.write_text("a,y\n1,BENIGN\n2,DDoS\n3,PortScan\n")
    with pytest.raises(NetadInputError, match="normal_label='benign' never occurs in column 'y'.*'BENIGN', 'DDoS'"):
        load(f"csv:{path}", label_column="y", normal_label="benign")


def test_non_numeric_values_in_a_numeric_column(tmp_path):
    path = tmp_path / "flows.csv"
    rows = "".join(f"{i},{i * 2},n\n" for i in range(50))
    path.write_text("a,b,y\n" + rows + "7,n/a?,a\n8,oops,a\n")
    with pytest.raises(NetadInputError, match=r"column 'b' looks numeric but has 2 non-numeric.*'n/a\?' on line 52"):
        load(f"csv:{path}", label_column="y", normal_label="n")
    with pytest.raises(NetadInputError, match=r"column 'b' should be numeric.*2 non-numeric"):
        load(f"csv:{path}", label_column="y", normal_label="n", categorical_columns=[])


def test_non_numeric_value_in_a_kdd_numeric_field(shared_data, tmp_path):
    lines = lzma.decompress((shared_data / "nsl-kdd" / "KDDTest-21.txt.xz").read_bytes()).split(b"\n")[:20]
    cells = lines[5].split(b",")
    cells[4] = b"lots"  # src_bytes
    lines[5] = b",".join(cells)
    path = tmp_path / "KDDTest-21.txt"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(NetadInputError, match=r"KDDTest-21.txt: column 'src_bytes'.*1 non-numeric.*'lots' on line 6"):
        load("nsl-kdd-21", path, cache=False)


def test_wrong_number_of_fields(shared_data, tmp_path):
    lines = lzma.decompress((shared_data / "nsl-kdd" / "KDDTest-21.txt.xz").read_bytes()).split(b"\n")[:20]
    lines[7] = lines[7] + b",extra"
    path = tmp_path / "KDDTest-21.txt"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(NetadInputError, match="KDDTest-21.txt: malformed line, wrong number of fields"):
        load("nsl-kdd-21", path, cache=False)


def test_not_a_kdd_file(tmp_path):
    path = tmp_path / "KDDTest+.txt"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(NetadInputError, match="expected 42 or 43 comma-separated fields.*found 3"):
        load("nsl-kdd", path, cache=False)


def test_truncated_xz_download(shared_data, tmp_path):
    data = (shared_data / "nsl-kdd" / "KDDTest-21.txt.xz").read_bytes()
    path = tmp_path / "KDDTest-21.txt.xz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(NetadInputError, match="cannot decompress.*is the download complete"):
        load("nsl-kdd-21", path, cache=False)


def test_zip_with_one_member_reads_and_with_two_is_refused(shared_data, tmp_path):
    raw = lzma.decompress((shared_data / "nsl-kdd" / "KDDTest-21.txt.xz").read_bytes())
    single = tmp_path / "KDDTest-21.txt.zip"
    with zipfile.ZipFile(single, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("KDDTest-21.txt", raw)
    assert load("nsl-kdd-21", single, cache=False).n_rows == 11_850
    double = tmp_path / "both.zip"
    with zipfile.ZipFile(double, "w") as z:
        z.writestr("KDDTest-21.txt", raw)
        z.writestr("KDDTest+.txt", raw)
    with pytest.raises(NetadInputError, match="exactly one data file, this one holds 2"):
        load("nsl-kdd-21", double, cache=False)


def test_iot23_file_without_zeek_header(tmp_path):
    path = tmp_path / "capture.conn.log.labeled"
    path.write_text("ts\tuid\n1\tx\n")
    with pytest.raises(NetadInputError, match="no '#fields' header line"):
        load("iot23", path, cache=False)


def test_iot23_unknown_label_value(shared_data, tmp_path):
    lines = lzma.decompress((shared_data / "iot23" / "CTU-IoT-Malware-Capture-34-1.conn.log.labeled.xz").read_bytes())
    head = lines.split(b"\n")[:20]
    head[10] = head[10].replace(b"   Benign   ", b"   Suspicious   ").replace(b"   Malicious   ", b"   Suspicious   ")
    path = tmp_path / "x.conn.log.labeled"
    path.write_bytes(b"\n".join(head) + b"\n")
    with pytest.raises(NetadInputError, match="Benign or Malicious, found also.*suspicious"):
        load("iot23", path, cache=False)


def test_cicids_file_without_label_column(tmp_path):
    path = tmp_path / "Monday-WorkingHours.pcap_ISCX.csv"
    path.write_text(" Flow Duration, Total Fwd Packets\n1,2\n")
    with pytest.raises(NetadInputError, match="no 'Label' column"):
        load("cicids2017", path, cache=False)
