from pathlib import Path

from tests.log_scan import personal_data_in_logs


def test_a_phone_id_number_or_plate_in_any_log_line_is_found(tmp_path: Path):
    (tmp_path / "A.log").write_text(
        '{"message": "delivered", "tenant_id": "01M80HK80CJEG4DBT0PRRVCNBW", "ts": 1795314794509}\n'
        '{"message": "sms to 13812345678 failed"}\n',
        encoding="utf-8",
    )
    (tmp_path / "B.log").write_text("visitor 粤B·12345 at gate 2\nid 11010119900307123X\n", encoding="utf-8")

    lines, findings = personal_data_in_logs(tmp_path)

    assert lines == 4
    assert findings == ["A.log:2: 13812345678", "B.log:1: 粤B·12345", "B.log:2: 11010119900307123X"]


def test_ids_uuids_and_timestamps_are_not_personal_data(tmp_path: Path):
    (tmp_path / "C.log").write_text(
        "user 5b1f2c3d-9e8f-4a7b-8c6d-a13812345678 request 01HZX3Y4K5M6N7P8Q9R0S1T2V3 at 1795314794509\n",
        encoding="utf-8",
    )
    assert personal_data_in_logs(tmp_path) == (1, [])
