"""The voice-call channel (issue 19): Aliyun VMS's request signature, the adapter's answers, the call
reports' signature, when the ladder phones, and that nothing else does."""

from __future__ import annotations

import json
import urllib.error
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from notifications.adapters.aliyun_voice import AliyunVoiceCaller, signature, string_to_sign
from notifications.adapters.voice_account import VoiceAccount
from notifications.domain import Category, Channel, Locale, Priority, SendFailed, VoiceCall
from notifications.emergency_ladder import (
    STEPS,
    WITH_VOICE,
    channels,
    climbed,
    key_of_source,
    recalled,
    start,
)
from notifications.models import NoticeCreate
from notifications.preferences import Preferences, Reach, plan
from notifications.templates import render
from notifications.voice_reports import parse_reports, sign, verify
from pydantic import ValidationError

from courtyard.directory import StaffView, StaffZoneView
from infra.local.voice_persona import VoicePersona, rpc_signature

T0 = datetime(2026, 10, 2, 19, 0, tzinfo=UTC)
ACCOUNT = VoiceAccount("LTAIlocalvoice", "secret-of-the-account", "cb-secret", "057100000000")
CALL = VoiceCall(
    params={"who": "住户", "place": "3栋2单元501室", "what": "紧急求助"}, text="…", out_id="0123456789ABCDE"
)


def test_the_signature_is_aliyuns_documented_example() -> None:
    # Aliyun's signature documentation: DescribeRegions with AccessKeyId testid / secret testsecret.
    params = {
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
    }
    assert string_to_sign("GET", params) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
        "%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    )
    assert signature("testsecret", "GET", params) == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def _caller(answer: bytes | Exception) -> tuple[AliyunVoiceCaller, list[str]]:
    urls: list[str] = []

    def opener(url: str, _timeout: float) -> bytes:
        urls.append(url)
        if isinstance(answer, Exception):
            raise answer
        return answer

    caller = AliyunVoiceCaller(
        "https://dyvmsapi.aliyuncs.com", lambda: ACCOUNT, "TTS_EMERGENCY", opener=opener, now=lambda: T0
    )
    return caller, urls


def test_a_call_is_a_signed_single_call_by_tts_that_the_provider_accepts() -> None:
    caller, urls = _caller(b'{"Code": "OK", "CallId": "116012354148^10281378", "RequestId": "R"}')

    assert caller.call("+8613900000101", CALL) == "116012354148^10281378"

    params = dict(parse_qsl(urlsplit(urls[0]).query, keep_blank_values=True))
    assert (params["Action"], params["CalledNumber"], params["TtsCode"]) == (
        "SingleCallByTts",
        "13900000101",
        "TTS_EMERGENCY",
    )
    assert json.loads(params["TtsParam"]) == CALL.params
    assert (params["OutId"], params["CalledShowNumber"]) == ("0123456789ABCDE", "057100000000")
    # The persona checks the signature with its own implementation of the documented rule.
    persona = VoicePersona()
    persona.access_key_secret = ACCOUNT.access_key_secret
    status, body = persona.place(params, now=T0)
    assert (status, body["Code"]) == (200, "OK")
    assert persona.calls()[0].params == CALL.params
    params["TtsParam"] = json.dumps({"who": "别人"})  # tampered after signing
    assert persona.place({**params, "SignatureNonce": "n2"}, now=T0)[1]["Code"] == "SignatureDoesNotMatch"
    assert rpc_signature("x", "GET", {"A": "1"}) == signature("x", "GET", {"A": "1"})


def test_a_refused_number_fails_for_good_and_an_unreachable_provider_is_retried() -> None:
    refused, _ = _caller(b'{"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "bad number"}')
    with pytest.raises(SendFailed) as failure:
        refused.call("+8613900000101", CALL)
    assert (failure.value.reason, failure.value.permanent) == ("voice_isv.MOBILE_NUMBER_ILLEGAL", True)

    down, _ = _caller(urllib.error.URLError("connection refused"))
    with pytest.raises(SendFailed) as failure:
        down.call("+8613900000101", CALL)
    assert (failure.value.reason, failure.value.permanent) == ("voice_unreachable", False)


def test_a_call_without_keys_is_not_configured() -> None:
    caller = AliyunVoiceCaller("https://dyvmsapi.aliyuncs.com", VoiceAccount, "TTS_EMERGENCY")
    with pytest.raises(SendFailed) as failure:
        caller.call("+8613900000101", CALL)
    assert (failure.value.reason, failure.value.permanent) == ("voice_not_configured", True)


def test_a_call_report_is_trusted_only_with_a_fresh_signature_of_its_body() -> None:
    body = json.dumps([{"call_id": "C1", "out_id": "O1", "dtmf": "1", "status_code": "200000"}])
    now = T0.timestamp()

    assert verify("cb", body, sign("cb", body, int(now)), now)
    assert not verify("cb", body, sign("other", body, int(now)), now)
    assert not verify("cb", body.replace("1", "2"), sign("cb", body, int(now)), now)
    assert not verify("cb", body, sign("cb", body, int(now) - 301), now)
    assert not verify("cb", body, None, now)
    assert [r.acknowledged for r in parse_reports(body)] == [True]
    assert [r.acknowledged for r in parse_reports('{"call_id": "C2", "dtmf": "2"}')] == [False]
    with pytest.raises(ValueError, match="call reports"):
        parse_reports('[{"dtmf": "1"}]')


def _manager(staff_id: str) -> StaffView:
    return StaffView(
        staff_id, None, staff_id, frozenset({"manager"}), frozenset(), (StaffZoneView("S"),), False, True
    )


def test_the_ladder_phones_at_its_last_step_and_at_every_step_of_a_care_list_emergency() -> None:
    ordinary = start("T", "ticket", "K", "S", "sos", T0)
    care = start("T", "alarm", "A", "S", "critical_alarm", T0, care=True)

    assert [Channel.VOICE in channels(step, ordinary) for step in range(len(STEPS))] == [
        False,
        False,
        False,
        True,
    ]
    assert all(channels(step, care) == WITH_VOICE for step in range(len(STEPS)))
    # The manager on duty, texted at step 2, is phoned at the last step; a care ladder phoned them already.
    texted = climbed(ordinary, 2, ["duty-mgr"], T0, 2)
    assert recalled(3, texted, [_manager("duty-mgr"), _manager("boss")]) == ["duty-mgr"]
    assert recalled(2, texted, [_manager("duty-mgr")]) == []
    assert recalled(3, climbed(care, 2, ["duty-mgr"], T0, 2), [_manager("duty-mgr")]) == []
    assert key_of_source("ladder:alarm:A:3") == "alarm:A"
    assert key_of_source("event:TicketCreated:1") is None


def test_a_voice_call_needs_a_phone_and_no_push_device() -> None:
    decided = plan(
        WITH_VOICE,
        Preferences(),
        Category.ALARM,
        Priority.URGENT,
        Reach(push_endpoints=0, phone=True, inbox=True),
        now=T0,
        timezone="Asia/Shanghai",
    )
    assert Channel.VOICE in decided.send
    no_phone = plan(
        WITH_VOICE, Preferences(), Category.ALARM, Priority.URGENT, Reach(inbox=True), now=T0, timezone="UTC"
    )
    assert no_phone.skipped[Channel.VOICE] == "no_phone"


def test_a_notice_never_phones_anyone() -> None:
    with pytest.raises(ValidationError, match="voice"):
        NoticeCreate.model_validate(
            {
                "content": {"zh-CN": {"title": "通知", "body": "停水"}},
                "audience": {"site_id": "S1", "everyone": True},
                "channels": ["inbox", "voice"],
            }
        )


def test_the_call_says_who_where_what_and_to_press_1_in_short_chinese() -> None:
    spoken = render(
        "emergency_voice", Locale.ZH_CN, {"who": "关爱对象", "place": "3栋2单元501室", "what": "紧急告警"}
    )

    assert spoken.body == "物业紧急通知：关爱对象3栋2单元501室紧急告警，请立即处理。确认请按1。"
    assert len(spoken.body) <= 40
